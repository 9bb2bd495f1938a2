"""Shared fixtures: the model definition and a helper that simulates inline protocols.

Both use the model definition's own values (:meth:`ParameterSet.definition`), explicitly:
the mechanism checks test the definition; the calibrated set (the default of every verb) is
checked against the published trials by ``moodtwin validate``.
"""

from __future__ import annotations

import pytest

from moodtwin.model import default_model
from moodtwin.parameter_sets import ParameterSet
from moodtwin.protocols import parse_protocol
from moodtwin.simulation import simulate


@pytest.fixture(scope="session")
def model():
    return default_model()


@pytest.fixture(scope="session")
def run():
    """``run(duration, *therapies, background=None, **params) -> Result``."""

    def _run(duration: str, *therapies: dict, background: str = "none", save=None, **params):
        proto = parse_protocol({
            "name": "test", "duration": duration, "therapies": list(therapies),
            "background": {"oral_antidepressant": background},
        })
        return simulate(proto, params or None, save_times_h=save,
                        parameters=ParameterSet.definition())

    return _run
