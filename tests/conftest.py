"""Shared fixtures: the model definition and a helper that simulates inline protocols.

``run`` simulates with the shipped calibrated set (the default of every verb): the mechanism
checks test the model users get; the published trials are checked by ``moodtwin validate``.
"""

from __future__ import annotations

import pytest

from moodtwin.model import default_model
from moodtwin.protocols import parse_protocol
from moodtwin.simulation import simulate


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
