"""Command ``moodtwin optimize``: search a therapy's settings for a twin or a population."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from moodtwin.cli._app import DISCLAIMER, ParamsOption, app, errors_as_one_line, say

#: Exit status when no trial met the constraints (the outputs are written, marked so).
EXIT_INFEASIBLE = 3


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _shown(info: dict[str, Any], v: float) -> float:
    """An outcome as reported: as is, or the observable an outcome minimizes."""
    rep = info["outcome"]["reported_as"]
    return v if rep is None else rep["sign"] * v


def _value(info: dict[str, Any], v: float) -> str:
    rep = info["outcome"]["reported_as"]
    return f"{v:.3f}" if rep is None else f"{rep['name']} {_fmt(_shown(info, v))} {rep['unit']}"


def _change(info: dict[str, Any], d: float) -> str:
    """A difference of outcomes (best minus standard) as reported."""
    rep = info["outcome"]["reported_as"]
    return f"{d:+.3f}" if rep is None else f"{rep['name']} {_shown(info, d):+.3g} {rep['unit']}"


def _spread(info: dict[str, Any], ci: list[float] | None, signed: bool = False) -> str:
    """'95 % CI lo to hi' in the reported unit, or that the value is the same in every
    draw (no interval: e.g. a device's charge rate)."""
    if ci is None:
        return "the same in every draw"
    rep = info["outcome"]["reported_as"]
    lo, hi = sorted(_shown(info, v) for v in ci)
    form = "+.3g" if rep and signed else ".3g" if rep else "+.3f" if signed else ".3f"
    return f"95 % CI {lo:{form}} to {hi:{form}}"


def _lines(info: dict[str, Any]) -> list[str]:
    rep = info["outcome"]["reported_as"]
    label = info["outcome"]["label"] if rep is None else rep["label"]
    best, std, imp = info["best"], info["standard"], info["improvement"]
    out = [f"Outcome: {label}; {info['draws']['n']} draws ({info['draws']['source']})."]
    if info["constraints"]:
        out.append(f"Constraints: {', '.join(info['constraints'])}.")
    if not info["feasible"]:
        out.append(f"WARNING: {info['warning']}. best_protocol.yaml holds these "
                   "least-violating settings, marked INFEASIBLE; loosen a constraint or change "
                   "the space.")
    out += [f"NOTE: {note}." for note in info["notes"]]
    out.append("Best settings (trial {}):".format(best["trial"]))
    for k, s in best["settings"].items():
        ref = std["settings"][k]["value"]
        note = "" if abs(s["value"] - ref) < 1e-9 else f"   (standard {_fmt(ref)})"
        unit = "" if s["unit"] == "1" else f" {s['unit']}"
        out.append(f"  {k:<17}{_fmt(s['value'])}{unit}{note}")
    for name, arm in (("best", best), ("standard", std)):
        side = "".join(f"; {k} {v:.3g}" for k, v in arm["side_effects"].items())
        fail = f"; {arm['failed_draws']} failed draws excluded" if arm["failed_draws"] else ""
        fail += "" if arm["constraints_met"] else "; VIOLATES the constraints"
        madrs = arm["madrs_at_horizon"]
        out.append(f"{name.capitalize():<9} {_value(info, arm['outcome'])} "
                   f"({_spread(info, arm['ci95'])}); MADRS at horizon median "
                   f"{madrs['median']:.1f} (5-95 %: {madrs['p5']:.1f} to {madrs['p95']:.1f})"
                   f"{side}{fail}")
    out.append(f"Improvement over standard: {_change(info, imp['mean'])} "
               f"({_spread(info, imp['ci95'], True)}, paired over {imp['paired_draws']} draws; "
               "optimistic: selected on these draws).")
    ens = info["ensemble"]
    if ens is not None:
        b, s = ("n/a" if None in ens[k]["range"] else " to ".join(
            _fmt(v) for v in sorted(_shown(info, v) for v in ens[k]["range"]))
                for k in ("best", "standard"))
        lo, hi = ens["draws_per_member"]
        each = f"{lo}" if lo == hi else f"{lo}-{hi}"
        out.append(f"Over {ens['members']} posterior ensemble members ({each} draw(s) each; "
                   f"parameter uncertainty plus patient sampling): best {b}, standard {s}.")
    held = info["holdout"]
    if held is not None:
        out.append(f"Check on {held['n']} held-out draws: best "
                   f"{_value(info, held['best']['outcome'])}, standard "
                   f"{_value(info, held['standard']['outcome'])}, improvement "
                   f"{_change(info, held['improvement']['mean'])} "
                   f"({_spread(info, held['improvement']['ci95'], True)}).")
    return out


@app.command(help="Search the settings of one therapy (implanted VNS, taVNS, IV ketamine, "
                  "esketamine, glabellar botulinum toxin) that maximize an outcome for a "
                  "person's twin (--twin: posterior draws) or a virtual population, subject to "
                  "device limits and side-effect constraints (Optuna TPE). Writes best.json, "
                  "trials.csv, the best protocol (YAML), optimize.png and optimize.html.\n\n"
                  "Exit status: 0 done; 2 bad input; "
                  f"{EXIT_INFEASIBLE} no trial met the constraints (the outputs are written, the "
                  "least-violating settings marked INFEASIBLE in best_protocol.yaml and "
                  "'feasible: false' in best.json).\n\n"
                  "A twin's draws start from a fresh, untreated baseline at time 0, not from the "
                  "person's current state after their treatment history: the outcomes are those "
                  "of a new course for someone with the fitted parameters ('moodtwin forecast' "
                  "starts candidates from the person's current state).")
@errors_as_one_line
def optimize(
    protocol: Annotated[Path, typer.Argument(
        help="Base protocol (YAML): timing, background and other therapies; the tuned "
             "therapy's settings are replaced (if absent, it is added when --therapy names "
             "it).", dir_okay=False, show_default=False)],
    therapy: Annotated[str | None, typer.Option(
        "--therapy", "-t", help="Therapy to tune: vns, tavns, ketamine_iv, esketamine_nasal or "
                                "botulinum_glabellar. Default: the base protocol's one tunable "
                                "therapy. A therapy the base protocol lacks is added to it only "
                                "when named here (a --space file for it alone is refused).",
        show_default=False)] = None,
    space: Annotated[Path | None, typer.Option(
        "--space", "-s", help="Search-space YAML (see examples/optimize/); default: the "
                              "therapy's usual settings over their default ranges.",
        dir_okay=False, show_default=False)] = None,
    twin: Annotated[Path | None, typer.Option(
        "--twin", help="A person's posterior draws: CSV/NPZ/Parquet with one column per "
                       "parameter, or a folder with posterior_draws.csv (from 'moodtwin "
                       "fit') or posterior.csv. Without it, a virtual "
                       "population around the defaults is used. The draws start from a fresh "
                       "baseline (see above).", show_default=False)] = None,
    draws: Annotated[int, typer.Option(
        "--draws", "-n", min=1, max=100_000,
        help="Draws simulated per trial: posterior draws subsampled from --twin, or the size "
             "of the virtual population.")] = 32,
    holdout: Annotated[int, typer.Option(
        "--holdout", min=0, max=100_000,
        help="Draws for an unbiased check of best vs standard after the search: a fresh "
             "virtual population, or the posterior draws of --twin not used by the search "
             "(up to this many). 0: no check.")] = 32,
    outcome: Annotated[str, typer.Option(
        "--outcome", help="response (P of >= 50 % MADRS reduction), remission (P of MADRS <= "
                          "threshold), remission_time (fraction of time in remission), "
                          "madrs_reduction (mean %) or min_charge (lowest duty-averaged VNS "
                          "charge rate that meets the constraints, e.g. an engagement target "
                          "with a voice-alteration cap; examples/optimize/"
                          "vns_biomarker_titration.yaml).")] = "response",
    at: Annotated[str, typer.Option(
        "--at", help="Horizon: outcome time from baseline; the protocol is simulated up to "
                     "it.")] = "26 week",
    remission_madrs: Annotated[float | None, typer.Option(
        "--remission-madrs", min=0.0, max=60.0,
        help="Remission threshold (MADRS <= this). Default: the MADRS scale's standard "
             "threshold.", show_default=False)] = None,
    constraint: Annotated[list[str] | None, typer.Option(
        "--constraint", "-c", metavar="NAME[:peak|:mean]<=|>=LIMIT",
        help="Limit on an observable, mean over draws of its peak (default) or time mean up "
             "to the horizon: a side-effect cap (voice_alteration<=0.4, dissociation<=0.5, "
             "ptosis_risk<=0.02) or an engagement target (vns_recruit_A>=0.5, "
             "salivary_amylase>=82); repeatable.", show_default=False)] = None,
    trials: Annotated[int, typer.Option("--trials", min=1, max=10_000,
                                        help="Optuna trials.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampler and the draws.")] = 0,
    grid: Annotated[int, typer.Option(
        "--grid", min=0, max=20,
        help="Points per axis of the response surface over the two most influential settings "
             "(costs grid^2 simulations; 0: none).")] = 5,
    population: Annotated[Path | None, typer.Option(
        "--population", help="Population YAML (PopulationSpec fields: baseline, age, female, "
                             "failed_treatments, antidepressant_continued, inclusion) for the "
                             "virtual population used without --twin.", dir_okay=False,
        show_default=False)] = None,
    params: ParamsOption = None,
    ensemble: Annotated[bool, typer.Option(
        "--ensemble/--no-ensemble", help="Draw i uses posterior ensemble member i mod N of "
        "the parameter set: the outcome is averaged over the members and its range over them "
        "is reported.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output folder. Default: moodtwin-out/optimize-<protocol name>.",
        file_okay=False, show_default=False)] = None,
) -> None:
    from moodtwin.extras import require
    from moodtwin.optimize import (
        TWIN_NOTE,
        Constraint,
        Outcome,
        default_space,
        load_space,
        search_draws,
        summary,
        therapy_to_tune,
        write_report,
    )
    from moodtwin.optimize import optimize as run
    from moodtwin.parameter_sets import resolve
    from moodtwin.population import load_population_spec
    from moodtwin.protocols import load_protocol

    require("optimize")  # before drawing patients, not after (the search needs optuna)
    ps = resolve(params)
    model = ps.model
    pop_spec = load_population_spec(population) if population is not None else None
    base = load_protocol(protocol)
    spec = load_space(space) if space is not None else None
    name = therapy_to_tune(base, therapy, spec)
    spec = spec if spec is not None else default_space(name)
    goal = (Outcome(outcome, at) if remission_madrs is None
            else Outcome(outcome, at, remission_madrs))
    limits = [Constraint.parse(c, model) for c in constraint or []]
    if twin is None:
        say(f"drawing {draws + holdout} virtual patients ...")
    table, held, source = search_draws(draws, holdout, seed, twin=twin, parameters=ps,
                                       spec=pop_spec, ensemble=ensemble)
    if twin is None:
        source = f"{source} ({population or 'default PopulationSpec'})"
    out = out if out is not None else Path("moodtwin-out") / f"optimize-{protocol.stem}"
    typer.echo(DISCLAIMER)
    if twin is not None:
        typer.echo(f"NOTE: {TWIN_NOTE}.")
    say(f"optimizing {name} settings: {trials} trials x {len(next(iter(table.values())))} "
        f"draws up to {at} ...")
    start = time.perf_counter()
    res = run(base, spec, table, goal, limits, trials, seed, parameters=ps, grid=grid,
              holdout=held, progress=say, ensemble=ensemble)
    paths = write_report(res, out, source, seed)
    say(f"done in {time.perf_counter() - start:.1f} s ({res.simulations} simulations)")
    for line in _lines(summary(res, source, seed)):
        typer.echo(line)
    typer.echo("Outputs:")
    for path in paths:
        typer.echo(f"  {path.resolve()}")
    if not res.best_feasible:
        raise typer.Exit(EXIT_INFEASIBLE)
