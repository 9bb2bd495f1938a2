"""Round 51 probe: calibration rows and repeated-dose design rows at the shipped point.

    python benchmarks/calibration/s51/point_probe.py [--scale-drug X] [--scale-expect Y]
        [--set NAME=VALUE ...] [--replicates 2] [--no-oos]

Round 50's ``probe.py`` (branch ``s50-drug-placebo-overlap``) without its overlap exponent:
on the shipped set's point values (no ensemble), optionally multiplies the drug relief
weights (``w_pot``, ``syn_gap``, ``w_lhb``) by X and ``w_expect``
by Y (what a recalibration might do), and prints the calibration set's pass count and
chi-square (validate, point values) and out-of-sample repeated-dose design rows (200
patients per arm, seed 0; the designs carry no published values).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _designs import print_rows

from moodtwin import ParameterSet, run_trial

DESIGNS = Path(__file__).resolve().parents[3] / "examples" / "trials" / "designs"
OOS = ("murrough2013_six", "karma", "singh2016", "transform1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale-drug", type=float, default=1.0)
    ap.add_argument("--scale-expect", type=float, default=1.0)
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--no-oos", action="store_true")
    ap.add_argument("--no-val", action="store_true")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="any other parameter value (repeatable)")
    a = ap.parse_args()
    ps = ParameterSet.calibrated()
    v = ps.values
    over = {"w_expect": v["w_expect"] * a.scale_expect,
            **({w: v[w] * a.scale_drug for w in ("w_pot", "syn_gap", "w_lhb")}
               if a.scale_drug != 1.0 else {}),
            **{k: float(x) for k, x in (item.split("=", 1) for item in a.set)}}
    ps = ps.with_values(over, source="probe")
    if not a.no_val:
        print_rows(ps, f"drug x{a.scale_drug} expect x{a.scale_expect} {a.set}", a.replicates)
    if a.no_oos:
        return
    for name in OOS:
        for design in sorted(DESIGNS.glob(f"*{name}*.yaml")):
            s = run_trial(design, seed=0, n=200, parameters=ps, ensemble=False).summary()
            for r in s.itertuples():
                print(f"  {design.stem[:28]:28s} {r.endpoint[:26]:26s} {r.arm[:14]:14s} "
                      f"{float(r.mean):8.3f}", flush=True)


if __name__ == "__main__":
    main()
