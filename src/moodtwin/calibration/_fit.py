"""Fit typical (population) parameter values to every published target at once.

Objective: the sum over targets of squared z-scores,
``z = (simulated - published) / sqrt(se_published^2 + se_simulated^2)``, where the published
standard error comes from the target's CI, SE, SD/sqrt(n) or binomial(n), and the simulated
one from the virtual trial's own 95% CI (so small virtual trials are not over-trusted).
Every evaluation reuses the same seeds (common random numbers), so differences between
parameter sets are not sampling noise. The optimizer is SciPy's bounded Powell method on
log-parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import yaml
from scipy import optimize

from moodtwin.calibration._targets import Target, compare
from moodtwin.errors import MoodtwinError, ValidationError
from moodtwin.parameter_sets import ParameterSet, ParametersLike, resolve
from moodtwin.simulation import Engine
from moodtwin.trials import TrialResult, run_trial

#: Typical values fitted by default: the placebo process (expectancy kicks of procedures and
#: visits, fast relief of perceptible doses, onset time), the natural course of symptoms, and
#: one main gain per therapy.
DEFAULT_PARAMETERS = (
    "kick_infusion", "kick_nasal", "kick_injection", "kick_implant", "kick_visit",
    "kick_perceptible", "w_expect", "tau_placebo_onset", "course_sd", "course_corr_time",
    "k_glu_bdnf", "k_syn", "k_syn_loss", "syn_max", "esk_potency", "k_LC", "tavns_coupling",
    "ad_serotonin", "w_amygdala",
)


@dataclass
class Calibration:
    """Fitted values, objective before/after, and the evaluation history.

    ``kept``: values (with their source) of the start set that differ from the model
    definition and were not fitted; they are part of every evaluated set and of the file.
    """

    values: dict[str, float]
    start_objective: float
    objective: float
    evaluations: int
    targets: list[str]
    history: list[float] = field(default_factory=list)
    kept: dict[str, tuple[float, str]] = field(default_factory=dict)

    def to_yaml(self, path: Path) -> Path:
        """Parameter set with provenance, loadable with ``--params``: the fitted values and
        the start set's other values, so the file holds exactly the set evaluated."""
        src = (f"calibrated to {len(self.targets)} published targets "
               f"(moodtwin calibrate, {date.today().isoformat()}; objective "
               f"{self.start_objective:.1f} -> {self.objective:.1f})")
        entries = {k: {"value": v, "source": s} for k, (v, s) in self.kept.items()
                   if k not in self.values}
        entries |= {k: {"value": float(f"{v:.6g}"), "source": src}
                    for k, v in self.values.items()}
        doc = {"parameters": entries,
               "targets": self.targets, "objective": round(self.objective, 3),
               "evaluations": self.evaluations}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100))
        return path


def _z(target: Target, res: TrialResult) -> float:
    row = compare(target, res)
    sim = float(row["simulated"])  # type: ignore[arg-type]
    if not math.isfinite(sim):
        return 10.0
    lo, hi = (float(x) for x in str(row["simulated_95"]).strip("[]").split(","))
    se_sim = (hi - lo) / 3.92 if math.isfinite(hi - lo) else 0.0
    return (sim - target.published.value) / math.hypot(target.sigma, se_sim)


def evaluate(targets: Sequence[Target], parameters: ParametersLike = None, *, n_max: int,
             seed: int, engine: Engine | None = None) -> tuple[float, dict[str, float]]:
    """Objective (sum of squared z) and the z-score of each target for ``parameters`` (a
    :class:`~moodtwin.ParameterSet`, default the calibrated set; ``engine``: None for this
    process, or a :class:`~moodtwin.sweep.DaskEngine`)."""
    ps = resolve(parameters)
    z: dict[str, float] = {}
    by_file: dict[Path, list[Target]] = {}
    for t in targets:
        by_file.setdefault(t.trial_file, []).append(t)
    for ts in by_file.values():
        trial = ts[0].trial
        n = None if trial.n is None else min(trial.n, n_max)
        if trial.n is None:  # cohorts only: scale their sizes
            total = sum(a.n or 0 for a in trial.arms)
            trial = trial.model_copy(update={"n": total})
            n = min(total, n_max)
        try:
            res = run_trial(trial, seed=seed, n=n, parameters=ps, engine=engine)
            for t in ts:
                z[t.label] = _z(t, res)
        except MoodtwinError:
            for t in ts:
                z[t.label] = 10.0
    return float(sum(v * v for v in z.values())), z


def calibrate(
    targets: Sequence[Target], fit: Sequence[str] = DEFAULT_PARAMETERS, *,
    n_max: int = 150, seed: int = 0, max_evaluations: int = 150,
    progress: Callable[[int, float], None] | None = None,
    checkpoint: Path | None = None, parameters: ParametersLike = None,
    engine: Engine | None = None,
) -> Calibration:
    """Fit the typical values of the parameters named in ``fit`` to ``targets``; see the
    module docstring.

    The fit starts from the :class:`~moodtwin.ParameterSet` ``parameters`` (default: the
    shipped calibrated set); parameters not fitted keep its values. With ``checkpoint``, the
    best parameter set so far is written there after every improvement, so a long fit can be
    stopped at any time.
    Every trial of every evaluation runs through ``engine`` (e.g. a
    :class:`~moodtwin.sweep.DaskEngine` to spread its patients over a cluster).
    """
    base = resolve(parameters)
    pars = [base.model.parameter(p) for p in fit]
    definition = {p.name: p.value for p in ParameterSet.definition().model.parameters}
    kept = {p.name: (p.value, p.source) for p in base.model.parameters
            if p.value != definition[p.name] and p.name not in fit}
    first = {p.name: p.value for p in pars}
    for p in pars:
        if first[p.name] <= 0 or p.high <= 0:
            raise ValidationError(f"Parameter {p.name!r} (start {first[p.name]:g}) is not "
                                  "positive; only positive parameters are fitted (on the log "
                                  "scale).")
    x0 = np.log([min(max(first[p.name], p.low), p.high) for p in pars])
    # a zero lower bound becomes 1% of the default (log scale needs a positive bound)
    bounds = [(math.log(p.low if p.low > 0 else p.value / 100), math.log(p.high)) for p in pars]
    history: list[float] = []
    best: dict[str, float] = {}  # values of the best evaluation so far
    labels = [t.label for t in targets]

    def f(x: np.ndarray) -> float:
        values = {p.name: float(math.exp(v)) for p, v in zip(pars, x, strict=True)}
        obj, _ = evaluate(targets, base.with_values(values, "calibration candidate"),
                          n_max=n_max, seed=seed, engine=engine)
        if not history or obj < min(history):
            best.clear()
            best.update(values)
            if checkpoint is not None:
                Calibration(values, history[0] if history else obj, obj, len(history) + 1,
                            labels, kept=kept).to_yaml(checkpoint)
        history.append(obj)
        if progress is not None:
            progress(len(history), obj)
        return obj

    f(x0)
    optimize.minimize(f, x0, method="Powell", bounds=bounds,
                      options={"maxfev": max_evaluations, "xtol": 0.02, "ftol": 1e-3})
    # the best set evaluated (Powell may stop at the evaluation limit elsewhere)
    return Calibration(dict(best), history[0], min(history), len(history), labels, history,
                       kept)
