"""Between-trial heterogeneity: how far a published trial result strays from what the model
gives for its design even when the model is right (a trial-level random effect, or model
discrepancy).

Trials of one design differ by more than their sampling error: the placebo and drug
responses of depression trials are heterogeneous (I^2 often 30-70 %, e.g. Jones et al. 2021
JAMA Netw Open for placebo arms of treatment-resistant depression), and near-identical
designs disagree (esketamine's day-28 response 69.3 % in TRANSFORM-2, 54.1 % on 56 mg in
TRANSFORM-1). The calibration scores every published number with this term beside its
published and Monte-Carlo errors (:mod:`moodtwin.calibration`); a virtual trial's prediction
interval for the published result of a *new* trial of its design adds the same term
(:func:`prediction_interval`). Its size is a fraction of the value (of a ratio: on the log
scale): :data:`HETEROGENEITY` (assumed) in the fit, and :func:`moment_estimate` measures it
on the leave-one-trial-out residuals of a calibration, which records it in the set it writes;
a prediction uses that measured value when its parameter set has one (:func:`of_set`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

if TYPE_CHECKING:
    from moodtwin.parameter_sets import ParameterSet

#: Between-trial heterogeneity as a fraction of the value (of a ratio: on its log scale, where
#: a fraction is a difference). Assumed (0.10) in every calibration so far; the
#: leave-one-trial-out residuals of rounds 45 and 47 give moment estimates of 0.139 and 0.165
#: (README, "Calibration and validation"), so this is on the low side. Predictions use a
#: set's measured value where it has one (:func:`of_set`).
HETEROGENEITY = 0.10
_Z95 = 1.959964


def of_set(parameters: ParameterSet) -> tuple[float, str]:
    """(heterogeneity, where it comes from) for predictions with ``parameters``: what the
    calibration that wrote the set measured out of sample, else :data:`HETEROGENEITY`."""
    if parameters.heterogeneity is not None:
        return parameters.heterogeneity, "measured out of sample by the set's calibration"
    return HETEROGENEITY, "assumed: the set's calibration did not measure it"


def prediction_interval(mean: ArrayLike, low: ArrayLike, high: ArrayLike, *,
                        ratio: ArrayLike, rate: ArrayLike,
                        heterogeneity: float = HETEROGENEITY
                        ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """95 % prediction interval for the published value of a new trial: each side of the
    simulated 95 % interval ``[low, high]`` around ``mean`` (on the log scale for a
    ``ratio``; a rate's Wilson interval is asymmetric) widened by 1.96 heterogeneity SDs in
    quadrature, so it always contains ``[low, high]``; a ``rate`` stays within 0-1. NaN where
    the interval is NaN."""
    m, lo, hi = (np.asarray(x, dtype=np.float64) for x in (mean, low, high))
    ratio = np.broadcast_to(np.asarray(ratio, dtype=bool), m.shape)
    rate = np.broadcast_to(np.asarray(rate, dtype=bool), m.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        c, a, b = (np.where(ratio, np.log(x), x) for x in (m, lo, hi))
        tau = _Z95 * heterogeneity * np.where(ratio, 1.0, np.abs(m))
        a, b = c - np.hypot(c - a, tau), c + np.hypot(b - c, tau)
        a, b = np.where(ratio, np.exp(a), a), np.where(ratio, np.exp(b), b)
    return np.where(rate, np.clip(a, 0.0, 1.0), a), np.where(rate, np.clip(b, 0.0, 1.0), b)


def moment_estimate(residual: ArrayLike, variance: ArrayLike, scale: ArrayLike) -> float:
    """Heterogeneity fraction ``h`` at which the residuals' chi-square equals its degrees of
    freedom: ``sum(r^2 / (v + (h*s)^2)) = k`` (DerSimonian & Laird 1986's moment idea), with
    ``r`` the prediction minus the published value, ``v`` their variance without
    heterogeneity and ``s`` the scale of each value (``|published|``; 1 for a log ratio).
    0 when the residuals need none."""
    r, v, s = (np.asarray(x, dtype=np.float64) for x in (residual, variance, scale))
    ok = np.isfinite(r) & np.isfinite(v) & (v > 0)
    r, v, s = r[ok], v[ok], s[ok]
    if not r.size:
        return float("nan")

    def excess(h: float) -> float:
        return float(np.sum(r**2 / (v + (h * s) ** 2)) - r.size)

    if excess(0.0) <= 0:
        return 0.0
    return float(optimize.brentq(excess, 0.0, 100.0))
