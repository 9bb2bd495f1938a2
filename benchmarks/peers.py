"""Peer benchmark: moodtwin's batched engine vs SciPy ``solve_ivp`` and libRoadRunner.

All engines run in this process, from the same burned-in initial states (moodtwin's 30-year
steady state, computed once and not timed), through the same 52-week protocol timeline, with
the same tolerances (``rtol`` and moodtwin's per-state absolute tolerances):

- ``moodtwin``: :func:`moodtwin.simulation.run_engine`, all patients in one batched call;
- ``scipy``: ``solve_ivp`` (LSODA or BDF) over the generated numba right-hand side and exact
  Jacobian, wrapped in Python, segment by segment with the timeline's dose jumps, one
  patient at a time;
- ``roadrunner``: CVODE on the SBML export (:mod:`moodtwin.sbml`), one patient at a time.

The peers integrate at most ``peer_patients`` patients of each population (the first ones);
their rate is extrapolated linearly (patient by patient, cost is additive), which the table
states in its ``measured`` column. Deviations are the largest difference of any observable
at the weekly outputs from moodtwin's, relative to that observable's range.

Research software, not medical advice.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from moodtwin.model import Model, default_model
from moodtwin.parameter_sets import ParameterSet
from moodtwin.protocols import Protocol, Timeline, compile_protocol, parse_protocol
from moodtwin.simulation import SolverOptions, parameter_table, run_engine

WEEK_H = 168.0
YEAR_H = 52 * WEEK_H
SIZES = (1, 100, 10_000)
TITRATION = [{"at": f"{2 + 2 * i} week", "current": f"{0.25 * (i + 1)} mA"} for i in range(5)]
DEFAULT_PROTOCOL = {
    "name": "VNS titration with weekly visits (benchmark)", "duration": "52 week",
    "visits": {"every": "1 week"}, "background": {"oral_antidepressant": "continued"},
    "therapies": [{"type": "vns", "start": "2 week", "titration": TITRATION}],
}


@dataclass
class Row:
    """One engine on one population; rates in patient-years (52 weeks) per second."""

    engine: str
    patients: int
    measured_patients: int
    seconds: float  # wall time for the measured patients (median of repeats)
    patient_years_per_s: float
    moodtwin_speedup: float  # moodtwin's rate / this engine's rate (1 for moodtwin)
    warmup_s: float  # compile / JIT / load time before the first timed run
    peak_rss_mib: float  # process peak resident memory during the timed run
    extra_rss_mib: float  # that peak minus the resident memory before the run
    max_deviation: float  # vs moodtwin, relative to each observable's range (0 for moodtwin)
    worst_observable: str
    failures: int


def population(n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` patients varying in vulnerability, weight, inflammation and stress.

    Each parameter has its own random stream, so the first ``m`` patients of a population
    of ``n > m`` are exactly the population of ``m``.
    """
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    return {
        "vulnerability": rngs[0].normal(-0.14, 0.4, n).clip(-2, 2),
        "body_weight": rngs[1].normal(75, 12, n).clip(45, 140),
        "infl_base": rngs[2].lognormal(0.2, 0.3, n).clip(0.5, 4),
        "stress_base": rngs[3].lognormal(0.0, 0.2, n).clip(0.3, 3),
    }


def weekly_outputs(timeline: Timeline) -> np.ndarray:
    """Time 0 and mid-week outputs (off every event time, where left/right limits differ)."""
    mid = np.arange(WEEK_H / 2, float(timeline.t[-1]), WEEK_H)
    if np.min(np.abs(mid[:, None] - timeline.t[None, :])) < 1e-6:
        raise ValueError("benchmark outputs coincide with protocol events")
    return np.concatenate([[0.0], mid])


@contextmanager
def _peak_rss() -> Iterator[dict[str, float]]:
    """Samples this process's resident memory every 5 ms; yields {'peak', 'before'} (MiB)."""
    import psutil  # installed with dask.distributed

    proc = psutil.Process(os.getpid())
    box = {"before": proc.memory_info().rss / 2**20}
    box["peak"] = box["before"]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.005):
            box["peak"] = max(box["peak"], proc.memory_info().rss / 2**20)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        stop.set()
        thread.join()
        box["peak"] = max(box["peak"], proc.memory_info().rss / 2**20)


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float, dict[str, float]]:
    """(last result, median wall time, memory box) of ``repeats`` calls."""
    times = []
    with _peak_rss() as mem:
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
    return out, statistics.median(times), mem


# ---------------------------------------------------------------------------- SciPy peer
def scipy_patient(model: Model, params: np.ndarray, timeline: Timeline, y0: np.ndarray,
                  save_t: np.ndarray, rtol: float, atol: np.ndarray, method: str
                  ) -> np.ndarray | None:
    """One patient with ``solve_ivp``: observables at ``save_t`` (None if it fails).

    The generated numba ``rhs``/``jac`` are called through Python wrappers; each timeline
    segment is one ``solve_ivp`` call, entered with the segment's state jump. Save times
    at segment boundaries give the left limit (before the jump), as in moodtwin.
    """
    from scipy.integrate import solve_ivp

    from moodtwin.solver._codegen import compiled

    mod = compiled(model)
    n = len(y0)
    y = np.array(y0, dtype=float)
    out = np.empty((len(save_t), len(model.observables)))
    for j in np.flatnonzero(save_t <= timeline.t[0]):
        mod.observables(y, params, timeline.u[0], out[j])
    for k in range(len(timeline.t) - 1):
        t0, t1 = float(timeline.t[k]), float(timeline.t[k + 1])
        y = y + timeline.jump[k]
        u = timeline.u[k]

        def fun(t: float, x: np.ndarray, u: np.ndarray = u) -> np.ndarray:
            dy = np.empty(n)
            mod.rhs(x, params, u, dy)
            return dy

        def jac(t: float, x: np.ndarray, u: np.ndarray = u) -> np.ndarray:
            jm = np.empty((n, n))
            mod.jac(x, params, u, jm)
            return jm

        idx = np.flatnonzero((save_t > t0) & (save_t < t1))
        t_eval = np.append(save_t[idx], t1)
        try:
            sol = solve_ivp(fun, (t0, t1), y, method=method, t_eval=t_eval, rtol=rtol,
                            atol=atol, jac=jac)
        except ValueError:  # SciPy refuses non-finite values (e.g. a diverging patient)
            return None
        if sol.status != 0:
            return None
        for col, j in enumerate(idx):
            mod.observables(sol.y[:, col], params, u, out[j])
        y = sol.y[:, -1]
        for j in np.flatnonzero(save_t == t1):
            mod.observables(y, params, u, out[j])
    return out


# ---------------------------------------------------------------------------- the benchmark
@dataclass
class Setup:
    """Everything the engines share: model, protocol timeline, population, initial states."""

    model: Model
    protocol: Protocol
    timeline: Timeline
    table: np.ndarray  # (patients, parameters) of the largest population
    y0: np.ndarray  # (patients, states) burned-in steady states
    save_t: np.ndarray
    options: SolverOptions

    @property
    def years(self) -> float:
        """Simulated years per patient (52 weeks = 1)."""
        return float(self.timeline.t[-1]) / YEAR_H


def prepare(n: int, protocol: Protocol | None = None, seed: int = 1, rtol: float = 1e-6
            ) -> Setup:
    """Population of ``n``, its timeline and burned-in states (compiles the model)."""
    model = default_model()
    protocol = protocol or parse_protocol(DEFAULT_PROTOCOL)
    table = parameter_table(population(n, seed), model)
    pop = {p.name: float(np.median(table[:, i])) for i, p in enumerate(model.parameters)}
    timeline = compile_protocol(protocol, model, pop)
    options = SolverOptions(rtol=rtol)
    states, status, _ = run_engine(model, table, timeline, np.array([0.0]), options)
    if np.any(status != 0):
        raise RuntimeError(f"burn-in failed for {int(np.sum(status != 0))} patients")
    return Setup(model, protocol, timeline, table, states[:, 0, :], weekly_outputs(timeline),
                 options)


def _moodtwin(s: Setup, n: int) -> tuple[np.ndarray, np.ndarray]:
    _, status, obs = run_engine(s.model, s.table[:n], s.timeline, s.save_t, s.options,
                                y0=s.y0[:n])
    return obs, status


def _deviation(model: Model, peer: np.ndarray, ours: np.ndarray) -> tuple[float, str]:
    from moodtwin.sbml._roadrunner import scaled_deviation

    ok = np.all(np.isfinite(peer), axis=(1, 2))
    if not ok.any():
        return float("nan"), ""
    # row 0 is time 0, where an event at time 0 may or may not have been applied yet
    dev = scaled_deviation(peer[ok, 1:], ours[ok, 1:])
    k = int(np.argmax(dev))
    return float(dev[k]), model.observables[k].name


def run_benchmark(
    sizes: tuple[int, ...] = SIZES,
    peer_patients: int = 100,
    protocol: Protocol | None = None,
    seed: int = 1,
    rtol: float = 1e-6,
    scipy_method: str = "LSODA",
    progress: Callable[[str], None] = print,
) -> tuple[list[Row], dict[str, float]]:
    """Time every engine on every population size; returns (rows, machine-limit figures)."""
    from moodtwin.sbml import export_sbml
    from moodtwin.sbml._roadrunner import RoadRunnerPatients
    from moodtwin.solver._codegen import compiled

    t0 = time.perf_counter()
    setup_small = prepare(2, protocol, seed, rtol)  # compiles / loads the numba cache
    _moodtwin(setup_small, 2)
    warm_moodtwin = time.perf_counter() - t0
    progress(f"moodtwin compile/warm-up {warm_moodtwin:.1f} s; burning in {max(sizes)} "
             "patients (shared initial states, not timed) ...")
    s = prepare(max(sizes), protocol, seed, rtol)
    atol = s.options.atol_vector(s.model)

    day = replace(s.timeline, t=np.array([0.0, 24.0]), u=s.timeline.u[:1],
                  jump=s.timeline.jump[:1])
    t0 = time.perf_counter()
    scipy_patient(s.model, s.table[0], day, s.y0[0], np.array([0.0, 24.0]), rtol, atol,
                  scipy_method)
    mod = compiled(s.model)  # a one-day run may not call the Jacobian: load it here too
    ns = len(s.model.states)
    mod.jac(s.y0[0], s.table[0], s.timeline.u[0], np.empty((ns, ns)))
    warm_scipy = time.perf_counter() - t0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # SWIG types inside roadrunner
        sbml = export_sbml(s.protocol, parameters=ParameterSet("benchmark", s.model), y0=s.y0[0])
        runner = RoadRunnerPatients(sbml,
                                    s.model, s.timeline, rtol, atol)
    warm_rr = time.perf_counter() - t0

    rows: list[Row] = []
    for n in sizes:
        repeats = 5 if n == 1 else 3 if n <= 1000 else 1
        (obs, status), dt, mem = _timed(lambda n=n: _moodtwin(s, n), repeats)
        ours = Row("moodtwin", n, n, dt, n * s.years / dt, 1.0, warm_moodtwin, mem["peak"],
                   mem["peak"] - mem["before"], 0.0, "", int(np.sum(status != 0)))
        rows.append(ours)
        progress(f"moodtwin   {n:>6} patients: {dt:8.3f} s")
        m = min(n, peer_patients)
        peers = {
            "scipy": (warm_scipy, lambda i: scipy_patient(
                s.model, s.table[i], s.timeline, s.y0[i], s.save_t, rtol, atol, scipy_method)),
            "roadrunner": (warm_rr, lambda i: _rr_or_none(runner, s, i)),
        }
        for engine, (warm, one) in peers.items():
            results, dt, mem = _timed(lambda one=one, m=m: [one(i) for i in range(m)], 1)
            peer = np.stack([r if r is not None else np.full_like(obs[0], np.nan)
                             for r in results])
            dev, worst = _deviation(s.model, peer, obs[:m])
            rate = m * s.years / dt
            rows.append(Row(engine, n, m, dt, rate, ours.patient_years_per_s / rate, warm,
                            mem["peak"], mem["peak"] - mem["before"], dev, worst,
                            sum(r is None for r in results)))
            progress(f"{engine:10s} {n:>6} patients ({m} measured): {dt:8.3f} s")
    return rows, machine_limit(s, progress)


def _rr_or_none(runner: Any, s: Setup, i: int) -> np.ndarray | None:
    from moodtwin.errors import IntegrationError

    try:
        return runner.run(s.table[i], s.y0[i], s.save_t)
    except IntegrationError:
        return None


# ---------------------------------------------------------------------------- machine limit
def eval_costs(model: Model, calls: int = 200_000) -> dict[str, float]:
    """ns per call of the generated right-hand side, Jacobian values, sparse LU factorisation
    and LU solve, each in a bare compiled loop (segment constants precomputed once, as in
    the kernel): the machine's limit for this model's evaluations. Best of 5, CPU time."""
    import numba

    from moodtwin.solver._codegen import compiled

    mod = compiled(model)
    rhs_c, jac_c, pre = mod.rhs_c, mod.jac_values_c, mod.precompute
    lu_factor, lu_solve = mod.lu_factor, mod.lu_solve
    n_const, n_jac, lu_size = mod.N_CONST, len(mod.JAC_ROWS), mod.LU_SIZE

    @numba.njit
    def loop(y, p, u, n, what):  # type: ignore[no-untyped-def]
        c = np.empty(n_const)
        pre(p, u, c)
        jv = np.empty(n_jac)
        jac_c(y, p, u, c, jv)
        a = np.empty(lu_size)
        lu_factor(jv, 0.01, a)
        out = np.empty(y.shape[0])
        b = np.empty((1, y.shape[0]))
        s = 0.0
        for _ in range(n):
            y[-1] += 1e-12  # defeat hoisting out of the loop
            if what == 0:
                rhs_c(y, p, u, c, out)
                s += out[0]
            elif what == 1:
                jac_c(y, p, u, c, jv)
                s += jv[0]
            elif what == 2:
                lu_factor(jv, 0.01 + y[-1] * 1e-9, a)
                s += a[0]
            else:
                b[0, :] = y
                lu_solve(a, b, 0)
                s += b[0, 0]
        return s

    p = parameter_table(None, model)[0]
    u = np.array([i.default for i in model.inputs])
    y = np.array([max(s.initial, 0.1) for s in model.states])
    res = {}
    for what, name in enumerate(("rhs_ns", "jac_ns", "lu_factor_ns", "lu_solve_ns")):
        loop(y, p, u, 10, what)
        best = float("inf")
        for _ in range(5):
            t0 = time.process_time()
            loop(y, p, u, calls, what)
            best = min(best, time.process_time() - t0)
        res[name] = best / calls * 1e9
    return res


def machine_limit(s: Setup, progress: Callable[[str], None] = print, patients: int = 200
                  ) -> dict[str, float]:
    """How far the batched engine is from this machine's limit, on ``patients`` patients.

    - parallel efficiency: rate on all numba threads / (threads x rate on one thread);
    - work per patient-year (steps, right-hand sides, factorisations, from the kernel's
      counters) and the time per step on one core;
    - evaluation floor: the time the kernel's right-hand sides, Jacobians, sparse LU
      factorisations and LU solves alone would take (each timed in a bare numba loop,
      :func:`eval_costs`), i.e. the rate if stage arithmetic, step control and memory
      traffic cost nothing. The gap to it is what a faster kernel could still win at the
      same number of steps; right-hand sides per second in the kernel vs the bare loop.
    """
    import numba

    from moodtwin.solver import STATS

    n = min(patients, s.table.shape[0])
    threads = numba.get_num_threads()
    rates = {}
    stats = np.zeros((n, len(STATS)), dtype=np.int64)
    for k in sorted({1, threads}):
        numba.set_num_threads(k)
        try:
            best = float("inf")
            for repeat in range(2):  # best of two: the machine may be shared
                t0 = time.perf_counter()
                run_engine(s.model, s.table[:n], s.timeline, s.save_t, s.options,
                           y0=s.y0[:n], stats=stats if k == threads and repeat == 0 else None)
                best = min(best, time.perf_counter() - t0)
            rates[k] = n * s.years / best
        finally:
            numba.set_num_threads(threads)
    work = dict(zip(STATS, stats.sum(axis=0) / (n * s.years), strict=True))
    cost = eval_costs(s.model)
    # per step: one Jacobian, one factorisation, one LU solve per stage (ks rows)
    stages = work["rhs_evaluations"] / max(work["steps"], 1.0)
    floor_s = 1e-9 * (work["rhs_evaluations"] * cost["rhs_ns"]
                      + work["factorisations"] * (cost["jac_ns"] + cost["lu_factor_ns"])
                      + work["steps"] * stages * cost["lu_solve_ns"])
    out = {
        "threads": float(threads),
        "rate_1_thread": rates[1],
        "rate_all_threads": rates[threads],
        "parallel_efficiency": rates[threads] / (threads * rates[1]),
        "steps_per_patient_year": work["steps"],
        "rhs_per_patient_year": work["rhs_evaluations"],
        "factorisations_per_patient_year": work["factorisations"],
        "us_per_step_per_core": 1e6 / (rates[1] * work["steps"]),
        "rhs_us": 1e-3 * cost["rhs_ns"],
        "jacobian_us": 1e-3 * cost["jac_ns"],
        "lu_factor_us": 1e-3 * cost["lu_factor_ns"],
        "lu_solve_us": 1e-3 * cost["lu_solve_ns"],
        "rhs_per_s_1_thread": rates[1] * work["rhs_evaluations"],
        "rhs_per_s_bare_loop": 1e9 / cost["rhs_ns"],
        "model_eval_floor_rate_1_thread": 1.0 / floor_s,
        "fraction_of_floor_1_thread": rates[1] * floor_s,
    }
    progress(f"machine limit measured on {n} patients")
    return out


# ---------------------------------------------------------------------------- report
def table_text(rows: list[Row], limit: dict[str, float]) -> str:
    """The rows as an aligned text table plus the machine-limit summary."""
    head = (f"{'engine':<11}{'patients':>9}{'measured':>9}{'seconds':>10}{'pat-yr/s':>11}"
            f"{'moodtwin x':>11}{'warm-up s':>10}{'peak MiB':>9}{'+MiB':>7}{'max dev':>10}"
            "  worst observable")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.engine:<11}{r.patients:>9}{r.measured_patients:>9}{r.seconds:>10.3f}"
            f"{r.patient_years_per_s:>11.1f}{r.moodtwin_speedup:>11.1f}{r.warmup_s:>10.2f}"
            f"{r.peak_rss_mib:>9.0f}{r.extra_rss_mib:>7.0f}{r.max_deviation:>10.1e}  "
            f"{r.worst_observable}{'' if not r.failures else f'  FAILED: {r.failures}'}")
    lines += [
        "",
        "measured < patients: the peer integrated that many patients one by one; its rate is "
        "extrapolated linearly. 'moodtwin x' = moodtwin's rate / the engine's rate. 'max dev' "
        "= largest difference from moodtwin of any observable at the weekly outputs, relative "
        "to that observable's range.",
        "",
        f"machine limit ({limit['threads']:.0f} threads): parallel efficiency "
        f"{100 * limit['parallel_efficiency']:.0f} % ({limit['rate_1_thread']:.1f} -> "
        f"{limit['rate_all_threads']:.1f} patient-years/s); per patient-year "
        f"{limit['steps_per_patient_year']:.0f} steps, {limit['rhs_per_patient_year']:.0f} "
        f"right-hand sides, {limit['factorisations_per_patient_year']:.0f} factorisations; "
        f"{limit['us_per_step_per_core']:.2f} us per step per core. Bare compiled loops: "
        f"right-hand side {limit['rhs_us']:.3f} us, Jacobian {limit['jacobian_us']:.3f} us, "
        f"LU factorisation {limit['lu_factor_us']:.3f} us, LU solve {limit['lu_solve_us']:.3f} "
        f"us; these alone would allow {limit['model_eval_floor_rate_1_thread']:.0f} "
        f"patient-years/s per core; the kernel reaches "
        f"{100 * limit['fraction_of_floor_1_thread']:.0f} % of that floor (the rest is stage "
        f"arithmetic, step control and memory traffic): "
        f"{limit['rhs_per_s_1_thread'] / 1e6:.2f} M right-hand sides/s per core in the "
        f"kernel vs {limit['rhs_per_s_bare_loop'] / 1e6:.2f} M/s in the bare loop.",
    ]
    return "\n".join(lines)


def rows_json(rows: list[Row], limit: dict[str, float], meta: dict[str, Any]) -> list[dict]:
    """Rows as dicts for ``--json`` (the machine-limit figures and run conditions are
    repeated on every row so each row stands alone when tracked over time)."""
    return [asdict(r) | meta | {f"limit_{k}": v for k, v in limit.items()} for r in rows]
