"""Endpoint statistics against hand calculations or independent libraries, on small data."""

from __future__ import annotations

import numpy as np
import pytest

from moodtwin.trials._stats import wilson


def test_wilson_matches_the_hand_formula_and_stays_within_0_1() -> None:
    # 5/10: centre 0.5, half-width 1.96*sqrt(0.025 + 1.96^2/400)/(1 + 1.96^2/10)
    z = 1.959964
    half = z * np.sqrt(0.025 + z * z / 400) / (1 + z * z / 10)
    low, high = wilson(5, 10)
    assert float(low) == pytest.approx(0.5 - half, abs=1e-6)
    assert float(high) == pytest.approx(0.5 + half, abs=1e-6)
    low, high = wilson(np.array([0, 1, 1]), np.array([10, 1, 0]))
    assert low[0] == 0.0 and high[0] == pytest.approx(z * z / (10 + z * z), abs=1e-6)
    assert high[1] == 1.0 and 0.0 < low[1] < 1.0
    assert np.isnan(low[2]) and np.isnan(high[2])
