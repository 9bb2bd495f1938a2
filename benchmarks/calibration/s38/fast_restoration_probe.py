"""Round 38's probe (measured, not shipped): one ketamine-class dose restores almost all of
a patient's restorable synapse loss (as a single dose reversed chronic-stress spine loss
within 24 h in rats, Li et al. 2011 Biol Psychiatry 69:754), so repeated doses hold rather
than add. Writes a copy of the shipped set with ``k_syn`` raised to K and ``syn_gap`` scaled
so that one dose restores the same synapse density at 24 h (point and every ensemble member).

    python benchmarks/calibration/s38/fast_restoration_probe.py 0.6 probe.yaml
    moodtwin validate examples/trials/esketamine_transform2.yaml ... --params probe.yaml

One 0.5 mg/kg infusion in the drug-free reference patient restores a share
``1 - exp(-6.68 k_syn)`` of the loss by 24 h (simulated: 0.458 at the shipped 0.0917/h,
0.963 at 0.6/h).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import yaml

SHIPPED = Path(__file__).resolve().parents[3] / "src" / "moodtwin" / "data" / "calibrated.yaml"
EXPOSURE = 6.68
"""Integral of BDNF release x potentiation over one infusion's first 24 h (h), read from the
shipped set's reference-patient run."""


def restored(k_syn: float) -> float:
    """Share of the restorable loss one dose restores by 24 h."""
    return 1.0 - math.exp(-EXPOSURE * k_syn)


def main() -> None:
    k_new, out = float(sys.argv[1]), Path(sys.argv[2])
    doc = yaml.safe_load(SHIPPED.read_text())

    def scaled(k: float, gap: float) -> tuple[float, float]:
        return k_new, gap * restored(k) / restored(k_new)

    point = doc["parameters"]
    point["k_syn"]["value"], point["syn_gap"]["value"] = scaled(
        point["k_syn"]["value"], point["syn_gap"]["value"])
    for member in doc["ensemble"]:
        member["k_syn"], member["syn_gap"] = scaled(member["k_syn"], member["syn_gap"])
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    print(f"k_syn {k_new}, syn_gap {point['syn_gap']['value']:.4f} -> {out}")


if __name__ == "__main__":
    main()
