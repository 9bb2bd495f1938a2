"""Round 53, by hand before the calibration: placebo responders as a class, a smaller
spontaneous remission step and less drift, at the shipped set's other values.

    python benchmarks/calibration/s53/placebo_classes_by_hand.py src/moodtwin/data/calibrated.yaml

Runs only on branch ``s53-placebo-classes`` (main has no placebo classes). The responder
level is 3.4 (clipped at the parameter's upper range 3.0), at the shipped ``w_expect``; the
branch's population file puts it at 1 and lets ``w_expect`` carry the scale.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from placebo_shape import improvements  # noqa: E402

from moodtwin import ParameterSet  # noqa: E402
from moodtwin.calibration._mixture import shared_mixture  # noqa: E402

PR = "population.covariates.placebo_responsiveness."
CLASSES = {PR + "responder_share": 0.79, PR + "responder": 3.4, PR + "omega": 0.3}
VARIANTS = {
    "classes, course_amp 1.2": {**CLASSES, "course_amp": 1.2},
    "classes, course_sd 0.15": {**CLASSES, "course_sd": 0.15},
    "classes, both": {**CLASSES, "course_amp": 1.2, "course_sd": 0.15},
}

if __name__ == "__main__":
    base = ParameterSet.load(sys.argv[1])
    for label, values in VARIANTS.items():
        ps = base.with_values(values, source="probe")
        p, d = improvements(ps, "placebo"), improvements(ps, "blinded")
        means, _, w = shared_mixture([p, d])
        print(f"{label:26s} placebo mean {p.mean():.2f} SD {p.std():.2f}, drug - placebo "
              f"{d.mean() - p.mean():.2f}; mixture means {np.round(means, 1)}, weights "
              f"placebo {np.round(w[0], 2)}, drug {np.round(w[1], 2)}", flush=True)
