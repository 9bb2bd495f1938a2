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
from functools import cache
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from moodtwin import DISCLAIMER  # noqa: E402
from moodtwin.parameter_sets import ParameterSet  # noqa: E402
from moodtwin.trials import TrialResult, load_trial, run_trial  # noqa: E402
from moodtwin.units import hours  # noqa: E402

#: (catalogue trial, endpoint id): one between-arm contrast per controlled trial; the
#: published values are read from the trial file
CONTRASTS = (
    ("tavns_wu2018_pooled", "difference_week4"),
    ("vns_d02_acute", "response_week12"),
    ("esketamine_transform2", "difference_day28"),
    ("ketamine_murrough2013", "change_24h"),
    ("botulinum_magid2015", "percent_change_week6"),
)
SETTINGS = {
    "as shipped": {},
    "blind unbroken": {"unblinding": 0.0},
    "no expectancy": {"w_expect": 0.0},
}


@cache
def _run(name: str, label: str, replicates: int) -> TrialResult:
    """Catalogue trial ``name`` at the shipped point with setting ``label`` (run once)."""
    values = SETTINGS[label]
    base = ParameterSet.calibrated()
    ps = base.with_values(values, source=label) if values else base
    return run_trial(name, parameters=ps, replicates=replicates, seed=1, ensemble=False)


def _endpoint(name: str, endpoint: str):
    """Endpoint ``endpoint`` of catalogue trial ``name``, with its published value(s)."""
    return next(e for e in load_trial(name).endpoints if e.id == endpoint)


def _published_contrast(name: str, endpoint: str) -> float:
    """Published active minus control (first arm minus second for per-arm values)."""
    pub = _endpoint(name, endpoint).published
    if isinstance(pub, dict):
        first, second = list(pub.values())[:2]
        return float(first.value - second.value)
    return float(pub.value)


def _contrast(endpoints: pd.DataFrame, endpoint: str) -> tuple[float, float, float]:
    """Active minus control of ``endpoint`` per replicate (a difference endpoint as given;
    per-arm estimates, first arm active, differenced): mean and 2.5-97.5 percentiles."""
    rows = endpoints[endpoints["endpoint"] == endpoint]
    arms = list(dict.fromkeys(rows["arm"]))
    per = rows.pivot_table(index="replicate", columns="arm", values="estimate")
    diff = per[arms[0]] - (per[arms[1]] if len(arms) > 1 else 0.0)
    return float(diff.mean()), float(diff.quantile(0.025)), float(diff.quantile(0.975))


def main(out: Path, replicates: int) -> pd.DataFrame:
    records = []
    for name, endpoint in CONTRASTS:
        pub = _published_contrast(name, endpoint)
        for label in SETTINGS:
            mean, low, high = _contrast(_run(name, label, replicates).endpoints, endpoint)
            records.append({"trial": name, "contrast": endpoint, "setting": label,
                            "simulated": round(mean, 3), "low": round(low, 3),
                            "high": round(high, 3), "published": round(pub, 3)})
            print(f"{name:24s} {label:33s} {mean:8.3f} [{low:.3f}, {high:.3f}]  "
                  f"published {pub:.3f}", flush=True)
    table = pd.DataFrame.from_records(records)
    table.to_csv(out, index=False)
    return table


#: (catalogue trial, arm, response endpoints with published values) for the figure
COURSES = (
    ("vns_d01_pilot", "vns", ("response_month3", "response_month12")),
    ("vns_d02_acute", "vns", ("response_week12",)),
    ("vns_d02_acute", "sham", ("response_week12",)),
)


def figure(out: Path, replicates: int) -> Path:
    """Simulated mean response rate per visit (as shipped, and without expectancy) of the
    D-01 and D-02 arms, with the published endpoints and their Wilson 95 % intervals."""
    from moodtwin.trials._stats import wilson

    fig, axes = plt.subplots(1, len(COURSES), figsize=(4.2 * len(COURSES), 3.6), sharey=True)
    for ax, (name, arm, endpoints) in zip(axes, COURSES, strict=True):
        for label, style in (("as shipped", "-o"), ("no expectancy", "--s")):
            tr = _run(name, label, replicates).trajectories
            course = tr[tr["arm"] == arm].groupby("day")["response"].mean()
            ax.plot(course.index, 100 * course.to_numpy(), style, ms=3, label=label)
        for endpoint in endpoints:
            e = _endpoint(name, endpoint)
            value, n, day = e.published[arm].value, e.published[arm].n, hours(e.at, "at") / 24.0
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


def _replicates(text: str) -> int:
    """argparse type: a replicate count of at least 1."""
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (given {text})")
    return n


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path, default=Path("specific_effects.csv"))
    ap.add_argument("--replicates", type=_replicates, default=4)
    ap.add_argument("--figure", type=Path, help="also draw the VNS response time courses")
    args = ap.parse_args()
    main(args.out, args.replicates)
    if args.figure is not None:
        print(figure(args.figure, args.replicates))
