"""Shared fixtures: the model definition, a helper that simulates inline protocols and one
that follows a virtual population untreated from its baseline.

``run`` simulates with the shipped calibrated set (the default of every verb): the mechanism
checks test the model users get; the published trials are checked by ``moodtwin validate``.
"""

from __future__ import annotations

import numpy as np
import pytest

from moodtwin.model import default_model
from moodtwin.population._generate import baseline_protocol
from moodtwin.protocols import compile_protocol, parse_protocol
from moodtwin.simulation import SolverOptions, run_engine, simulate


@pytest.fixture(scope="session")
def model():
    return default_model()


@pytest.fixture(scope="session")
def run():
    """``run(duration, *therapies, background=None, blinding=None, **params) -> Result``
    (``blinding``: e.g. ``{"mode": "blinded", "p_active": 0.5}``; default open label)."""

    def _run(duration: str, *therapies: dict, background: str = "none", save=None,
             blinding: dict | None = None, **params):
        proto = parse_protocol({
            "name": "test", "duration": duration, "therapies": list(therapies),
            "background": {"oral_antidepressant": background},
            **({"blinding": blinding} if blinding else {}),
        })
        return simulate(proto, params or None, save_times_h=save)  # the shipped set

    return _run


@pytest.fixture(scope="session")
def untreated():
    """``untreated(pop, days, *observables) -> tuple of (patients, 2) arrays``: each
    observable of every patient's untreated course (no background drug) at its baseline and
    ``days`` days later."""

    def _untreated(pop, days: float, *observables: str) -> tuple[np.ndarray, ...]:
        m = pop.model
        tl = compile_protocol(baseline_protocol(False, f"{days} d"), m, m.defaults(),
                              natural_course=False)
        _, status, obs = run_engine(m, pop.table, tl, np.array([0.0, 24.0 * days]),
                                    SolverOptions(), y0=pop.y0)
        assert (status == 0).all()
        names = [o.name for o in m.observables]
        return tuple(obs[:, :, names.index(o)] for o in observables)

    return _untreated
