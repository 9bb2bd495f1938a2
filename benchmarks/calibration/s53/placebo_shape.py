"""Round 53 probe: the shape of the placebo arm's improvement against Stone et al. 2022.

    python benchmarks/calibration/s53/placebo_shape.py SET.yaml

Stone et al. 2022 (BMJ 378:e067606; individual data of 232 FDA registration trials) fitted
the HAMD-17 improvement after 8 weeks as a mixture of three components: large (mean 16.0
points), non-specific (8.9) and minimal (1.7). In the placebo arms about 10 % improved
largely, 69 % non-specifically and the rest minimally (drug arms: 24.5 % large). This prints,
for Stone's design (a newly started oral antidepressant, double blind at 1:1, HAMD-17 25 +/- 4,
0-2 failed treatments; 1,500 patients per arm, point values of SET, no ensemble), the share
of each arm in each component (cut at the midpoints 5.3 and 12.45 points) and the mean
change, with the mechanisms that make the non-specific response switched off one at a time:
spontaneous remission (natural course), expectancy, the slow drift of the episode. Last, as
Stone fitted them: the weights of a three-component normal mixture shared by both arms
(``moodtwin.calibration._mixture.shared_mixture``) at the set's own values.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np

from moodtwin import ParameterSet, run_trial
from moodtwin.calibration._mixture import STONE_COMPONENTS, STONE_PLACEBO_WEIGHTS, shared_mixture
from moodtwin.calibration._sources import stone_trial

CUTS = tuple(0.5 * (a + b) for a, b in itertools.pairwise(STONE_COMPONENTS))
NC = "population.covariates.natural_course."
VARIANTS = {
    "as set": {},
    "no spontaneous remission": {NC + "remission_hazard_untreated": 1e-6},
    "no expectancy": {"w_expect": 0.0},
    "no drift": {"course_sd": 0.02},
}


def improvements(ps: ParameterSet, pill: str, n: int = 1500, seed: int = 5) -> np.ndarray:
    """HAMD-17 improvements after 8 weeks in one arm of Stone's design."""
    trial = stone_trial(pill, n)
    x = run_trial(trial, seed=seed, parameters=ps, ensemble=False).first.observed["HAMD17"]
    gain = x[:, 0] - x[:, -1]
    return gain[np.isfinite(gain)]


def shares(ps: ParameterSet, pill: str) -> tuple[float, ...]:
    """Shares of one arm below, between and above the midpoints, and its mean improvement."""
    gain = improvements(ps, pill)
    return (float(np.mean(gain < CUTS[0])), float(np.mean((gain >= CUTS[0]) & (gain < CUTS[1]))),
            float(np.mean(gain >= CUTS[1])), float(np.mean(gain)))


def main() -> None:
    base = ParameterSet.load(sys.argv[1])
    print("shares minimal / non-specific / large, mean improvement (HAMD-17)")
    print(f"published placebo arms: {STONE_PLACEBO_WEIGHTS}, about 8 (Stone et al. 2022)")
    for label, values in VARIANTS.items():
        ps = base.with_values(values, source="probe") if values else base
        for pill in ("placebo", "blinded"):
            m, s, lg, mean = shares(ps, pill)
            print(f"{label:26s} {pill:8s} {m:.2f} / {s:.2f} / {lg:.2f}, {mean:5.2f}", flush=True)
    means, sds, weights = shared_mixture([improvements(base, "placebo"),
                                          improvements(base, "blinded")])
    print(f"shared mixture at the set's values: means {np.round(means, 1)}, SDs "
          f"{np.round(sds, 1)}; weights placebo {np.round(weights[0], 2)}, drug "
          f"{np.round(weights[1], 2)} (published {STONE_PLACEBO_WEIGHTS}; drug large 0.245)")


if __name__ == "__main__":
    main()
