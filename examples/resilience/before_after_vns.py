"""Stressor challenge before and after a therapy: is the twin more resilient after VNS?

The same standard stressor (a major life event: intensity 1 for 4 weeks, starting at
week 26) is added to an untreated course and to six months of VNS; ``moodtwin.resilience``
reports the peak MADRS rise it causes and the time after it ends until the rise is down to
half and to a quarter of its peak (the slow mood memory keeps a tail for months, so a
10 % recovery is not reached within the year). Run:

    python examples/resilience/before_after_vns.py

Research model output, not medical advice.
"""

from __future__ import annotations

from pathlib import Path

from moodtwin.protocols import load_protocol
from moodtwin.resilience import resilience

HERE = Path(__file__).resolve().parents[1] / "protocols"


def main() -> None:
    for label, name in (("untreated", "no_treatment.yaml"),
                        ("after 6 months of VNS", "vns_standard.yaml")):
        protocol = load_protocol(HERE / name)
        half, quarter = (resilience(protocol, at="26 week", duration="4 week",
                                    recovered_fraction=f) for f in (0.5, 0.25))

        def days(h: float) -> str:
            return "not within the protocol" if h != h else f"{h / 24:.0f} d"

        print(f"{label:<24} peak +{half.peak:.1f} MADRS at {half.time_to_peak_h / 24:.0f} d; "
              f"recovered to half of it {days(half.recovery_h)} and to a quarter "
              f"{days(quarter.recovery_h)} after the stressor ends")


if __name__ == "__main__":
    main()
