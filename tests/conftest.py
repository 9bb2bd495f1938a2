"""Shared fixtures: the default model and a helper that simulates inline protocols."""

from __future__ import annotations

import pytest

from moodtwin.model import default_model
from moodtwin.protocols import parse_protocol
from moodtwin.simulate import simulate


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
        return simulate(proto, params or None, save_times_h=save)

    return _run
