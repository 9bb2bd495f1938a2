"""Optimization report: best settings with predicted outcome and uncertainty, the comparison
with the standard settings, every trial, the best protocol (YAML) and figures (PNG, HTML).

Research software, not medical advice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from moodtwin import DISCLAIMER
from moodtwin.figure_files import save_png
from moodtwin.optimize._evaluate import (
    LOWER_IS_BETTER,
    Evaluation,
    Outcome,
    mean_interval,
    paired_difference,
)
from moodtwin.optimize._settings import STANDARD_SOURCES, setting
from moodtwin.optimize._study import StudyResult, Surface, infeasible_note, violations
from moodtwin.protocols import Protocol


def _settings(therapy: str, values: dict[str, float]) -> dict[str, dict[str, Any]]:
    return {k: {"value": round(v, 6), "unit": setting(therapy, k).unit}
            for k, v in values.items()}


def _ci(ci: tuple[float, float] | None) -> list[float] | None:
    """An interval for JSON; None (null) where the value is the same in every draw."""
    return None if ci is None else list(ci)


def _arm(res: StudyResult, ev: Evaluation, values: dict[str, float], seed: int) -> dict:
    q = np.nanpercentile(ev.madrs_end, [5, 50, 95]) if ev.ok.any() else [np.nan] * 3
    return {
        "settings": _settings(res.space.therapy, values),
        "outcome": ev.mean, "ci95": _ci(mean_interval(ev.outcome, res.outcome.binary, seed)),
        "madrs_at_horizon": {"mean": float(np.nanmean(ev.madrs_end)) if ev.ok.any() else None,
                             "p5": float(q[0]), "median": float(q[1]), "p95": float(q[2])},
        "side_effects": {k: ev.side_mean(k) for k in ev.side},
        "constraints_met": all(v <= 0 for v in violations(
            res.space.therapy, values, ev, res.constraints).values()),
        "failed_draws": ev.n_failed,
    }


def _holdout(res: StudyResult, seed: int) -> dict[str, Any] | None:
    """Best vs standard on draws not used by the search (None if there were none)."""
    if res.holdout is None:
        return None
    best, std = res.holdout
    diff, ci, n = paired_difference(best.outcome, std.outcome, seed)
    return {"n": int(best.ok.size),
            "best": {"outcome": best.mean,
                     "ci95": _ci(mean_interval(best.outcome, res.outcome.binary, seed))},
            "standard": {"outcome": std.mean,
                         "ci95": _ci(mean_interval(std.outcome, res.outcome.binary, seed))},
            "improvement": {"mean": diff, "ci95": _ci(ci), "paired_draws": n}}


def _ensemble(res: StudyResult) -> dict[str, Any] | None:
    """Best and standard outcome per posterior ensemble member (None without one): the
    spread that parameter uncertainty adds to the outcome averaged over the members."""
    best, std = res.by_member(res.best), res.by_member(res.standard)
    if best is None or std is None:
        return None

    def arm(x: np.ndarray) -> dict[str, Any]:
        ok = x[np.isfinite(x)]
        return {"by_member": [float(v) if np.isfinite(v) else None for v in x],
                "range": [float(ok.min()), float(ok.max())] if ok.size else [None, None]}

    per = np.bincount(np.asarray(res.members))
    return {"members": int(best.size), "draws_per_member": [int(per.min()), int(per.max())],
            "best": arm(best), "standard": arm(std),
            "note": "draw i used posterior ensemble member i mod N; the optimizer maximized "
                    "the outcome averaged over all members' draws; each member's value is the "
                    "mean over its own draws, so with few draws per member the range also "
                    "holds between-patient sampling noise"}


def _reported(outcome: Outcome) -> dict[str, Any] | None:
    """How an outcome that minimizes an observable is reported (None: as it is)."""
    if outcome.kind not in LOWER_IS_BETTER:
        return None
    name, unit = LOWER_IS_BETTER[outcome.kind]
    return {"name": name, "unit": unit, "sign": outcome.sign, "lower_is_better": True,
            "label": outcome.shown_label}


def _notes(res: StudyResult) -> list[str]:
    """Constraints that cannot bind: their statistic is the same for every trial."""
    return [f"constraint {k} does not vary with the searched {res.space.therapy} settings "
            f"(its value is {v:.3g} in every trial), so it "
            + ("is never met" if k in res.best_violations else "cannot bind")
            for k, v in res.constant.items()]


def summary(res: StudyResult, source: str, seed: int) -> dict[str, Any]:
    """The content of ``best.json``; ``ci95`` is null where the value is the same in every
    draw (no interval)."""
    import optuna

    diff, ci, n = paired_difference(res.best.outcome, res.standard.outcome, seed)
    states = [t.state for t in res.study.trials]
    return {
        "disclaimer": DISCLAIMER,
        "feasible": res.best_feasible,
        "violations": res.best_violations,
        **({} if res.best_feasible else {"warning": infeasible_note(res.best_violations)}),
        "notes": _notes(res),
        "therapy": res.space.therapy,
        "outcome": {"kind": res.outcome.kind, "at": res.outcome.at, "label": res.outcome.label,
                    "remission_madrs": res.outcome.remission_madrs,
                    "reported_as": _reported(res.outcome)},
        "draws": {"n": res.n_draws, "source": source},
        "constraints": [c.label for c in res.constraints],
        "best": {"trial": res.best_trial, "feasible": res.best_feasible,
                 **_arm(res, res.best, res.best_settings, seed)},
        "standard": {"source": STANDARD_SOURCES[res.space.therapy],
                     **_arm(res, res.standard, res.standard_settings, seed)},
        "improvement": {"mean": diff, "ci95": _ci(ci), "paired_draws": n,
                        "note": "best minus standard over the same draws (paired bootstrap); "
                                "the best was selected on these draws, so this is optimistic"},
        "holdout": _holdout(res, seed),
        "ensemble": _ensemble(res),
        "importances": res.importances,
        "study": {"sampler": f"optuna TPESampler(seed={seed})", "seed": seed,
                  "trials": len(states),
                  "completed": states.count(optuna.trial.TrialState.COMPLETE),
                  "failed": states.count(optuna.trial.TrialState.FAIL),
                  "simulations": res.simulations, "seconds": round(res.seconds, 2)},
    }


def trials_frame(res: StudyResult) -> pd.DataFrame:
    """One row per trial: settings (unit in the column name), outcome, constraints."""
    rows = []
    for t in res.study.trials:
        row: dict[str, Any] = {"trial": t.number + 1, "state": t.state.name,
                               "outcome": t.user_attrs.get("outcome"), "objective": t.value}
        for d in res.space.dimensions:
            row[d.label] = t.params.get(d.name)
        cons = {k.removeprefix("constraints:"): v for k, v in t.system_attrs.items()
                if k.startswith("constraints:")}
        row["feasible"] = all(v <= 0 for v in cons.values()) if t.value is not None else None
        row |= {f"violation {k}": v for k, v in cons.items()}
        row |= {f"mean {k}": v for k, v in t.user_attrs.items() if ":" in k}
        row["failed_draws"] = t.user_attrs.get("failed_draws")
        row["error"] = t.user_attrs.get("error", "")
        row["seconds"] = t.duration.total_seconds() if t.duration else None
        rows.append(row)
    return pd.DataFrame(rows)


def _protocol_yaml(protocol: Protocol, path: Path, warning: str = "") -> None:
    """The protocol as YAML; ``warning`` heads the file as a comment."""
    data = protocol.model_dump(mode="python", exclude_defaults=True)
    data = {"name": protocol.name, "duration": protocol.duration, **data}
    head = (f"# {DISCLAIMER}\n" + (f"# {warning}.\n" if warning else "")
            + "# Written by 'moodtwin optimize'; simulate it with 'moodtwin simulate'.\n")
    path.write_text(head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def write_report(res: StudyResult, out: str | Path, source: str, seed: int) -> list[Path]:
    """Write best.json, trials.csv, best_protocol.yaml, standard_protocol.yaml,
    optimize.png and optimize.html to ``out``; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / k for k in ("best.json", "trials.csv", "best_protocol.yaml",
                                  "standard_protocol.yaml", "optimize.png", "optimize.html")}
    info = summary(res, source, seed)
    paths["best.json"].write_text(json.dumps(info, indent=2, allow_nan=True) + "\n")
    frame = trials_frame(res)
    frame.to_csv(paths["trials.csv"], index=False)
    _protocol_yaml(res.best_protocol, paths["best_protocol.yaml"], info.get("warning", ""))
    _protocol_yaml(res.standard_protocol, paths["standard_protocol.yaml"])
    _png(res, frame, paths["optimize.png"])
    _html(res, frame, paths["optimize.html"])
    return list(paths.values())


def _history(res: StudyResult, frame: pd.DataFrame
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Trial numbers, reported outcomes (``Outcome.sign`` x outcome), whether each trial was
    feasible, and the best feasible reported outcome so far."""
    ok = frame["state"].eq("COMPLETE").to_numpy()
    feas = np.array([v is True for v in frame["feasible"]])  # None: a failed trial
    values = frame["outcome"].astype(float).to_numpy()
    best = np.maximum.accumulate(np.where(ok & feas, values, -np.inf))
    sign = res.outcome.sign
    return (frame["trial"].to_numpy(), sign * values, feas,
            sign * np.where(np.isfinite(best), best, np.nan))


def _points(res: StudyResult, surface: Surface) -> tuple[np.ndarray, np.ndarray]:
    x = [t.params.get(surface.x.name, np.nan) for t in res.study.trials]
    y = [t.params.get(surface.y.name, np.nan) if surface.y else np.nan for t in res.study.trials]
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _edges(values: np.ndarray, log: bool) -> np.ndarray:
    """Edges of the cells around sorted grid values: halfway between neighbours (in log on
    a log axis), the outer cells symmetric about their value."""
    v = np.log(values) if log else np.asarray(values, dtype=float)
    mid = (v[1:] + v[:-1]) / 2.0 if v.size > 1 else v + 0.5
    edges = np.concatenate([[2.0 * v[0] - mid[0]], mid, [2.0 * v[-1] - mid[-1]]])
    return np.exp(edges) if log else edges


def _surface_png(ax: Any, fig: Any, res: StudyResult, s: Surface) -> None:
    """Outcome per grid cell (each cell is one simulated point, no interpolation); cells
    whose point violates the constraints are hatched, by the same evaluation as the trials'
    feasibility, so the best point's cell is never hatched."""
    from matplotlib.patches import Patch, Rectangle

    sign, label = res.outcome.sign, res.outcome.shown_label
    ax.set_xlabel(s.x.label)
    ax.set_xscale("log" if s.x.log_axis else "linear")
    if s.y is None:
        ax.plot(s.xs, sign * s.values[0], "o-")
        bad = ~s.feasible[0] & np.isfinite(s.values[0])
        ax.plot(s.xs[bad], sign * s.values[0][bad], "o", mfc="none", color="#d62728", ms=10,
                label="violates constraints")
        ax.axvline(res.best_settings[s.x.name], color="r", label="best")
        ax.axvline(res.standard_settings[s.x.name], color="k", ls="--", label="standard")
        ax.set_ylabel(label)
        ax.set_title("Outcome over the most influential setting (others at their best)",
                     fontsize=10)
        ax.legend(loc="best", fontsize=8)
        return
    ex, ey = _edges(s.xs, s.x.log_axis), _edges(s.ys, s.y.log_axis)
    mesh = ax.pcolormesh(ex, ey, sign * s.values, cmap="viridis")
    fig.colorbar(mesh, ax=ax, label=label)
    bad = ~s.feasible & np.isfinite(s.values)
    for i, j in zip(*np.nonzero(bad), strict=True):
        ax.add_patch(Rectangle((ex[j], ey[i]), ex[j + 1] - ex[j], ey[i + 1] - ey[i],
                               fill=False, hatch="//", edgecolor="black", linewidth=0))
    handles = [Patch(fill=False, hatch="//", edgecolor="black",
                     label="violates constraints")] if bad.any() else []
    tx, ty = _points(res, s)
    ax.scatter(tx, ty, s=14, c="white", edgecolors="black", linewidths=0.5, label="trials")
    ax.plot(res.best_settings[s.x.name], res.best_settings[s.y.name], "r*", ms=16,
            label="best")
    ax.plot(res.standard_settings[s.x.name], res.standard_settings[s.y.name], "kX", ms=10,
            label="standard")
    ax.set_ylabel(s.y.label)
    ax.set_yscale("log" if s.y.log_axis else "linear")
    ax.set_title("Outcome over the two most influential settings (others at their best;\n"
                 "one simulated point per cell, no interpolation)", fontsize=10)
    ax.legend(handles=ax.get_legend_handles_labels()[0] + handles, loc="best", fontsize=8)


def _tradeoff_png(ax: Any, res: StudyResult, frame: pd.DataFrame, k: int) -> None:
    """Constraint ``k``'s mean statistic against the outcome, one point per trial."""
    c = res.constraints[k]
    _, values, feas, _ = _history(res, frame)
    side = frame[f"mean {c.key}"].astype(float).to_numpy()
    sign = res.outcome.sign
    ax.plot(side[feas], values[feas], "o", color="#1f77b4", label="feasible trial")
    ax.plot(side[~feas], values[~feas], "o", mfc="none", color="#d62728",
            label="violates constraints")
    ax.axvline(c.limit, color="gray", ls="--", label=f"limit ({c.sense} {c.limit:g})")
    ax.plot(res.best.side_mean(c.key), sign * res.best.mean, "r*", ms=14, label="best")
    ax.plot(res.standard.side_mean(c.key), sign * res.standard.mean, "kX", ms=9,
            label="standard")
    ax.set_xlabel(f"{c.observable} ({c.stat}, mean over draws)")
    ax.set_ylabel(res.outcome.shown_label)
    ax.set_title(f"Trade-off over the trials: {c.observable}", fontsize=10)
    ax.legend(loc="best", fontsize=8)


def _png(res: StudyResult, frame: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    n_side = len(res.constraints)
    fig, axes = plt.subplots(1, 2 + n_side, figsize=(13 + 4.5 * n_side, 5.2),
                             width_ratios=[1.3, 1.0] + [0.8] * n_side)
    ax1, ax2 = axes[0], axes[1]
    s = res.surface
    if s is not None:
        _surface_png(ax1, fig, res, s)
    else:
        ax1.set_axis_off()
    n, values, feas, best = _history(res, frame)
    ax2.plot(n[feas], values[feas], "o", color="#1f77b4", label="feasible trial")
    ax2.plot(n[~feas], values[~feas], "o", mfc="none", color="#d62728",
             label="violates constraints / failed")
    ax2.step(n, best, where="post", color="black", label="best feasible so far")
    ax2.axhline(res.outcome.sign * res.standard.mean, color="gray", ls="--",
                label="standard settings")
    ax2.set_xlabel("trial")
    ax2.set_ylabel(res.outcome.shown_label)
    ax2.set_title("Optimization history", fontsize=10)
    ax2.legend(loc="best", fontsize=8)
    for k in range(n_side):
        _tradeoff_png(axes[2 + k], res, frame, k)
    fig.suptitle(f"moodtwin optimize: {res.space.therapy}, {res.n_draws} draws", fontsize=12)
    fig.text(0.99, 0.005, DISCLAIMER, ha="right", va="bottom", fontsize=8, color="#a00000")
    save_png(fig, path, 110, tight=True, rect=(0, 0.03, 1, 1))


def _html(res: StudyResult, frame: pd.DataFrame, path: Path) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    s = res.surface
    sign, label = res.outcome.sign, res.outcome.shown_label
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "Outcome over the two most influential settings (others at their best; one simulated "
        "point per cell)", "Optimization history"))
    if s is not None and s.y is not None:
        fig.add_trace(go.Heatmap(x=s.xs, y=s.ys, z=sign * s.values, colorscale="Viridis",
                                 colorbar={"title": label, "x": 0.45}), 1, 1)
        bad = np.nonzero(~s.feasible & np.isfinite(s.values))
        fig.add_trace(go.Scatter(x=s.xs[bad[1]], y=s.ys[bad[0]], mode="markers",
                                 name="violates constraints",
                                 marker={"symbol": "x-thin-open", "size": 10,
                                         "color": "black"}), 1, 1)
        tx, ty = _points(res, s)
        fig.add_trace(go.Scatter(x=tx, y=ty, mode="markers", name="trials",
                                 marker={"color": "white", "line": {"width": 1}}), 1, 1)
        fig.add_trace(go.Scatter(x=[res.best_settings[s.x.name]],
                                 y=[res.best_settings[s.y.name]], mode="markers", name="best",
                                 marker={"symbol": "star", "size": 16, "color": "red"}), 1, 1)
        fig.add_trace(go.Scatter(x=[res.standard_settings[s.x.name]],
                                 y=[res.standard_settings[s.y.name]], mode="markers",
                                 name="standard", marker={"symbol": "x", "size": 12,
                                                          "color": "black"}), 1, 1)
        fig.update_yaxes(title_text=s.y.label, row=1, col=1)
    elif s is not None:
        fig.add_trace(go.Scatter(x=s.xs, y=sign * s.values[0], mode="lines+markers",
                                 name="outcome"), 1, 1)
    if s is not None:
        fig.update_xaxes(title_text=s.x.label, type="log" if s.x.log_axis else "linear",
                         row=1, col=1)
        if s.y is not None:
            fig.update_yaxes(type="log" if s.y.log_axis else "linear", row=1, col=1)
    n, values, _, best = _history(res, frame)
    fig.add_trace(go.Scatter(x=n, y=values, mode="markers", name="trial outcome"), 1, 2)
    fig.add_trace(go.Scatter(x=n, y=best, mode="lines", name="best feasible so far",
                             line={"shape": "hv", "color": "black"}), 1, 2)
    fig.add_hline(y=sign * res.standard.mean, line_dash="dash", line_color="gray", row=1, col=2,
                  annotation_text="standard")
    fig.update_xaxes(title_text="trial", row=1, col=2)
    fig.update_yaxes(title_text=label, row=1, col=2)
    fig.update_layout(title={"text": f"moodtwin optimize: {res.space.therapy}, {res.n_draws} "
                                     f"draws<br><sup>{DISCLAIMER}</sup>"}, height=560)
    fig.write_html(path, include_plotlyjs=True, full_html=True,
                   config={"displaylogo": False, "responsive": True})
