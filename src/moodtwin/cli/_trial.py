"""Commands ``moodtwin trial | calibrate | validate``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from moodtwin.cli._app import DISCLAIMER, ParamsOption, app, errors_as_one_line, say
from moodtwin.cli._dask import SchedulerOption, WorkersOption, dask_engine
from moodtwin.errors import ValidationError


def _progress_bar(total: int):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
        "{task.completed}/{task.total} patient-periods"), TimeElapsedColumn(),
        transient=True, console=None)


@app.command(help="Run a virtual clinical trial file (YAML): enrol virtual patients, randomize, "
                  "simulate every arm, and compute the endpoints (with a 95% interval over "
                  "replicates). Writes result.json, patients.csv, endpoints.csv and a PNG/HTML "
                  "report. Trial file fields (designs, analyses, relapse definitions, "
                  "subgroups, missing-data handling, published claims): README sections "
                  "'Virtual trials' and 'Trial file reference'; examples in "
                  "examples/trials/designs/ of a checkout (installed: moodtwin/data/trials/"
                  "designs/; a catalogue trial runs by name, e.g. 'moodtwin trial "
                  "ketamine_murrough2013' or 'designs/vns_d04_one_year_vs_tau.yaml').")
@errors_as_one_line
def trial(
    file: Annotated[Path, typer.Argument(help="Trial file, e.g. examples/trials/"
                                              "ketamine_murrough2013.yaml.", dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.",
                                      file_okay=False)] = Path("moodtwin-out/trial"),
    n: Annotated[int | None, typer.Option("--n", help="Override the number of randomized "
                                                      "patients (non-randomized cohorts are "
                                                      "scaled in proportion).", min=2)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")
                    ] = 0,
    replicates: Annotated[int, typer.Option("--replicates", "-r", min=1,
                                            help="Independent repetitions of the trial.")] = 1,
    params: ParamsOption = None,
    ensemble: Annotated[bool | None, typer.Option(
        "--ensemble/--no-ensemble", help="Replicate r uses posterior ensemble member r mod N "
        "of the parameter set, so the interval includes parameter uncertainty (default: on "
        "when the set has an ensemble and --replicates > 1).", show_default=False)] = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    from moodtwin.calibration._targets import trial_targets
    from moodtwin.parameter_sets import resolve
    from moodtwin.trials import load_trial, run_trial
    from moodtwin.trials._report import write_outputs

    ps = resolve(params)
    spec = load_trial(file)
    typer.echo(DISCLAIMER)
    say(f"trial {spec.name!r}: {replicates} replicate(s), seed {seed}")
    start = time.perf_counter()
    expected = replicates * (n or spec.n or 0) * max(len(a.periods) for a in spec.all_arms())
    with dask_engine(scheduler, workers) as engine, _progress_bar(expected) as bar:
        task = bar.add_task("simulating", total=max(expected, 1))
        res = run_trial(spec, seed=seed, replicates=replicates, n=n, parameters=ps,
                        progress=lambda what, k: bar.update(task, advance=k, description=what),
                        engine=engine, ensemble=ensemble)
    say(f"done in {time.perf_counter() - start:.1f} s")
    paths = write_outputs(res, out)
    s = res.summary()
    published = {(t.endpoint, t.arm): t for t in trial_targets(spec, file)}
    tau, origin = res.heterogeneity
    typer.echo(f"{spec.name} ({res.replicates} replicate(s); interval: {res.interval}; new "
               "trial: 95% prediction interval for a published result of this design, with "
               f"between-trial heterogeneity of {tau:.3g} of the value, {origin})")
    for _, r in s.iterrows():
        t = published.get((r["endpoint"], r["arm"]))
        beside = "" if t is None else ("   published: " + (
            f"{r['claim']}, holds in {r['claim_holds_in']} of {res.replicates} simulated "
            "trial(s)" if r["claim"] else
            f"{t.published.value:.3f} [{t.ci[0]:.3f}, {t.ci[1]:.3f}]"))
        typer.echo(f"  {r['endpoint']:<28} {r['arm']:<26} {r['mean']:9.3f}  "
                   f"[{r['low']:.3f}, {r['high']:.3f}]  new trial [{r['new_trial_low']:.3f}, "
                   f"{r['new_trial_high']:.3f}]{beside}")
    if res.members is not None and len(set(res.members)) < len(ps.ensemble):
        typer.echo(f"note: the replicates used {len(set(res.members))} of the "
                   f"{len(ps.ensemble)} posterior ensemble members; --replicates "
                   f"{len(ps.ensemble)} or more covers them all.")
    for note in res.notes:
        say(f"warning: {note}")
    if res.outside_calibration:
        typer.echo("Outside the calibration set (read these results as extrapolations; README "
                   "'Context of use'):")
        for line in res.outside_calibration:
            typer.echo(f"  {line}")
    if res.failures:
        typer.echo(f"{len(res.failures)} patient(s) excluded (see report.html), e.g. "
                   f"{res.failures[0]}")
    typer.echo("Outputs:")
    for p in paths:
        typer.echo(f"  {p.resolve()}")


@app.command(help="Bayesian calibration (ABC-SMC) of typical values and between-patient "
                  "variability to every published target in the trial files: log-uniform "
                  "priors from the parameter tables, common random numbers, z-scores with "
                  "published, Monte-Carlo and between-trial uncertainty. Writes the posterior "
                  "as a parameter set (point values with provenance and intervals, population "
                  "section, ensemble) usable with --params. Resumable: the --checkpoint "
                  "keeps every finished generation (and, for replenishment, the evaluations "
                  "of an unfinished one, saved every 10 in <checkpoint>.partial.npz).")
@errors_as_one_line
def calibrate(
    ctx: typer.Context,
    trials: Annotated[list[Path] | None, typer.Argument(
        help="Trial files or folders (default: the trial catalogue shipped with moodtwin).",
        show_default=False)] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Parameter set to write.",
                                      dir_okay=False)] = Path("moodtwin-out/calibrated.yaml"),
    checkpoint: Annotated[Path | None, typer.Option(
        "--checkpoint", help="Checkpoint of the run (.npz for replenishment, SQLite for "
                             "pyabc); an existing one is resumed (default: next to --out).",
        dir_okay=False)] = None,
    method: Annotated[str, typer.Option(
        "--method", help="replenishment: equal-weight particles moved by ABC-MCMC "
                         "(Drovandi & Pettitt 2011); pyabc: importance-weighted ABC-SMC, whose "
                         "weights collapse in ~20 dimensions.")] = "replenishment",
    mcmc_steps: Annotated[int, typer.Option(
        "--mcmc-steps", min=1, max=50,
        help="ABC-MCMC moves per refilled particle and generation (replenishment).")] = 3,
    mcmc_max_steps: Annotated[int | None, typer.Option(
        "--mcmc-max-steps", min=1, max=200,
        help="Let the moves grow as acceptance falls, up to this many: enough that a "
             "refilled particle stays put with chance <= 1 % at the previous generation's "
             "acceptance (Drovandi & Pettitt 2011); default: always --mcmc-steps.")] = None,
    start_from: Annotated[Path | None, typer.Option(
        "--start-from", help="Start a new replenishment run from the last population of an "
                             "earlier checkpoint (particles matched by parameter name and "
                             "re-evaluated; new parameters drawn from their priors), e.g. "
                             "after a model change.", exists=True, dir_okay=False)] = None,
    redraw: Annotated[list[str] | None, typer.Option(
        "--redraw", help="With --start-from: draw this calibrated value from its prior "
                         "instead of the earlier population (repeatable), e.g. after its "
                         "prior widened.")] = None,
    parameter: Annotated[list[str] | None, typer.Option(
        "--parameter", "-p", help="Model parameter to calibrate (repeatable; default: "
                                  "expectancy, ketamine plasticity, VNS, taVNS, toxin and "
                                  "antidepressant gains, plus population variability).")] = None,
    n_max: Annotated[int, typer.Option("--n-max", min=10, help="Cap on patients per virtual "
                                                               "trial during fitting.")] = 150,
    mc_error: Annotated[float | None, typer.Option(
        "--mc-error", min=0.05, max=5.0,
        help="Simulate each trial with enough patients that every number's Monte-Carlo error "
             "is this many published standard errors (n_published / (mc_error^2 x "
             "realizations) per realization), still capped at --n-max: e.g. --mc-error 0.5 "
             "--n-max 5000 (about 6 times the cost of --n-max 100 --realizations 2, "
             "benchmarks/calibration/evaluation_cost.py); default: the trial's own size.")
    ] = None,
    realizations: Annotated[int, typer.Option(
        "--realizations", min=1, max=20,
        help="Monte-Carlo realizations of every virtual trial per evaluation (common random "
             "numbers within a generation; each replenishment generation re-evaluates its "
             "population on fresh ones); their mean is compared, so the Monte-Carlo error falls by "
             "sqrt(realizations) at that multiple of the cost.")] = 1,
    particles: Annotated[int, typer.Option("--particles", min=4, max=5000,
                                           help="ABC-SMC population size.")] = 24,
    generations: Annotated[int, typer.Option("--generations", min=1, max=50)] = 4,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    processes: Annotated[int, typer.Option("--processes", min=1, max=64,
                                           help="Parameter sets evaluated in parallel.")] = 1,
    params: Annotated[Path | None, typer.Option(
        "--params", help="Base parameter set for the values not calibrated (default: the "
                         "model definition, so the result is reproducible from the seed).",
        dir_okay=False)] = None,
    leave_one_out: Annotated[int, typer.Option(
        "--leave-one-out", min=0, max=5000,
        help="After the fit, predict each trial file from a fit without it, by ABC importance "
             "sampling over this many proposals simulated on every trial (0: skip); "
             "writes <out>.loto.csv.")] = 0,
    profile: Annotated[int, typer.Option(
        "--profile", min=0, max=20,
        help="After the fit, step each calibrated value to x0.8 and x1.25 of the point on this "
             "many independent realizations (common random numbers) and read a one-at-a-time "
             "90% interval from the distance profile: which values the targets pin, whatever "
             "the ABC population's spread (writes <out>.profile.csv; 0: skip; cost "
             "N x (2 x values + 1) evaluations).")] = 0,
    condition_on_sources: Annotated[bool, typer.Option(
        "--condition-on-sources",
        help="After the fit, solve the values the calibration set leaves unpinned on sources "
             "outside it and write them into the set and every ensemble member: w_lhb on An "
             "et al. 2021's 2-4 h esketamine difference, w_5ht on Stone et al. 2022's "
             "drug-placebo difference, STAR*D's response rates as a check "
             "(moodtwin.calibration._sources; about a minute). The shipped set is written "
             "this way.")] = False,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    from moodtwin.calibration import (
        DEFAULT_PARAMETERS,
        INDEPENDENT_REALIZATIONS,
        calibrate,
        collect_targets,
        default_priors,
        fitting_mc_se,
        leave_one_trial_out,
        profile_distances,
        realization_check,
    )
    from moodtwin.parameter_sets import ParameterSet

    targets = collect_targets(trials, fitted_only=True, require=True)
    typer.echo(DISCLAIMER)
    priors = default_priors(parameter or DEFAULT_PARAMETERS)
    say(f"{len(targets)} published targets; calibrating {len(priors)} values: "
        f"{', '.join(p.name for p in priors)}")
    ratio = sorted(fitting_mc_se(t, n_max, realizations, mc_error) / t.sigma
                   for t in targets if t.published.value is not None)
    sizing = f"at most {n_max} patients each" + (
        f", sized for {mc_error:g} published SE" if mc_error is not None else "")
    say(f"Monte-Carlo error of a simulated number per evaluation ({realizations} "
        f"realization(s), {sizing}): {ratio[0]:.2f}-{ratio[-1]:.2f} "
        f"(median {ratio[len(ratio) // 2]:.2f}) of its published standard error")
    base = ParameterSet.load(params) if params else None
    start = time.perf_counter()
    with dask_engine(scheduler, workers) as engine:
        cal = calibrate(targets, priors, n_max=n_max, seed=seed, population_size=particles,
                        generations=generations,
                        database=checkpoint or out.with_suffix(
                            ".abc.npz" if method == "replenishment" else ".abc.db"),
                        workers=processes, engine=engine, progress=say, method=method,
                        mcmc_steps=mcmc_steps, start_from=start_from,
                        redraw=tuple(redraw or ()), realizations=realizations,
                        mcmc_max_steps=mcmc_max_steps, mc_error=mc_error,
                        parameters=base)
    post = cal.posterior
    loto = None
    if leave_one_out:
        loto = leave_one_trial_out(post, targets, proposals=leave_one_out, n_max=n_max,
                                   seed=seed, workers=processes, progress=say,
                                   parameters=base, realizations=realizations,
                                   mc_error=mc_error)
        out.parent.mkdir(parents=True, exist_ok=True)
        loto.table.to_csv(out.with_suffix(".loto.csv"), index=False)
    profiled = None
    if profile:  # before the in-process realization check: its workers fork this process
        point = (base or ParameterSet.definition()).with_values(cal.values, "posterior point")
        profiled = profile_distances(targets, point, priors, seeds=[seed + 100 + k for k in
                                                                    range(profile)],
                                     n_max=n_max, realizations=cal.realizations,
                                     processes=processes, progress=say)
        out.parent.mkdir(parents=True, exist_ok=True)
        profiled.to_csv(out.with_suffix(".profile.csv"), index=False)
    fresh = INDEPENDENT_REALIZATIONS
    realizations = realization_check(cal, targets, n_max=n_max, parameters=base,
                                     mc_error=mc_error)
    path = cal.to_yaml(out, leave_one_out=loto, realizations=realizations,
                       profile=None if profiled is None
                       else (profiled, out.with_suffix(".profile.csv").name),
                       command=_command_line(ctx))
    typer.echo(f"ABC-SMC: {post.evaluations} evaluations, tolerance "
               f"{' -> '.join(f'{e:.1f}' for e in post.epsilons)} "
               f"({time.perf_counter() - start:.0f} s); effective sample size "
               f"{post.ess():.1f} of {len(post.weights)} particles"
               + (" - the weights have collapsed: intervals and contractions are not "
                  "informative (use more --particles)" if post.ess() < 5 else ""))
    import pandas as pd

    ident = pd.DataFrame(post.identifiability())
    for r in ident.itertuples():
        typer.echo(f"  {r.parameter:<58} {r.posterior:10.4g}  90% [{r.low_90:.3g}, "
                   f"{r.high_90:.3g}]  contraction {r.contraction:.2f} ({r.verdict}; "
                   f"r = {r.correlation:+.2f} with {r.most_correlated_with})")
    out.parent.mkdir(parents=True, exist_ok=True)
    ident.to_csv(out.with_suffix(".identifiability.csv"), index=False)
    typer.echo(f"Identifiability table: {out.with_suffix('.identifiability.csv').resolve()}")
    if condition_on_sources:
        from moodtwin.calibration import condition_calibrated_set

        report = condition_calibrated_set(path, ident, base=base, progress=say)
        early, day1 = report["esketamine_minus_placebo_madrs_4h_24h"]  # type: ignore[misc]
        typer.echo(f"Conditioned on sources: w_lhb {report['w_lhb']} (esketamine minus "
                   f"placebo {early:.2f} MADRS at 4 h, An et al. 2021: 6.16; {day1:.2f} at "
                   f"24 h, 9.96), w_5ht {report['w_5ht']} (drug minus placebo "
                   f"{report['antidepressant_minus_placebo_hamd17']:.2f} HAMD-17, Stone et al. "
                   f"2022: 1.75); STAR*D response level 1 / level 3 "
                   f"{report['star_d_response_level1_level3']} (0.486 / 0.168)")
    typer.echo(f"Distance of the posterior point: {realizations[0]:.1f} on the realization "
               f"the last generation selected on (seed {cal.realization_seed}), "
               f"{realizations[1]:.1f} on average over {fresh} independent ones (seeds "
               f"{seed + 1}-{seed + fresh}); the difference is luck "
               "with the fitting realization's Monte-Carlo noise, not fit")
    if profiled is not None:
        typer.echo(f"Distance profile: {int(profiled['pinned'].sum())} of {len(profiled)} "
                   "values pinned on both sides within their priors (one-at-a-time 90 % "
                   f"intervals): {out.with_suffix('.profile.csv').resolve()}")
    if loto is not None:
        typer.echo(loto.summary())
        typer.echo(f"Leave-one-trial-out table: {out.with_suffix('.loto.csv').resolve()}")
    typer.echo(f"Parameter set: {path.resolve()}")


def _command_line(ctx: typer.Context) -> str:
    """The running command as a user would type it: its arguments and the options whose
    values differ from their defaults (the record that reproduces a calibration)."""
    words = ["moodtwin", ctx.info_name or ""]
    for p in ctx.command.params:
        value = ctx.params.get(p.name or "")
        if value is None or value == p.default or value in ([], ()):
            continue
        values = value if isinstance(value, list | tuple) else [value]
        if p.param_type_name == "argument":
            words += [str(v) for v in values]
        elif getattr(p, "is_flag", False):
            words.append(p.opts[0] if value else p.secondary_opts[0])
        else:
            for v in values:
                words += [p.opts[0], str(v)]
    return " ".join(words)


@app.command(help="Run every trial file with published values and print/save the table: "
                  "target, endpoint, published value, simulated mean with 95% interval over "
                  "replicates, z and pass (|z| <= 1.96 with z = (simulated - published) / "
                  "sqrt(se_published^2 + se_simulated^2)), the total chi-square with its "
                  "degrees of freedom and p-value, and a forest plot (PNG, HTML).")
@errors_as_one_line
def validate(
    trials: Annotated[list[Path] | None, typer.Argument(
        help="Trial files or folders (default: the trial catalogue shipped with moodtwin).",
        show_default=False)] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.", file_okay=False)
                   ] = Path("moodtwin-out/validation"),
    replicates: Annotated[int, typer.Option("--replicates", "-r", min=1)] = 10,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    chance: Annotated[int, typer.Option(
        "--chance", min=0,
        help="Also run this many stand-in trials of each file at its published size, score "
             "each as if it were the published result, and print how many numbers and what "
             "chi-square an exact model would show (adds columns chance_fail and "
             "spread_ratio; 0: skip).")] = 0,
    ensemble: Annotated[bool | None, typer.Option(
        "--ensemble/--no-ensemble", help="Replicates draw the parameter set's posterior "
        "ensemble members (default when it has one), or score its point values only.",
        show_default=False)] = None,
    params: ParamsOption = None,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    from moodtwin.calibration import chance_reference, chi_square, validate
    from moodtwin.calibration._forest import forest_figure
    from moodtwin.calibration._targets import require_targets, targets_by_file
    from moodtwin.parameter_sets import resolve

    ps = resolve(params)
    by_file = targets_by_file(trials)  # refuse bad trial files before any run
    require_targets(by_file)  # and files with nothing to compare
    if chance == 1:
        raise ValidationError("--chance: need at least 2 stand-in trials per file (0 skips "
                              "them), got 1.")
    typer.echo(DISCLAIMER)
    for f, found in by_file.items():
        if trials and not found:
            say(f"note: {f.name} has no published values; skipped (run it with 'moodtwin "
                "trial').")
    with dask_engine(scheduler, workers) as engine:
        table = validate(trials, parameters=ps, replicates=replicates, seed=seed,
                         engine=engine, progress=say, ensemble=ensemble)
        reference = (chance_reference(table, trials, parameters=ps, realizations=chance,
                                      seed=seed, engine=engine, progress=say)
                     if chance else None)
    if reference is not None:
        table["chance_fail"] = table["target"].map(reference.fail_rate())
        table["spread_ratio"] = table["target"].map(reference.spread_ratio)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "validation.csv", index=False)
    (out / "validation.md").write_text(table.to_markdown(index=False) if _has_tabulate()
                                       else table.to_string(index=False))
    cols = ["target", "published", "published_ci", "simulated", "simulated_95", "z", "pass"]
    typer.echo(table[cols].to_string(index=False))
    parts = []
    for role, rows in table.groupby("role", sort=True):
        chi2, dof, p = chi_square(rows)
        numbers = rows[~rows["claim"].astype(bool)]
        claims = rows[rows["claim"].astype(bool)]
        bits = [f"{int(numbers['pass'].sum())} of {len(numbers)} published numbers pass, "
                f"chi-square {chi2:.1f} on {dof} degrees of freedom, p = {p:.3g}"
                ] if len(numbers) else []
        if len(claims):
            bits.append(f"{int(claims['pass'].sum())} of {len(claims)} significance claims "
                        "hold")
        parts.append(f"{role} set: " + ", ".join(bits))
    summary = "; ".join(parts)
    typer.echo(summary + " (|z| <= 1.96, z = (sim - pub)/sqrt(se_pub^2 + se_sim^2); risk "
               "and hazard ratios on the log scale).")
    if reference is not None:
        for role, rows in table.groupby("role", sort=True):
            numbers = rows[~rows["claim"].astype(bool)]
            typer.echo(reference.summary(role, int((~numbers["pass"].astype(bool)).sum()),
                                         chi_square(rows)[0]) + ".")
    which = f"{ps.name}, point values" if ensemble is False else ps.name
    figs = forest_figure(table, out / "validation.png", out / "validation.html",
                         f"moodtwin validate ({which}, {replicates} replicates): {summary}")
    typer.echo(f"Table: {(out / 'validation.csv').resolve()}")
    typer.echo(f"Figure: {figs[0].resolve()} and {figs[1].name}")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
