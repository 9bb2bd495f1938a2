"""Numba kernel: adaptive Rosenbrock 2(3) integration between known event times.

This source is compiled *inside* each generated model module (see ``_codegen``), where
``rhs``, ``jac`` and ``observables`` are defined, so numba can cache the whole kernel
on disk. The method is Shampine & Reichelt's modified Rosenbrock formula of order 2 with
an order-3 error estimate (the scheme of MATLAB ``ode23s`` and Julia ``Rosenbrock23``),
L-stable, one LU factorisation per step, with the exact (symbolic) Jacobian.

Status codes per patient: 0 success, 1 maximum number of steps reached,
2 step size underflow / non-finite values, 3 singular iteration matrix.
"""

import math
from collections.abc import Callable

import numpy as np
from numba import njit, prange

# Provided by the generated module into which this source is pasted.
rhs: Callable[..., None]
jac: Callable[..., None]
observables: Callable[..., None]

_D = 1.0 / (2.0 + math.sqrt(2.0))
_E32 = 6.0 + math.sqrt(2.0)


@njit(cache=True, error_model="numpy")
def _lu_factor(a, piv, n):
    for k in range(n):
        m = k
        vmax = abs(a[k, k])
        for i in range(k + 1, n):
            v = abs(a[i, k])
            if v > vmax:
                vmax = v
                m = i
        piv[k] = m
        if vmax == 0.0:
            return False
        if m != k:
            for j in range(n):
                tmp = a[k, j]
                a[k, j] = a[m, j]
                a[m, j] = tmp
        inv = 1.0 / a[k, k]
        for i in range(k + 1, n):
            f = a[i, k]
            if f != 0.0:
                f *= inv
                a[i, k] = f
                for j in range(k + 1, n):
                    a[i, j] -= f * a[k, j]
    return True


@njit(cache=True, error_model="numpy")
def _lu_solve(a, piv, b, n):
    for k in range(n):
        m = piv[k]
        if m != k:
            tmp = b[k]
            b[k] = b[m]
            b[m] = tmp
    for i in range(n):
        s = b[i]
        for j in range(i):
            s -= a[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= a[i, j] * b[j]
        b[i] = s / a[i, i]


@njit(cache=True, error_model="numpy")
def _integrate_to(y, t0, t1, h, p, u, rtol, atol, max_steps, stats, wk, w, piv, jm):
    """Advance ``y`` in place from ``t0`` to ``t1``; returns (status, next step size)."""
    n = y.shape[0]
    f0 = wk[0]
    f1 = wk[1]
    k1 = wk[2]
    k2 = wk[3]
    k3 = wk[4]
    ytmp = wk[5]
    ynew = wk[6]
    rhs(y, p, u, f0)
    t = t0
    while t < t1:
        if stats[0] >= max_steps:
            return 1, h
        if t + h >= t1 - 1e-12 * max(1.0, abs(t1)):
            h = t1 - t
        elif t + 1.5 * h > t1:
            h = 0.5 * (t1 - t)
        jac(y, p, u, jm)
        hd = h * _D
        for i in range(n):
            for j in range(n):
                w[i, j] = -hd * jm[i, j]
            w[i, i] += 1.0
        stats[2] += 1
        if not _lu_factor(w, piv, n):
            return 3, h
        for i in range(n):
            k1[i] = f0[i]
        _lu_solve(w, piv, k1, n)
        for i in range(n):
            ytmp[i] = y[i] + 0.5 * h * k1[i]
        rhs(ytmp, p, u, f1)
        for i in range(n):
            k2[i] = f1[i] - k1[i]
        _lu_solve(w, piv, k2, n)
        for i in range(n):
            k2[i] += k1[i]
            ynew[i] = y[i] + h * k2[i]
        rhs(ynew, p, u, ytmp)  # ytmp now holds F2
        for i in range(n):
            k3[i] = ytmp[i] - _E32 * (k2[i] - f1[i]) - 2.0 * (k1[i] - f0[i])
        _lu_solve(w, piv, k3, n)
        err = 0.0
        for i in range(n):
            e = h / 6.0 * (k1[i] - 2.0 * k2[i] + k3[i])
            sc = atol[i] + rtol * max(abs(y[i]), abs(ynew[i]))
            err += (e / sc) ** 2
        err = math.sqrt(err / n)
        stats[0] += 1
        if err <= 1.0 and math.isfinite(err):
            t += h
            for i in range(n):
                y[i] = ynew[i]
                f0[i] = ytmp[i]
            fac = 5.0 if err == 0.0 else min(5.0, max(0.2, 0.9 * err ** (-1.0 / 3.0)))
            h *= fac
        else:
            stats[1] += 1
            if math.isfinite(err):
                h *= max(0.2, 0.9 * err ** (-1.0 / 3.0))
            else:
                h *= 0.25
        if h < 1e-10 * max(1.0, abs(t)):
            return 2, h
    return 0, h


@njit(cache=True, error_model="numpy")
def integrate_patient(y, p, bp_t, bp_u, bp_jump, save_t, out, rtol, atol, h0, max_steps, stats):
    """Integrate one patient through all event segments, saving states at ``save_t``.

    ``bp_t`` (K+1,) are segment boundaries; segment k has inputs ``bp_u[k]`` and starts
    with the state jump ``bp_jump[k]``. Saved states are left limits (before a jump at the
    same time). ``y`` is advanced in place; returns the status code.
    """
    n = y.shape[0]
    nsave = save_t.shape[0]
    wk = np.empty((7, n))
    w = np.empty((n, n))
    jm = np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)
    h = h0
    j = 0
    status = 0
    nseg = bp_t.shape[0] - 1
    for k in range(nseg):
        t = bp_t[k]
        t_end = bp_t[k + 1]
        while j < nsave and save_t[j] <= t:
            out[j, :] = y
            j += 1
        jumped = False
        for i in range(n):
            if bp_jump[k, i] != 0.0:
                y[i] += bp_jump[k, i]
                jumped = True
        if jumped:
            h = min(h, h0)
        u = bp_u[k]
        while t < t_end:
            target = t_end
            if j < nsave and save_t[j] < t_end:
                target = save_t[j]
            if target > t:
                status, h = _integrate_to(
                    y, t, target, h, p, u, rtol, atol, max_steps, stats, wk, w, piv, jm
                )
                if status != 0:
                    for jj in range(j, nsave):
                        out[jj, :] = np.nan
                    return status
            t = target
            while j < nsave and save_t[j] <= t and save_t[j] < t_end:
                out[j, :] = y
                j += 1
    while j < nsave:
        out[j, :] = y
        j += 1
    return status


@njit(cache=True, parallel=True, error_model="numpy")
def integrate_population(
    y0, params, bp_t, bp_u, bp_jump, save_t, out, status, stats, rtol, atol, h0, max_steps
):
    """Integrate every patient (rows of ``y0``/``params``) in parallel, one per thread.

    ``out`` (patients, saves, states) and ``status`` (patients,) are filled in place;
    ``stats`` (patients, 3) counts accepted+rejected steps, rejections and factorisations.
    """
    for i in prange(y0.shape[0]):
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
