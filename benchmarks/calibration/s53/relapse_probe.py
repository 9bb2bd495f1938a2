"""Round 53 probe: relapse after any remission (branch s53-relapse-after-remission; on main it
measures the shipped mechanism, in which only a spontaneous remission relapses).

    python benchmarks/calibration/s53/relapse_probe.py SET.yaml [--set NAME=VALUE ...] [--val]

At the point values of SET (no ensemble), prints the designs in which remitters or
responders are followed beside the published numbers:
- antidepressant withdrawal (Kato et al. 2021 Mol Psychiatry 26:118, 40 trials): relapsed by
  week 40, continued 20.9 % / placebo 39.7 % (3,000 enrolled);
- SUSTAIN-1 (Daly et al. 2019 JAMA Psychiatry 76:893): stable remitters, hazard ratio 0.49;
  26.7 % / 45.3 % relapsed over the maintenance phase;
- D-04 (George et al. 2005 Biol Psychiatry 58:364): 12-month HRSD-24 response 27 % / 13 %;
- D-02 with its open year (Rush et al. 2005 Biol Psychiatry 58:355): 27.2 % response;
- Murrough 2013's six infusions: responders' relapse by 4 weeks (no published rate read).
``--val``: the calibration set's rows (validate, 2 replicates, seed 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "s51"))
from _designs import design, mean, print_rows, probe_set  # noqa: E402

from moodtwin import run_trial  # noqa: E402

ROWS = [
    ("antidepressant_relapse_prevention", 3000, [("relapsed_by_40_weeks", "continued"),
                                                 ("relapsed_by_40_weeks", "placebo"),
                                                 ("relapse_hr", "continued vs placebo")],
     "0.209 / 0.397 / OR 0.38"),
    ("esketamine_sustain1_relapse_prevention", 1500,
     [("relapsed_by_12_weeks", "esketamine"), ("relapsed_by_12_weeks", "placebo_spray"),
      ("relapse_hr", "esketamine vs placebo_spray")], "HR 0.49; 26.7 / 45.3 % over the phase"),
    ("vns_d04_one_year_vs_tau", 600, [("response_month12", "vns_tau"),
                                      ("response_month12", "tau")], "0.27 / 0.13"),
    ("vns_d02_long_term", 600, [("response_exit_active_first", "vns"),
                                ("response_exit_sham_first", "sham_then_vns")], "0.272 pooled"),
    ("ketamine_murrough2013_six_infusions", 600, [("response_after_six", "ketamine"),
                                                  ("relapsed_by_4_weeks", "ketamine")],
     "0.708 over the series; median relapse 18 d"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("set")
    ap.add_argument("--set", dest="values", action="append", default=[])
    ap.add_argument("--val", action="store_true")
    a = ap.parse_args()
    ps = probe_set(a.set, a.values)
    for stem, n, rows, published in ROWS:
        s = run_trial(design(stem, n, [], keep=True), seed=0, parameters=ps,
                      ensemble=False).summary()
        got = " / ".join(f"{mean(s, e, arm):.3f}" for e, arm in rows)
        print(f"{stem[:38]:38s} {got:32s} (published {published})", flush=True)
    if a.val:
        print_rows(ps, "calibration rows")


if __name__ == "__main__":
    main()
