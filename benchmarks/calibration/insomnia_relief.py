"""Calibrate the relief of conditioned insomnia arousal by vagal afferent drive
(``k_arousal_relief``, sleep mechanism) to the two sham-controlled taVNS insomnia trials
that measured it:

- Zhang et al. 2024 (JAMA Netw Open 7:e2451217; n = 72, 8 weeks, sham at 0.1 mA): taVNS
  minus sham PSQI at week 8 -4.2 (95 % CI -5.9 to -2.6, SE 0.84);
- Jiao et al. 2020 (Evid Based Complement Alternat Med 2020:6049891; n = 72, 4 weeks,
  stimulation of a non-vagal ear site as control): no significant difference in PSQI.

    python benchmarks/calibration/insomnia_relief.py [--replicates 20] [--seed 0]

For each rate of a log grid, both trial files run with the shipped calibrated set (its
ensemble members in turn) and common random numbers. The log-likelihood of a rate is
``-z^2/2`` for Zhang's difference (z against its published SE) plus the log of the share of
simulated Jiao trials whose PSQI difference is not significant (the probability of Jiao's
published result; floored at 1/(2 x replicates)). The rate with the largest log-likelihood,
refined by a parabola in log(rate), is the value the model definition carries
(``model/mechanisms/sleep.py``). The two files' arm changes are not used: they check the
non-specific part of the model.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from moodtwin import ParameterSet, validate

TRIALS = Path(__file__).resolve().parents[2] / "examples" / "trials"
ZHANG = TRIALS / "tavns_zhang2024_insomnia_psqi.yaml"
JIAO = TRIALS / "tavns_jiao2020_insomnia.yaml"
ZHANG_DIFF, ZHANG_SE = -4.2, (5.9 - 2.6) / 3.92
GRID = (0.004, 0.007, 0.01, 0.014, 0.02, 0.028)


def score(rate: float, replicates: int, seed: int) -> tuple[float, float, float]:
    """(Zhang's simulated difference, share of Jiao trials without a significant PSQI
    difference, log-likelihood) at ``rate``."""
    ps = ParameterSet.calibrated().with_values({"k_arousal_relief": rate},
                                               source="insomnia_relief.py grid")
    t = validate([ZHANG, JIAO], parameters=ps, replicates=replicates, seed=seed)
    t = t.set_index("target")
    diff = float(t.loc["tavns_zhang2024_insomnia_psqi/psqi_difference_week8/tavns vs sham",
                       "simulated"])
    share = float(t.loc["tavns_jiao2020_insomnia/psqi_difference_week4/tavns vs tnvns",
                        "simulated"])
    loglik = -0.5 * ((diff - ZHANG_DIFF) / ZHANG_SE) ** 2 + math.log(
        max(share, 0.5 / replicates))
    return diff, share, loglik


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rows = []
    for rate in GRID:
        diff, share, loglik = score(rate, args.replicates, args.seed)
        rows.append((rate, loglik))
        print(f"k_arousal_relief {rate:g}/h: Zhang difference {diff:.2f} (published "
              f"{ZHANG_DIFF}), Jiao not significant in {share:.0%}, log-likelihood "
              f"{loglik:.2f}", flush=True)
    x, y = np.log([r for r, _ in rows]), np.array([v for _, v in rows])
    best = int(np.argmax(y))
    lo, hi = max(best - 1, 0), min(best + 2, len(x))
    a, b, _ = np.polyfit(x[lo:hi], y[lo:hi], 2) if hi - lo == 3 else (0.0, 0.0, 0.0)
    peak = -b / (2 * a) if a < 0 else x[best]
    print(f"solution: k_arousal_relief {math.exp(float(np.clip(peak, x[lo], x[hi - 1]))):.3g}/h")


if __name__ == "__main__":
    main()
