"""The optimizer: an Optuna study over a therapy's settings for fixed parameter draws.

Each trial turns Optuna's suggestion into a protocol (validated against device and dose
limits), simulates every draw at once and returns the mean outcome. Side-effect limits are
Optuna constraints (``Trial.set_constraint``; value <= 0 is feasible): the TPE sampler
models feasibility and prefers feasible regions, and only feasible trials can be "best".
This keeps the objective in clinical units instead of mixing it with penalty weights.
The standard clinical settings are enqueued as the first trial when they lie in the space,
so the reported best is never worse than the standard on these draws.

Research software, not medical advice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from moodtwin.errors import MoodtwinError, ValidationError
from moodtwin.optimize._evaluate import (
    SIDE_EFFECTS,
    Constraint,
    Evaluation,
    Evaluator,
    Outcome,
)
from moodtwin.optimize._settings import build_protocol, rule_violations
from moodtwin.optimize._space import Dimension, SearchSpace
from moodtwin.parameter_sets import (
    ParameterSet,
    ParametersLike,
    ensemble_of,
    member_values,
    resolve,
)
from moodtwin.protocols import Protocol, ProtocolLike, resolve_protocol


@dataclass(frozen=True)
class Surface:
    """Mean outcome on a grid over two settings (others at the best values; the grid holds
    the best point itself); NaN where a grid point could not be built; ``feasible`` per grid
    point, by the same evaluation as the trials'."""

    x: Dimension
    y: Dimension | None
    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray  # (len(ys), len(xs))
    feasible: np.ndarray


@dataclass(frozen=True)
class StudyResult:
    """Everything an optimization produced (see :func:`optimize`)."""

    study: Any  # optuna.Study
    space: SearchSpace
    outcome: Outcome
    constraints: tuple[Constraint, ...]
    best_trial: int  # 1-based, as in the progress lines and trials.csv
    best_feasible: bool
    best_settings: dict[str, float]
    best_protocol: Protocol
    best: Evaluation
    standard_settings: dict[str, float]
    standard_protocol: Protocol
    standard: Evaluation
    importances: dict[str, float]
    surface: Surface | None
    holdout: tuple[Evaluation, Evaluation] | None  # (best, standard) on held-out draws
    n_draws: int
    seconds: float
    simulations: int
    #: constraint -> excess over its limit, for each one the best violates (none if feasible)
    best_violations: dict[str, float]
    #: constraint -> its mean statistic where that is the same in every trial (over two or
    #: more settings): the searched settings do not move it, so it cannot bind
    constant: dict[str, float]
    members: np.ndarray | None = None  # posterior ensemble member of each draw (ensemble=True)

    def by_member(self, ev: Evaluation) -> np.ndarray | None:
        """Mean outcome of ``ev`` over the draws of each ensemble member (NaN where none of
        its draws integrated); None without an ensemble."""
        if self.members is None:
            return None
        with np.errstate(invalid="ignore"):
            return np.array([np.nanmean(ev.outcome[self.members == k])
                             if np.isfinite(ev.outcome[self.members == k]).any() else np.nan
                             for k in range(int(self.members.max()) + 1)])


class _CandidateFailed(Exception):
    """A candidate could not be built or no draw integrated; the trial is marked failed."""


def _feasible(trial: Any) -> bool:
    return all(v <= 0.0 for k, v in trial.system_attrs.items() if k.startswith("constraints:"))


def _violation(trial: Any) -> float:
    return sum(max(v, 0.0) for k, v in trial.system_attrs.items() if k.startswith("constraints:"))


def _importances(study: Any, dims: Sequence[Dimension], seed: int) -> dict[str, float]:
    """fANOVA importances of the searched settings (Optuna); equal weights when they cannot
    be estimated (too few distinct completed trials)."""
    import optuna

    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    varied = [d.name for d in dims if len({t.params.get(d.name) for t in complete}) > 1]
    if len(complete) >= 3 and varied:
        try:
            imp = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed),
                params=varied)
            return {d.name: float(imp.get(d.name, 0.0)) for d in dims}
        except (RuntimeError, ValueError):
            pass
    return {d.name: 1.0 / len(dims) for d in dims}


def optimize(
    base_protocol: ProtocolLike,
    space: SearchSpace,
    params_table: Mapping[str, Any],
    outcome: Outcome,
    constraints: Sequence[Constraint] = (),
    n_trials: int = 30,
    seed: int = 0,
    *,
    parameters: ParametersLike = None,
    grid: int = 5,
    enqueue_standard: bool = True,
    holdout: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    ensemble: bool = False,
) -> StudyResult:
    """Search ``space`` for the settings that maximize ``outcome`` over ``params_table``.

    **Arguments:**

    - ``base_protocol``: everything except the tuned therapy's settings (timing, other
      therapies, background); it is simulated up to ``outcome.at``. A
      :class:`~moodtwin.protocols.Protocol` or a protocol file (YAML).
    - ``params_table``: parameter draws by name (mapping or DataFrame of columns); a person's
      posterior draws or a virtual population.
    - ``parameters``: the :class:`~moodtwin.ParameterSet` that the draws override
      (default: the calibrated set).
    - ``constraints``: side-effect limits (mean over draws of a peak or mean observable).
    - ``n_trials``: Optuna trials (one simulation of all draws each; the first third, at
      most 10, are random); ``seed`` makes the study reproducible (TPE sampler, one job).
    - ``grid``: points per axis of the response surface over the two most influential
      settings (0: none); costs ``grid**2`` simulations.
    - ``holdout``: other draws (same form as ``params_table``) on which the best and the
      standard settings are evaluated once more, free of the selection bias of the search.
    - ``ensemble``: draw ``i`` uses posterior ensemble member ``i mod N`` of ``parameters``
      for the values ``params_table`` does not give (a virtual population for this is drawn
      member by member: ``population_draws(..., ensemble=True)``). The optimizer then
      maximizes the outcome averaged over the members (the posterior predictive mean), and
      :meth:`StudyResult.by_member` gives its spread over the members at any settings.

    **Returns:** a :class:`StudyResult`; ``best_feasible`` is False if no trial met the
    constraints: the least-violating trial is then reported, ``best_violations`` says by how
    much it violates which constraint, and ``best_protocol``'s name and description say so.
    """
    import optuna

    if not 1 <= n_trials <= 10_000:
        raise ValidationError(f"number of trials {n_trials} is outside 1-10000.")
    if not space.dimensions:
        raise ValidationError("the search space has no searched setting.")
    say = progress or (lambda _msg: None)
    base_protocol = resolve_protocol(base_protocol, "base_protocol")
    ps = resolve(parameters)
    columns = {str(k): np.asarray(params_table[k], dtype=float) for k in params_table}
    members = None
    if ensemble:
        columns, members = _with_members(ps, columns)
    report = [SIDE_EFFECTS[space.therapy]] if space.therapy in SIDE_EFFECTS else []
    evaluate = Evaluator(ps, columns, outcome, constraints, report)

    def protocol(values: Mapping[str, float], name: str | None = None,
                 note: str = "") -> Protocol:
        return build_protocol(base_protocol, space.therapy, values, outcome.at, name, note)

    cache: dict[tuple[tuple[str, float], ...], Evaluation] = {}

    def score(values: Mapping[str, float]) -> Evaluation:
        """Evaluate settings once (the simulation is deterministic; TPE repeats points)."""
        key = tuple(sorted((k, round(float(v), 9)) for k, v in values.items()))
        if key not in cache:
            cache[key] = evaluate(protocol(values))
        return cache[key]

    standard_protocol = protocol(space.standard, f"{base_protocol.name} [standard settings]")
    _check_corners(space, protocol)
    start = time.perf_counter()

    def objective(trial: Any) -> float:
        values = space.values({d.name: d.suggest(trial) for d in space.dimensions})
        try:
            ev = score(values)
        except MoodtwinError as exc:
            trial.set_user_attr("error", str(exc))
            raise _CandidateFailed(str(exc)) from None
        trial.set_user_attr("failed_draws", ev.n_failed)
        trial.set_user_attr("outcome", ev.mean)
        for key in ev.side:
            trial.set_user_attr(key, ev.side_mean(key))
        if not ev.ok.any():
            trial.set_user_attr("error", "no draw integrated")
            raise _CandidateFailed("no draw integrated")
        for label, v in violations(space.therapy, values, ev, constraints).items():
            trial.set_constraint(label, v)
        return ev.objective

    def log(study: Any, trial: Any) -> None:
        ok = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE
              and _feasible(t)]
        best = max((t.user_attrs["outcome"] for t in ok), default=float("nan"))
        if trial.state != optuna.trial.TrialState.COMPLETE:
            what = f"failed ({trial.user_attrs.get('error', 'no draw integrated')})"
        else:
            what = f"{trial.user_attrs['outcome']:.3f}" + (
                "" if _feasible(trial) else " (violates constraints)")
        say(f"trial {trial.number + 1}/{n_trials}: {what}; best feasible {best:.3f} "
            f"[{time.perf_counter() - start:.0f} s]")

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # progress goes through ``progress``
    try:
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(
                seed=seed, n_startup_trials=min(10, max(3, n_trials // 3))),
            study_name=f"moodtwin-{space.therapy}")
        if enqueue_standard and space.contains(space.standard):
            study.enqueue_trial({d.name: space.standard[d.name] for d in space.dimensions})
        study.optimize(objective, n_trials=n_trials, n_jobs=1, catch=(_CandidateFailed,),
                       callbacks=[log], show_progress_bar=False)
    finally:
        optuna.logging.set_verbosity(verbosity)

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        first = next((t.user_attrs.get("error") for t in study.trials), None)
        raise ValidationError(f"every trial failed{f': {first}' if first else ''}.")
    feasible = [t for t in done if _feasible(t)]
    if feasible:
        best_trial = max(feasible, key=lambda t: (t.value, -t.number))
    else:
        best_trial = min(done, key=lambda t: (_violation(t), -t.value, t.number))
    best_values = space.values(best_trial.params)
    excess = {k: v for k, v in violations(space.therapy, best_values, score(best_values),
                                          constraints).items() if v > 0}
    tag, note = ((f"optimized {space.therapy}", "") if feasible else
                 (f"least-violating {space.therapy} settings: INFEASIBLE",
                  f"{infeasible_note(excess)}. "))
    best_protocol = protocol(best_values, f"{base_protocol.name} [{tag}]", note)
    importances = _importances(study, space.dimensions, seed)
    held = None
    if holdout is not None and len(holdout) and len(next(iter(holdout.values()))):
        cols = {str(k): np.asarray(holdout[k], dtype=float) for k in holdout}
        check = Evaluator(ps, _with_members(ps, cols)[0] if ensemble else cols, outcome,
                          constraints, report)
        held = (check(best_protocol), check(standard_protocol))
    surface = _surface(space, importances, best_values, score, constraints,
                       grid, say) if grid else None
    return StudyResult(
        study=study, space=space, outcome=outcome, constraints=tuple(constraints),
        best_trial=best_trial.number + 1, best_feasible=bool(feasible),
        best_settings=best_values, best_protocol=best_protocol,
        best=score(best_values), standard_settings=dict(space.standard),
        standard_protocol=standard_protocol, standard=score(space.standard),
        importances=importances, surface=surface, holdout=held, n_draws=evaluate.n_draws,
        seconds=time.perf_counter() - start, simulations=evaluate.n_simulations,
        best_violations=excess, constant=_constant(done, constraints), members=members)


def infeasible_note(excess: Mapping[str, float]) -> str:
    """What marks least-violating settings: which constraint (label) they violate by how
    much (``excess`` over its limit)."""
    return ("NOT FEASIBLE: no trial met the constraints; these settings violate "
            + "; ".join(f"{k} by {v:.3g}" for k, v in excess.items()))


def _constant(done: Sequence[Any], constraints: Sequence[Constraint]) -> dict[str, float]:
    """Constraint label -> its mean statistic, for each whose statistic is the same in every
    completed trial, when those tried two or more settings (see :class:`StudyResult`)."""
    if len({tuple(sorted(t.params.items())) for t in done}) < 2:
        return {}
    out = {}
    for c in constraints:
        v = np.array([t.user_attrs[c.key] for t in done], dtype=float)
        if np.isfinite(v).all() and np.ptp(v) <= 1e-9 * max(1.0, float(np.abs(v).max())):
            out[c.label] = float(v[0])
    return out


def _with_members(ps: ParameterSet, columns: dict[str, np.ndarray]
                  ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``columns`` completed by ensemble member ``i mod N``'s values for draw ``i`` (one draw
    per member when there are no columns), and each draw's member."""
    n_members = len(ensemble_of(ps))
    n = len(next(iter(columns.values()))) if columns else n_members
    members = np.arange(n) % n_members
    return {**member_values(ps, members), **columns}, members


def violations(therapy: str, values: Mapping[str, float], ev: Evaluation,
                constraints: Sequence[Constraint]) -> dict[str, float]:
    """Constraint name -> excess over its limit (<= 0 is feasible): programming rules of the
    device and the side-effect limits."""
    side = {c.label: v for c, v in zip(constraints, ev.violations(constraints), strict=True)}
    return rule_violations(therapy, values) | side


def _check_corners(space: SearchSpace, protocol: Callable[..., Protocol]) -> None:
    """Build the protocols at the lower and upper corners of the space, so that a space the
    schema cannot deliver (e.g. a dose beyond the horizon) fails at once, in one line."""
    for corner in ("low", "high"):
        values = space.values({d.name: getattr(d, corner) for d in space.dimensions})
        try:
            protocol(values)
        except MoodtwinError as exc:
            raise ValidationError(f"search space ({corner} end of every setting): {exc}") from None


def _holding(grid: np.ndarray, value: float) -> np.ndarray:
    """``grid`` with ``value`` in it (unless a grid point equals it to rounding)."""
    if np.isclose(grid, value, rtol=1e-9, atol=0.0).any():
        return grid
    return np.sort(np.append(grid, value))


def _surface(space: SearchSpace, importances: Mapping[str, float],
             best: Mapping[str, float], score: Callable[[Mapping[str, float]], Evaluation],
             constraints: Sequence[Constraint], n: int,
             say: Callable[[str], None]) -> Surface:
    """Outcome over the two most influential settings, the others held at their best."""
    ranked = sorted(space.dimensions, key=lambda d: -importances[d.name])
    x, y = ranked[0], (ranked[1] if len(ranked) > 1 else None)
    xs = _holding(x.grid(n), best[x.name])
    ys = _holding(y.grid(n), best[y.name]) if y is not None else np.array([np.nan])
    values = np.full((len(ys), len(xs)), np.nan)
    feasible = np.zeros_like(values, dtype=bool)
    say(f"response surface over {x.name}" + (f" and {y.name}" if y else "")
        + f": {values.size} simulations ...")
    for i, vy in enumerate(ys):
        for j, vx in enumerate(xs):
            point = {**best, x.name: float(vx)} | ({y.name: float(vy)} if y else {})
            try:
                ev = score(point)
            except MoodtwinError:
                continue
            values[i, j] = ev.mean
            feasible[i, j] = all(v <= 0 for v in violations(
                space.therapy, point, ev, constraints).values())
    return Surface(x, y, xs, ys, values, feasible)
