"""Likelihood of a person's record under the model, for many parameter sets at once.

Scale scores are mapped to the latent MADRS or HAM-A (``moodtwin.scales.to_source``) and
compared with the simulated latent score through the model's own observation process: the
day-to-day fluctuation (an Ornstein-Uhlenbeck process, SD ``daily_sd``, correlation time
``daily_corr_time``) averaged over each rating's recall period (the past week, or since the
previous rating), the error of each rating (SD ``rating_sd``) and the rounding of each score
to whole points (variance slope^2/12 in MADRS points), evaluated exactly by a Kalman filter. Labs
and RMSSD are log-normal around the model's observable with the measurement log-SDs of
:mod:`moodtwin.person._schema`. All parameter sets are simulated in one batched call of
the compiled engine (one set per thread).

Parameters that only scale an observable (``rmssd_ref``, ``bdnf_serum_ref``) are integrated
out exactly: with a log-normal prior and log-normal measurements the marginal likelihood is
Gaussian in closed form, and their conditional posterior (normal in log space) is returned
with each evaluation so that draws can be made afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numba
import numpy as np

from moodtwin import scales
from moodtwin.model import Model
from moodtwin.person._schema import PersonRecord
from moodtwin.protocols import compile_protocol
from moodtwin.simulation import SolverOptions, parameter_table, run_engine

#: Solver tolerance of fits: errors below 0.01 MADRS points (checked in tests).
FIT_OPTIONS = SolverOptions(rtol=1e-4)
#: Parameters that multiply one observable and nothing else (integrated out analytically).
SCALE_PARAMETERS = {"rmssd_ref": "rmssd", "bdnf_serum_ref": "bdnf_serum_ngml"}


@dataclass(frozen=True)
class Predictions:
    """Latent scores at the score times (one array per construct present, depression
    first), biomarkers at their times, solver status."""

    scores: list[np.ndarray]  # (n, scores of the construct)
    biomarkers: np.ndarray  # (n, biomarker observations)
    status: np.ndarray  # (n,)


class Likelihood:
    """``loglik(values) -> (n,)`` for parameter values given by name (arrays of length n)."""

    def __init__(self, model: Model, record: PersonRecord,
                 marginal: Mapping[str, tuple[float, float]] | None = None):
        """``marginal``: scale parameters to integrate out, with the mean and SD of their
        normal prior on the log scale."""
        self.model, self.record = model, record
        self.timeline = compile_protocol(record.protocol, model, model.defaults())
        sc, bio = record.scores, record.biomarkers
        self.save_t = np.unique(np.concatenate([sc["time_h"].to_numpy(float),
                                                bio["time_h"].to_numpy(float)]))
        names = [o.name for o in model.observables]
        construct = np.array([scales.get_scale(s).construct for s in sc["scale"]])
        self.series = []  # (observable index, save index, times, source scores, rounding var,
        #                    fluctuation scale) per construct
        for kind, obs, scale in (("depression", "madrs", 1.0), ("anxiety", "hama", 56 / 60)):
            part = sc[construct == kind]
            if len(part):
                t = part["time_h"].to_numpy(float)
                y, q = source_equivalent(part["scale"].to_numpy(), part["score"].to_numpy(float))
                self.series.append((names.index(obs), np.searchsorted(self.save_t, t), t, y, q,
                                    scale))
        self.bio_idx = np.searchsorted(self.save_t, bio["time_h"].to_numpy(float))
        self.bio_obs = np.array([names.index(o) for o in bio["observable"]], dtype=int)
        self.bio_log = np.log(bio["value"].to_numpy(float))
        self.bio_sd = bio["log_sd"].to_numpy(float)
        defaults = model.defaults()
        self.marginal = []  # (observation mask, prior mean and SD of log(ref/ref0), log ref0)
        for name, (mean, sd) in (marginal or {}).items():
            mask = (bio["observable"] == SCALE_PARAMETERS[name]).to_numpy()
            ref0 = np.log(defaults[name])
            self.marginal.append((mask, mean - ref0, sd, ref0))
        self.free = ~np.any([m for m, *_ in self.marginal], axis=0) if self.marginal else \
            np.ones(len(bio), dtype=bool)
    def table(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(values.values())))
        return parameter_table(values, self.model, n)

    def predict(self, values: Mapping[str, np.ndarray]) -> Predictions:
        table = self.table(values)
        _, status, obs = run_engine(self.model, table, self.timeline, self.save_t, FIT_OPTIONS)
        return Predictions([obs[:, idx, j] for j, idx, *_ in self.series],
                           obs[:, self.bio_idx, self.bio_obs], status)

    def __call__(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        return self.evaluate(values)[0]

    def evaluate(self, values: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(n,) log likelihood and (n, 2 x marginalised parameters) conditional posterior
        mean and SD of each integrated-out parameter's log."""
        table = self.table(values)
        pred = self.predict(values)
        sd = table[:, self.model.parameter_index["daily_sd"]]
        tau = table[:, self.model.parameter_index["daily_corr_time"]]
        rating = table[:, self.model.parameter_index["rating_sd"]]
        ll = np.zeros(len(table))
        for (_, _, t, y, q, scale), latent in zip(self.series, pred.scores, strict=True):
            ll += recall_loglik(y[None, :] - latent, t, q, sd * scale, tau, rating * scale)
        blobs = np.zeros((len(table), 2 * len(self.marginal)))
        if len(self.bio_log):
            with np.errstate(divide="ignore", invalid="ignore"):
                r = self.bio_log[None, :] - np.log(pred.biomarkers)
            z = r[:, self.free] / self.bio_sd[self.free]
            ll += -0.5 * np.sum(z**2, axis=1) - np.sum(np.log(self.bio_sd[self.free]))
            for j, (mask, m0, s0, ref0) in enumerate(self.marginal):
                mean, sd, part = _normal_offset(r[:, mask], self.bio_sd[mask], m0, s0)
                ll += part
                blobs[:, 2 * j], blobs[:, 2 * j + 1] = mean + ref0, sd
        ok = (pred.status == 0) & np.isfinite(ll)
        return np.where(ok, ll, -np.inf), blobs


def _normal_offset(r: np.ndarray, sd: np.ndarray, m0: float,
                   s0: float) -> tuple[np.ndarray, float, np.ndarray]:
    """Integrate u ~ N(m0, s0^2) out of r_i = u + N(0, sd_i^2): posterior mean and SD of u and
    the log marginal likelihood (rows of ``r`` are independent cases)."""
    w = 1.0 / sd**2
    precision = 1.0 / s0**2 + w.sum()
    mean = (m0 / s0**2 + r @ w) / precision
    quad = (r**2) @ w + m0**2 / s0**2 - mean**2 * precision
    log_ml = (-0.5 * np.sum(np.log(2 * np.pi * sd**2)) - 0.5 * np.log(s0**2 * precision)
              - 0.5 * quad)
    return mean, float(np.sqrt(1.0 / precision)), log_ml


def source_equivalent(scale_names: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """MADRS (or HAM-A) equivalents of scale scores and the variance of their rounding."""
    y = np.empty(len(scores))
    q = np.empty(len(scores))
    for name in np.unique(scale_names):
        k = scale_names == name
        y[k] = scales.to_source(scores[k], name)
        slope = scales.to_source(scores[k] + 0.5, name) - scales.to_source(scores[k] - 0.5, name)
        q[k] = np.maximum(slope, 1.0 / 60.0) ** 2 / 12.0
    return y, q


def recall_loglik(resid: np.ndarray, t: np.ndarray, q: np.ndarray, sd: np.ndarray,
                  tau: np.ndarray, rating: np.ndarray | float = 0.0) -> np.ndarray:
    """Exact log likelihood of residuals (n, k) of ratings at the times ``t`` (h), each
    the mean of an Ornstein-Uhlenbeck fluctuation (SD ``sd``, correlation time ``tau`` h, per
    row) over its recall period (:func:`moodtwin.scales.recall_windows`: the past week, or
    since the previous rating), plus independent rounding noise ``q`` (variance per
    observation) and rating error (SD ``rating`` per row): the observation process of
    :func:`moodtwin.simulation.simulate`. Ratings at the same time share one recall mean.

    A Kalman filter on the state (fluctuation at the end of the window, window mean), unit
    variance: over a window of length w, with rho = exp(-w/tau) and c = (tau/w)(1 - rho), the
    end value is rho*x0 + e1 and the mean c*x0 + e2, Var e1 = 1 - rho^2, Var e2 = v - c^2
    with v = 2 (tau/w)^2 (w/tau - 1 + rho), Cov(e1, e2) = c (1 - rho)."""
    order = np.argsort(t, kind="stable")
    resid, t, q = resid[:, order], t[order], q[order]
    times, first = np.unique(t, return_index=True)
    bounds = np.append(first, len(t))
    per_row = [np.broadcast_to(np.asarray(x, dtype=np.float64), resid.shape[:1]).copy()
               for x in (sd, tau, rating)]
    return _recall_filter(np.ascontiguousarray(resid, dtype=np.float64), times,
                          scales.recall_windows(times), bounds, q.astype(np.float64), *per_row)


@numba.njit(cache=True)
def _recall_filter(resid: np.ndarray, times: np.ndarray, windows: np.ndarray,
                   bounds: np.ndarray, q: np.ndarray, sd: np.ndarray, tau: np.ndarray,
                   rating: np.ndarray) -> np.ndarray:
    """The filter of :func:`recall_loglik`, one row at a time (ratings at times[u] are the
    columns bounds[u]:bounds[u + 1])."""
    n = resid.shape[0]
    ll = np.zeros(n)
    for i in range(n):
        mx = mm = 0.0
        pxx = pxm = pmm = 0.0
        end = 0.0
        for u in range(len(times)):
            w = windows[u]
            if u:
                g = np.exp(-(times[u] - w - end) / tau[i])
                mu, var_x = g * mx, g * g * pxx + 1.0 - g * g
            else:
                mu, var_x = 0.0, 1.0
            rho = np.exp(-w / tau[i])
            c = tau[i] / w * (1.0 - rho)
            v = 2.0 * (tau[i] / w) ** 2 * (w / tau[i] - 1.0 + rho)
            mx, mm = rho * mu, c * mu
            pxx = rho * rho * var_x + 1.0 - rho * rho
            pxm = rho * c * var_x + c * (1.0 - rho)
            pmm = c * c * var_x + v - c * c
            end = times[u]
            for j in range(bounds[u], bounds[u + 1]):
                s = sd[i] * sd[i] * pmm + q[j] + rating[i] * rating[i]
                r = resid[i, j] - sd[i] * mm
                ll[i] -= 0.5 * (np.log(2.0 * np.pi * s) + r * r / s)
                kx, km = sd[i] * pxm / s, sd[i] * pmm / s
                mx, mm = mx + kx * r, mm + km * r
                pxx, pxm, pmm = pxx - kx * kx * s, pxm - kx * km * s, pmm - km * km * s
    return ll
