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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import yaml
from scipy import optimize

from moodtwin.calibration._targets import Target, compare
from moodtwin.errors import MoodtwinError, ValidationError
from moodtwin.model import default_model
from moodtwin.simulate import Engine
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
    """Fitted values, objective before/after, and the evaluation history."""

    values: dict[str, float]
    start_objective: float
    objective: float
    evaluations: int
    targets: list[str]
    history: list[float] = field(default_factory=list)

    def to_yaml(self, path: Path) -> Path:
        """Parameter set with provenance, loadable with ``--params``."""
        src = (f"calibrated to {len(self.targets)} published targets in examples/trials "
               f"(moodtwin calibrate, {date.today().isoformat()}; objective "
               f"{self.start_objective:.1f} -> {self.objective:.1f})")
        doc = {"parameters": {k: {"value": float(f"{v:.6g}"), "source": src}
                              for k, v in self.values.items()},
               "targets": self.targets, "objective": round(self.objective, 3),
               "evaluations": self.evaluations}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, width=100))
        return path


def _z(target: Target, res: TrialResult) -> float:
    if target.published.value is None:  # significance claims are validated, not fitted
        return 0.0
    row = compare(target, res)
    sim = float(row["simulated"])  # type: ignore[arg-type]
    if not math.isfinite(sim):
        return 10.0
    lo, hi = (float(x) for x in str(row["simulated_95"]).strip("[]").split(","))
    se_sim = (hi - lo) / 3.92 if math.isfinite(hi - lo) else 0.0
    return (sim - target.published.value) / math.hypot(target.sigma, se_sim)


def evaluate(targets: Sequence[Target], params: dict[str, float], *, n_max: int, seed: int,
             engine: Engine | None = None) -> tuple[float, dict[str, float]]:
    """Objective (sum of squared z) and the z-score of each target for ``params``
    (``engine``: None for this process, or a :class:`~moodtwin.sweep.DaskEngine`)."""
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
            res = run_trial(trial, seed=seed, n=n, params=params, engine=engine)
            for t in ts:
                z[t.label] = _z(t, res)
        except MoodtwinError:
            for t in ts:
                z[t.label] = 10.0
    return float(sum(v * v for v in z.values())), z


def calibrate(
    targets: Sequence[Target], parameters: Sequence[str] = DEFAULT_PARAMETERS, *,
    n_max: int = 150, seed: int = 0, max_evaluations: int = 150,
    progress: Callable[[int, float], None] | None = None,
    checkpoint: Path | None = None, start: Mapping[str, float] | None = None,
    engine: Engine | None = None,
) -> Calibration:
    """Fit ``parameters`` (typical values) to ``targets``; see the module docstring.

    The fit starts from ``start`` (e.g. the shipped calibrated set) where it names a
    parameter, else from the model default. With ``checkpoint``, the best parameter set so
    far is written there after every improvement, so a long fit can be stopped at any time.
    Every trial of every evaluation runs through ``engine`` (e.g. a
    :class:`~moodtwin.sweep.DaskEngine` to spread its patients over a cluster).
    """
    model = default_model()
    pars = [model.parameter(p) for p in parameters]
    first = {p.name: float((start or {}).get(p.name, p.value)) for p in pars}
    for p in pars:
        if first[p.name] <= 0 or p.high <= 0:
            raise ValidationError(f"Parameter {p.name!r} (start {first[p.name]:g}) is not "
                                  "positive; only positive parameters are fitted (on the log "
                                  "scale).")
    x0 = np.log([min(max(first[p.name], p.low), p.high) for p in pars])
    # a zero lower bound becomes 1% of the default (log scale needs a positive bound)
    bounds = [(math.log(p.low if p.low > 0 else p.value / 100), math.log(p.high)) for p in pars]
    history: list[float] = []
    labels = [t.label for t in targets]

    def f(x: np.ndarray) -> float:
        values = {p.name: float(math.exp(v)) for p, v in zip(pars, x, strict=True)}
        obj, _ = evaluate(targets, values, n_max=n_max, seed=seed, engine=engine)
        if checkpoint is not None and (not history or obj < min(history)):
            Calibration(values, history[0] if history else obj, obj, len(history) + 1,
                        labels).to_yaml(checkpoint)
        history.append(obj)
        if progress is not None:
            progress(len(history), obj)
        return obj

    start = f(x0)
    fit = optimize.minimize(f, x0, method="Powell", bounds=bounds,
                            options={"maxfev": max_evaluations, "xtol": 0.02, "ftol": 1e-3})
    best_x = fit.x if fit.fun <= start else x0
    return Calibration({p.name: float(math.exp(v)) for p, v in zip(pars, best_x, strict=True)},
                       start, float(min(fit.fun, start)), len(history), labels, history)
