"""ABC-SMC machinery on a toy model with known parameters (not on the shipped numbers)."""

from __future__ import annotations

import numpy as np

from moodtwin.calibration import Prior, abc_smc


def test_abc_smc_recovers_known_parameters_and_resumes(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 1.0, 8)
    truth = {"a": 2.0, "b": 0.5}
    sigma = 0.05
    data = truth["a"] * x + truth["b"] + rng.normal(0.0, sigma, x.size)

    def distance(v: dict[str, float]) -> float:
        return float(np.sum(((v["a"] * x + v["b"] - data) / sigma) ** 2))

    priors = [Prior("a", 0.1, 10.0, "toy"), Prior("b", 0.05, 5.0, "toy")]
    db = tmp_path / "abc.db"
    first = abc_smc(distance, priors, database=db, population_size=60, generations=3)
    post = abc_smc(distance, priors, database=db, population_size=60, generations=7)
    assert len(post.epsilons) == 7 and post.epsilons[-1] < first.epsilons[-1]  # resumed
    interval = post.interval(0.95)
    for name, value in truth.items():
        lo, hi = interval[name]
        assert lo <= value <= hi, (name, lo, hi)
    shrink = post.contraction()
    assert shrink["a"] > 0.9 and shrink["b"] > 0.9  # the data pin both
