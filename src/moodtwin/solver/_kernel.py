"""Numba kernel: adaptive Rodas5P integration between known event times.

This source is compiled *inside* each generated model module (see ``_codegen``), where
``precompute``, ``rhs_c``, ``jac_values_c``, ``lu_factor``, ``lu_solve``,
``JAC_ROWS``/``JAC_COLS`` and ``observables`` are defined, so numba caches the whole
kernel on disk.

Method: Rodas5P (Steinebach 2023), an L-stable, stiffly accurate Rosenbrock method of
order 5 with an embedded order-4 error estimate and a continuous (dense) output of order 4,
with the exact symbolic Jacobian. Coefficients as in OrdinaryDiffEq.jl
(``Rodas5PTableau``). One factorisation of ``I - h*gamma*J`` per step, done by the
generated straight-line sparse LU; if its no-pivoting check fails, dense LU with partial
pivoting is used for that step. Step size: Gustafsson's predictive controller as in
Hairer & Wanner's RODAS, restarted at every event (input change or state jump). The first
step after an event is the larger of Hairer & Wanner's initial step estimate and a fraction
of the last step before the event or of the new segment, whichever is shorter (and at most
that length). The fraction is learnt per patient and per kind of event (which input rises
or falls, e.g. an infusion starting or stopping, or else which state jumps, e.g. a visit's
expectancy kick or a nasal dose), like a step size across events: after the first step of a
segment, the next restart of that kind starts where that step's error says it could have (at
most ``_RESTART_GROW`` times larger; a rejected first step shrinks it by the error estimate,
8-fold after non-finite values, whose retry is at most the initial estimate). Events in a
protocol repeat (weekly visits, doses), so the previous restart predicts the next one (weekly
visits of the peer benchmark: 7.0 -> 5.9 steps per week; weekly IV ketamine: 44 -> 40 steps
per week, no rejected restarts); ``benchmarks/bench_trial.py`` and ``bench_peers.py`` show
the step counts. Outputs between events come from the dense output, so save
times do not shorten steps; steps stop only at event times.

Status codes per patient: 0 success, 1 maximum number of steps reached,
2 step size underflow / non-finite values, 3 singular iteration matrix.
"""

import math
from collections.abc import Callable

import numpy as np
from numba import njit, prange

# Provided by the generated module into which this source is pasted.
precompute: Callable[..., None]
rhs_c: Callable[..., None]
jac_values_c: Callable[..., None]
lu_factor: Callable[..., bool]
lu_solve: Callable[..., None]
observables: Callable[..., None]
JAC_ROWS: np.ndarray
JAC_COLS: np.ndarray
LU_SIZE: int
N_CONST: int

_GAMMA = 0.21193756319429014
_A = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [2.849394379747939, 0.45842242204463923, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [-6.954028509809101, 2.489845061869568, -10.358996098473584, 0.0, 0.0, 0.0, 0.0, 0.0],
    [2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641,
     0.0, 0.0, 0.0, 0.0],
    [-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256,
     0.030198172008377946, 0.0, 0.0, 0.0],
    [-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256,
     0.030198172008377946, 1.0, 0.0, 0.0],
    [-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256,
     0.030198172008377946, 1.0, 1.0, 0.0],
])
_C = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [-14.155112264123755, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [-17.97296035885952, -2.859693295451294, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [147.12150275711716, -1.41221402718213, 71.68940251302358, 0.0, 0.0, 0.0, 0.0, 0.0],
    [165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306,
     0.0, 0.0, 0.0, 0.0],
    [24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125,
     -0.6610691825249471, 0.0, 0.0, 0.0],
    [30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783,
     -19.097331116725623, -28.087943162872662, 0.0, 0.0],
    [37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047,
     -40.06618937091002, -54.66780262877968, -9.48861652309627, 0.0],
])
_H = np.array([
    [25.948786856663858, -2.5579724845846235, 10.433815404888879, -2.3679251022685204,
     0.524948541321073, 1.1241088310450404, 0.4272876194431874, -0.17202221070155493],
    [-9.91568850695171, -0.9689944594115154, 3.0438037242978453, -24.495224566215796,
     20.176138334709044, 15.98066361424651, -6.789040303419874, -6.710236069923372],
    [11.419903575922262, 2.8879645146136994, 72.92137995996029, 80.12511834622643,
     -52.072871366152654, -59.78993625266729, -0.15582684282751913, 4.883087185713722],
])
_ERR_EXP = 0.2
_NS = _A.shape[0]
_GC = _GAMMA * _C  # stage coupling without the 1/h (see _rodas_step)


def _first_incremental_stage(a: np.ndarray) -> int:
    """First stage from which every row of ``a`` is the previous row plus the previous
    stage (stiffly accurate Rodas tableaus); ``_NS`` if none."""
    first = a.shape[0]
    for s in range(a.shape[0] - 1, 1, -1):
        step = np.zeros(a.shape[1])
        step[s - 1] = 1.0
        if not np.array_equal(a[s], a[s - 1] + step):
            break
        first = s
    return first


_INCR = _first_incremental_stage(_A)
_SAFE = 0.9
_FAC_UP = 6.0  # largest step growth per step
_FAC_DOWN = 0.2  # largest step reduction per step
_FAC_FRESH = 100.0  # largest growth or reduction on the first step after an event
_RESTART_FRAC = 0.01  # first restart tries at least this fraction of the last step ...
_RESTART_FRAC_MIN = 1e-3  # ... then a fraction learnt per patient and kind of event
_RESTART_GROW = 4.0  # largest growth of the learnt fraction from one restart to the next


@njit(cache=True, error_model="numpy")
def _dense_factor(jv, hg, w, piv):
    """Dense LU with partial pivoting of ``I - hg*J`` into ``w``; False if singular."""
    n = w.shape[0]
    w[:, :] = 0.0
    for k in range(JAC_ROWS.shape[0]):
        w[JAC_ROWS[k], JAC_COLS[k]] = -hg * jv[k]
    for i in range(n):
        w[i, i] += 1.0
    for k in range(n):
        m = k
        vmax = abs(w[k, k])
        for i in range(k + 1, n):
            if abs(w[i, k]) > vmax:
                vmax = abs(w[i, k])
                m = i
        piv[k] = m
        if not vmax > 0.0:
            return False
        if m != k:
            for j in range(n):
                tmp = w[k, j]
                w[k, j] = w[m, j]
                w[m, j] = tmp
        inv = 1.0 / w[k, k]
        for i in range(k + 1, n):
            f = w[i, k]
            if f != 0.0:
                f *= inv
                w[i, k] = f
                for j in range(k + 1, n):
                    w[i, j] -= f * w[k, j]
    return True


@njit(cache=True, error_model="numpy")
def _dense_solve(w, piv, b, r):
    """Overwrite row ``b[r]`` with ``(I - hg*J)^-1 b[r]`` from :func:`_dense_factor`'s LU."""
    n = b.shape[1]
    for k in range(n):
        m = piv[k]
        if m != k:
            tmp = b[r, k]
            b[r, k] = b[r, m]
            b[r, m] = tmp
    for i in range(n):
        s = b[r, i]
        for j in range(i):
            s -= w[i, j] * b[r, j]
        b[r, i] = s
    for i in range(n - 1, -1, -1):
        s = b[r, i]
        for j in range(i + 1, n):
            s -= w[i, j] * b[r, j]
        b[r, i] = s / w[i, i]


@njit(cache=True, error_model="numpy")
def _error_norm(err, y, ynew, rtol, atol):
    s = 0.0
    for i in range(y.shape[0]):
        sc = atol[i] + rtol * max(abs(y[i]), abs(ynew[i]))
        s += (err[i] / sc) ** 2
    return math.sqrt(s / y.shape[0])


@njit(cache=True, error_model="numpy")
def _initial_step(y, fy, p, u, c, rtol, atol, h_max, y1, f1):
    """Starting step (h) after an event: Hairer & Wanner's estimate from rhs(y) = ``fy`` and
    one explicit Euler trial step (``y1``, ``f1`` are scratch)."""
    n = y.shape[0]
    dny = 0.0
    dnf = 0.0
    for i in range(n):
        sk = atol[i] + rtol * abs(y[i])
        dny += (y[i] / sk) ** 2
        dnf += (fy[i] / sk) ** 2
    h = 1e-6 if dnf <= 1e-10 or dny <= 1e-10 else 0.01 * math.sqrt(dny / dnf)
    h = min(h, h_max)
    for i in range(n):
        y1[i] = y[i] + h * fy[i]
    rhs_c(y1, p, u, c, f1)
    der2 = 0.0
    for i in range(n):
        der2 += ((f1[i] - fy[i]) / (atol[i] + rtol * abs(y[i]))) ** 2
    der12 = max(math.sqrt(der2 / n) / h, math.sqrt(dnf / n))
    h1 = max(1e-6, h * 1e-3) if der12 <= 1e-15 else (0.01 / der12) ** _ERR_EXP
    return min(100.0 * h, h1, h_max)


@njit(cache=True, error_model="numpy")
def _rodas_step(y, fy, h, p, u, c, ks, ynew, f, jv, a, w, piv, stats):
    """One Rodas step from ``y`` (with ``fy`` = rhs(y)) of size ``h``: stages in ``ks``,
    result in ``ynew``; ``f`` is scratch. Returns False if the iteration matrix is singular.

    Stage s solves ``(I - hg J) k_s = hg f(y + sum_j A[s,j] k_j) + sum_j GAMMA C[s,j] k_j``
    (``hg = h*GAMMA``; the ``1/h`` of the textbook form cancels, so the step needs no
    division). The loops run over stages outside and states inside (contiguous, SIMD).
    The last two stage arguments differ from the one before by one stage (stiffly
    accurate tableau), so they are updated, not recomputed.

    Only leaf functions (generated model code, LU) are called and stages are rows of
    ``ks`` indexed in place, not views: numba reference-counts every array view and
    every array bound to an inlined helper's arguments with atomic instructions, which
    took a quarter of the step time before (measured with ``perf``).
    """
    n = y.shape[0]
    hg = h * _GAMMA
    jac_values_c(y, p, u, c, jv)
    mode = 1
    if not lu_factor(jv, hg, a):
        mode = 2 if _dense_factor(jv, hg, w, piv) else 0
    stats[2] += 1
    if mode == 0:
        return False
    if mode == 2:
        stats[4] += 1
    for i in range(n):
        ks[0, i] = hg * fy[i]
    if mode == 1:
        lu_solve(a, ks, 0)
    else:
        _dense_solve(w, piv, ks, 0)
    for s in range(1, _NS):
        if s < _INCR:
            for i in range(n):
                ynew[i] = y[i]
            for j in range(s):
                aj = _A[s, j]
                for i in range(n):
                    ynew[i] += aj * ks[j, i]
        else:
            for i in range(n):
                ynew[i] += ks[s - 1, i]
        rhs_c(ynew, p, u, c, f)
        stats[3] += 1
        for i in range(n):
            f[i] *= hg
        for j in range(s):
            gj = _GC[s, j]
            for i in range(n):
                f[i] += gj * ks[j, i]
        for i in range(n):
            ks[s, i] = f[i]
        if mode == 1:
            lu_solve(a, ks, s)
        else:
            _dense_solve(w, piv, ks, s)
    for i in range(n):
        ynew[i] += ks[_NS - 1, i]
    return True


@njit(cache=True, error_model="numpy")
def _dense_output(theta, y, ynew, ks, out):
    """Continuous output at ``t + theta*h`` of the step ``y`` -> ``ynew``."""
    t1 = 1.0 - theta
    for i in range(y.shape[0]):
        k1 = 0.0
        k2 = 0.0
        k3 = 0.0
        for s in range(_NS):
            k1 += _H[0, s] * ks[s, i]
            k2 += _H[1, s] * ks[s, i]
            k3 += _H[2, s] * ks[s, i]
        out[i] = t1 * y[i] + theta * (ynew[i] + t1 * (k1 + theta * (k2 + theta * k3)))


@njit(cache=True, error_model="numpy")
def _event_kind(bp_u, bp_jump, k):
    """Kind of the event that starts segment ``k``: 1 + 2i (+1 if it rises) for the last
    input i that changes (drug and stimulation inputs come after the treatment-contact
    inputs of the expectancy model), else 1 + 2*inputs + s for the first state s that jumps,
    else 0. Doses starting and stopping, stimulation changes and visits are told apart."""
    m = bp_u.shape[1]
    if k > 0:
        for i in range(m - 1, -1, -1):
            if bp_u[k, i] != bp_u[k - 1, i]:
                return 1 + 2 * i + (1 if bp_u[k, i] > bp_u[k - 1, i] else 0)
    for s in range(bp_jump.shape[1]):
        if bp_jump[k, s] != 0.0:
            return 1 + 2 * m + s
    return 0


@njit(cache=True, error_model="numpy")
def integrate_patient(y, p, bp_t, bp_u, bp_jump, save_t, out, rtol, atol, h0, max_steps, stats):
    """Integrate one patient through all event segments, saving states at ``save_t``.

    ``bp_t`` (K+1,) are segment boundaries; segment k has inputs ``bp_u[k]`` and starts
    with the state jump ``bp_jump[k]``. Saved states are left limits (before a jump at the
    same time). Each segment starts with step ``h0`` (h) or, if ``h0`` <= 0, with an
    automatic choice (see the module docstring). ``y`` is advanced in place; returns the
    status code; ``stats`` (5,) accumulates the counters named in ``moodtwin.solver.STATS``.
    """
    n = y.shape[0]
    nsave = save_t.shape[0]
    ks = np.empty((_NS, n))
    ynew = np.empty(n)
    f = np.empty(n)
    fy = np.empty(n)
    jv = np.empty(JAC_ROWS.shape[0])
    a = np.empty(LU_SIZE)
    w = np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)
    c = np.empty(N_CONST)
    j = 0
    h_last = 0.0  # last step size proposed before the current segment
    fracs = np.full(1 + 2 * bp_u.shape[1] + n, _RESTART_FRAC)  # per kind of event
    for k in range(bp_t.shape[0] - 1):
        t = bp_t[k]
        t_end = bp_t[k + 1]
        while j < nsave and save_t[j] <= t:
            out[j, :] = y
            j += 1
        for i in range(n):
            y[i] += bp_jump[k, i]
        u = bp_u[k]
        precompute(p, u, c)
        rhs_c(y, p, u, c, fy)
        stats[3] += 1
        learn = False
        kind = _event_kind(bp_u, bp_jump, k)
        h_cap = t_end - t
        if h0 > 0.0:
            h = h_safe = h0
        else:
            h = h_safe = _initial_step(y, fy, p, u, c, rtol, atol, t_end - t, ynew, f)
            stats[3] += 1
            if h_last > 0.0:
                learn = True
                h_cap = min(h_last, h_cap)
                h = min(max(h, fracs[kind] * h_cap), h_cap)
        fresh = True
        first = True
        h_acc = h
        err_acc = 1.0
        rejected = False
        while t < t_end:
            if stats[0] >= max_steps:
                out[j:, :] = np.nan
                return 1
            hs = h
            if t + h >= t_end - 1e-12 * max(1.0, abs(t_end)):
                hs = t_end - t
            elif t + 1.5 * h > t_end:
                hs = 0.5 * (t_end - t)
            stats[0] += 1
            if not _rodas_step(y, fy, hs, p, u, c, ks, ynew, f, jv, a, w, piv, stats):
                out[j:, :] = np.nan
                return 3
            err = _error_norm(ks[_NS - 1], y, ynew, rtol, atol)
            if not math.isfinite(err):
                stats[1] += 1
                h = 0.25 * hs
                if fresh:
                    h = min(h, h_safe)
                    if learn:
                        fracs[kind] = max(_RESTART_FRAC_MIN, hs / h_cap / 8.0)
                rejected = True
            else:
                q = err ** _ERR_EXP / _SAFE
                if fresh:
                    q = min(_FAC_FRESH, max(1.0 / _FAC_FRESH, q))
                else:
                    q = min(1.0 / _FAC_DOWN, max(1.0 / _FAC_UP, q))
                if err <= 1.0:
                    if not first:
                        qg = h_acc / hs * (err * err / err_acc) ** _ERR_EXP / _SAFE
                        q = max(q, min(1.0 / _FAC_DOWN, max(1.0 / _FAC_UP, qg)))
                    first = False
                    if fresh and learn:
                        fracs[kind] = min(1.0, max(_RESTART_FRAC_MIN,
                                                  hs / h_cap * min(_RESTART_GROW, 1.0 / q)))
                    fresh = False
                    h_acc = hs
                    err_acc = max(1e-2, err)
                    h_new = hs / q
                    if rejected:
                        h_new = min(h_new, hs)
                    if hs < h:  # shortened to land on t_end: keep the proposed size
                        h_new = max(h_new, h)
                    rejected = False
                    t_new = t + hs
                    while j < nsave and save_t[j] <= t_new and save_t[j] < t_end:
                        _dense_output((save_t[j] - t) / hs, y, ynew, ks, out[j])
                        j += 1
                    t = t_new
                    for i in range(n):
                        y[i] = ynew[i]
                    if t < t_end:
                        rhs_c(y, p, u, c, fy)
                        stats[3] += 1
                    h = h_last = h_new
                else:
                    stats[1] += 1
                    h = hs / q
                    if fresh and learn:
                        fracs[kind] = max(_RESTART_FRAC_MIN, hs / h_cap / q)
                    rejected = True
            if h < 1e-10 * max(1.0, abs(t)):
                out[j:, :] = np.nan
                return 2
    while j < nsave:
        out[j, :] = y
        j += 1
    return 0


@njit(cache=True, parallel=True, error_model="numpy")
def integrate_population(
    y0, params, bp_t, bp_u, bp_jump, save_t, out, status, stats, rtol, atol, h0, max_steps
):
    """Integrate every patient (rows of ``y0``/``params``) in parallel (prange over patients).

    ``out`` (patients, saves, states) and ``status`` (patients,) are filled in place;
    ``stats`` (patients, 5) accumulates the counters named in ``moodtwin.solver.STATS``.
    """
    for i in prange(y0.shape[0]):
        y = y0[i].copy()
        status[i] = integrate_patient(
            y, params[i], bp_t, bp_u, bp_jump, save_t, out[i], rtol, atol, h0, max_steps,
            stats[i],
        )


@njit(cache=True, error_model="numpy")
def integrate_population_serial(
    y0, params, bp_t, bp_u, bp_jump, save_t, out, status, stats, rtol, atol, h0, max_steps
):
    """:func:`integrate_population` on the calling thread only. For a handful of patients
    this avoids waking the thread pool, which on a busy machine waits for a time slice
    (measured ~10 ms per parallel call, five times a patient-year's work)."""
    for i in range(y0.shape[0]):
        y = y0[i].copy()
        status[i] = integrate_patient(
            y, params[i], bp_t, bp_u, bp_jump, save_t, out[i], rtol, atol, h0, max_steps,
            stats[i],
        )


@njit(cache=True, parallel=True, error_model="numpy")
def evaluate_observables(states, params, inputs, out):
    """Observables for every patient and save time: ``out`` (patients, saves, observables)."""
    for i in prange(states.shape[0]):
        for k in range(states.shape[1]):
            observables(states[i, k], params[i], inputs[k], out[i, k])


@njit(cache=True, error_model="numpy")
def evaluate_observables_serial(states, params, inputs, out):
    """:func:`evaluate_observables` on the calling thread only (small outputs)."""
    for i in range(states.shape[0]):
        for k in range(states.shape[1]):
            observables(states[i, k], params[i], inputs[k], out[i, k])
