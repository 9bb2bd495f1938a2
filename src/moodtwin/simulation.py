"""The one verb: simulate patients under a protocol (model + parameters + protocol + solver)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numba
import numpy as np

from moodtwin.errors import IntegrationError, ValidationError
from moodtwin.model import Model
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.protocols import (
    Protocol,
    ProtocolLike,
    Timeline,
    compile_per_patient,
    compile_protocol,
    resolve_protocol,
)
from moodtwin.result import STATUS_MESSAGES, Result
from moodtwin.scales import recall_windows
from moodtwin.solver import STATS
from moodtwin.solver._codegen import compiled

BURN_IN_H = 24 * 365 * 30.0  # untreated history before baseline (reaches steady state)
PATIENTS_PER_CHUNK = 4  # parallel scheduling granularity
SERIAL_PATIENTS = 1  # this many patients or fewer: integrate on the calling thread
SERIAL_OUTPUTS = 50_000  # fewer (patients x save times): observables on the calling thread


@dataclass(frozen=True)
class SolverOptions:
    """Tolerances and limits of the Rodas5P kernel (states in model units, times in h).

    ``first_step_h`` is the step tried at the start and after every event (0: automatic
    estimate); ``max_steps`` limits the steps per patient in each phase (burn-in, protocol).
    """

    rtol: float = 1e-6
    atol: float = 1e-9  # default absolute tolerance; states may declare their own
    first_step_h: float = 0.0
    max_steps: int = 200_000

    @classmethod
    def for_trials(cls) -> SolverOptions:
        """Looser tolerances for population trials (``rtol=1e-4``, ``atol=1e-8``).

        Measured against an ``rtol=1e-11`` reference over 52 weeks with weekly ketamine
        infusions or VNS (``benchmarks/bench_trial.py --check``): MADRS at visits within
        ~1e-3 points, a tenth of the 0.01 points a trial needs.
        """
        return cls(rtol=1e-4, atol=1e-8)

    def atol_vector(self, model: Model) -> np.ndarray:
        """Per-state absolute tolerances (a state's own ``atol`` wins)."""
        return np.array([s.atol if s.atol is not None else self.atol for s in model.states])


def parameter_table(
    values: Mapping[str, float | np.ndarray] | None, model: Model, n: int | None = None
) -> np.ndarray:
    """(patients, parameters) array from defaults overridden by ``values`` (scalars or arrays).

    Unknown names are refused with close matches; values outside a parameter's plausible
    range, or non-finite, are refused naming the parameter, value and range.
    """
    values = dict(values or {})
    lengths = {len(np.atleast_1d(v)) for v in values.values() if np.ndim(v) > 0}
    if len(lengths) > 1:
        raise ValidationError(f"Parameter arrays have different lengths: {sorted(lengths)}.")
    n = n or (lengths.pop() if lengths else 1)
    table = np.tile(np.array([p.value for p in model.parameters]), (n, 1))
    for name, v in values.items():
        par = model.parameter(name)
        arr = np.broadcast_to(np.asarray(v, dtype=float), (n,))
        bad = ~np.isfinite(arr) | (arr < par.low) | (arr > par.high)
        if bad.any():
            unit = "" if par.unit.strip() == "1" else f" {par.unit}"
            raise ValidationError(
                f"Parameter {name!r} = {arr[bad][0]:g}{unit} is outside its plausible "
                f"range [{par.low:g}, {par.high:g}]{unit}."
            )
        table[:, model.parameter_index[name]] = arr
    return table


def default_save_times(timeline: Timeline, end: float) -> np.ndarray:
    """Every 6 h, plus hourly for 48 h after each dose or procedure, and the middle of each
    stimulation session."""
    sessions = timeline.session_times[timeline.session_times <= end]
    grid = [np.arange(0.0, end + 1e-9, 6.0), sessions]
    grid += [np.arange(d, min(d + 48.0, end), 1.0) for d in timeline.dose_times]
    grid += [np.arange(d, min(d + 3.0, end), 0.1) for d in timeline.dose_times]
    return np.unique(np.round(np.concatenate(grid), 9))


def _initial_guess(model: Model, n: int) -> np.ndarray:
    return np.tile(np.array([s.initial for s in model.states]), (n, 1))


Engine = Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]
"""Signature of :func:`run_engine` (model, params, timeline, save_t, options, y0=None) ->
(states, status, observables); :class:`moodtwin.sweep.DaskEngine` is the cluster version."""


def run_engine(
    model: Model, params: np.ndarray, timeline: Timeline, save_t: np.ndarray,
    options: SolverOptions, y0: np.ndarray | None = None, stats: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Burn in (unless ``y0`` is given) and integrate; returns (states, status, observables).

    ``stats``, if given as a zero (patients, len(STATS)) int64 array, receives the solver's
    work counters (burn-in plus protocol; names in ``moodtwin.solver.STATS``).
    """
    # small chunks: threads that finish early (easy patients, a busy core) take more work
    chunk = numba.set_parallel_chunksize(PATIENTS_PER_CHUNK)
    try:
        return _integrate(model, params, timeline, save_t, options, y0, stats)
    finally:
        numba.set_parallel_chunksize(chunk)


def run_groups(
    model: Model, params: np.ndarray, groups: list[tuple[np.ndarray, Timeline]],
    save_t: np.ndarray, options: SolverOptions, y0: np.ndarray | None = None,
    engine: Engine | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`run_engine` (or ``engine``) over the (rows, timeline) groups of
    :func:`~moodtwin.protocols.compile_per_patient`; outputs in the rows' order."""
    if len(groups) == 1:
        return (engine or run_engine)(model, params, groups[0][1], save_t, options, y0=y0)
    n, nt = params.shape[0], save_t.shape[0]
    states = np.empty((n, nt, len(model.states)))
    obs = np.empty((n, nt, len(model.observables)))
    status = np.empty(n, dtype=np.int64)
    for rows, timeline in groups:
        s, st, o = (engine or run_engine)(
            model, np.ascontiguousarray(params[rows]), timeline, save_t, options,
            y0=None if y0 is None else np.ascontiguousarray(y0[rows]))
        states[rows], status[rows], obs[rows] = s, st, o
    return states, status, obs


def _integrate(
    model: Model, params: np.ndarray, timeline: Timeline, save_t: np.ndarray,
    options: SolverOptions, y0: np.ndarray | None, stats: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mod = compiled(model)
    n, ns = params.shape[0], len(model.states)
    integrate = (mod.integrate_population_serial if n <= SERIAL_PATIENTS
                 else mod.integrate_population)
    counts = np.zeros((n, len(STATS)), dtype=np.int64)
    atol = options.atol_vector(model)
    st0 = np.zeros(n, dtype=np.int64)
    if y0 is None:
        end = np.array([0.0, BURN_IN_H])
        y_ss = np.empty((n, 1, ns))
        integrate(
            _initial_guess(model, n), params, end, timeline.baseline_inputs[None, :],
            np.zeros((1, ns)), end[1:], y_ss, st0, counts, options.rtol, atol,
            options.first_step_h, options.max_steps,
        )
        y0 = y_ss[:, 0, :]
        if stats is not None:
            stats += counts
        counts[:] = 0
    out = np.empty((n, len(save_t), ns))
    status = np.zeros(n, dtype=np.int64)
    integrate(
        np.ascontiguousarray(y0), params, timeline.t, timeline.u, timeline.jump, save_t, out,
        status, counts, options.rtol, atol, options.first_step_h, options.max_steps,
    )
    if stats is not None:
        stats += counts
    status = np.where(st0 != 0, st0, status)
    seg = np.clip(np.searchsorted(timeline.t, save_t, side="right") - 1, 0, len(timeline.u) - 1)
    obs = np.empty((n, len(save_t), len(model.observables)))
    observe = (mod.evaluate_observables_serial if n * len(save_t) < SERIAL_OUTPUTS
               else mod.evaluate_observables)
    observe(out, params, np.ascontiguousarray(timeline.u[seg]), obs)
    return out, status, obs


def _fluctuation(model: Model, params: np.ndarray, t: np.ndarray, seed: int | None
                 ) -> np.ndarray:
    """Fluctuation added to the observed depression and anxiety scores (points) at the sorted
    rating times ``t`` (h): the day-to-day fluctuation of symptoms (an Ornstein-Uhlenbeck
    process, SD ``daily_sd``, correlation time ``daily_corr_time``) averaged over each
    rating's recall period (:func:`moodtwin.scales.recall_windows`: the past week, or since the
    previous rating), plus the measurement error of each rating (SD ``rating_sd``, independent
    between ratings). A 24-h-recall rating therefore fluctuates more than a 7-day one. (The
    natural course of the episode is part of the dynamics, see the mood mechanism.)"""
    t = np.asarray(t, dtype=float)
    if seed is None or len(t) == 0:
        return np.zeros((params.shape[0], len(t), 2))
    rng = np.random.default_rng(seed)
    sd = params[:, model.parameter_index["daily_sd"]]
    tau = params[:, model.parameter_index["daily_corr_time"]]
    scale = np.array([1.0, 56.0 / 60.0])
    out = _recall_means(tau, t, recall_windows(t), rng) * (sd[:, None, None] * scale)
    rating = params[:, model.parameter_index["rating_sd"]]
    return out + rng.standard_normal(out.shape) * rating[:, None, None] * scale


#: Integration step (h) of the day-to-day fluctuation within a recall period, at most a
#: quarter of its correlation time.
FLUCTUATION_STEP_H = 6.0


def _recall_means(tau: np.ndarray, t: np.ndarray, window: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Means over the disjoint windows ``(t - window, t]`` (``t`` sorted, each window no longer
    than the gap to the previous time) of two independent unit-variance OU processes with
    correlation times ``tau`` (h, one per patient): (patients, times, 2). Sampled exactly: from
    the stationary law at the first window's start, by the OU transition across the gaps
    between windows, and on a grid of at most ``FLUCTUATION_STEP_H`` within each window
    (trapezoid rule), so the cost grows with the recall periods, not the protocol's length."""
    n = len(tau)
    step_max = min(FLUCTUATION_STEP_H, float(tau.min()) / 4.0)
    out = np.empty((n, len(t), 2))
    x = rng.standard_normal((n, 2))
    last = t[0] - window[0]
    for k, (end, w) in enumerate(zip(t, window, strict=True)):
        gap = end - w - last
        if gap > 0.0:
            a, b = _ou_coefficients(gap, tau)
            x = a * x + b * rng.standard_normal(x.shape)
        m = max(1, int(np.ceil(w / step_max - 1e-9)))
        h = w / m
        a, b = _ou_coefficients(h, tau)  # one step size per window
        total = np.zeros((n, 2))
        for _ in range(m):
            x_new = a * x + b * rng.standard_normal(x.shape)
            total += 0.5 * (x + x_new) * h
            x = x_new
        out[:, k] = total / w
        last = end
    return out


def _ou_coefficients(dt: float, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact transition ``x' = a x + b N(0, 1)`` of unit-variance OU processes with correlation
    times ``tau`` (h, one per patient) over ``dt`` (h): ``(a, b)`` as column vectors."""
    a = np.exp(-dt / tau)[:, None]
    return a, np.sqrt(1.0 - a**2)


def simulate(
    protocol: ProtocolLike,
    params: Mapping[str, float | np.ndarray] | None = None,
    *,
    parameters: ParametersLike = None,
    save_times_h: np.ndarray | None = None,
    seed: int | None = None,
    options: SolverOptions = SolverOptions(),
    throw: bool = True,
) -> Result:
    """Simulate one patient (scalar ``params``) or many (array-valued ``params``).

    **Arguments:**

    - ``protocol``: a :class:`~moodtwin.protocols.Protocol` or a protocol file (YAML).
    - ``params``: parameter overrides by name (each in its unit, see ``moodtwin model``);
      arrays give one patient per element.
    - ``parameters``: the :class:`~moodtwin.ParameterSet` the overrides apply to (default:
      the calibrated set shipped with moodtwin).
    - ``save_times_h``: output times in hours (default: every 6 h, denser after doses).
    - ``seed``: adds reproducible day-to-day fluctuation and rating error to the observed
      scores.
    - ``throw``: raise :class:`~moodtwin.errors.IntegrationError` if any patient fails;
      with ``False`` the failures are reported per patient in ``Result.status``.

    **Returns:** a :class:`~moodtwin.result.Result` (times in h from baseline, scores in
    points, observables in their units).
    """
    protocol = resolve_protocol(protocol)
    model = resolve(parameters).model
    table = parameter_table(params, model)
    groups = compile_per_patient(protocol, model, table)  # each patient's own events
    end = protocol.duration_h()
    save_t = default_save_times(groups[0][1], end) if save_times_h is None else np.asarray(
        save_times_h, dtype=float)
    if save_t.size == 0 or np.any(np.diff(save_t) < 0) or save_t[0] < 0 or save_t[-1] > end:
        raise ValidationError(f"save_times_h must be sorted within [0, {end:g}] h.")
    states, status, obs = run_groups(model, table, groups, save_t, options)
    result = Result(model, protocol.name, save_t, states, obs, status, table,
                    _fluctuation(model, table, save_t, seed))
    if throw and result.failures():
        i, why = result.failures()[0]
        raise IntegrationError(f"Integration failed for patient {i}: {why}.")
    return result


def vulnerability_for_baseline(
    madrs: float,
    protocol: Protocol,
    params: Mapping[str, float] | None = None,
    *,
    parameters: ParametersLike = None,
) -> float:
    """The ``vulnerability`` that gives an untreated steady state of ``madrs`` at baseline.

    The baseline includes the protocol's background (e.g. a continued oral antidepressant),
    so patients on different backgrounds can start at the same severity. Solved by two
    rounds of vectorised grid refinement over the steady state (monotone in vulnerability).
    ``parameters``: the :class:`~moodtwin.ParameterSet` (default: the calibrated set).
    """
    model = resolve(parameters).model
    par = model.parameter("vulnerability")
    if not 0.5 <= madrs <= 59.5:
        raise ValidationError(f"Baseline MADRS {madrs:g} is outside 0.5-59.5.")
    base = {k: v for k, v in (params or {}).items() if k != "vulnerability"}
    lo, hi = par.low, par.high
    tl = compile_protocol(protocol, model, model.defaults())
    for _ in range(3):
        grid = np.linspace(lo, hi, 49)
        table = parameter_table({**base, "vulnerability": grid}, model)
        states, status, obs = run_engine(model, table, tl, np.array([0.0]), SolverOptions())
        scores = obs[:, 0, [o.name for o in model.observables].index("madrs")]
        k = int(np.searchsorted(scores, madrs))
        if k == 0 or k == len(grid):
            raise ValidationError(
                f"Baseline MADRS {madrs:g} cannot be reached with vulnerability in "
                f"[{par.low:g}, {par.high:g}] (range {scores.min():.1f}-{scores.max():.1f})."
            )
        lo, hi = grid[k - 1], grid[k]
    return float(np.interp(madrs, [scores[k - 1], scores[k]], [lo, hi]))


__all__ = [
    "STATUS_MESSAGES", "Engine", "SolverOptions", "parameter_table", "run_engine", "run_groups",
    "simulate",
    "vulnerability_for_baseline",
]
