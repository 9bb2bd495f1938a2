"""Gaussian mixtures with shared components across trial arms, as Stone et al. 2022 fitted
the improvements of 232 registration trials (a model check, not a calibration target)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STONE_COMPONENTS = (1.7, 8.9, 16.0)
"""Means of the minimal, non-specific and large components (HAMD-17 points of improvement
after 8 weeks; Stone et al. 2022 BMJ 378:e067606)."""
STONE_PLACEBO_WEIGHTS = (0.21, 0.69, 0.10)
"""Their weights in the placebo arms (Stone et al. 2022; drug arms: 24.5 % large)."""


def shared_mixture(arms: Sequence[np.ndarray], start: Sequence[float] = STONE_COMPONENTS,
                   iterations: int = 500) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Fit normal components shared by every arm, with each arm's own weights, by
    expectation-maximization from the component means ``start`` (SD 4 points each).

    Returns (means, SDs, weights per arm), components in the order of ``start``.
    """
    mean = np.asarray(start, dtype=float)
    sd = np.full(len(mean), 4.0)
    data = [np.asarray(a, dtype=float)[np.isfinite(a)] for a in arms]
    weights = [np.full(len(mean), 1.0 / len(mean)) for _ in data]
    for _ in range(iterations):
        resp = []
        for x, w in zip(data, weights, strict=True):
            dens = w * np.exp(-0.5 * ((x[:, None] - mean) / sd) ** 2) / sd
            resp.append(dens / np.maximum(dens.sum(axis=1, keepdims=True), 1e-300))
        weights = [r.mean(axis=0) for r in resp]
        r, x = np.vstack(resp), np.concatenate(data)
        total = np.maximum(r.sum(axis=0), 1e-12)
        mean = (r * x[:, None]).sum(axis=0) / total
        sd = np.maximum(np.sqrt((r * (x[:, None] - mean) ** 2).sum(axis=0) / total), 0.5)
    return mean, sd, weights
