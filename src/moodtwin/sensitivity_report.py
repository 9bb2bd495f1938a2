"""Reporting of a sensitivity analysis: ranked text, CSV tables and figures (PNG, HTML).

The analysis itself (sampling, simulation, SALib indices) is
:mod:`moodtwin.sensitivity_analysis`. Research software, not medical advice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moodtwin.figure_files import save_png
from moodtwin.sensitivity_analysis import (
    METRICS,
    SECOND,
    SOBOL_RECOMMENDED_N,
    Sensitivity,
    time_label,
)


def sample_warning(sens: Sensitivity) -> str | None:
    """A warning when a Sobol run has too few base samples for stable indices."""
    if sens.method != "sobol":
        return None
    n = sens.n_runs // (len(sens.factors) + 2)
    if n >= SOBOL_RECOMMENDED_N:
        return None
    return (f"warning: Sobol with N = {n} base samples is far too few for stable indices "
            f"(use at least {SOBOL_RECOMMENDED_N}, --samples {SOBOL_RECOMMENDED_N}); read the "
            "confidence intervals, not the ranking.")


def ranking_lines(sens: Sensitivity, top: int = 8) -> list[str]:
    """Plain-text ranking of parameters and mechanisms at each time."""
    key, conf = METRICS[sens.method][:2]
    lines = [w for w in [sample_warning(sens)] if w]
    for t in sens.times_h:
        p = sens.parameters[sens.parameters.time_h == t].head(top)
        m = sens.mechanisms[sens.mechanisms.time_h == t]
        lines.append(f"{sens.endpoint} at {time_label(t)} - parameters by {key}:")
        for row in p.itertuples():
            extra = (f"sigma {row.sigma:7.3f}" if sens.method == "morris"
                     else f"S1 {row.S1:6.3f} +/- {row.S1_conf:.3f}")
            lines.append(f"  {row.rank:2d}. {row.parameter:<24} {row.mechanism:<14} "
                         f"{key} {getattr(row, key):7.3f} +/- {getattr(row, conf):.3f}  {extra}")
        lines.append("  mechanisms (sum of " + key + "): " + ", ".join(
            f"{r.mechanism} {getattr(r, key + '_sum'):.3g}" for r in m.itertuples()))
    return lines


def write_outputs(sens: Sensitivity, out: Path, stem: str) -> list[Path]:
    """Write the ranked tables (CSV), the samples (CSV) and the figure (PNG, HTML)."""
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"{stem}_{sens.method}"
    paths = [base.with_name(base.name + s) for s in
             ("_parameters.csv", "_mechanisms.csv", "_samples.csv", ".png", ".html")]
    sens.parameters.to_csv(paths[0], index=False)
    sens.mechanisms.to_csv(paths[1], index=False)
    sens.samples.to_csv(paths[2], index=False)
    _png(sens, paths[3])
    _html(sens, paths[4])
    return paths


def _title(sens: Sensitivity) -> str:
    return (f"{sens.method.capitalize()} sensitivity of {sens.endpoint}: {sens.protocol_name} "
            f"({sens.n_runs} runs, {sens.n_failed} failed)")


def _png(sens: Sensitivity, path: Path, top: int = 15) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from moodtwin import DISCLAIMER

    key, conf = METRICS[sens.method][:2]
    other, other_conf = SECOND[sens.method]
    t_last = sens.times_h[-1]
    p = sens.parameters[sens.parameters.time_h == t_last].head(top).iloc[::-1]
    m = sens.mechanisms[sens.mechanisms.time_h == t_last].iloc[::-1]
    over_time = len(sens.times_h) > 1
    fig, axes = plt.subplots(1, 3 if over_time else 2, figsize=(17 if over_time else 12, 6.5),
                             gridspec_kw={"width_ratios": [1.3, 1, 1.2][: 3 if over_time else 2]})
    ypos = np.arange(len(p))
    ax = axes[0]
    labels = [f"{r.parameter} ({r.mechanism})" for r in p.itertuples()]
    ax.barh(ypos + 0.2, p[key], 0.4, xerr=p[conf], label=key, color="#1f77b4")
    ax.barh(ypos - 0.2, p[other], 0.4, xerr=None if other_conf is None else p[other_conf],
            label=other, color="#ff7f0e")
    ax.set_yticks(ypos, labels, fontsize=8)
    ax.set_title(f"Parameters at {time_label(t_last)} (top {len(p)})")
    ax.legend(loc="lower right")
    ax.set_xlabel(_unit_note(sens))
    ax = axes[1]
    ax.barh(np.arange(len(m)), m[f"{key}_sum"], color="#2ca02c")
    ax.set_yticks(np.arange(len(m)), m["mechanism"], fontsize=9)
    ax.set_title(f"Mechanisms (sum of {key})")
    if over_time:
        ax = axes[2]
        for name in _leaders(sens, 6):
            d = sens.parameters[sens.parameters.parameter == name].sort_values("time_h")
            ax.plot(d.time_h / 24.0, d[key], marker="o", label=name)
        ax.set_xscale("log")
        ax.set_xlabel("days after baseline")
        ax.set_ylabel(key)
        ax.set_title(f"{key} over time (6 largest at any time)")
        ax.legend(fontsize=8)
    fig.suptitle(_title(sens), fontsize=11)
    fig.text(0.99, 0.005, DISCLAIMER, ha="right", va="bottom", fontsize=9, color="#a00000")
    save_png(fig, path, 100, tight=True, rect=(0, 0.03, 1, 0.95))


def _leaders(sens: Sensitivity, k: int) -> list[str]:
    """The ``k`` parameters with the largest index at any time."""
    key = METRICS[sens.method][0]
    return list(sens.parameters.groupby("parameter")[key].max().nlargest(k).index)


def _unit_note(sens: Sensitivity) -> str:
    if sens.method == "sobol":
        return "share of endpoint variance"
    return f"{sens.endpoint} units per whole sampled range"


def _html(sens: Sensitivity, path: Path) -> None:
    from plotly.subplots import make_subplots

    from moodtwin import DISCLAIMER

    key, conf = METRICS[sens.method][:2]
    other, other_conf = SECOND[sens.method]
    over_time = len(sens.times_h) > 1
    fig = make_subplots(rows=1, cols=3 if over_time else 2, horizontal_spacing=0.12,
                        subplot_titles=["Parameters", f"Mechanisms (sum of {key})",
                                        f"{key} over time"][: 3 if over_time else 2])
    t_last = sens.times_h[-1]
    p = sens.parameters[sens.parameters.time_h == t_last].iloc[::-1]
    m = sens.mechanisms[sens.mechanisms.time_h == t_last].iloc[::-1]
    fig.add_bar(y=p["parameter"], x=p[key], orientation="h", name=key, row=1, col=1,
                error_x={"array": p[conf]}, customdata=p["mechanism"],
                hovertemplate="%{y} (%{customdata}): %{x:.3g}")
    fig.add_bar(y=p["parameter"], x=p[other], orientation="h", name=other, row=1, col=1,
                error_x=None if other_conf is None else {"array": p[other_conf]})
    fig.add_bar(y=m["mechanism"], x=m[f"{key}_sum"], orientation="h", name="mechanism",
                row=1, col=2)
    if over_time:
        for name in _leaders(sens, 8):
            d = sens.parameters[sens.parameters.parameter == name].sort_values("time_h")
            fig.add_scatter(x=d.time_h / 24.0, y=d[key], mode="lines+markers", name=name,
                            row=1, col=3)
        fig.update_xaxes(type="log", title_text="days after baseline", row=1, col=3)
    fig.update_layout(title={"text": f"{_title(sens)} at {time_label(t_last)}<br>"
                                     f"<sup>{DISCLAIMER}</sup>"},
                      height=max(500, 22 * len(p) + 150), barmode="group")
    fig.write_html(path, include_plotlyjs=True, full_html=True,
                   config={"displaylogo": False, "responsive": True})


__all__ = ["ranking_lines", "sample_warning", "write_outputs"]
