"""Run the design examples (``examples/trials/designs/``: published trials without published
values, never fitted) as a new user would, and print every endpoint's mean and interval.

    python benchmarks/calibration/design_rows.py [--params SET.yaml] [--replicates 5]
        [--seed 0] [NAME ...]

The README's out-of-sample table sets these numbers beside the published ones.
``NAME`` picks files by a part of their name (default: all).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from moodtwin import ParameterSet, run_trial

DESIGNS = Path(__file__).resolve().parents[2] / "examples" / "trials" / "designs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--params", type=Path, default=None)
    ap.add_argument("--replicates", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    ps = ParameterSet.load(args.params) if args.params else ParameterSet.calibrated()
    for path in sorted(DESIGNS.glob("*.yaml")):
        if args.names and not any(n in path.name for n in args.names):
            continue
        s = run_trial(path, seed=args.seed, replicates=args.replicates, parameters=ps).summary()
        print(f"== {path.name}", flush=True)
        for row in s.itertuples():
            print(f"   {row.endpoint:34s} {row.arm:32s} {row.mean:9.3f}  "
                  f"[{row.low:.3f}, {row.high:.3f}]", flush=True)


if __name__ == "__main__":
    main()
