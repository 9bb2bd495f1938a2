"""Statistics of trial endpoints in the form trials report them."""

from __future__ import annotations

import numpy as np


def wilson(successes: np.ndarray | float, n: np.ndarray | float,
           level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (fractions, within 0-1); NaN where
    ``n`` is 0 (Wilson 1927, J Am Stat Assoc 22:209; statsmodels ``proportion_confint``)."""
    from statsmodels.stats.proportion import proportion_confint

    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    ok = m > 0
    low, high = proportion_confint(np.where(ok, k, 0.0), np.where(ok, m, 1.0),
                                   alpha=1.0 - level, method="wilson")
    return (np.where(ok, np.clip(low, 0.0, 1.0), np.nan),
            np.where(ok, np.clip(high, 0.0, 1.0), np.nan))
