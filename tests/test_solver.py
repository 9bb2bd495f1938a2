"""The generated kernel against independent references: SciPy Radau and finite differences."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from moodtwin.protocols import compile_protocol, parse_protocol
from moodtwin.simulate import SolverOptions, parameter_table, run_engine
from moodtwin.solver._codegen import compiled

PROTO = parse_protocol({
    "name": "mix", "duration": "10 d",
    "therapies": [
        {"type": "ketamine_iv", "dose": "0.5 mg/kg", "at": ["0 d", "3 d"]},
        {"type": "vns", "implant_at": "0 d", "start": "1 d", "current": "1.5 mA"},
        {"type": "botulinum_glabellar", "at": ["2 d"]},
        {"type": "tavns", "duration": "3 d"},
    ],
})


def _state(model, rng):
    y = np.array([max(s.initial, 0.1) for s in model.states])
    return y * rng.uniform(0.7, 1.3, len(model.states))


def test_jacobian_matches_finite_differences(model):
    mod = compiled(model)
    rng = np.random.default_rng(0)
    p = parameter_table(None, model)[0]
    u = np.array([i.default for i in model.inputs])
    u[model.input_index["vns_current"]] = 1.0
    u[model.input_index["vns_duty"]] = 0.1
    y = _state(model, rng)
    n = len(y)
    jac = np.zeros((n, n))
    mod.jac(y, p, u, jac)
    f0, f1 = np.zeros(n), np.zeros(n)
    fd = np.zeros((n, n))
    for j in range(n):
        h = 1e-7 * max(1.0, abs(y[j]))
        yp, ym = y.copy(), y.copy()
        yp[j] += h
        ym[j] -= h
        mod.rhs(yp, p, u, f0)
        mod.rhs(ym, p, u, f1)
        fd[:, j] = (f0 - f1) / (2 * h)
    np.testing.assert_allclose(jac, fd, rtol=1e-5, atol=1e-7)


def test_jacobian_finite_at_zero_amounts(model):
    mod = compiled(model)
    p = parameter_table(None, model)[0]
    u = np.array([i.default for i in model.inputs])
    y = np.array([s.initial for s in model.states])
    jac = np.zeros((len(y), len(y)))
    mod.jac(y, p, u, jac)
    assert np.all(np.isfinite(jac))


def test_kernel_matches_scipy_radau_through_events(model):
    mod = compiled(model)
    params = parameter_table(None, model)
    tl = compile_protocol(PROTO, model, model.defaults())
    save = np.linspace(0, tl.t[-1], 241)
    opts = SolverOptions(rtol=1e-8, atol=1e-11)
    states, status, _ = run_engine(model, params, tl, save, opts)
    assert status[0] == 0
    # Same start (the burned-in steady state), integrated by SciPy segment by segment.
    y = states[0, 0].copy()
    p = params[0]
    ref = np.empty_like(states[0])
    ref[0] = y
    for k in range(len(tl.t) - 1):
        y = y + tl.jump[k]
        u = tl.u[k]

        def f(t, x, u=u):
            dx = np.empty_like(x)
            mod.rhs(x, p, u, dx)
            return dx

        def jac(t, x, u=u):
            out = np.zeros((len(x), len(x)))
            mod.jac(x, p, u, out)
            return out

        t0, t1 = tl.t[k], tl.t[k + 1]
        inside = (save > t0) & (save <= t1)
        t_eval = save[inside]
        if not inside.any() or t_eval[-1] < t1:
            t_eval = np.append(t_eval, t1)
        sol = solve_ivp(f, (t0, t1), y, method="Radau", jac=jac, rtol=1e-10, atol=1e-12,
                        t_eval=t_eval)
        ref[inside] = sol.y[:, : inside.sum()].T
        y = sol.y[:, -1]
    scale = np.maximum(np.abs(ref).max(axis=0), 1e-3)
    err = np.abs(states[0] - ref) / scale
    assert err.max() < 1e-4
