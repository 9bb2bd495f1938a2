"""Command ``moodtwin sensitivity``: which mechanisms drive a therapy's simulated effect."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from moodtwin.cli._app import DISCLAIMER, ParamsOption, app, errors_as_one_line, say
from moodtwin.cli._dask import SchedulerOption, WorkersOption, dask_client


def _names(items: list[str] | None) -> list[str] | None:
    names = [n.strip() for item in items or [] for n in item.split(",") if n.strip()]
    return names or None


def _progress() -> Any:
    last = [-1]

    def report(done: int, total: int) -> None:
        step = 10 * done // total
        if step != last[0]:
            last[0] = step
            say(f"  {done}/{total} runs")

    return report


@app.command(help="Global sensitivity analysis (SALib) of a protocol's simulated effect: "
                  "Morris screening (mu*, sigma) or Sobol indices (S1, ST with 95% CIs) of an "
                  "endpoint such as the change in MADRS at week 6, per parameter and summed "
                  "per mechanism, at one or several times. Parameters are sampled around the "
                  "typical values of the parameter set (default: the calibrated set). Writes "
                  "ranked tables (CSV), the samples (CSV) and a figure (PNG, HTML); batches "
                  "can run on a Dask cluster.")
@errors_as_one_line
def sensitivity(
    protocol: Annotated[Path, typer.Argument(
        help="Protocol file (YAML), e.g. examples/protocols/ketamine_single_iv.yaml.",
        dir_okay=False, show_default=False)],
    method: Annotated[str, typer.Option(
        "--method", "-m", help="'morris' (screening, cheap) or 'sobol' (variance shares).")
    ] = "morris",
    endpoint: Annotated[str, typer.Option(
        "--endpoint", "-e", help="madrs_change (points from baseline; negative = better), "
                                 "madrs_percent_change, madrs, or any observable (e.g. "
                                 "rmssd, rmssd_change).")] = "madrs_change",
    at: Annotated[str, typer.Option(
        "--at", help="Evaluation time(s), comma-separated, e.g. '6w' or '1d,1w,6w' "
                     "(indices over time).")] = "6 week",
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", metavar="NAMES",
        help="Parameters to sample (repeatable or comma-separated). Default: all "
             "parameters marked calibratable.", show_default=False)] = None,
    band: Annotated[float, typer.Option(
        "--band", help="Sample each parameter within value x (1 +/- BAND), clipped to its "
                       "plausible range.")] = 0.5,
    full_range: Annotated[bool, typer.Option(
        "--full-range", help="Sample each parameter's whole plausible range instead (many "
                             "extreme combinations fail or saturate).")] = False,
    samples: Annotated[int | None, typer.Option(
        "--samples", "--trajectories", "-n",
        help="Morris trajectories (default 20; runs = n x (parameters + 1)) or Sobol base "
             "samples, a power of 2 (default 64; runs = n x (parameters + 2)).",
        show_default=False)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Sampling and bootstrap seed (same seed, "
                                                     "same result, locally or on Dask).")] = 0,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output folder. Default: moodtwin-out/<protocol>-sensitivity.",
        file_okay=False, show_default=False)] = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    chunk_size: Annotated[int | None, typer.Option(
        "--chunk-size", help="Runs per Dask task (default: up to 128, at least 4 tasks per "
                             "worker).", min=1, show_default=False)] = None,
    top: Annotated[int, typer.Option("--top", help="Rows of the printed ranking.", min=1)] = 10,
    params: ParamsOption = None,
) -> None:
    from moodtwin.parameter_sets import resolve
    from moodtwin.protocols import load_protocol
    from moodtwin.sensitivity_analysis import (
        check_request,
        choose_factors,
        parse_times,
        run_sensitivity,
    )
    from moodtwin.sensitivity_report import ranking_lines, write_outputs

    spec = load_protocol(protocol)
    times = parse_times(at, spec)
    names = _names(param)
    bounds = None if full_range else band
    method = method.lower()
    ps = resolve(params)
    check_request(method, samples, endpoint, ps.model)  # all checks before any run
    factors = choose_factors(ps.model, names, bounds)
    out = out if out is not None else Path("moodtwin-out") / f"{protocol.stem}-sensitivity"
    typer.echo(DISCLAIMER)
    with dask_client(scheduler, workers) as client:
        say(f"{method} sensitivity of {endpoint} under {spec.name}: {len(factors)} parameters"
            f"{' over their plausible ranges' if full_range else f' within +/-{100 * band:g} %'}")
        start = time.perf_counter()
        sens = run_sensitivity(spec, method, endpoint=endpoint, times_h=times,
                               varied=names, parameters=ps, band=bounds, samples=samples, seed=seed,
                               client=client, chunk_size=chunk_size, progress=_progress())
    say(f"done in {time.perf_counter() - start:.1f} s")
    paths = write_outputs(sens, out, protocol.stem)
    typer.echo(f"Protocol: {spec.name}; {sens.method} over {len(sens.factors)} parameters, "
               f"{sens.n_runs} runs, seed {seed}")
    if sens.n_failed:
        typer.echo(f"{sens.n_failed} runs failed ({sens.n_dropped} runs left out with their "
                   f"{'trajectory' if sens.method == 'morris' else 'block'}): "
                   + "; ".join(f"{k} x {why}" for why, k in sens.failures.items()))
    for line in ranking_lines(sens, top):
        typer.echo(line)
    typer.echo("Outputs:")
    for path in paths:
        typer.echo(f"  {path.resolve()}")
