"""Trial outputs: result.json, per-patient table, PNG and HTML report."""

from __future__ import annotations

import json
import textwrap
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from moodtwin import DISCLAIMER
from moodtwin.figure_files import save_png
from moodtwin.trials._stats import wilson
from moodtwin.trials._trial import PERCENTILE_REPLICATES, TrialResult
from moodtwin.units import hours


def _bands(res: TrialResult, column: str) -> pd.DataFrame:
    """Mean per (arm, day) with a 95% interval by :meth:`TrialResult.summary`'s rule: from
    10 replicates the percentiles over them; with fewer, the mean of each replicate's own
    interval (normal interval of the mean score, Wilson interval of the rate)."""
    t = res.trajectories
    g = t.groupby(["arm", "day"], sort=False)[column]
    out = g.mean().rename("mean").to_frame()
    if res.replicates >= PERCENTILE_REPLICATES:
        out["low"], out["high"] = g.quantile(0.025), g.quantile(0.975)
        return out.reset_index()
    if column == "response":
        low, high = wilson(np.round(t["response"] * t["n"]), t["n"])
    else:
        half = 1.96 * t["sd"] / np.sqrt(np.maximum(t["n"], 1))
        low, high = t["mean_score"] - half, t["mean_score"] + half
    own = pd.DataFrame({"arm": t["arm"], "day": t["day"], "low": low, "high": high})
    out[["low", "high"]] = own.groupby(["arm", "day"], sort=False)[["low", "high"]].mean()
    return out.reset_index()


def _published_responders(summary: pd.DataFrame, day: float, arms: pd.Series) -> pd.DataFrame:
    """Published response rates (%) read at ``day`` for the plotted ``arms`` (a pool has no
    bar), with their 95 % interval, from a :meth:`TrialResult.summary`: the trial file's
    ``response_rate`` endpoints at that day (drawn beside the simulated bars)."""
    s = summary
    s = s[(s["type"] == "response_rate") & s["published"].notna() & s["arm"].isin(arms)]
    at = np.array([hours(str(a), "at") / 24.0 for a in s["at"]])
    s = s[np.isclose(at, day)] if len(s) else s
    return pd.DataFrame({"arm": s["arm"], "value": 100 * s["published"],
                         "low": 100 * s["published_low"], "high": 100 * s["published_high"]})


def write_outputs(res: TrialResult, out: Path) -> list[Path]:
    """Write result.json, patients.csv, endpoints.csv, report.png and report.html."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "result.json", out / "patients.csv", out / "endpoints.csv"]
    paths[0].write_text(json.dumps(res.to_json(), indent=2))
    table = res.first.patients.copy()
    scale = res.trial.scale
    x = res.first.observed[scale]
    for k, t in enumerate(res.first.visit_h):
        table[f"{scale}_day{t / 24:g}"] = x[:, k]
    table.to_csv(paths[1], index=False)
    summary = res.summary()
    summary.to_csv(paths[2], index=False)
    return paths + [_png(res, out / "report.png", summary),
                    _html(res, out / "report.html", summary)]


def _png(res: TrialResult, path: Path, summary: pd.DataFrame | None = None) -> Path:
    summary = res.summary() if summary is None else summary
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6), width_ratios=[3, 2])
    for arm, b in _bands(res, "mean_score").groupby("arm", sort=False):
        ax1.plot(b["day"], b["mean"], marker="o", ms=3, label=arm)
        ax1.fill_between(b["day"], b["low"], b["high"], alpha=0.2)
    ax1.set_xlabel("day")
    ax1.set_ylabel(f"mean {res.trial.scale} (observed)")
    ax1.legend(fontsize=8)
    ax1.set_title(textwrap.fill(res.trial.name, 80), fontsize=10)  # a long name stays inside
    last = _bands(res, "response").groupby("arm", sort=False).last().reset_index()
    mean, low, high = (100 * last[c].to_numpy(dtype=float) for c in ("mean", "low", "high"))
    ax2.bar(last["arm"], mean, yerr=np.vstack([mean - low, high - mean]),
            capsize=4, color="tab:green", alpha=0.7)
    pub = _published_responders(summary, float(last["day"].max()), last["arm"])
    if len(pub):
        where = {arm: k for k, arm in enumerate(last["arm"])}  # beside each simulated bar
        x = [where[a] + 0.3 for a in pub["arm"]]
        ax2.errorbar(x, pub["value"], yerr=np.vstack([pub["value"] - pub["low"],
                                                      pub["high"] - pub["value"]]),
                     fmt="D", color="black", capsize=4, label="published (95 % CI)")
        ax2.legend(fontsize=8)
    ax2.set_ylabel(f"responders at day {last['day'].max():g} (%)")
    ax2.tick_params(axis="x", labelrotation=20, labelsize=8)
    over = ("of the mean" if res.replicates == 1 else "mean of the replicates' own"
            if res.replicates < PERCENTILE_REPLICATES else "over replicates"
            if res.members is None else "over replicates and posterior ensemble members")
    fig.suptitle(f"{DISCLAIMER}  Bands: 95% interval ({over}).",
                 fontsize=8)
    save_png(fig, path, 110, tight=True)
    return path


def report_figure(res: TrialResult,  # type: ignore[no-untyped-def]
                  summary: pd.DataFrame | None = None):
    """Arm trajectories with their 95 % bands and responders per arm, published response
    rates beside them (plotly ``Figure``); ``summary``: ``res.summary()`` if already made."""
    summary = res.summary() if summary is None else summary
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4],
                        subplot_titles=(f"mean {res.trial.scale} by arm", "responders (%)"))
    for arm, b in _bands(res, "mean_score").groupby("arm", sort=False):
        fig.add_trace(go.Scatter(x=b["day"], y=b["mean"], name=arm, mode="lines+markers",
                                 error_y={"type": "data", "symmetric": False,
                                          "array": b["high"] - b["mean"],
                                          "arrayminus": b["mean"] - b["low"]}), 1, 1)
    last = _bands(res, "response").groupby("arm", sort=False).last().reset_index()
    fig.add_trace(go.Bar(x=last["arm"], y=100 * last["mean"], showlegend=False,
                         error_y={"type": "data", "symmetric": False,
                                  "array": 100 * (last["high"] - last["mean"]),
                                  "arrayminus": 100 * (last["mean"] - last["low"])}), 1, 2)
    pub = _published_responders(summary, float(last["day"].max()), last["arm"])
    if len(pub):
        fig.add_trace(go.Scatter(x=pub["arm"], y=pub["value"], mode="markers",
                                 name="published (95 % CI)",
                                 marker={"symbol": "diamond", "color": "black", "size": 9},
                                 error_y={"type": "data", "symmetric": False,
                                          "array": pub["high"] - pub["value"],
                                          "arrayminus": pub["value"] - pub["low"]}), 1, 2)
    fig.update_yaxes(title_text=f"responders at day {last['day'].max():g} (%)", row=1, col=2)
    fig.update_xaxes(title_text="day", row=1, col=1)
    return fig


def _html(res: TrialResult, path: Path, summary: pd.DataFrame) -> Path:
    fig = report_figure(res, summary)
    s = summary
    table = s[["endpoint", "arm", "at", "mean", "low", "high", "new_trial_low",
               "new_trial_high", "published", "published_low", "published_high"]
              ].round(3).to_html(index=False, na_rep="")
    fails = "".join(f"<li>{escape(f)}</li>" for f in res.failures[:50]) or "<li>none</li>"
    notes = "".join(f"<li>{escape(x)}</li>" for x in res.notes)
    notes = f"<h3>Endpoint values not computed</h3><ul>{notes}</ul>" if notes else ""
    outside = "".join(f"<li>{escape(x)}</li>" for x in res.outside_calibration)
    outside = (f"<h3>Outside the calibration set (extrapolation)</h3><ul>{outside}</ul>"
               if outside else "")
    body = fig.to_html(full_html=False, include_plotlyjs=True)
    name = escape(res.trial.name)
    path.write_text(
        f"<html><head><meta charset='utf-8'><title>{name}</title></head><body>"
        f"<h2>{name}</h2><p><b>{escape(DISCLAIMER)}</b></p><p>{escape(res.trial.source)}</p>"
        f"<p>{res.replicates} replicate(s), seed {res.seed}; interval: "
        f"{escape(res.to_json()['interval'])}. New trial: 95 % prediction interval for a "
        f"published result of this design, with between-trial heterogeneity of "
        f"{res.heterogeneity[0]:.3g} of the value ({escape(res.heterogeneity[1])}).</p>"
        f"{outside}{body}<h3>Endpoints</h3>{table}"
        f"{notes}<h3>Excluded patients</h3><ul>{fails}</ul></body></html>",
        encoding="utf-8")
    return path
