"""The shared-component mixture fit (``moodtwin.calibration._mixture``) on data drawn from a
known mixture: it must recover the weights it was drawn with."""

from __future__ import annotations

import numpy as np

from moodtwin.calibration._mixture import STONE_COMPONENTS, shared_mixture


def test_shared_mixture_recovers_known_weights_per_arm() -> None:
    """Two arms drawn from components at Stone et al.'s means (SD 3 points) with different
    weights, 20,000 draws each: the fitted weights lie within 0.03 of the true ones and the
    means within 0.5 points (a weight's sampling SD here is about 0.003)."""
    rng = np.random.default_rng(7)
    truth = ([0.21, 0.69, 0.10], [0.15, 0.60, 0.25])

    def draw(weights: list[float]) -> np.ndarray:
        component = rng.choice(3, 20000, p=weights)
        return np.asarray(STONE_COMPONENTS)[component] + rng.normal(0.0, 3.0, 20000)

    mean, sd, weights = shared_mixture([draw(w) for w in truth])
    assert np.all(np.abs(mean - np.asarray(STONE_COMPONENTS)) < 0.5), mean
    for got, true in zip(weights, truth, strict=True):
        assert np.all(np.abs(got - np.asarray(true)) < 0.03), (got, true)
