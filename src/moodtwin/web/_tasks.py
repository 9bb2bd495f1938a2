"""The work of each job kind, run in a worker process (never in the web server's process).

Each task reads the job's settings and its ``inputs/`` folder, calls the same library
functions as the matching CLI command, and writes into ``outputs/``: the CLI's files (so the
numbers are the CLI's, bit for bit) plus Plotly figure JSON for the pages.

Research software, not medical advice.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moodtwin.errors import MoodtwinError
from moodtwin.parameter_sets import CALIBRATED_NAME, SHIPPED
from moodtwin.web._store import Store

SHIPPED_SET = f"{CALIBRATED_NAME}: moodtwin/{SHIPPED}"


class JobCancelled(Exception):
    """Raised inside a task when the user asked to cancel the job."""


class Reporter:
    """Progress reports to the job table, at most every 0.3 s; checks for cancellation."""

    def __init__(self, store: Store, job_id: str) -> None:
        self.store, self.job_id, self._last = store, job_id, 0.0

    def __call__(self, fraction: float | None, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.3:
            return
        self._last = now
        fields: dict[str, Any] = {"message": message[:300]}
        if fraction is not None:
            fields["progress"] = max(0.0, min(1.0, fraction))
        self.store.update(self.job_id, **fields)
        if self.store.cancel_requested(self.job_id):
            raise JobCancelled


def execute(root: str, job_id: str) -> None:
    """Entry point in the worker process: run job ``job_id`` and record its final state."""
    store = Store(Path(root))
    if not store.claim(job_id):  # cancelled (or interrupted) while it waited
        return
    job = store.get(job_id)
    if job is None:
        return
    report = Reporter(store, job_id)
    folder = store.folder(job_id)
    try:
        write_manifest(folder, job)
        result = TASKS[job["kind"]](folder, job["settings"], report, store)
        report(1.0, "writing results", force=True)
    except JobCancelled:
        store.finish(job_id, "cancelled", message="cancelled")
        return
    except MoodtwinError as exc:
        store.finish(job_id, "failed", error=" ".join(str(exc).split()), message="failed")
        return
    except Exception as exc:  # an unexpected bug: keep the trace in the job folder
        (folder / "error.txt").write_text(traceback.format_exc())
        store.finish(job_id, "failed", message="failed",
                     error=f"internal error ({type(exc).__name__}: {exc}); see error.txt")
        return
    store.finish(job_id, "done", progress=1.0, message="done", result=result)


def warm_up() -> None:
    """Load the library and the compiled model kernel in a fresh worker (a one-hour run), so
    that the first job does not pay for it."""
    from moodtwin import parse_protocol, simulate

    simulate(parse_protocol({"name": "warm-up", "duration": "1 h"}))  # the calibrated set


# ---------------------------------------------------------------------------- manifest
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(folder: Path, job: dict[str, Any]) -> Path:
    """manifest.json: what the run used (version, parameter set, seed, input files, command)."""
    import moodtwin
    from moodtwin import DISCLAIMER

    inputs = folder / "inputs"
    files = [{"path": p.relative_to(folder).as_posix(), "bytes": p.stat().st_size,
              "sha256": _sha256(p)} for p in sorted(inputs.rglob("*")) if p.is_file()]
    s = job["settings"]
    params = s.get("params_file")
    manifest = {
        "disclaimer": DISCLAIMER, "moodtwin_version": moodtwin.__version__,
        "job": job["id"], "kind": job["kind"], "created_utc": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(job["created"])),
        "parameter_set": f"inputs/{params}" if params else SHIPPED_SET,
        "seed": s.get("seed"), "settings": s, "input_files": files,
        "cli": cli_command(job["kind"], s),
        "reproduce": "Unzip the bundle, cd into it and run the 'cli' command; the outputs "
                     "equal this job's outputs bit for bit with the same moodtwin version.",
    }
    path, part = folder / "manifest.json", folder / "manifest.json.part"
    part.write_text(json.dumps(manifest, indent=2))
    part.replace(path)  # atomic: the server reads it while jobs run
    return path


def cli_command(kind: str, s: dict[str, Any]) -> str:
    """The ``moodtwin`` command line that gives the same result from the bundle folder."""
    q = shlex.quote
    if kind == "simulate":
        args = ["moodtwin", "simulate", "inputs/protocol.yaml", "-o", "cli-out"]
        args += [x for k, v in s.get("overrides", {}).items() for x in ("-p", f"{k}={v}")]
        args += ["--seed", str(s["seed"])] if s.get("seed") is not None else []
    elif kind == "trial":
        args = ["moodtwin", "trial", f"inputs/trials/{s['trial_file']}", "-o", "cli-out",
                "--seed", str(s["seed"]), "--replicates", str(s["replicates"])]
        args += ["--n", str(s["n"])] if s.get("n") else []
        args += ["--params", f"inputs/{s['params_file']}"] if s.get("params_file") else []
    elif kind == "validate":
        args = ["moodtwin", "validate", *[f"inputs/trials/{f}" for f in s["trial_files"]],
                "-o", "cli-out", "--replicates", str(s["replicates"]), "--seed", str(s["seed"])]
    elif kind == "fit":
        args = ["moodtwin", "fit", "inputs/person", "-o", "cli-out", "--steps", str(s["steps"]),
                "--burn", str(s["burn"]), "--seed", str(s["seed"])]
        args += ["--walkers", str(s["walkers"])] if s.get("walkers") else []
    elif kind == "sensitivity":
        args = ["moodtwin", "sensitivity", "inputs/protocol.yaml", "-o", "cli-out", "-m",
                s["method"], "-e", s["endpoint"], "--at", s["at"], "--seed", str(s["seed"])]
        args += ["--full-range"] if s.get("full_range") else ["--band", str(s["band"])]
        args += ["-n", str(s["samples"])] if s.get("samples") else []
        args += ["-p", ",".join(s["parameters"])] if s.get("parameters") else []
    elif kind == "optimize":
        args = ["moodtwin", "optimize", "inputs/protocol.yaml", "-o", "cli-out", "--outcome",
                s["outcome"], "--at", s["at"], "--remission-madrs", str(s["remission_madrs"]),
                "--draws", str(s["draws"]), "--holdout", str(s["holdout"]), "--trials",
                str(s["trials"]), "--grid", str(s["grid"]), "--seed", str(s["seed"])]
        args += ["--therapy", s["therapy"]] if s.get("therapy") else []
        args += [x for c in s.get("constraints", []) for x in ("-c", c)]
        args += ["--twin", "inputs/fit"] if s.get("fit_job") else []
    else:  # forecast
        args = ["moodtwin", "forecast", "inputs/person", "--fit", "inputs/fit", "-o", "cli-out",
                "--at", s["at"], "--draws", str(s["draws"]), "--seed", str(s["seed"])]
        args += [x for c in s["candidates"] for x in ("-p", f"inputs/candidates/{c}")]
        args += ["--start", s["start"]] if s.get("start") else []
    return " ".join(q(a) for a in args)


# ---------------------------------------------------------------------------- tasks
def _simulate(folder: Path, s: dict[str, Any], report: Reporter, store: Store) -> dict[str, Any]:
    from moodtwin import load_protocol, simulate
    from moodtwin.cli._core import _parse_params, _summary
    from moodtwin.plotting import plot_time_courses, time_course_figure

    spec = load_protocol(folder / "inputs" / "protocol.yaml")
    params = _parse_params([f"{k}={v}" for k, v in s.get("overrides", {}).items()])
    report(0.1, f"simulating {spec.name} ({spec.duration})", force=True)
    res = simulate(spec, params or None, seed=s.get("seed"))  # the calibrated set, as the CLI
    report(0.8, "writing outputs", force=True)
    out = folder / "outputs"
    res.frame().to_csv(out / "protocol.csv", index=False)
    plot_time_courses({spec.name: res}, out, "protocol")
    (out / "figure.json").write_text(time_course_figure({spec.name: res}).to_json())
    frame = res.frame()
    scales = ["MADRS", "HAMD17", "PHQ9", "HAMA", "GAD7"]
    series = {"day": frame["day"].tolist(), **{c: frame[c].tolist() for c in scales}}
    (out / "scales.json").write_text(json.dumps(series))
    return {"name": spec.name, "duration": spec.duration, "summary": _summary(res, s.get("seed")),
            "scales": scales, **_thresholds(scales)}


def _thresholds(names: list[str]) -> dict[str, Any]:
    from moodtwin.scales import get_scale

    out = {}
    for n in names:
        sc = get_scale(n)
        out[n] = {"remission": sc.remission_threshold, "response_fraction": sc.response_fraction,
                  "max": sc.max_score}
    return {"scale_definitions": out}


def _trial(folder: Path, s: dict[str, Any], report: Reporter, store: Store) -> dict[str, Any]:
    from moodtwin import load_trial, run_trial
    from moodtwin.calibration import collect_targets, validation_table
    from moodtwin.parameter_sets import resolve
    from moodtwin.trials._report import report_figure, write_outputs

    path = folder / "inputs" / "trials" / s["trial_file"]
    spec = load_trial(path)
    parameters = resolve(folder / "inputs" / s["params_file"] if s.get("params_file") else None)
    expected = s["replicates"] * (s.get("n") or spec.n or 0) * max(
        len(a.periods) for a in spec.all_arms())
    done = [0]

    def progress(what: str, k: int) -> None:
        done[0] += k
        report(done[0] / max(expected, 1), f"simulating {what}: {done[0]}/{expected} "
                                           "patient-periods")

    res = run_trial(spec, seed=s["seed"], replicates=s["replicates"], n=s.get("n"),
                    parameters=parameters, progress=progress)
    report(0.99, "writing outputs", force=True)
    out = folder / "outputs"
    write_outputs(res, out)
    (out / "figure.json").write_text(report_figure(res).to_json())
    targets = collect_targets([path])
    published = (validation_table(targets, {path: res}).to_dict("records") if targets else [])
    summary = json.loads(res.summary().to_json(orient="records"))
    record = res.to_json()
    return {"name": spec.name, "source": spec.source, "replicates": res.replicates,
            "interval": record["interval"], "endpoints": summary,
            "published": published, "excluded": res.failures,
            "outside_calibration": record["outside_calibration"],
            "heterogeneity": record["heterogeneity"]}


def _validate(folder: Path, s: dict[str, Any], report: Reporter, store: Store) -> dict[str, Any]:
    from moodtwin import validate
    from moodtwin.calibration import chi_square, collect_targets
    from moodtwin.calibration._forest import forest_figure as forest_files

    files = [folder / "inputs" / "trials" / f for f in s["trial_files"]]
    targets = {t.label: t for t in collect_targets(files)}
    runs = len({t.trial_file for t in targets.values()})
    done = [0]

    def progress(line: str) -> None:  # before each trial file
        report(done[0] / max(runs, 1), line.strip(), force=True)
        done[0] += 1

    table = validate(files, replicates=s["replicates"], seed=s["seed"], progress=progress)
    out = folder / "outputs"
    table.to_csv(out / "validation.csv", index=False)
    rows = []
    for rec in table.to_dict("records"):
        t = targets[rec["target"]]
        claim = bool(rec["claim"])
        low, high = _interval(str(rec["simulated_95"]))
        rows.append({**{k: _num(v) if isinstance(v, float) else v for k, v in rec.items()},
                     "claim": claim, "pass": bool(rec["pass"]), "is_rate": t.is_rate,
                     "published_low": None if claim else _num(t.ci[0]),
                     "published_high": None if claim else _num(t.ci[1]),
                     "simulated_low": low, "simulated_high": high})
    (out / "figure.json").write_text(forest_figure(rows).to_json())
    chi2, dof, p = chi_square(table)
    title = (f"moodtwin validate ({SHIPPED_SET}, {s['replicates']} replicate(s)): chi-square "
             f"{chi2:.1f} on {dof} degrees of freedom, p = {p:.3g}")
    forest_files(table, out / "validation.png", out / "validation.html", title)
    return {"rows": rows, "passed": int(table["pass"].sum()), "total": len(table),
            "chi_square": _num(chi2), "dof": dof, "p": _num(p)}


def _interval(text: str) -> tuple[float | None, float | None]:
    """The bounds of a validation table's ``[low, high]`` interval text (None if not finite)."""
    low, _, high = text.strip("[] ").partition(",")
    try:
        return _num(low), _num(high)
    except ValueError:
        return None, None


def _num(x: Any) -> float | None:
    import math

    x = float(x)
    return x if math.isfinite(x) else None


def forest_figure(rows: list[dict[str, Any]]) -> Any:
    """Forest plot: one row per published number; published (black diamond, 95 % CI) vs
    simulated (green = pass, red = fail, 95 % interval). Rates (in %) get their own panel;
    significance claims (no number) are left to the table."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from moodtwin import DISCLAIMER

    rows = [r for r in rows if not r.get("claim")]
    title = {"text": f"Published vs simulated<br><sup>{DISCLAIMER}</sup>"}
    if not rows:
        return go.Figure(layout={"title": title, "template": "plotly_white"})
    panels = [(False, "changes, differences, ratios (own units)", 1.0),
              (True, "rates (%)", 100.0)]
    panels = [p for p in panels if any(bool(r["is_rate"]) is p[0] for r in rows)]
    height = 220 + 30 * len(rows)  # px; panels 80 px apart (axis ticks + next title)
    fig = make_subplots(rows=len(panels), cols=1, subplot_titles=[p[1] for p in panels],
                        row_heights=[sum(bool(r["is_rate"]) is p[0] for r in rows)
                                     for p in panels], vertical_spacing=min(0.3, 80 / height))
    for i, (rate, _, k) in enumerate(panels, start=1):
        sel = [r for r in rows if bool(r["is_rate"]) is rate]

        def bar(r: dict[str, Any], mid: str, lo: str, hi: str, k: float = k) -> tuple[float,
                                                                                     float]:
            m = r[mid] * k
            return (((r[hi] if r[hi] is not None else r[mid]) * k - m),
                    (m - (r[lo] if r[lo] is not None else r[mid]) * k))

        pub = [bar(r, "published", "published_low", "published_high") for r in sel]
        fig.add_trace(go.Scatter(
            x=[r["published"] * k for r in sel], y=[r["target"] for r in sel], mode="markers",
            name="published (95 % CI)", legendgroup="pub", showlegend=i == 1,
            marker={"color": "black", "symbol": "diamond", "size": 9},
            error_x={"type": "data", "symmetric": False, "array": [p[0] for p in pub],
                     "arrayminus": [p[1] for p in pub]}), row=i, col=1)
        for ok, color in ((True, "#2ca02c"), (False, "#d62728")):
            part = [r for r in sel if bool(r["pass"]) is ok and r["simulated"] is not None]
            sim = [bar(r, "simulated", "simulated_low", "simulated_high") for r in part]
            fig.add_trace(go.Scatter(
                x=[r["simulated"] * k for r in part], y=[r["target"] for r in part],
                mode="markers", name=f"simulated, {'pass' if ok else 'fail'} (95 % interval)",
                legendgroup=str(ok), showlegend=i == 1, marker={"color": color, "size": 9},
                error_x={"type": "data", "symmetric": False, "array": [p[0] for p in sim],
                         "arrayminus": [p[1] for p in sim]}), row=i, col=1)
        fig.update_yaxes(autorange="reversed", row=i, col=1)
        if rate:
            fig.update_xaxes(range=[0, 100], row=i, col=1)
    fig.update_layout(title=title, height=height, template="plotly_white",
                      margin={"l": 320})
    return fig


def _fit(folder: Path, s: dict[str, Any], report: Reporter, store: Store) -> dict[str, Any]:
    from moodtwin import fit_person, load_person
    from moodtwin.errors import RecordError

    out = folder / "outputs"
    try:
        record, rep = load_person(folder / "inputs" / "person")
    except RecordError as exc:  # the report of every problem, as the CLI writes it
        (out / "data_report.txt").write_text(exc.report.text() + "\n")  # type: ignore[attr-defined]
        raise
    (out / "data_report.txt").write_text(rep.text() + "\n")
    info = {"person": record.id, "scores": len(record.scores),
            "biomarkers": len(record.biomarkers), "history_days": record.end_h / 24,
            "start_date": str(record.start_date), "data_report": rep.text()}
    store.update(folder.name, result=info)
    steps = s["steps"]

    def progress(line: str) -> None:
        import re

        m = re.search(r"step (\d+)/(\d+)", line)
        report(int(m.group(1)) / int(m.group(2)) if m else None, line.strip(), force=True)

    report(0.0, f"fitting {record.id}", force=True)
    fit = fit_person(record, walkers=s.get("walkers"), steps=steps, burn=s["burn"],
                     seed=s["seed"], progress=progress)
    fit.save(out / "fit")
    summary = json.loads(fit.summary.to_json(orient="records"))
    return {**info, "summary": summary, "warnings": fit.warnings,
            "seconds": round(fit.seconds, 1)}


def _forecast(folder: Path, s: dict[str, Any], report: Reporter, store: Store) -> dict[str, Any]:
    from moodtwin import forecast, load_person, load_protocol
    from moodtwin.person import load_fit
    from moodtwin.person._report import forecast_figure, plot_html, plot_png, write_tables
    from moodtwin.units import times as parse_times

    inputs = folder / "inputs"
    times = parse_times(s["at"], "at", 1e-6)  # as 'moodtwin forecast --at'

    cands = [(f"inputs/candidates/{c}", load_protocol(inputs / "candidates" / c))
             for c in s["candidates"]]
    record, rep = load_person(inputs / "person")
    fit = load_fit(inputs / "fit", record)
    start_h = None
    if s.get("start"):
        import datetime as dt

        start_h = (dt.date.fromisoformat(s["start"]) - record.start_date).days * 24.0
    report(0.2, f"forecasting {len(cands)} candidate(s) with {s['draws']} draws", force=True)
    fc = forecast(fit, cands, at=times, start_h=start_h, draws=s["draws"], seed=s["seed"])
    out = folder / "outputs"
    write_tables(fc, out)
    plot_png(fit, fc, out)
    plot_html(fit, fc, out, rep.text())
    (out / "figure.json").write_text(forecast_figure(fit, fc).to_json())
    cands_out = [{"name": c.name, "file": c.file,
                  "outcomes": json.loads(c.outcomes.to_json(orient="records")),
                  "side_effects": json.loads(c.side_effects.to_json(orient="records"))}
                 for c in fc.candidates]
    return {"start_day": fc.start_h / 24, "scales": list(fc.scales), "candidates": cands_out,
            "from_population": fc.prior_only, "warnings": fit.warnings}


def _sensitivity(folder: Path, s: dict[str, Any], report: Reporter,
                 store: Store) -> dict[str, Any]:
    from moodtwin import load_protocol
    from moodtwin import sensitivity as run_sensitivity
    from moodtwin.sensitivity_analysis import parse_times
    from moodtwin.sensitivity_report import ranking_lines, write_outputs

    spec = load_protocol(folder / "inputs" / "protocol.yaml")
    times = parse_times(s["at"], spec)
    sens = run_sensitivity(spec, s["method"], endpoint=s["endpoint"], times_h=times,
                           varied=s.get("parameters"),
                           band=None if s.get("full_range") else s["band"],
                           samples=s.get("samples"), seed=s["seed"],
                           progress=lambda done, total: report(done / max(total, 1),
                                                               f"{done}/{total} runs"))
    paths = write_outputs(sens, folder / "outputs", "protocol")
    figure = next((p.name for p in paths if p.suffix == ".png"), None)
    return {"name": spec.name, "method": sens.method, "runs": sens.n_runs,
            "failed": sens.n_failed, "ranking": ranking_lines(sens, 10), "figure": figure}


def _optimize(folder: Path, s: dict[str, Any], report: Reporter,
              store: Store) -> dict[str, Any]:
    from moodtwin import ParameterSet, load_protocol
    from moodtwin.cli._optimize import _lines
    from moodtwin.optimize import (
        Constraint,
        Outcome,
        default_space,
        search_draws,
        summary,
        therapy_to_tune,
        write_report,
    )
    from moodtwin.optimize import optimize as run

    parameters = ParameterSet.calibrated()
    base = load_protocol(folder / "inputs" / "protocol.yaml")
    name = therapy_to_tune(base, s.get("therapy"))
    goal = Outcome(s["outcome"], s["at"], s["remission_madrs"])
    limits = [Constraint.parse(c, parameters.model) for c in s.get("constraints", [])]
    twin = folder / "inputs" / "fit" if s.get("fit_job") else None
    table, held, source = search_draws(s["draws"], s["holdout"], s["seed"], twin=twin,
                                       parameters=parameters)
    # as the CLI run from the bundle folder ('--twin inputs/fit') names its sources
    source = (source.replace(f"{folder}/", "") if twin is not None
              else f"{source} (default PopulationSpec)")
    res = run(base, default_space(name), table, goal, limits, s["trials"], s["seed"],
              parameters=parameters, grid=s["grid"], holdout=held,
              progress=lambda msg: report(None, msg.strip()))
    write_report(res, folder / "outputs", source, s["seed"])
    return {"therapy": name, "lines": _lines(summary(res, source, s["seed"])),
            "simulations": res.simulations}


TASKS: dict[str, Callable[[Path, dict[str, Any], Reporter, Store], dict[str, Any]]] = {
    "simulate": _simulate, "trial": _trial, "validate": _validate, "fit": _fit,
    "forecast": _forecast, "sensitivity": _sensitivity, "optimize": _optimize,
}
