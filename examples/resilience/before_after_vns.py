"""Stressor challenge before and after a therapy: is the twin more resilient after VNS?

The same standard stressor (a major life event: intensity 1 for 4 weeks, starting at
week 26) is added to an untreated course and to six months of VNS; ``moodtwin.resilience``
reports the peak MADRS rise it causes and the recovery time after it ends. Run:

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
        r = resilience(load_protocol(HERE / name), at="26 week", duration="4 week")
        rec = "not within the protocol" if r.recovery_h != r.recovery_h else \
            f"{r.recovery_h / 24:.0f} days after the stressor ends"
        print(f"{label:<24} peak +{r.peak:.1f} MADRS at {r.time_to_peak_h / 24:.0f} days; "
              f"recovery (to 10 % of the peak): {rec}")


if __name__ == "__main__":
    main()
