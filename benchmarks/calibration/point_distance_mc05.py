"""The shipped posterior at a small Monte-Carlo error (round 41, issue 14).

Compares, for the particles of a replenishment checkpoint re-evaluated with ``moodtwin
calibrate --mc-error 0.5`` (generation 0 of a warm start), their distance there with the
distance the earlier run selected them on, and prints the distance of a parameter set (default:
the shipped one) on the same Monte-Carlo realizations (seed ``41 + 1000``: generation 0 of a
run with ``--seed 41``; two realizations, every trial sized so that each number's Monte-Carlo
error is half its published standard error, ``--n-max 5000``), target by target.

    python benchmarks/calibration/point_distance_mc05.py \
        [--start benchmarks/calibration/abc_s33_start.npz] \
        [--checkpoint benchmarks/calibration/s41/abc_s41_mc05_gen0.npz] [--params SET.yaml]

About 80 core-seconds per parameter set on this 2-core machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from moodtwin.calibration._abc import trial_scores
from moodtwin.calibration._fit import realization_seed
from moodtwin.calibration._targets import collect_targets
from moodtwin.parameter_sets import ParameterSet

HERE = Path(__file__).resolve().parent


def compare_populations(start: Path, checkpoint: Path) -> None:
    """Distances of the same particles: as selected before, and at MC error 0.5."""
    old, new = np.load(start), np.load(checkpoint)
    cols = [list(old["names"]).index(n) for n in new["names"]]
    xo = old["x"][:, cols]
    match = [int(np.argmin(np.abs(xo - row).sum(1))) for row in new["x"]]
    d_old, d_new = old["d"][match], new["d"]
    q = np.percentile(d_new, [10, 50, 90])
    print(f"{len(np.unique(new['x'], axis=0))} distinct particles; distance they were selected "
          f"on: median {np.median(d_old):.1f}; at MC error 0.5: median {q[1]:.1f} "
          f"(10-90 % {q[0]:.1f}-{q[2]:.1f}, min {d_new.min():.1f}); Spearman r between the "
          f"two {spearmanr(d_old, d_new)[0]:.2f}")


def point_distance(params: ParameterSet, seed: int) -> float:
    """Distance of ``params`` (every value from the set) at MC error 0.5, per target."""
    scores = trial_scores(collect_targets(fitted_only=True), n_max=5000, seed=seed,
                          parameters=params, realizations=2, mc_error=0.5)({})
    for label, (sim, z2) in scores.items():
        print(f"{label:78s} {sim:9.3f}  weighted z^2 {z2:6.2f}")
    return float(sum(z2 for _, z2 in scores.values()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", type=Path, default=HERE / "abc.npz")
    ap.add_argument("--checkpoint", type=Path, default=HERE / "s41" / "abc_s41_mc05_gen0.npz")
    ap.add_argument("--params", type=Path, default=None)
    args = ap.parse_args()
    compare_populations(args.start, args.checkpoint)
    params = ParameterSet.load(args.params) if args.params else ParameterSet.calibrated()
    seed = realization_seed(41, 0)
    print(f"distance {point_distance(params, seed):.2f} (realization seed {seed})")


if __name__ == "__main__":
    main()
