"""Design examples at the shipped point values (no ensemble) for several values of one
parameter: one row per endpoint and arm, one column per value.

    python benchmarks/calibration/s42/design_probe.py NAME[,NAME] PARAMETER V[,V]

``NAME`` picks trial files under ``examples/trials`` by a part of their name; 400 patients,
one realization, seed 0 (round 42's probes; ``probes.md``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from moodtwin import ParameterSet, run_trial

ROOT = Path(__file__).resolve().parents[3] / "examples" / "trials"


def main(names: list[str], parameter: str, values: list[float]) -> None:
    files = [p for p in sorted(ROOT.rglob("*.yaml")) if any(n in p.name for n in names)]
    rows: dict[tuple[str, str, str], dict[float, float]] = {}
    for v in values:
        ps = ParameterSet.calibrated().with_values({parameter: v})
        for f in files:
            s = run_trial(f, seed=0, n=400, parameters=ps, ensemble=False).summary()
            for r in s.itertuples():
                rows.setdefault((f.name, r.endpoint, r.arm), {})[v] = r.mean
    for (f, e, a), got in rows.items():
        cells = " ".join(f"{got[v]:8.3f}" for v in values)
        print(f"{f[:34]:34s} {e[:28]:28s} {a[:22]:22s} {cells}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1].split(","), sys.argv[2], [float(x) for x in sys.argv[3].split(",")])
