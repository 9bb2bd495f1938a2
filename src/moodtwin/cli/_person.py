"""Personal-twin commands: ``moodtwin fit | forecast``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from moodtwin.cli._app import DISCLAIMER, ParamsOption, app, errors_as_one_line, say
from moodtwin.errors import RecordError, ValidationError

_PERSON = typer.Argument(help="Person record folder (see examples/person/README.md).",
                         file_okay=False, show_default=False)


def _load(person: Path, out: Path | None = None) -> tuple[Any, Any]:
    """Load the record; print its report (one problem per line) and write it to
    ``out/data_report.txt`` when given, also when the record cannot be used."""
    from moodtwin.person import load_person

    try:
        record, report = load_person(person)
    except RecordError as exc:
        for line in exc.report.text().splitlines():
            say("  " + line)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / "data_report.txt").write_text(exc.report.text() + "\n")
        raise
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "data_report.txt").write_text(report.text() + "\n")
    say(f"record {record.id}: {len(record.scores)} scores, {len(record.biomarkers)} biomarker "
        f"observations, history {record.end_h / 24:g} days from {record.start_date}")
    for issue in report.issues:
        say("  " + issue.line())
    return record, report


def _summary_lines(fit: Any) -> list[str]:
    s = fit.summary
    lines = [f"{'parameter':<24}{'prior median':>13}{'posterior median':>17}{'90% interval':>22}"
             f"{'R-hat':>7}{'ESS':>7}"]
    for _, r in s.iterrows():
        lines.append(f"{r['parameter']:<24}{r['prior_median']:>13.3g}{r['median']:>17.3g}"
                     f"{f'[{r.q5:.3g}, {r.q95:.3g}]':>22}{r['rhat']:>7.2f}{r['ess_bulk']:>7.0f}")
    return lines


def _fit(person: Path, out: Path, walkers: int | None, steps: int, burn: int,
         seed: int, params: Path | None = None) -> tuple[Any, str]:
    from moodtwin.person import fit_person

    record, report = _load(person, out)
    say(f"fitting {record.id} (emcee, {steps} steps; first {burn} discarded) ...")
    fit = fit_person(record, walkers=walkers, steps=steps, burn=burn, seed=seed, progress=say,
                     parameters=params)
    fit.save(out)
    return fit, report.text()


@app.command(help="Fit a person's parameters to their record by Bayesian inference (emcee "
                  "ensemble sampler, population model as prior). Prints the posterior summary "
                  "with R-hat and effective sample size and warns when the data cannot "
                  "identify a parameter. Writes posterior draws, summary and data report.")
@errors_as_one_line
def fit(
    person: Annotated[Path, _PERSON],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if needed).",
                                      file_okay=False)] = Path("moodtwin-out/fit"),
    walkers: Annotated[int | None, typer.Option(
        help="Ensemble walkers (default max(16, 4 x parameters)).", show_default=False)] = None,
    steps: Annotated[int, typer.Option(help="Ensemble steps in all.", min=20)] = 700,
    burn: Annotated[int, typer.Option(help="Steps discarded as burn-in.", min=0)] = 300,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    params: ParamsOption = None,
) -> None:
    typer.echo(DISCLAIMER)
    result, _ = _fit(person, out, walkers, steps, burn, seed, params)
    say(f"done in {result.seconds:.1f} s")
    typer.echo(f"Posterior of {result.record.id} (prior: {result.prior.source}):")
    for line in _summary_lines(result):
        typer.echo("  " + line)
    for w in result.warnings:
        typer.echo(f"warning: {w}")
    typer.echo(f"Output folder: {out.resolve()}")


@app.command(help="Forecast a person's scale scores and biomarkers under one or more candidate "
                  "protocols (time 0 = the forecast start), with 90 % credible bands, the "
                  "probability of response and remission at chosen times and the side-effect "
                  "burden. Writes a side-by-side report (PNG, HTML) and CSV/JSON tables.")
@errors_as_one_line
def forecast(
    person: Annotated[Path, _PERSON],
    protocol: Annotated[list[Path], typer.Option(
        "--protocol", "-p", help="Candidate protocol file (YAML); repeat for several.",
        dir_okay=False, show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if needed).",
                                      file_okay=False)] = Path("moodtwin-out/forecast"),
    fit_dir: Annotated[Path | None, typer.Option(
        "--fit", help="Reuse the posterior written by 'moodtwin fit' (otherwise fit first, "
                      "into OUT/fit).", file_okay=False, show_default=False)] = None,
    at: Annotated[str, typer.Option(help="Times after the forecast start for P(response) "
                                         "and P(remission), e.g. 6w,6mo.")] = "6w,6mo",
    start: Annotated[str | None, typer.Option(
        help="Forecast start date YYYY-MM-DD (default: the last observation).",
        show_default=False)] = None,
    draws: Annotated[int, typer.Option(help="Posterior draws simulated.", min=20)] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    params: ParamsOption = None,
    ensemble: Annotated[bool, typer.Option(
        "--ensemble/--no-ensemble", help="Draw i takes the values the person's posterior does "
        "not hold from posterior ensemble member i mod N of the parameter set, so the bands "
        "include the calibration's parameter uncertainty.")] = False,
) -> None:
    from moodtwin.parameter_sets import resolve
    from moodtwin.person import load_fit
    from moodtwin.person._forecast import forecast as run_forecast
    from moodtwin.person._report import plot_html, plot_png, write_tables
    from moodtwin.protocols import load_protocol
    from moodtwin.units import times as parse_times

    typer.echo(DISCLAIMER)
    times = parse_times(at, "--at", 1e-6)
    candidates = [(str(p), load_protocol(p)) for p in protocol]
    if fit_dir is None:
        result, report = _fit(person, out / "fit", None, 700, 300, seed, params)
    else:
        record, rep = _load(person)
        result, report = load_fit(fit_dir, record, parameters=params), rep.text()
    start_h = None
    if start is not None:
        try:
            when = dt.date.fromisoformat(start)
        except ValueError:
            raise ValidationError(f"--start {start!r} is not a date (YYYY-MM-DD).") from None
        start_h = (when - result.record.start_date).days * 24.0
    say(f"forecasting {len(candidates)} candidate(s) with {draws} posterior draws ...")
    fc = run_forecast(result, candidates, at=times, start_h=start_h, draws=draws, seed=seed,
                      parameters=resolve(params), ensemble=ensemble)
    out.mkdir(parents=True, exist_ok=True)
    paths = [*write_tables(fc, out), plot_png(result, fc, out),
             plot_html(result, fc, out, report)]
    typer.echo(f"Forecast start: day {fc.start_h / 24:g} after {result.record.start_date}.")
    for cand in fc.candidates:
        typer.echo(f"{cand.name} ({cand.file}):")
        for _, row in cand.outcomes.iterrows():
            parts = [f"{s} {row[f'{s}_median']:.0f} (from {row[f'{s}_baseline']:.0f} at the "
                     f"forecast start), P(response) {row[f'P_response_{s}']:.2f}, "
                     f"P(remission) {row[f'P_remission_{s}']:.2f}" for s in fc.scales]
            typer.echo(f"  at {row['at']}: " + "; ".join(parts))
        for _, row in cand.side_effects.iterrows():
            typer.echo(f"  side effect {row['side_effect']}: mean {row['mean']:.3f}, "
                       f"peak {row['peak']:.3f}")
    typer.echo("P(response): probability of a score >= 50 % below its value at the forecast "
               "start (the baseline in brackets); P(remission): below the scale's remission "
               "threshold.")
    if fc.ensemble_members:
        typer.echo(f"Bands include parameter uncertainty: the draws used "
                   f"{fc.ensemble_members} posterior ensemble member(s).")
    if fc.prior_only:
        typer.echo("note: never tried by this person, so taken from the population: "
                   + ", ".join(fc.prior_only))
    for w in result.warnings:
        typer.echo(f"warning: {w}")
    typer.echo("Outputs:")
    for p in paths:
        typer.echo(f"  {p.resolve()}")
