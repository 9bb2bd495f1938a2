"""Figures of simulated time courses: a static PNG (matplotlib) and an offline HTML (plotly).

The main panel shows the latent MADRS score of each protocol over the whole horizon (days,
linear), with the MADRS remission threshold and response threshold (reduction from each
protocol's baseline) of :mod:`moodtwin.scales`; a second panel zooms into the first two weeks.
Small panels show mechanism observables on a "symlog" time axis (linear over the first day,
logarithmic afterwards) so that hour-scale pharmacokinetics and month-scale plasticity are
both visible.

Research model output, not medical advice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moodtwin import DISCLAIMER
from moodtwin.figure_files import save_png
from moodtwin.result import Result
from moodtwin.scales import get_scale

REMISSION_MADRS = get_scale("MADRS").remission_threshold
RESPONSE_FRACTION = get_scale("MADRS").response_fraction
ZOOM_DAYS = 14.0


@dataclass(frozen=True)
class Panel:
    """A small panel: one or more outputs (states or observables) sharing a y axis."""

    names: tuple[str, ...]
    title: str
    ylabel: str
    only_if_nonzero: bool = False  # e.g. PCL-5, zero for a patient without trauma memory


#: Mechanism panels; units follow the model definition (``1`` = relative, 1 = healthy norm).
PANELS: tuple[Panel, ...] = (
    Panel(("norepinephrine",), "Cortical norepinephrine", "relative (1 = norm)"),
    Panel(("serotonin",), "Forebrain serotonin", "relative (1 = norm)"),
    Panel(("synapses",), "PFC spine-synapse density", "relative"),
    Panel(("BDNF",), "Brain BDNF", "relative (1 = healthy)"),
    Panel(("cortisol_ugdl",), "Serum cortisol", "µg/dL"),
    Panel(("il6_pgml",), "Plasma IL-6", "pg/mL"),
    Panel(("rmssd",), "HRV (RMSSD)", "ms"),
    Panel(("paralysis",), "Corrugator paralysis", "fraction (0-1)"),
    Panel(("ketamine_conc", "esketamine_conc"), "Plasma ketamine (solid) / esketamine (dashed)",
          "ng/mL"),
    Panel(("hama",), "Anxiety (latent HAM-A)", "points (0-56)"),
    Panel(("pcl5",), "PTSD (PCL-5)", "points (0-80)", only_if_nonzero=True),
    Panel(("psqi",), "Sleep (PSQI)", "points (0-21)"),
    Panel(("tnf_lps_pgml",), "LPS-induced TNF production (CAP)", "pg/mL"),
    Panel(("bdnf_plasma_pgml",), "Plasma BDNF", "pg/mL"),
    Panel(("bdnf_serum_ngml",), "Serum BDNF", "ng/mL"),
    Panel(("ngf_serum_pgml",), "Serum NGF", "pg/mL"),
    Panel(("vns_recruit_A", "vns_recruit_B"), "VNS recruitment: A (solid) / B (dashed)",
          "fraction (0-1)"),
    Panel(("salivary_amylase",), "Salivary alpha-amylase", "U/mL"),
)

_SYMLOG_TICKS = (0.0, 0.25, 1.0, 7.0, 30.0, 91.0, 182.0, 364.0, 728.0, 1820.0, 3640.0)
_SYMLOG_LABELS = ("0", "6 h", "1 d", "1 wk", "1 mo", "3 mo", "6 mo", "1 yr", "2 yr", "5 yr",
                  "10 yr")
_LINESTYLES = ("-", "--", ":", "-.")
_PLOTLY_DASH = ("solid", "dash", "dot", "dashdot")


def _is_untreated(label: str) -> bool:
    low = label.lower().replace("_", " ").replace("-", " ")
    return "no treatment" in low or "untreated" in low


def _colors(labels: Sequence[str]) -> dict[str, str]:
    palette = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
               "#17becf", "#bcbd22", "#7f7f7f")
    out: dict[str, str] = {}
    k = 0
    for lab in labels:
        if _is_untreated(lab):
            out[lab] = "#404040"
        else:
            out[lab] = palette[k % len(palette)]
            k += 1
    return out


def _series(result: Result, name: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Median over patients and, for a population, the 10-90 % band."""
    values = np.asarray(result[name], dtype=float)
    if values.shape[0] == 1:
        return values[0], None, None
    lo, med, hi = np.nanpercentile(values, [10, 50, 90], axis=0)
    return med, lo, hi


def _available(result: Result, name: str) -> bool:
    obs = {o.name for o in result.model.observables}
    return name in obs or name in result.model.state_index


def _panel_has_data(results: Mapping[str, Result], panel: Panel) -> bool:
    names = [(r, n) for r in results.values() for n in panel.names if _available(r, n)]
    if panel.only_if_nonzero:
        return any(np.any(np.abs(r[n]) > 0) for r, n in names)
    return bool(names)


def _baselines(results: Mapping[str, Result]) -> dict[str, float]:
    return {lab: float(_series(r, "madrs")[0][0]) for lab, r in results.items()}


def _response_lines(results: Mapping[str, Result]) -> list[tuple[float, float]]:
    """(baseline, 50 % response threshold) for each distinct baseline (within 0.5 points).

    Protocols that keep an oral antidepressant running start from a different steady state,
    so several baselines (and response thresholds) can appear in one figure.
    """
    distinct: list[float] = []
    for b in sorted(_baselines(results).values(), reverse=True):
        if not distinct or abs(distinct[-1] - b) >= 0.5:
            distinct.append(b)
    return [(b, RESPONSE_FRACTION * b) for b in distinct]


def plot_time_courses(results: dict[str, Result], out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``<stem>.png`` and ``<stem>.html`` under ``out_dir``; return their paths.

    ``results`` maps a legend label (e.g. the protocol name) to its :class:`Result`. For
    results with several patients the median and the 10-90 % band are drawn.
    """
    if not results:
        raise ValueError("plot_time_courses: no results to plot.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{stem}.png"
    html = out / f"{stem}.html"
    _png(results, png)
    _html(results, html)
    return [png, html]


# ---------------------------------------------------------------------------- matplotlib
def _png(results: Mapping[str, Result], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.gridspec import GridSpec

    labels = list(results)
    colors = _colors(labels)
    horizon = max(float(r.days[-1]) for r in results.values())
    panels = [p for p in PANELS if _panel_has_data(results, p)]
    nrows = 1 + int(np.ceil(len(panels) / 3))

    fig = plt.figure(figsize=(15, 4.6 + 2.7 * (nrows - 1)), layout="constrained")
    gs = GridSpec(nrows, 3, figure=fig, height_ratios=[1.7] + [1.0] * (nrows - 1))
    ax_all = fig.add_subplot(gs[0, :2])
    ax_zoom = fig.add_subplot(gs[0, 2], sharey=ax_all)

    for ax, xmax in ((ax_all, horizon), (ax_zoom, min(ZOOM_DAYS, horizon))):
        for lab in labels:
            r = results[lab]
            med, lo, hi = _series(r, "madrs")
            ls = "--" if _is_untreated(lab) else "-"
            ax.plot(r.days, med, ls, color=colors[lab], lw=1.8, label=lab)
            if lo is not None:
                ax.fill_between(r.days, lo, hi, color=colors[lab], alpha=0.15, lw=0)
        ax.axhline(REMISSION_MADRS, color="#2ca02c", lw=1.0, ls=":",
                   label=f"remission (MADRS ≤ {REMISSION_MADRS:g})")
        for k, (base, thr) in enumerate(_response_lines(results)):
            ax.axhline(thr, color="#777777", lw=1.0, ls=(0, (6, 3)),
                       label="response (≥ 50 % below baseline)" if k == 0 else None)
            ax.annotate(f"response, baseline {base:.1f}", (1.0, thr), xycoords=("axes fraction",
                        "data"), xytext=(-3, 2), textcoords="offset points", ha="right",
                        va="bottom", fontsize=7.5, color="#555555")
        ax.set_xlim(0, xmax)
        ax.grid(alpha=0.3)
        ax.set_xlabel("time since baseline (days)")
    ax_all.set_ylabel("MADRS (latent, points 0-60)")
    ax_all.set_title("Depression severity (MADRS) per protocol", loc="left", fontsize=12)
    ax_zoom.set_title(f"First {min(ZOOM_DAYS, horizon):g} days", loc="left", fontsize=12)
    ymax = max(float(np.nanmax(r["madrs"])) for r in results.values())
    ax_all.set_ylim(0, min(60.0, max(30.0, ymax * 1.15)))
    handles, names = ax_all.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=min(3, len(names)),
               fontsize=9, frameon=False)

    for i, panel in enumerate(panels):
        ax = fig.add_subplot(gs[1 + i // 3, i % 3])
        for lab in labels:
            r = results[lab]
            for j, name in enumerate(panel.names):
                if not _available(r, name):
                    continue
                med, lo, hi = _series(r, name)
                ax.plot(r.days, med, _LINESTYLES[j % len(_LINESTYLES)], color=colors[lab],
                        lw=1.3)
                if lo is not None:
                    ax.fill_between(r.days, lo, hi, color=colors[lab], alpha=0.12, lw=0)
        ax.set_title(panel.title, loc="left", fontsize=10)
        ax.set_ylabel(panel.ylabel, fontsize=9)
        ax.set_xscale("symlog", linthresh=1.0, linscale=0.6)
        ticks = [(t, s) for t, s in zip(_SYMLOG_TICKS, _SYMLOG_LABELS, strict=True)
                 if t <= horizon * 1.001]
        ax.set_xticks([t for t, _ in ticks], [s for _, s in ticks])
        ax.set_xlim(0, horizon)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if i // 3 == (len(panels) - 1) // 3:
            ax.set_xlabel("time since baseline (linear to 1 d, then log)", fontsize=9)

    fig.suptitle("moodtwin: simulated time courses", fontsize=14, x=0.01, ha="left")
    fig.text(0.99, 0.995, DISCLAIMER, ha="right", va="top", fontsize=9, color="#a00000")
    save_png(fig, path, 110)


# ---------------------------------------------------------------------------- plotly
def _html(results: Mapping[str, Result], path: Path) -> None:
    time_course_figure(results).write_html(path, include_plotlyjs=True, full_html=True,
                                           config={"displaylogo": False, "responsive": True})


def time_course_figure(results: Mapping[str, Result]):  # type: ignore[no-untyped-def]
    """The interactive figure of :func:`plot_time_courses` as a plotly ``Figure``."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    labels = list(results)
    colors = _colors(labels)
    horizon = max(float(r.days[-1]) for r in results.values())
    panels = [p for p in PANELS if _panel_has_data(results, p)]
    nrows = 1 + int(np.ceil(len(panels) / 3))
    specs: list[list[dict | None]] = [[{"colspan": 2}, None, {}]]
    specs += [[{}, {}, {}] for _ in range(nrows - 1)]
    titles = ["Depression severity (MADRS, latent) per protocol",
              f"First {min(ZOOM_DAYS, horizon):g} days"]
    titles += [f"{p.title} [{p.ylabel}]" for p in panels]
    fig = make_subplots(rows=nrows, cols=3, specs=specs, subplot_titles=titles,
                        vertical_spacing=0.08 if nrows <= 4 else 0.05, horizontal_spacing=0.06,
                        row_heights=[1.6] + [1.0] * (nrows - 1))

    def add_band(row: int, col: int, r: Result, name: str, lab: str) -> None:
        med, lo, hi = _series(r, name)
        if lo is None:
            return
        fig.add_trace(go.Scatter(x=np.r_[r.days, r.days[::-1]], y=np.r_[hi, lo[::-1]],
                                 fill="toself", fillcolor=colors[lab], opacity=0.15,
                                 line={"width": 0}, hoverinfo="skip", legendgroup=lab,
                                 showlegend=False), row=row, col=col)

    for col in (1, 3):
        for lab in labels:
            r = results[lab]
            med, _, _ = _series(r, "madrs")
            add_band(1, col, r, "madrs", lab)
            fig.add_trace(go.Scatter(
                x=r.days, y=med, mode="lines", name=lab, legendgroup=lab,
                showlegend=col == 1,
                line={"color": colors[lab], "width": 2, "dash": "dash" if _is_untreated(lab)
                      else "solid"},
                hovertemplate=f"{lab}<br>day %{{x:.2f}}<br>MADRS %{{y:.1f}}<extra></extra>",
            ), row=1, col=col)
        # labels in the main panel only (an annotation without text shows "new text")
        label = {"annotation_text": f"remission (≤ {REMISSION_MADRS:g})",
                 "annotation_position": "bottom left"} if col == 1 else {}
        fig.add_hline(y=REMISSION_MADRS, line={"color": "#2ca02c", "dash": "dot", "width": 1},
                      row=1, col=col, **label)
        for base, thr in _response_lines(results):
            label = {"annotation_text": f"response, baseline {base:.1f}",
                     "annotation_position": "top right",
                     "annotation_font_size": 10} if col == 1 else {}
            fig.add_hline(y=thr, row=1, col=col, line={"color": "#777777", "dash": "dash",
                                                       "width": 1}, **label)
    fig.update_xaxes(range=[0, horizon], title_text="days since baseline", row=1, col=1)
    fig.update_xaxes(range=[0, min(ZOOM_DAYS, horizon)], title_text="days", row=1, col=3)
    fig.update_yaxes(title_text="MADRS (points)", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=3)

    for i, panel in enumerate(panels):
        row, col = 2 + i // 3, 1 + i % 3
        for lab in labels:
            r = results[lab]
            for j, name in enumerate(panel.names):
                if not _available(r, name):
                    continue
                med, _, _ = _series(r, name)
                add_band(row, col, r, name, lab)
                fig.add_trace(go.Scatter(
                    x=r.days, y=med, mode="lines", name=f"{lab}: {name}", legendgroup=lab,
                    showlegend=False,
                    line={"color": colors[lab], "width": 1.4,
                          "dash": _PLOTLY_DASH[j % len(_PLOTLY_DASH)]},
                    hovertemplate=(f"{lab}<br>{name}<br>day %{{x:.3f}}<br>%{{y:.4g}} "
                                   f"{panel.ylabel}<extra></extra>"),
                ), row=row, col=col)
        fig.update_xaxes(range=[0, horizon], row=row, col=col)

    # Buttons: switch the small panels' time axes between linear and logarithmic days.
    small_axes = [f"xaxis{k}" for k in range(3, 3 + len(panels))]
    fig.update_layout(
        title={"text": f"moodtwin: simulated time courses <br><sup>{DISCLAIMER} "
                       "Click a legend entry to hide a protocol in all panels.</sup>"},
        height=520 + 300 * (nrows - 1), width=1400, template="plotly_white",
        legend={"orientation": "h", "yanchor": "top", "y": -0.06, "x": 0.0},
        margin={"t": 130, "b": 140},
        updatemenus=[{
            "type": "buttons", "direction": "right", "x": 1.0, "xanchor": "right",
            "y": 1.06, "yanchor": "bottom", "showactive": True,
            "buttons": [
                {"label": "mechanism panels: linear days", "method": "relayout",
                 "args": [{f"{a}.type": "linear" for a in small_axes}
                          | {f"{a}.range": [0, horizon] for a in small_axes}]},
                {"label": "log days", "method": "relayout",
                 "args": [{f"{a}.type": "log" for a in small_axes}
                          | {f"{a}.range": [np.log10(1 / 24), np.log10(max(horizon, 1.0))]
                             for a in small_axes}]},
            ],
        }],
    )
    return fig
