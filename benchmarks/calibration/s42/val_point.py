"""Score the calibration set at the shipped point values (no ensemble), with overrides.

    python benchmarks/calibration/s42/val_point.py REPLICATES SEED [NAME=VALUE ...]

Prints the pass count and chi-square of the strict |z| rule and every calibration number.
"""

from __future__ import annotations

import sys

from scipy import stats

from moodtwin import ParameterSet, validate


def main(replicates: int, seed: int, overrides: dict[str, float]) -> None:
    ps = ParameterSet.calibrated().with_values(overrides) if overrides else None
    t = validate(parameters=ps, replicates=replicates, seed=seed, ensemble=False)
    c = t[(t.role == "calibration") & t.z.notna()]
    chi2 = float((c.z.astype(float) ** 2).sum())
    print(f"{overrides} reps {replicates} seed {seed}: pass {int(c['pass'].sum())}/{len(c)} "
          f"chi2 {chi2:.1f} p {stats.chi2.sf(chi2, len(c)):.3f}")
    for r in c.to_dict("records"):
        flag = "" if r["pass"] else "  FAIL"
        print(f"  {r['target'][:60]:60s} pub {r['published']!s:>8.8} "
              f"sim {float(r['simulated']):8.3f} z {float(r['z']):6.2f}{flag}")


if __name__ == "__main__":
    over = {k: float(v) for k, v in (a.split("=") for a in sys.argv[3:])}
    main(int(sys.argv[1]), int(sys.argv[2]), over)
