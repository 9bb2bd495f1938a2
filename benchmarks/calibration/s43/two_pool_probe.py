"""Round 43 two-pool probe (measured, not shipped; results in probe.md beside this file).

Apply ``two_pool_probe.diff`` to a checkout, then from its root:

    PYTHONPATH=src python benchmarks/calibration/s43/two_pool_probe.py kc0.02,kc0.05 4

Runs SUSTAIN-1, TRANSFORM-1 and Murrough's six infusions with the shipped set and the overrides
named in the first argument (no recalibration), with the given number of replicates, seed 3.
"""

from __future__ import annotations

import sys
from pathlib import Path

from moodtwin import ParameterSet, run_trial

DESIGNS = Path(__file__).resolve().parents[3] / "examples" / "trials" / "designs"
SETS = {
    "k0": {"k_syn_loss": 0.0135},
    "kc0.02": {"k_syn_loss": 0.0135, "k_consolidate": 0.02},
    "kc0.05": {"k_syn_loss": 0.0135, "k_consolidate": 0.05},
}
ROWS = {
    "esketamine_sustain1_relapse_prevention.yaml":
        ("relapse_hr", "relapsed_by_12_weeks", "remission_week16"),
    "esketamine_transform1_fixed_dose.yaml":
        ("difference_56mg_day28", "difference_84mg_day28", "response_day28"),
    "ketamine_murrough2013_six_infusions.yaml": ("response_day1", "response_after_six"),
}


def main(names: list[str], replicates: int) -> None:
    shipped = ParameterSet.calibrated()
    for name in names:
        for design, endpoints in ROWS.items():
            s = run_trial(DESIGNS / design, seed=3, replicates=replicates, ensemble=False,
                          parameters=shipped.with_values(SETS[name])).summary()
            s = s[s.endpoint.isin(endpoints)]
            print(name, design, "; ".join(f"{r.endpoint} {r.arm} {r.mean:.3f}"
                                          for r in s.itertuples()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1].split(","), int(sys.argv[2]))
