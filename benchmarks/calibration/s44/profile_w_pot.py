"""Round 44: profile the weight of fast potentiation ``w_pot`` once the habenular route
carries the first hours (``model/mechanisms/habenula.py``).

    python benchmarks/calibration/s44/profile_w_pot.py REPLICATES SEED [NAME=VALUE ...] \
        W_POT [W_POT ...]

At each ``w_pot`` (the other values at the shipped point) ``w_lhb`` is conditioned again on An
et al. 2021's 4-h difference, and the calibration set is scored with the strict |z| rule at
the point (no ensemble); ``NAME=VALUE`` arguments hold other values fixed (e.g. the
untrapping time ``tau_lhb_untrap``). Prints one line per value: w_pot, w_lhb, the first
esketamine dose's difference from placebo at 4 h and 24 h (An: 6.16 and 9.96), passes and
chi-square.
"""

from __future__ import annotations

import sys

from scipy import stats

from moodtwin import ParameterSet, validate
from moodtwin.calibration._sources import condition_w_lhb, esketamine_first_dose


def main(replicates: int, seed: int, fixed: dict[str, float], values: list[float]) -> None:
    for w_pot in values:
        base = ParameterSet.calibrated().with_values({**fixed, "w_pot": w_pot})
        w_lhb = round(condition_w_lhb(base), 4)
        ps = base.with_values({"w_lhb": w_lhb})
        early, day1 = esketamine_first_dose(ps)
        t = validate(parameters=ps, replicates=replicates, seed=seed, ensemble=False)
        c = t[(t.role == "calibration") & t.z.notna()]
        chi2 = float((c.z.astype(float) ** 2).sum())
        fails = ", ".join(f"{r['target']} z {float(r['z']):.2f}"
                          for r in c.to_dict("records") if not r["pass"])
        print(f"{fixed} w_pot {w_pot:.3f} w_lhb {w_lhb:.4f}: An 4 h {early:.2f}, 24 h {day1:.2f}; "
              f"pass {int(c['pass'].sum())}/{len(c)} chi2 {chi2:.1f} "
              f"p {stats.chi2.sf(chi2, len(c)):.3f}; failing: {fails}", flush=True)


if __name__ == "__main__":
    args = sys.argv[3:]
    main(int(sys.argv[1]), int(sys.argv[2]),
         {k: float(v) for k, v in (a.split("=") for a in args if "=" in a)},
         [float(a) for a in args if "=" not in a])
