"""The generated kernel against independent references: SciPy Radau and finite differences."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from moodtwin.protocols import Timeline, compile_protocol, parse_protocol
from moodtwin.simulation import SolverOptions, parameter_table, run_engine
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


# ---- the Rodas5P kernel on a small test model (generated through the same codegen) ----

def _toy_model():
    """Logistic growth ``x`` driving a stiff relaxation ``z`` (rate 40/h) plus an input."""
    from moodtwin.model import Input, Mechanism, Parameter, State, build_model

    par = dict(unit="1/h", low=0.0, high=100.0, source="test", description="rate")
    return build_model("toy", [Mechanism(
        name="toy", doc="test",
        states=(State("x", "r*x*(1 - x)", "1", "logistic", initial=0.1),
                State("z", "k*(x**2 + drive - z)", "1", "stiff follower", initial=0.0)),
        parameters=(Parameter("r", 1.5, **par), Parameter("k", 40.0, **par)),
        inputs=(Input("drive", "1", "additive input"),),
    )])


def _toy_reference(mod, p, u, y0, t):
    def f(_, x):
        dx = np.empty(2)
        mod.rhs(x, p, u, dx)
        return dx

    def jac(_, x):
        out = np.zeros((2, 2))
        mod.jac(x, p, u, out)
        return out

    return solve_ivp(f, (0.0, t[-1]), y0, method="Radau", jac=jac, rtol=1e-13, atol=1e-15,
                     t_eval=t).y.T


def _fixed_steps(mod, p, u, y0, h, n_steps, theta):
    """``n_steps`` Rodas steps of size ``h``; states at step ends and at ``theta`` inside."""
    c = np.empty(mod.N_CONST)
    mod.precompute(p, u, c)
    y, fy, f, ynew, dense = y0.copy(), np.empty(2), np.empty(2), np.empty(2), np.empty(2)
    ks = np.empty((mod._NS, 2))
    jv, a = np.empty(len(mod.JAC_ROWS)), np.empty(mod.LU_SIZE)
    w, piv, stats = np.empty((2, 2)), np.empty(2, dtype=np.int64), np.zeros(5, dtype=np.int64)
    ends, inside = [], []
    for _ in range(n_steps):
        mod.rhs_c(y, p, u, c, fy)
        assert mod._rodas_step(y, fy, h, p, u, c, ks, ynew, f, jv, a, w, piv, stats)
        mod._dense_output(theta, y, ynew, ks, dense)
        inside.append(dense.copy())
        y[:] = ynew
        ends.append(y.copy())
    return np.array(ends), np.array(inside)


def test_rodas5p_converges_with_order_five_and_is_l_stable():
    mod = compiled(_toy_model())
    u, y0, end = np.array([0.2]), np.array([0.1, 0.0]), 4.0
    p = np.array([1.5, 2.0])  # non-stiff: the classical order shows
    errs, dense_errs = [], []
    for n_steps in (32, 64, 128):
        h = end / n_steps
        t = np.arange(1, n_steps + 1) * h
        ref = _toy_reference(mod, p, u, y0, np.sort(np.concatenate([t, t - 0.5 * h])))
        ends, inside = _fixed_steps(mod, p, u, y0, h, n_steps, 0.5)
        errs.append(np.abs(ends[-1] - ref[-1]).max())
        dense_errs.append(np.abs(inside - ref[0::2]).max())
    order = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    dense_order = np.log2(np.array(dense_errs[:-1]) / np.array(dense_errs[1:]))
    assert np.all(order > 4.6), order
    assert np.all(dense_order > 3.5), dense_order
    # very stiff follower (rate 1e6/h), step 0.5 h: z lands on its quasi-steady state
    ends, _ = _fixed_steps(mod, np.array([1.5, 1e6]), u, y0, 0.5, 4, 0.5)
    np.testing.assert_allclose(ends[:, 1], ends[:, 0] ** 2 + u[0], rtol=1e-3)


def test_events_saves_are_left_limits_and_dense_outputs_are_accurate():
    model = _toy_model()
    mod = compiled(model)
    p = np.array([[1.5, 40.0]])
    t = np.array([0.0, 1.0, 2.5, 4.0])
    u = np.array([[0.0], [0.5], [0.0]])
    jump = np.array([[0.0, 0.0], [0.3, 0.0], [0.0, -0.2]])
    tl = Timeline(t=t, u=u, jump=jump, baseline_inputs=np.zeros(1), dose_times=np.array([1.0]))
    save = np.array([0.0, 0.37, 1.0, 1.01, 2.5, 3.3, 4.0])
    y0 = np.array([[0.1, 0.0]])
    ref = np.empty((len(save), 2))
    y = y0[0].copy()
    for k in range(3):
        ref[save == t[k]] = y  # saved before the jump at the same time
        y = y + jump[k]
        inside = (save > t[k]) & (save < t[k + 1])
        rel = np.concatenate([[0.0], save[inside] - t[k], [t[k + 1] - t[k]]])
        sol = _toy_reference(mod, p[0], u[k], y, rel)
        ref[inside] = sol[1:-1]
        y = sol[-1]
    ref[save == t[-1]] = y
    for first_step in (0.0, 0.01):  # automatic and fixed first step after events
        states, status, _ = run_engine(
            model, p, tl, save, SolverOptions(rtol=1e-8, atol=1e-10, first_step_h=first_step),
            y0=y0)
        assert status[0] == 0
        np.testing.assert_allclose(states[0], ref, rtol=1e-6, atol=1e-8)


def test_sparse_lu_matches_dense_solve_and_falls_back_to_pivoting(model):
    mod = compiled(model)
    rng = np.random.default_rng(3)
    n, nj = len(model.states), len(mod.JAC_ROWS)
    a, w = np.empty(mod.LU_SIZE), np.empty((n, n))
    piv = np.empty(n, dtype=np.int64)
    diag = {int(mod.JAC_ROWS[k]): k for k in np.nonzero(mod.JAC_ROWS == mod.JAC_COLS)[0]}
    modes = set()
    for hg in (1e-3, 1.0, 1e3):
        for s in [None, *diag]:
            jv = rng.normal(size=nj)
            if s is not None:  # zero diagonal of I - hg*J at state s: pivoting may be needed
                jv[diag[s]] = 1.0 / hg
            m = np.eye(n)
            m[mod.JAC_ROWS, mod.JAC_COLS] -= hg * jv
            if np.linalg.cond(m) > 1e10:
                continue
            b = rng.normal(size=n)
            x = np.stack([b, b])  # solves act on one row of a 2-D array
            if mod.lu_factor(jv, hg, a):
                mod.lu_solve(a, x, 1)
                modes.add("sparse")
            else:  # the kernel's fallback
                assert mod._dense_factor(jv, hg, w, piv)
                mod._dense_solve(w, piv, x, 1)
                modes.add("dense")
            # a backward-stable solve leaves a residual of order eps*|m|*|x|
            tol = 1e-12 * np.linalg.norm(m, np.inf) * np.abs(x[1]).max()
            np.testing.assert_allclose(m @ x[1], b, rtol=0, atol=max(tol, 1e-12))
            np.testing.assert_array_equal(x[0], b)
    assert modes == {"sparse", "dense"}


def test_restart_learning_tells_event_kinds_apart(model):
    """Infusion starts, infusion stops and clinic visits (reviews) are learnt as
    separate kinds, and the same event a week later has the same kind (the restart step is
    learnt per kind)."""
    mod = compiled(model)
    proto = parse_protocol({
        "name": "weekly ketamine", "duration": "3 week", "visits": {"every": "1 week"},
        "therapies": [{"type": "ketamine_iv", "dose": "0.5 mg/kg", "at": ["2 d"],
                       "repeat": {"every": "1 week", "count": 3}}]})
    tl = compile_protocol(proto, model, model.defaults())
    kinds = [mod._event_kind(tl.u, tl.jump, k) for k in range(len(tl.u))]
    rate = [i.name for i in model.inputs].index("ketamine_rate")
    rises = [k for k in range(1, len(tl.u)) if tl.u[k, rate] > tl.u[k - 1, rate]]
    falls = [k for k in range(1, len(tl.u)) if tl.u[k, rate] < tl.u[k - 1, rate]]
    review = [i.name for i in model.inputs].index("review")
    visits = [k for k in range(1, len(tl.u)) if tl.u[k, review] > tl.u[k - 1, review]
              and tl.u[k, rate] == tl.u[k - 1, rate]]
    assert len(rises) == len(falls) == 3 and len(visits) >= 2
    assert {kinds[k] for k in rises} == {2 + 2 * rate}
    assert {kinds[k] for k in falls} == {1 + 2 * rate}
    assert {kinds[k] for k in visits} == {2 + 2 * review}
