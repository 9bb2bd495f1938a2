"""Round 51 probe: who carries TRANSFORM-1's drug-placebo difference in the model.

    python benchmarks/calibration/s51/by_placebo_tercile.py [--p4]

TRANSFORM-1 design (1,800 patients, seed 0, point values): the observed MADRS change from
baseline to day 28 in the esketamine 56 mg and placebo arms, by tercile of the patients'
placebo responsiveness (the population model's log-normal covariate). ``--p4`` sets the
p-norm combination with p = 4 and the drug's weights (``w_pot``, ``syn_gap``, ``w_lhb``)
times 1.5; it needs round 50's ``overlap_exponent``, on branch ``s50-drug-placebo-overlap``
(run there with ``PYTHONPATH=src``).
"""

from __future__ import annotations

import sys

import numpy as np
from _designs import changes, design

from moodtwin import ParameterSet, run_trial


def main() -> None:
    base = ParameterSet.calibrated()
    v = base.values
    label, over = "shipped (p = 1)", {}
    if "--p4" in sys.argv:
        label = "p = 4, drug x 1.5"
        over = {"overlap_exponent": 4.0, **{w: v[w] * 1.5 for w in ("w_pot", "syn_gap", "w_lhb")}}
    ps = base.with_values(over, source="probe") if over else base
    trial = design("esketamine_transform1_fixed_dose", 1800, changes([28]))
    data = run_trial(trial, seed=0, parameters=ps, ensemble=False).first
    arm = data.patients["arm"].to_numpy()
    pr = data.patients["placebo_responsiveness"].to_numpy()
    score = data.observed["MADRS"]
    change = score[:, -1] - score[:, 0]
    tercile = np.digitize(pr, np.quantile(pr, [1 / 3, 2 / 3]))
    for g in range(3):
        e = np.nanmean(change[(arm == "esketamine_56mg") & (tercile == g)])
        c = np.nanmean(change[(arm == "placebo") & (tercile == g)])
        print(f"{label:18s} placebo-responsiveness tercile {g + 1}: esketamine {e:6.1f} "
              f"placebo {c:6.1f} difference {e - c:6.1f}", flush=True)


if __name__ == "__main__":
    main()
