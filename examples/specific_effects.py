"""How much of each simulated between-arm effect is specific (research use only).

Part 1 runs packaged blinded, sham- or placebo-controlled calibration trials at the shipped
calibrated point three ways: as shipped; with a blind that perception of the treatment does
not break (``unblinding`` 0: belief stays at the allocation share); and without the
patients' expectancy (``w_expect`` 0). What is left in the third run is the treatments'
pharmacological or stimulation effect: the specific part of the simulated
active-minus-control contrast (the raters of these trials are blinded, so no observer bias
enters).

Part 2 (``--figure``) draws the simulated response-rate time course of the implanted-VNS
trials D-01 (open) and D-02 (blinded), as shipped and without expectancy, beside the
published endpoints with their Wilson 95 % intervals. Prints a Markdown table (mean and
95 % interval over replicates, published value beside it) and writes it as CSV.

    python examples/specific_effects.py [OUT.csv] [--replicates R] [--figure OUT.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from moodtwin import DISCLAIMER  # noqa: E402
from moodtwin.catalogue import find_shipped, trial_catalogue  # noqa: E402
from moodtwin.parameter_sets import ParameterSet  # noqa: E402
from moodtwin.trials import load_trial, run_trial  # noqa: E402

#: (trial file, endpoint id, published value): one between-arm contrast per controlled trial
CONTRASTS = (
    ("tavns_wu2018_pooled", "difference_week4", -4.23),
    ("vns_d02_acute", "response_week12", (0.152, 0.100)),
    ("esketamine_transform2", "difference_day28", -4.0),
    ("ketamine_murrough2013", "difference_24h", -16.5 + 8.8),
    ("botulinum_magid2015", "percent_change_week6", -45.7 + 14.6),
)
SETTINGS = {
    "as shipped": {},
    "blind unbroken": {"unblinding": 0.0},
    "no expectancy": {"w_expect": 0.0},
}


def _contrast(endpoints: pd.DataFrame, endpoint: str) -> tuple[float, float, float]:
    """Active minus control of ``endpoint`` per replicate (a difference endpoint as given;
    per-arm estimates, first arm active, differenced): mean and 2.5-97.5 percentiles."""
    rows = endpoints[endpoints["endpoint"] == endpoint]
    arms = list(dict.fromkeys(rows["arm"]))
    per = rows.pivot_table(index="replicate", columns="arm", values="estimate")
    diff = per[arms[0]] - (per[arms[1]] if len(arms) > 1 else 0.0)
    return float(diff.mean()), float(diff.quantile(0.025)), float(diff.quantile(0.975))


def main(out: Path, replicates: int) -> pd.DataFrame:
    base = ParameterSet.calibrated()
    records = []
    for name, endpoint, published in CONTRASTS:
        trial = load_trial(find_shipped(name, trial_catalogue(), "trial"))
        for label, values in SETTINGS.items():
            ps = base.with_values(values, source=label) if values else base
            result = run_trial(trial, parameters=ps, replicates=replicates, seed=1,
                               ensemble=False)
            mean, low, high = _contrast(result.endpoints, endpoint)
            pub = published[0] - published[1] if isinstance(published, tuple) else published
            records.append({"trial": name, "contrast": endpoint, "setting": label,
                            "simulated": round(mean, 3), "low": round(low, 3),
                            "high": round(high, 3), "published": round(pub, 3)})
            print(f"{name:24s} {label:33s} {mean:8.3f} [{low:.3f}, {high:.3f}]  "
                  f"published {pub:.3f}", flush=True)
    table = pd.DataFrame.from_records(records)
    table.to_csv(out, index=False)
    return table


#: (trial file, arm, published response, n, published day) for the time-course figure
COURSES = (
    ("vns_d01_pilot", "vns", ((0.40, 30, 84.0), (0.46, 30, 365.0))),
    ("vns_d02_acute", "vns", ((0.152, 112, 84.0),)),
    ("vns_d02_acute", "sham", ((0.100, 110, 84.0),)),
)


def figure(out: Path, replicates: int) -> Path:
    """Simulated mean response rate per visit (as shipped, and without expectancy) of the
    D-01 and D-02 arms, with the published endpoints and their Wilson 95 % intervals."""
    from moodtwin.trials._stats import wilson

    base = ParameterSet.calibrated()
    runs = {label: base.with_values(v, source=label) if v else base
            for label, v in (("as shipped", {}), ("no expectancy", {"w_expect": 0.0}))}
    fig, axes = plt.subplots(1, len(COURSES), figsize=(4.2 * len(COURSES), 3.6), sharey=True)
    for ax, (name, arm, published) in zip(axes, COURSES, strict=True):
        trial = load_trial(find_shipped(name, trial_catalogue(), "trial"))
        for (label, ps), style in zip(runs.items(), ("-o", "--s"), strict=True):
            tr = run_trial(trial, parameters=ps, replicates=replicates, seed=1,
                           ensemble=False).trajectories
            course = tr[tr["arm"] == arm].groupby("day")["response"].mean()
            ax.plot(course.index, 100 * course.to_numpy(), style, ms=3, label=label)
        for value, n, day in published:
            lo, hi = wilson(round(value * n), n)
            ax.errorbar([day], [100 * value], yerr=[[100 * (value - lo)], [100 * (hi - value)]],
                        fmt="D", color="black", capsize=3, label="published (95 % CI)")
        ax.set_title(f"{name}: {arm}", fontsize=9)
        ax.set_xlabel("day after implantation")
        ax.set_ylim(0, 100)
    axes[0].set_ylabel("responders (%)")
    handles, labels = axes[0].get_legend_handles_labels()
    axes[0].legend(dict(zip(labels, handles, strict=True)).values(),
                   dict(zip(labels, handles, strict=True)).keys(), fontsize=7)
    fig.suptitle(DISCLAIMER, fontsize=6)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, default=Path("specific_effects.csv"))
    ap.add_argument("--replicates", type=int, default=4)
    ap.add_argument("--figure", type=Path, help="also draw the VNS response time courses")
    args = ap.parse_args()
    main(args.out, args.replicates)
    if args.figure is not None:
        print(figure(args.figure, args.replicates))
