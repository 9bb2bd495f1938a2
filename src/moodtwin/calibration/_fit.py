"""Calibrate typical values and between-patient variability to every published target at
once, by ABC-SMC (see :mod:`moodtwin.calibration._abc`), and write the posterior.

The output parameter set holds the posterior point (weighted median) of each calibrated
value with its provenance, its 90 % interval and contraction, and an ``ensemble`` of
parameter sets drawn from the posterior for predictions that carry parameter uncertainty.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from moodtwin.calibration._abc import Posterior, Prior, abc_smc, model_prior, trial_distance
from moodtwin.calibration._loto import LeaveOneOut
from moodtwin.calibration._profile import annotate_sources
from moodtwin.calibration._replenish import abc_replenish
from moodtwin.calibration._targets import Target
from moodtwin.errors import ValidationError
from moodtwin.parameter_sets import POPULATION_PREFIX, ParameterSet
from moodtwin.simulation import Engine

#: Model parameters calibrated by default: expectancy (weight, onsets, fading of engagement
#: and novelty, fast relief from sedation, unblinding by perceived effects and by
#: experienced improvement), ketamine plasticity (potentiation
#: rate and weight, spine formation, loss and restorable gap, racemic-specific gain, the share
#: of that plasticity a BDNF Met carrier keeps), VNS (LC
#: gain, NTS saturation, spread of fibre thresholds), the time scale of slow plasticity, taVNS
#: coupling, toxin facial feedback, the oral antidepressant, the slow course of the episode,
#: how fast severity follows its drive, and the engagement a rating visit sustains. The
#: day-to-day fluctuation (``daily_sd``) is not calibrated: it is derived from a direct
#: measurement (mood mechanism).
DEFAULT_PARAMETERS = (
    "w_expect", "tau_placebo_onset", "tau_placebo_onset_rapid", "tau_placebo_onset_gradual",
    "tau_engage", "tau_novelty",
    "k_fast_relief", "unblinding", "experience_half", "k_pot", "w_pot", "k_syn", "k_syn_loss",
    "syn_gap", "r_ketamine_gain", "met_plasticity", "k_LC", "nts_half", "tavns_coupling",
    "w_amygdala", "ad_serotonin", "course_sd", "course_corr_time", "diss_tol_max",
    "k_glu_bdnf", "tau_neuro", "recruit_hill", "tau_dep", "review_engagement", "rater_bias",
    "tau_lhb_untrap", "fulfilment",
)

#: Population-level values calibrated by default (``data/population.yaml``), with ranges.
POPULATION_PRIORS = (
    Prior(f"{POPULATION_PREFIX}covariates.natural_course.remission_hazard_per_failure", 0.1, 0.8,
          "assumed: spontaneous remission hazard falls 10-55 % per failed treatment"),
    Prior(f"{POPULATION_PREFIX}variability.k_pot.omega", 0.1, 2.0,
          "assumed: log-SD of fast synaptic potentiation per dose, between patients"),
    Prior(f"{POPULATION_PREFIX}variability.syn_gap.omega", 0.1, 1.5,
          "assumed: log-SD of the restorable synapse loss between patients"),
    Prior(f"{POPULATION_PREFIX}variability.k_LC.omega", 0.2, 1.5,
          "assumed: log-SD of VNS response between patients"),
    Prior(f"{POPULATION_PREFIX}variability.frown_base.omega", 0.2, 1.5,
          "assumed: log-SD of resting frown intensity between patients (glabellar line "
          "severity spans none to severe)"),
    Prior(f"{POPULATION_PREFIX}covariates.placebo_responsiveness.omega", 0.2, 1.5,
          "assumed: log-SD of placebo responsiveness between patients"),
)


def default_priors(parameters: Sequence[str] = DEFAULT_PARAMETERS) -> list[Prior]:
    """Log-uniform priors: model parameters over their plausible ranges (:func:`model_prior`),
    plus :data:`POPULATION_PRIORS`."""
    return [model_prior(p) for p in parameters] + list(POPULATION_PRIORS)


@dataclass
class Calibration:
    """The posterior of a calibration run and the targets it was fitted to."""

    posterior: Posterior
    targets: list[str]
    seed: int
    method: str = "replenishment"
    realizations: int = 1  # Monte-Carlo realizations of every trial per evaluation
    fitting_seed: int | None = None  # seed of the last generation's realizations (default: seed)

    @property
    def values(self) -> dict[str, float]:
        return self.posterior.point()

    @property
    def realization_seed(self) -> int:
        """Seed of the Monte-Carlo realizations the final population was selected on."""
        return self.seed if self.fitting_seed is None else self.fitting_seed

    def to_yaml(self, path: Path, ensemble_size: int = 20,
                leave_one_out: LeaveOneOut | None = None,
                realizations: tuple[float, float] | None = None,
                profile: tuple[pd.DataFrame, str] | None = None, command: str = "") -> Path:
        """Parameter set (point values with provenance, population section, ensemble, and
        the leave-one-trial-out result and :func:`realization_check` when given; with
        ``profile`` (a :func:`~moodtwin.calibration._profile.profile_distances` table and
        where it is saved) each source also gives its profile interval; ``command``: the
        command line that ran the calibration, recorded to reproduce it)."""
        post = self.posterior
        interval, shrink = post.interval(0.9), post.contraction()
        head = (f"calibrated to {len(self.targets)} published targets (moodtwin calibrate, "
                f"ABC-SMC ({self.method}), seed {self.seed}, {date.today().isoformat()})")

        def entry(name: str, value: float) -> dict[str, object]:
            lo, hi = interval[name]
            return {"value": float(f"{value:.6g}"),
                    "source": f"{head}; 90% posterior interval [{lo:.3g}, {hi:.3g}], "
                              f"contraction {shrink[name]:.2f}, effective sample size "
                              f"{post.ess():.1f} of {len(post.weights)} particles"}

        point = post.point()
        params = {k: entry(k, v) for k, v in point.items() if not k.startswith(POPULATION_PREFIX)}
        pop = {k.removeprefix(POPULATION_PREFIX): entry(k, v) for k, v in point.items()
               if k.startswith(POPULATION_PREFIX)}
        doc = {"parameters": params, "population": pop,
               "ensemble": [{k: float(f"{v:.6g}") for k, v in s.items()}
                            for s in post.ensemble(ensemble_size, self.seed)],
               "calibration": {"method": ("ABC-SMC, replenishment with ABC-MCMC moves (Drovandi & "
                                          "Pettitt 2011)" if self.method == "replenishment"
                                          else "ABC-SMC (pyabc)") + ", log-uniform priors",
                               "priors": {p.name: [p.low, p.high, p.source]
                                          for p in post.priors},
                               "epsilons": [round(e, 3) for e in post.epsilons],
                               "effective_sample_size": round(post.ess(), 2),
                               "evaluations": post.evaluations, "seed": self.seed,
                               "realizations_per_evaluation": self.realizations,
                               "last_realization_seed": self.realization_seed,
                               **({"command": command} if command else {})},
               "targets": self.targets}
        if leave_one_out is not None:
            doc["calibration"]["leave_one_trial_out"] = {  # type: ignore[index]
                "passed": leave_one_out.passed, "of": len(leave_one_out.table),
                "proposals": leave_one_out.proposals,
                "heterogeneity_moment_estimate": round(leave_one_out.heterogeneity, 4)}
        if realizations is not None:
            doc["calibration"]["point_distance"] = {  # type: ignore[index]
                "fitting_realization": round(realizations[0], 2),
                "independent_realizations_mean": round(realizations[1], 2)}
        if profile is not None:
            annotate_sources(doc, *profile)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100))
        return path


#: Independent Monte-Carlo realizations over which :func:`realization_check` averages.
INDEPENDENT_REALIZATIONS = 3


def realization_check(cal: Calibration, targets: Sequence[Target], *, n_max: int,
                      parameters: ParameterSet | None = None,
                      fresh: int = INDEPENDENT_REALIZATIONS,
                      mc_error: float | None = None) -> tuple[float, float]:
    """Distance of the posterior point on the fitting realization (the one the final
    population was selected on) and its mean over ``fresh`` independent ones (seeds + 1 ...).
    The particles are selected on one Monte-Carlo realization of every trial per generation,
    so part of a small tolerance is luck with that realization; the second number is the
    honest one (one realization alone is noisy: the mean of several)."""
    base = parameters or ParameterSet.definition()
    point = cal.values
    seeds = [cal.realization_seed] + [cal.seed + k for k in range(1, fresh + 1)]
    d = [trial_distance(targets, n_max=n_max, seed=s, parameters=base,
                        realizations=cal.realizations, mc_error=mc_error)(point)
         for s in seeds]
    return d[0], float(np.mean(d[1:]))


def realization_seed(seed: int, generation: int) -> int:
    """Seed of generation ``generation``'s Monte-Carlo realizations in a replenishment run:
    apart from the run seed's own replicates (``validate``, ``trial``, the leave-one-out
    proposals) and from the independent checks of :func:`realization_check` (seed + 1 ...)."""
    return seed + 1000 * (generation + 1)


def calibrate(
    targets: Sequence[Target], priors: Sequence[Prior] | None = None, *, n_max: int = 150,
    seed: int = 0, population_size: int = 24, generations: int = 4, database: Path,
    workers: int = 1, engine: Engine | None = None,
    progress: Callable[[str], None] | None = None, parameters: ParameterSet | None = None,
    method: str = "replenishment", mcmc_steps: int = 3, start_from: Path | None = None,
    redraw: Sequence[str] = (), realizations: int = 1, mcmc_max_steps: int | None = None,
    mc_error: float | None = None,
) -> Calibration:
    """ABC-SMC calibration of ``priors`` (default :func:`default_priors`) to ``targets``.

    Every evaluation runs each trial at ``min(n, n_max)`` patients on common random numbers:
    with ``replenishment`` those of its generation (:func:`realization_seed`; each generation
    re-evaluates its population on a fresh realization, see
    :mod:`~moodtwin.calibration._replenish`), with ``pyabc`` those of ``seed``.
    ``database`` is the resumable checkpoint; ``workers`` evaluate parameter
    sets in parallel processes (or ``engine``, e.g. a Dask engine, spreads each trial's
    patients). Values not calibrated come from ``parameters`` (default: the model
    definition, so the result depends only on the definition, the targets and the seed).
    ``method``: ``replenishment`` (equal-weight particles moved by ABC-MCMC,
    :func:`~moodtwin.calibration._replenish.abc_replenish`; default, because importance
    weights collapse in this many dimensions) or ``pyabc`` (importance-weighted,
    :func:`~moodtwin.calibration._abc.abc_smc`). ``start_from``: an earlier replenishment
    checkpoint whose last population starts a new run (generation 0 re-evaluated);
    ``redraw``: parameters drawn from their priors at that start instead.
    ``realizations``: Monte-Carlo realizations of every trial per evaluation (their mean is
    compared; :func:`~moodtwin.calibration._abc.trial_scores`); ``mc_error``: patients per
    trial for that Monte-Carlo error in published standard errors, capped at ``n_max``
    (:func:`~moodtwin.calibration._abc.simulated_size`). ``mcmc_max_steps``: let the
    moves per refilled particle grow with falling acceptance up to this many
    (:func:`~moodtwin.calibration._replenish.move_steps`).
    """
    if redraw and start_from is None:
        raise ValidationError(f"redraw: {', '.join(redraw)} can only be redrawn at a warm "
                              "start (give start_from / --start-from).")
    base = parameters or ParameterSet.definition()
    if method == "replenishment":

        @functools.cache
        def distance_on(generation: int) -> Callable[[dict[str, float]], float]:
            return trial_distance(targets, n_max=n_max, seed=realization_seed(seed, generation),
                                  engine=engine, parameters=base, realizations=realizations,
                                  mc_error=mc_error)

        def on_realization(values: dict[str, float], generation: int) -> float:
            return distance_on(generation)(values)

        post = abc_replenish(on_realization, priors or default_priors(), checkpoint=database,
                             particles=population_size, generations=generations,
                             mcmc_steps=mcmc_steps, seed=seed, workers=workers,
                             start_from=start_from, redraw=redraw,
                             mcmc_max_steps=mcmc_max_steps, refresh=True, progress=progress)
        return Calibration(post, [t.label for t in targets], seed, method, realizations,
                           realization_seed(seed, len(post.epsilons) - 1))
    if start_from is not None:
        raise ValidationError("start_from: only the replenishment method can start from an "
                              "earlier population.")
    elif mcmc_max_steps is not None:
        raise ValidationError("mcmc_max_steps: only the replenishment method moves particles "
                              "by ABC-MCMC.")
    elif method == "pyabc":
        distance = trial_distance(targets, n_max=n_max, seed=seed, engine=engine,
                                  parameters=base, realizations=realizations,
                                  mc_error=mc_error)
        post = abc_smc(distance, priors or default_priors(), database=database,
                       population_size=population_size, generations=generations, seed=seed,
                       workers=workers, progress=progress)
    else:
        raise ValidationError(f"method: {method!r} is not one of 'replenishment', 'pyabc'.")
    return Calibration(post, [t.label for t in targets], seed, method, realizations)
