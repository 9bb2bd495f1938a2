"""Core commands: ``moodtwin demo | simulate | model``."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from moodtwin.cli._app import (
    DISCLAIMER,
    ParamOverridesOption,
    ParamsOption,
    app,
    errors_as_one_line,
    say,
)
from moodtwin.errors import ValidationError


def _fmt(x: float) -> str:
    return "   n/a" if math.isnan(x) else f"{x:6.1f}"


def _table_text(table: Any) -> str:
    """Plain-text box table of the demo summary (rows = protocols)."""
    cols = [c for c in table.columns if c != "name"]
    names = [str(n) for n in table["name"]]
    w0 = max(len("protocol"), *(len(n) for n in names))
    widths = [max(8, len(c)) for c in cols]
    rule = "+-" + "-" * w0 + "-+" + "+".join("-" * (w + 2) for w in widths) + "+"
    head = "| " + "protocol".ljust(w0) + " |" + "|".join(
        f" {c:>{w}} " for c, w in zip(cols, widths, strict=True)) + "|"
    lines = [rule, head, rule.replace("-", "=")]
    for name, (_, row) in zip(names, table.iterrows(), strict=True):
        lines.append("| " + name.ljust(w0) + " |" + "|".join(
            f" {_fmt(float(row[c])):>{w}} " for c, w in zip(cols, widths, strict=True)) + "|")
    lines.append(rule)
    return "\n".join(lines)


# ---------------------------------------------------------------------------- demo
@app.command(help="Run the built-in demonstration: the reference patient (default parameters: "
                  "moderate treatment-resistant depression) under no treatment and each "
                  "therapy, over 12 months. Prints a MADRS table and writes CSV time courses, "
                  "the table and PNG/HTML figures.")
@errors_as_one_line
def demo(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Output folder (created if needed).",
        file_okay=False)] = Path("moodtwin-out/demo"),
    params: ParamsOption = None,
) -> None:
    from moodtwin.demo import TIMEPOINTS_H, run_demo
    from moodtwin.parameter_sets import resolve
    from moodtwin.scales import criteria_text

    typer.echo(DISCLAIMER)
    typer.echo("")
    start = time.perf_counter()
    table = run_demo(out, progress=say, parameters=resolve(params))
    say(f"done in {time.perf_counter() - start:.1f} s")
    typer.echo("Latent MADRS (0-60 points) of the reference patient; month 3 = week 13, "
               "month 12 = week 52:")
    typer.echo(_table_text(table[["name", *TIMEPOINTS_H]]))
    text = criteria_text('MADRS')
    typer.echo(f"{text[0].upper()}{text[1:]}.")
    typer.echo("")
    typer.echo(f"Output folder: {out.resolve()}")


# ---------------------------------------------------------------------------- simulate
def _parse_params(items: list[str] | None) -> dict[str, float]:
    """``NAME=VALUE`` pairs; VALUE is a number in the parameter's unit or a quantity."""
    from moodtwin.model import default_model
    from moodtwin.units import quantity

    model = default_model()  # names, units and ranges only (the same in every set)
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise ValidationError(f"--param {item!r}: expected NAME=VALUE, e.g. tau_dep=12.")
        par = model.parameter(name)  # unknown names: UnknownNameError with close matches
        try:
            out[name] = float(text)
        except ValueError:
            unit = "dimensionless" if par.unit.strip() == "1" else par.unit
            out[name] = quantity(text, unit, f"--param {name}", par.low, par.high)
    return out


def _summary(result: Any, seed: int | None) -> list[str]:
    from moodtwin.scales import criteria_text, verdict

    end_h = float(result.t[-1])
    points = [("baseline", 0.0), ("day 1", 24.0), ("week 1", 168.0), ("week 6", 1008.0)]
    points = [(k, h) for k, h in points if h < end_h - 1e-6]
    points.append((f"end (day {end_h / 24:g})", end_h))
    base = float(result.at("madrs", 0.0)[0])
    lines = ["MADRS (latent, 0-60 points):"]
    for label, h in points:
        v = float(result.at("madrs", h)[0])
        change = f"({100 * (v - base) / base:+.0f} %)" if h > 0 and base > 0 else ""
        obs = ""
        if seed is not None:
            k = int(abs(result.t - h).argmin())
            obs = f"   observed (seed {seed}): {float(result.score('MADRS')[0, k]):5.1f}"
        lines.append(f"  {label:<16}{v:6.1f}  {change:>8}{obs}".rstrip())
    end = float(result.at("madrs", end_h)[0])
    lines.append(f"  at the end: {verdict(base, end, 'MADRS')} ({criteria_text('MADRS')})")
    return lines


@app.command(help="Simulate the reference patient (calibrated typical values) under a protocol "
                  "file (YAML). Writes the "
                  "time course (CSV) and figures (PNG, interactive HTML) and prints MADRS at "
                  "baseline, day 1, week 1, week 6 and the end.")
@errors_as_one_line
def simulate(
    protocol: Annotated[Path, typer.Argument(
        help="Protocol file (YAML), e.g. examples/protocols/ketamine_single_iv.yaml.",
        dir_okay=False, show_default=False)],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output folder (created if needed). Default: "
                            "moodtwin-out/<protocol file name>.", file_okay=False,
        show_default=False)] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", metavar="NAME=VALUE",
        help="Override a model parameter (repeatable). VALUE is a number in the parameter's "
             "unit (see 'moodtwin model') or a quantity such as '0.5 d'. Must lie within the "
             "parameter's plausible range.", show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Add reproducible day-to-day fluctuation to the observed scale scores "
                       "(CSV columns MADRS, HAMD17, ...). Without it they equal the latent "
                       "scores.", show_default=False)] = None,
    params: ParamsOption = None,
) -> None:
    from moodtwin.parameter_sets import resolve
    from moodtwin.plotting import plot_time_courses
    from moodtwin.protocols import load_protocol
    from moodtwin.simulation import parameter_table
    from moodtwin.simulation import simulate as run

    spec = load_protocol(protocol)
    overrides = _parse_params(param)
    ps = resolve(params)
    model = ps.model
    parameter_table(overrides, model)  # range-check before any output is written
    out = out if out is not None else Path("moodtwin-out") / protocol.stem
    typer.echo(DISCLAIMER)
    say(f"simulating {spec.name} ({spec.duration})"
         + (f" with {', '.join(f'{k}={v:g}' for k, v in overrides.items())}"
            if overrides else "")
         + f"{_compile_note(model)} ...")
    start = time.perf_counter()
    result = run(spec, overrides or None, seed=seed, parameters=ps)
    say(f"done in {time.perf_counter() - start:.1f} s; writing outputs ...")
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"{protocol.stem}.csv"
    result.frame().to_csv(csv, index=False)
    figures = plot_time_courses({spec.name: result}, out, protocol.stem)
    typer.echo(f"Protocol: {spec.name} ({spec.duration})")
    for line in _summary(result, seed):
        typer.echo(line)
    typer.echo("Outputs:")
    for path in (csv, *figures):
        typer.echo(f"  {path.resolve()}")


def _compile_note(model: Any) -> str:
    """A hint when the numba kernel for ``model`` has not been generated yet."""
    try:
        from moodtwin.solver._codegen import cache_dir

        if not any(cache_dir().glob(f"moodtwin_gen_{model.structure_key}_*.py")):
            return " (first run: compiling the model, about 20 s)"
    except Exception:  # a hint only; never fail because of it
        return ""
    return ""


# ---------------------------------------------------------------------------- model
@app.command(help="Resilience of the reference patient under a protocol: the same standard "
                  "stressor (HPA drive, lower vagal tone) is added at --at for --duration; "
                  "prints the peak rise of the score it causes, the time to that peak and the "
                  "recovery time after the stressor ends (to --recovered of the peak). Compare "
                  "protocols (e.g. no treatment vs a therapy) by running it on each.")
@errors_as_one_line
def resilience(
    protocol: Annotated[Path, typer.Argument(
        help="Protocol file (YAML), e.g. examples/protocols/vns_standard.yaml; it must run "
             "past the stressor's end.", dir_okay=False, show_default=False)],
    at: Annotated[str, typer.Option("--at", help="Stressor onset from baseline.")] = "26 week",
    duration: Annotated[str, typer.Option("--duration", help="Stressor length.")] = "4 week",
    intensity: Annotated[float, typer.Option(
        "--intensity", min=0.01, max=3.0, help="Stressor intensity (1: a major life event).")
    ] = 1.0,
    scale: Annotated[str, typer.Option("--scale", help="Score to follow.")] = "MADRS",
    recovered: Annotated[float, typer.Option(
        "--recovered", min=0.01, max=0.99,
        help="Recovered when the excess falls to this fraction of its peak.")] = 0.5,
    param: ParamOverridesOption = None,
    params: ParamsOption = None,
) -> None:
    from moodtwin.parameter_sets import resolve
    from moodtwin.protocols import load_protocol
    from moodtwin.resilience import resilience as run

    typer.echo(DISCLAIMER)
    r = run(load_protocol(protocol), at=at, duration=duration, intensity=intensity,
            scale=scale, params=_parse_params(param) or None, parameters=resolve(params),
            recovered_fraction=recovered)
    rec = ("not within the protocol" if r.recovery_h != r.recovery_h
           else f"{r.recovery_h / 24:.1f} d after the stressor ends")
    typer.echo(f"{protocol.name}: stressor at {at} for {duration} (intensity {intensity:g}): "
               f"peak +{r.peak:.2f} {r.scale} at {r.time_to_peak_h / 24:.1f} d after onset; "
               f"down to {recovered:g} of the peak {rec}.")


@app.command(help="Print the whole model (mechanisms, state equations in LaTeX, derived "
                  "quantities, parameters with provenance, inputs) as Markdown, generated "
                  "from the model definition.")
@errors_as_one_line
def model(
    markdown: Annotated[Path | None, typer.Option(
        "--markdown", "-m", help="Write the Markdown to this file instead of printing it.",
        dir_okay=False, show_default=False)] = None,
    params: ParamsOption = None,
) -> None:
    from moodtwin.docs import model_markdown
    from moodtwin.parameter_sets import resolve

    text = model_markdown(resolve(params).model)
    if markdown is None:
        typer.echo(text)
        return
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(text, encoding="utf-8")
    typer.echo(f"Model documentation written to {markdown.resolve()}")
