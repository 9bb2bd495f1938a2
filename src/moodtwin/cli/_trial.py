"""Commands ``moodtwin trial | calibrate | validate``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from moodtwin.cli._app import DISCLAIMER, ParamsOption, app, errors_as_one_line, say
from moodtwin.cli._dask import SchedulerOption, WorkersOption, dask_engine


def _progress_bar(total: int):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
        "{task.completed}/{task.total} patient-periods"), TimeElapsedColumn(),
        transient=True, console=None)


@app.command(help="Run a virtual clinical trial file (YAML): enrol virtual patients, randomize, "
                  "simulate every arm, and compute the endpoints (with a 95% interval over "
                  "replicates). Writes result.json, patients.csv, endpoints.csv and a PNG/HTML "
                  "report.")
@errors_as_one_line
def trial(
    file: Annotated[Path, typer.Argument(help="Trial file, e.g. examples/trials/"
                                              "ketamine_murrough2013.yaml.", dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.",
                                      file_okay=False)] = Path("moodtwin-out/trial"),
    n: Annotated[int | None, typer.Option("--n", help="Override the number of randomized "
                                                      "patients.", min=2)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")
                    ] = 0,
    replicates: Annotated[int, typer.Option("--replicates", "-r", min=1,
                                            help="Independent repetitions of the trial.")] = 1,
    params: ParamsOption = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    from moodtwin.parameter_sets import resolve
    from moodtwin.trials import load_trial, run_trial
    from moodtwin.trials._report import write_outputs

    spec = load_trial(file)
    ps = resolve(params)
    typer.echo(DISCLAIMER)
    say(f"trial {spec.name!r}: {replicates} replicate(s), seed {seed}")
    start = time.perf_counter()
    expected = replicates * (n or spec.n or 0) * max(len(a.periods) for a in spec.all_arms())
    with dask_engine(scheduler, workers) as engine, _progress_bar(expected) as bar:
        task = bar.add_task("simulating", total=max(expected, 1))
        res = run_trial(spec, seed=seed, replicates=replicates, n=n, parameters=ps,
                        progress=lambda what, k: bar.update(task, advance=k, description=what),
                        engine=engine)
    say(f"done in {time.perf_counter() - start:.1f} s")
    paths = write_outputs(res, out)
    s = res.summary()
    typer.echo(f"{spec.name} ({res.replicates} replicate(s); interval: "
               f"{res.to_json()['interval']})")
    for _, r in s.iterrows():
        typer.echo(f"  {r['endpoint']:<28} {r['arm']:<26} {r['mean']:9.3f}  "
                   f"[{r['low']:.3f}, {r['high']:.3f}]")
    if res.failures:
        typer.echo(f"{len(res.failures)} patient(s) excluded (see report.html), e.g. "
                   f"{res.failures[0]}")
    typer.echo("Outputs:")
    for p in paths:
        typer.echo(f"  {p.resolve()}")


@app.command(help="Fit the typical values of calibratable parameters to every published target "
                  "in the trial files (weighted by each target's uncertainty; SciPy bounded "
                  "Powell on log-parameters, common random numbers). Writes a parameter set "
                  "(YAML, with provenance) usable with --params; the best set so far is saved "
                  "after every improvement.")
@errors_as_one_line
def calibrate(
    trials: Annotated[list[Path] | None, typer.Argument(
        help="Trial files or folders (default: the trial catalogue shipped with moodtwin).",
        show_default=False)] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Parameter set to write.",
                                      dir_okay=False)] = Path("moodtwin-out/calibrated.yaml"),
    parameter: Annotated[list[str] | None, typer.Option(
        "--parameter", "-p", help="Parameter to fit (repeatable; default: expectancy kicks "
                                  "and one main gain per therapy).")] = None,
    n_max: Annotated[int, typer.Option("--n-max", min=10, help="Cap on patients per virtual "
                                                               "trial during fitting.")] = 150,
    max_evaluations: Annotated[int, typer.Option("--max-evaluations", min=1)] = 150,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    params: ParamsOption = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    from moodtwin.calibration import DEFAULT_PARAMETERS, calibrate, collect_targets
    from moodtwin.parameter_sets import resolve

    ps = resolve(params)
    targets = collect_targets(trials)
    typer.echo(DISCLAIMER)
    say(f"{len(targets)} published targets; fitting {', '.join(parameter or DEFAULT_PARAMETERS)}")
    start = time.perf_counter()
    with dask_engine(scheduler, workers) as engine:
        cal = calibrate(targets, parameter or DEFAULT_PARAMETERS, n_max=n_max, seed=seed,
                        max_evaluations=max_evaluations, checkpoint=out,
                        parameters=ps, engine=engine,
                        progress=lambda k, obj: say(f"  evaluation {k}: objective {obj:.2f}"))
    path = cal.to_yaml(out)
    typer.echo(f"objective (sum of squared z over {len(targets)} targets): "
               f"{cal.start_objective:.2f} -> {cal.objective:.2f} in {cal.evaluations} "
               f"evaluations ({time.perf_counter() - start:.0f} s)")
    for k, v in cal.values.items():
        typer.echo(f"  {k:<24} {v:.4g}")
    typer.echo(f"Parameter set: {path.resolve()}")


@app.command(help="Run every trial file with published values and print/save the table: "
                  "target, endpoint, published value, simulated mean with 95% interval over "
                  "replicates, pass/fail (pass: the published value lies in the simulated "
                  "interval or the simulated mean in the published CI).")
@errors_as_one_line
def validate(
    trials: Annotated[list[Path] | None, typer.Argument(
        help="Trial files or folders (default: the trial catalogue shipped with moodtwin).",
        show_default=False)] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.", file_okay=False)
                   ] = Path("moodtwin-out/validation"),
    replicates: Annotated[int, typer.Option("--replicates", "-r", min=1)] = 10,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    params: ParamsOption = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    from moodtwin.calibration import collect_targets, validate
    from moodtwin.parameter_sets import resolve

    ps = resolve(params)
    collect_targets(trials)  # refuse bad trial files before any run
    typer.echo(DISCLAIMER)
    with dask_engine(scheduler, workers) as engine:
        table = validate(trials, parameters=ps, replicates=replicates, seed=seed,
                         engine=engine, progress=say)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "validation.csv", index=False)
    (out / "validation.md").write_text(table.to_markdown(index=False) if _has_tabulate()
                                       else table.to_string(index=False))
    typer.echo(table.to_string(index=False))
    typer.echo(f"{int(table['pass'].sum())} of {len(table)} targets pass.")
    typer.echo(f"Table: {(out / 'validation.csv').resolve()}")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
