"""Round 51 probe: what the placebo arms of repeated ketamine-class designs are made of.

    python benchmarks/calibration/s51/placebo_parts.py

At the shipped set's point values, MADRS change from baseline at several days in the
TRANSFORM-1 design (esketamine 56 mg or placebo spray, twice weekly, each with a newly started
oral antidepressant; 900 patients) and the Singh et al. 2016 design (IV ketamine 0.5 mg/kg or
saline twice weekly on a continued antidepressant; 800 patients), seed 0, with one part
switched off at a time: expectancy (``w_expect`` 0), the oral antidepressant's serotonergic
effect (``ad_serotonin`` 0), spontaneous remission (the natural course's remission hazard
~0). No published value is fitted here; the published ones are in probe.md.
"""

from __future__ import annotations

from _designs import changes, design, mean

from moodtwin import ParameterSet, run_trial

NC = "population.covariates.natural_course."
CASES = {
    "shipped": {},
    "no expectancy": {"w_expect": 0.0},
    "no AD serotonin": {"ad_serotonin": 0.0},
    "no spontaneous remission": {NC + "remission_hazard_untreated": 1e-6},
    "none of the three": {"w_expect": 0.0, "ad_serotonin": 0.0,
                          NC + "remission_hazard_untreated": 1e-6},
}
DESIGNS = {
    "TRANSFORM-1": ("esketamine_transform1_fixed_dose", 900, [1, 8, 15, 28],
                    ["esketamine_56mg", "placebo"]),
    "Singh 2016": ("ketamine_singh2016_dosing_frequency", 800, [1, 7, 14, 28],
                   ["ketamine_twice", "saline_twice"]),
}


def main() -> None:
    base = ParameterSet.calibrated()
    trials = {k: (design(stem, n, changes(days)), days, arms)
              for k, (stem, n, days, arms) in DESIGNS.items()}
    for label, values in CASES.items():
        ps = base.with_values(values, source="probe") if values else base
        print(f"== {label}", flush=True)
        for name, (trial, days, arms) in trials.items():
            s = run_trial(trial, seed=0, parameters=ps, ensemble=False).summary()
            for arm in arms:
                row = " ".join(f"{mean(s, f'change_day{d}', arm):6.1f}" for d in days)
                print(f"   {name:12s} {arm:16s} days {days}: {row}", flush=True)


if __name__ == "__main__":
    main()
