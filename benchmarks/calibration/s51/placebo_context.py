"""Round 51 probe: why the TRANSFORM-1 placebo arm gains twice the expectancy of Singh's saline.

    python benchmarks/calibration/s51/placebo_context.py

At the shipped set's point values (seed 0, 900 patients in the TRANSFORM-1 design), MADRS
change of the placebo arm at days 1, 8, 15 and 28 in the TRANSFORM-1 design as written
(three arms, two of them active, a new oral antidepressant in every arm), with one arm of
esketamine only (one chance in two of an active spray), with no new antidepressant in the
placebo arm (the antidepressant in the others unchanged), and with both. No published value
is fitted here.
"""

from __future__ import annotations

from _designs import changes, design, mean

from moodtwin import ParameterSet, run_trial

DAYS = [1, 8, 15, 28]
PLACEBO_ONLY = {
    "name": "Placebo spray twice weekly, no new antidepressant", "duration": "12 week",
    "therapies": [{"type": "esketamine_nasal", "placebo": True, "at": ["0 d", "3 d"],
                   "repeat": {"every": "1 week", "count": 4}}]}


def variant(two_arms: bool, no_new_ad: bool):
    def edit(raw: dict) -> None:
        if two_arms:
            raw["arms"] = [a for a in raw["arms"] if a["name"] != "esketamine_84mg"]
        if no_new_ad:
            for a in raw["arms"]:
                if a["name"] == "placebo":
                    a["protocol"] = PLACEBO_ONLY

    return design("esketamine_transform1_fixed_dose", 600 if two_arms else 900,
                  changes(DAYS), edit=edit)


def main() -> None:
    ps = ParameterSet.calibrated()
    for two_arms in (False, True):
        for no_new_ad in (False, True):
            s = run_trial(variant(two_arms, no_new_ad), seed=0, parameters=ps,
                          ensemble=False).summary()
            row = " ".join(f"{mean(s, f'change_day{d}', 'placebo'):6.1f}" for d in DAYS)
            print(f"{'two arms (1 in 2 active)' if two_arms else 'three arms (2 in 3 active)':27s}"
                  f" {'no new antidepressant' if no_new_ad else 'new antidepressant':22s}"
                  f" placebo arm, days {DAYS}: {row}", flush=True)


if __name__ == "__main__":
    main()
