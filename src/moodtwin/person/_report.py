"""Reports of a personal fit and forecast: PNG (matplotlib), HTML (plotly), CSV and JSON."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from moodtwin import DISCLAIMER
from moodtwin.figure_files import save_png
from moodtwin.person._fit import PersonFit
from moodtwin.person._forecast import ForecastSet

_UNITS = {"rmssd": "RMSSD (ms)", "crp_mgl": "CRP (mg/L)", "il6_pgml": "IL-6 (pg/mL)",
          "cortisol_ugdl": "cortisol (ug/dL)", "bdnf_serum_ngml": "serum BDNF (ng/mL)"}
_LAB_OF = {"crp_mgl": "crp_mgl", "il6_pgml": "il6_pgml", "cortisol_ugdl": "cortisol_ugdl",
           "bdnf_serum_ngml": "bdnf_serum_ngml", "rmssd": "rmssd"}


def write_tables(fc: ForecastSet, out: Path) -> list[Path]:
    """forecast_bands.csv, forecast_outcomes.csv, side_effects.csv and forecast.json."""
    bands = pd.concat([c.bands.assign(candidate=c.name) for c in fc.candidates],
                      ignore_index=True)
    outcomes = pd.concat([c.outcomes.assign(candidate=c.name) for c in fc.candidates],
                         ignore_index=True)
    # a candidate without side-effect rows (no VNS, ketamine or toxin) adds none: pandas
    # deprecates concatenating empty frames, and an empty one adds nothing anyway
    effects = pd.concat([c.side_effects.assign(candidate=c.name) for c in fc.candidates
                         if not c.side_effects.empty]
                        or [fc.candidates[0].side_effects.assign(candidate="")],
                        ignore_index=True)
    paths = [out / "forecast_bands.csv", out / "forecast_outcomes.csv", out / "side_effects.csv",
             out / "forecast.json"]
    bands.to_csv(paths[0], index=False)
    outcomes.to_csv(paths[1], index=False)
    effects.to_csv(paths[2], index=False)
    paths[3].write_text(json.dumps({
        "disclaimer": DISCLAIMER, "start_day": fc.start_h / 24.0,
        "parameters_from_population": fc.prior_only,
        "ensemble_members": fc.ensemble_members,
        "candidates": [{"name": c.name, "file": c.file,
                        "outcomes": c.outcomes.to_dict("records"),
                        "side_effects": c.side_effects.to_dict("records")}
                       for c in fc.candidates]}, indent=2))
    return paths


def _observed(fit: PersonFit, scale: str) -> pd.DataFrame:
    sc = fit.record.scores
    return sc[sc["scale"] == scale]


def plot_png(fit: PersonFit, fc: ForecastSet, out: Path) -> Path:
    """History with observations, then every candidate side by side (one column each)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale = _primary(fit, fc)
    bio = [b for b in _UNITS if (fit.record.biomarkers["observable"] == b).any()][:2]
    ncol = 1 + len(fc.candidates)
    fig, axes = plt.subplots(1 + len(bio), ncol, figsize=(3.6 * ncol, 2.6 * (1 + len(bio))),
                             squeeze=False, sharey="row")
    rows = [scale, *bio]
    for r, qty in enumerate(rows):
        ax = axes[r, 0]
        _band(ax, fc.history, qty, "tab:gray")
        if r == 0:
            obs = _observed(fit, scale)
            ax.plot(obs["time_h"] / 24.0, obs["score"], "k.", ms=3, label="observed")
        else:
            b = fit.record.biomarkers
            b = b[b["observable"] == qty]
            ax.plot(b["time_h"] / 24.0, b["value"], "k.", ms=5)
        ax.set_ylabel(scale if r == 0 else _UNITS[qty])
        for c, cand in enumerate(fc.candidates, start=1):
            _band(axes[r, c], cand.bands, qty, f"C{c - 1}")
        if r == len(rows) - 1:
            axes[r, 0].set_xlabel("day since start date")
            for c in range(1, ncol):
                axes[r, c].set_xlabel("day since forecast start")
    axes[0, 0].set_title(f"{fit.record.id}: history (fit)", fontsize=9)
    for c, cand in enumerate(fc.candidates, start=1):
        axes[0, c].set_title(cand.name[:40], fontsize=9)
    fig.suptitle(DISCLAIMER, fontsize=7, color="darkred")
    path = out / "forecast.png"
    save_png(fig, path, 110, tight=True)
    return path


def _band(ax: object, frame: pd.DataFrame, qty: str, color: str) -> None:
    d = frame[frame["quantity"] == qty]
    ax.fill_between(d["day"], d["q5"], d["q95"], color=color, alpha=0.25, lw=0)  # type: ignore
    ax.plot(d["day"], d["median"], color=color, lw=1.2)  # type: ignore


def _primary(fit: PersonFit, fc: ForecastSet) -> str:
    counts = fit.record.scores["scale"].value_counts()
    dep = [s for s in counts.index if s in fc.scales]
    return dep[0] if dep else "MADRS"


def forecast_figure(fit: PersonFit, fc: ForecastSet):  # type: ignore[no-untyped-def]
    """History fit and each candidate side by side: median and 90 % band (plotly)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    scale = _primary(fit, fc)
    titles = ["history (fit)", *[c.name for c in fc.candidates]]
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, shared_yaxes=True)
    for c, (frame, color) in enumerate([(fc.history, "gray"), *[
            (cand.bands, f"hsl({60 * i},70%,45%)") for i, cand in enumerate(fc.candidates)]],
            start=1):
        d = frame[frame["quantity"] == scale]
        fig.add_trace(go.Scatter(x=np.r_[d["day"], d["day"][::-1]],
                                 y=np.r_[d["q95"], d["q5"][::-1]], fill="toself",
                                 line={"width": 0}, fillcolor=color, opacity=0.25,
                                 name="90 % band", showlegend=c == 1), row=1, col=c)
        fig.add_trace(go.Scatter(x=d["day"], y=d["median"], line={"color": color},
                                 name="median", showlegend=c == 1), row=1, col=c)
    obs = _observed(fit, scale)
    fig.add_trace(go.Scatter(x=obs["time_h"] / 24.0, y=obs["score"], mode="markers",
                             marker={"color": "black", "size": 4}, name="observed"), row=1, col=1)
    fig.update_yaxes(title_text=scale, row=1, col=1)
    fig.update_layout(height=420, title=f"{fit.record.id}: {scale} under candidate protocols")
    return fig


def plot_html(fit: PersonFit, fc: ForecastSet, out: Path, data_report: str) -> Path:
    """Interactive report: the candidates side by side, outcome table, fit diagnostics."""
    fig = forecast_figure(fit, fc)
    tables = "".join(
        f"<h3>{html.escape(c.name)} <small>({html.escape(c.file)})</small></h3>"
        + c.outcomes.round(3).to_html(index=False)
        + (c.side_effects.round(4).to_html(index=False) if len(c.side_effects) else "")
        for c in fc.candidates)
    warn = "".join(f"<li>{html.escape(w)}</li>" for w in fit.warnings) or "<li>none</li>"
    note = (f"<p>Parameters drawn from the population (never informed by this record): "
            f"{', '.join(fc.prior_only)}.</p>" if fc.prior_only else "")
    body = (f"<p style='color:darkred'><b>{html.escape(DISCLAIMER)}</b></p>"
            + fig.to_html(full_html=False, include_plotlyjs=True)
            + f"<p>Forecast start: day {fc.start_h / 24:g} after {fit.record.start_date}. "
              "Bands: 5-95 % of the posterior predictive of the latent score. Response: "
              "reduction of at least 50 % from the score at the forecast start; remission: "
              "the scale's threshold.</p>" + note + tables
            + "<h3>Fit</h3>" + fit.summary.round(3).to_html(index=False)
            + f"<h3>Warnings</h3><ul>{warn}</ul>"
            + f"<h3>Data report</h3><pre>{html.escape(data_report)}</pre>")
    path = out / "forecast.html"
    path.write_text(f"<html><head><meta charset='utf-8'><title>moodtwin forecast</title>"
                    f"</head><body>{body}</body></html>", encoding="utf-8")
    return path
