"""Round 51 probe: relapse in randomized-withdrawal designs, both arms, parts switched off.

    python benchmarks/calibration/s51/relapse_parts.py

At the shipped set's point values, seed 0:
- the SUSTAIN-1 design (stable remitters after 16 weeks of esketamine + a new oral
  antidepressant, randomized to continued esketamine or placebo spray; 3,000 patients
  enrolled): relapse hazard ratio and the share relapsed by weeks 12 and 24 in each arm;
- the generic oral-antidepressant withdrawal design
  (``antidepressant_relapse_prevention.yaml``; 3,000 enrolled): hazard ratio and the share
  relapsed by week 40 of the randomized phase in each arm;
with expectancy (``w_expect`` 0) or spontaneous remission (remission hazard ~0) switched off.
No published value is fitted here; the published ones are in probe.md.
"""

from __future__ import annotations

from _designs import design, mean

from moodtwin import ParameterSet, run_trial

NC = "population.covariates.natural_course."
CASES = {
    "shipped": {},
    "no expectancy": {"w_expect": 0.0},
    "no spontaneous remission": {NC + "remission_hazard_untreated": 1e-6},
    "neither": {"w_expect": 0.0, NC + "remission_hazard_untreated": 1e-6},
}
SUSTAIN = {"score": 22, "confirm": 2, "severe_score": 40}
AD = {"score": 16, "confirm": 2}


def _by(weeks: int, relapse: dict) -> dict:
    return {"id": f"by_{weeks}", "type": "proportion_relapsed", "by": f"{weeks} week",
            "relapse": relapse}


def main() -> None:
    base = ParameterSet.calibrated()
    sustain = design("esketamine_sustain1_relapse_prevention", 3000,
                     [_by(12, SUSTAIN), _by(24, SUSTAIN)], keep=True)
    ad = design("antidepressant_relapse_prevention", 3000, [], keep=True)
    for label, values in CASES.items():
        ps = base.with_values(values, source="probe") if values else base
        s = run_trial(sustain, seed=0, parameters=ps, ensemble=False).summary()
        a = run_trial(ad, seed=0, parameters=ps, ensemble=False).summary()
        hr_s = mean(s, "relapse_hr", "esketamine vs placebo_spray")
        hr_a = mean(a, "relapse_hr", "continued vs placebo")
        print(f"{label:26s} SUSTAIN-1: HR {hr_s:.2f}"
              f", by week 12 {mean(s, 'by_12', 'esketamine'):.3f} / "
              f"{mean(s, 'by_12', 'placebo_spray'):.3f}, by week 24 "
              f"{mean(s, 'by_24', 'esketamine'):.3f} / {mean(s, 'by_24', 'placebo_spray'):.3f}"
              f" | antidepressant withdrawal: HR {hr_a:.2f}"
              f", by week 40 {mean(a, 'relapsed_by_40_weeks', 'continued'):.3f} / "
              f"{mean(a, 'relapsed_by_40_weeks', 'placebo'):.3f}", flush=True)


if __name__ == "__main__":
    main()
