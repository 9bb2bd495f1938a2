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
from moodtwin.optimize._evaluate import Evaluation, mean_interval, paired_difference
from moodtwin.optimize._settings import STANDARD_SOURCES, setting
from moodtwin.optimize._study import StudyResult, Surface, violations
from moodtwin.protocols import Protocol


def _settings(therapy: str, values: dict[str, float]) -> dict[str, dict[str, Any]]:
    return {k: {"value": round(v, 6), "unit": setting(therapy, k).unit}
            for k, v in values.items()}


def _arm(res: StudyResult, ev: Evaluation, values: dict[str, float], seed: int) -> dict:
    lo, hi = mean_interval(ev.outcome, res.outcome.binary, seed)
    q = np.nanpercentile(ev.madrs_end, [5, 50, 95]) if ev.ok.any() else [np.nan] * 3
    return {
        "settings": _settings(res.space.therapy, values),
        "outcome": ev.mean, "ci95": [lo, hi],
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
    diff, lo, hi, n = paired_difference(best.outcome, std.outcome, seed)
    return {"n": int(best.ok.size),
            "best": {"outcome": best.mean,
                     "ci95": list(mean_interval(best.outcome, res.outcome.binary, seed))},
            "standard": {"outcome": std.mean,
                         "ci95": list(mean_interval(std.outcome, res.outcome.binary, seed))},
            "improvement": {"mean": diff, "ci95": [lo, hi], "paired_draws": n}}


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


def summary(res: StudyResult, source: str, seed: int) -> dict[str, Any]:
    """The content of ``best.json``."""
    import optuna

    diff, lo, hi, n = paired_difference(res.best.outcome, res.standard.outcome, seed)
    states = [t.state for t in res.study.trials]
    return {
        "disclaimer": DISCLAIMER,
        "therapy": res.space.therapy,
        "outcome": {"kind": res.outcome.kind, "at": res.outcome.at, "label": res.outcome.label,
                    "remission_madrs": res.outcome.remission_madrs},
        "draws": {"n": res.n_draws, "source": source},
        "constraints": [c.label for c in res.constraints],
        "best": {"trial": res.best_trial, "feasible": res.best_feasible,
                 **_arm(res, res.best, res.best_settings, seed)},
        "standard": {"source": STANDARD_SOURCES[res.space.therapy],
                     **_arm(res, res.standard, res.standard_settings, seed)},
        "improvement": {"mean": diff, "ci95": [lo, hi], "paired_draws": n,
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


def _protocol_yaml(protocol: Protocol, path: Path) -> None:
    data = protocol.model_dump(mode="python", exclude_defaults=True)
    data = {"name": protocol.name, "duration": protocol.duration, **data}
    head = (f"# {DISCLAIMER}\n"
            "# Written by 'moodtwin optimize'; simulate it with 'moodtwin simulate'.\n")
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
    _protocol_yaml(res.best_protocol, paths["best_protocol.yaml"])
    _protocol_yaml(res.standard_protocol, paths["standard_protocol.yaml"])
    _png(res, frame, paths["optimize.png"])
    _html(res, frame, paths["optimize.html"])
    return list(paths.values())


def _history(res: StudyResult, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trial numbers, outcomes, and the best feasible outcome so far."""
    ok = frame["state"].eq("COMPLETE").to_numpy()
    feas = np.array([v is True for v in frame["feasible"]])  # None: a failed trial
    values = frame["outcome"].astype(float).to_numpy()
    best = np.maximum.accumulate(np.where(ok & feas, values, -np.inf))
    return frame["trial"].to_numpy(), values, np.where(np.isfinite(best), best, np.nan)


def _points(res: StudyResult, surface: Surface) -> tuple[np.ndarray, np.ndarray]:
    x = [t.params.get(surface.x.name, np.nan) for t in res.study.trials]
    y = [t.params.get(surface.y.name, np.nan) if surface.y else np.nan for t in res.study.trials]
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _png(res: StudyResult, frame: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.2))
    s = res.surface
    label = res.outcome.label
    if s is not None and s.y is not None:
        cs = ax1.contourf(s.xs, s.ys, s.values, levels=12, cmap="viridis")
        fig.colorbar(cs, ax=ax1, label=label)
        if (~s.feasible).any():
            ax1.contourf(s.xs, s.ys, (~s.feasible).astype(float), levels=[0.5, 1.5],
                         colors="none", hatches=["//"])
        tx, ty = _points(res, s)
        ax1.scatter(tx, ty, s=14, c="white", edgecolors="black", linewidths=0.5, label="trials")
        ax1.plot(res.best_settings[s.x.name], res.best_settings[s.y.name], "r*", ms=16,
                 label="best")
        ax1.plot(res.standard_settings[s.x.name], res.standard_settings[s.y.name], "kX", ms=10,
                 label="standard")
        ax1.set_ylabel(s.y.label)
        ax1.set_title("Outcome over the two most influential settings\n(others at their best; "
                      "hatched: violates constraints)", fontsize=10)
    elif s is not None:
        ax1.plot(s.xs, s.values[0], "o-")
        ax1.axvline(res.best_settings[s.x.name], color="r", label="best")
        ax1.axvline(res.standard_settings[s.x.name], color="k", ls="--", label="standard")
        ax1.set_ylabel(label)
        ax1.set_title("Outcome over the most influential setting", fontsize=10)
    if s is not None:
        ax1.set_xlabel(s.x.label)
        ax1.set_xscale("log" if s.x.log_axis else "linear")
        if s.y is not None:
            ax1.set_yscale("log" if s.y.log_axis else "linear")
        ax1.legend(loc="best", fontsize=8)
    else:
        ax1.set_axis_off()
    n, values, best = _history(res, frame)
    feas = np.array([v is True for v in frame["feasible"]])  # None: a failed trial
    ax2.plot(n[feas], values[feas], "o", color="#1f77b4", label="feasible trial")
    ax2.plot(n[~feas], values[~feas], "o", mfc="none", color="#d62728",
             label="violates constraints / failed")
    ax2.step(n, best, where="post", color="black", label="best feasible so far")
    ax2.axhline(res.standard.mean, color="gray", ls="--", label="standard settings")
    ax2.set_xlabel("trial")
    ax2.set_ylabel(label)
    ax2.set_title("Optimization history", fontsize=10)
    ax2.legend(loc="best", fontsize=8)
    fig.suptitle(f"moodtwin optimize: {res.space.therapy}, {res.n_draws} draws", fontsize=12)
    fig.text(0.99, 0.005, DISCLAIMER, ha="right", va="bottom", fontsize=8, color="#a00000")
    save_png(fig, path, 110, tight=True, rect=(0, 0.03, 1, 1))


def _html(res: StudyResult, frame: pd.DataFrame, path: Path) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    s = res.surface
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "Outcome over the two most influential settings (others at their best)",
        "Optimization history"))
    if s is not None and s.y is not None:
        fig.add_trace(go.Contour(x=s.xs, y=s.ys, z=s.values, colorscale="Viridis",
                                 colorbar={"title": res.outcome.label, "x": 0.45}), 1, 1)
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
        fig.add_trace(go.Scatter(x=s.xs, y=s.values[0], mode="lines+markers", name="outcome"),
                      1, 1)
    if s is not None:
        fig.update_xaxes(title_text=s.x.label, type="log" if s.x.log_axis else "linear",
                         row=1, col=1)
        if s.y is not None:
            fig.update_yaxes(type="log" if s.y.log_axis else "linear", row=1, col=1)
    n, values, best = _history(res, frame)
    fig.add_trace(go.Scatter(x=n, y=values, mode="markers", name="trial outcome"), 1, 2)
    fig.add_trace(go.Scatter(x=n, y=best, mode="lines", name="best feasible so far",
                             line={"shape": "hv", "color": "black"}), 1, 2)
    fig.add_hline(y=res.standard.mean, line_dash="dash", line_color="gray", row=1, col=2,
                  annotation_text="standard")
    fig.update_xaxes(title_text="trial", row=1, col=2)
    fig.update_yaxes(title_text=res.outcome.label, row=1, col=2)
    fig.update_layout(title={"text": f"moodtwin optimize: {res.space.therapy}, {res.n_draws} "
                                     f"draws<br><sup>{DISCLAIMER}</sup>"}, height=560)
    fig.write_html(path, include_plotlyjs=True, full_html=True,
                   config={"displaylogo": False, "responsive": True})
