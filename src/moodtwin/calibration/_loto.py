"""Leave-one-trial-out validation of a calibration: how well the model predicts a trial file
it was not fitted to.

Refitting once per trial file would cost one full calibration each. Instead one set of
simulations serves every left-out file (ABC importance sampling, Beaumont et al. 2009
Biometrika 96:983): parameter sets are proposed from a Gaussian kernel around the posterior
ensemble (twice its weighted covariance on the log scale, shrunk toward the diagonal, kept
inside the prior box) and each is simulated on every trial (``realizations`` times, as in
the fit). For left-out file ``f`` the proposals whose distance *without f* is in the lowest
``accept`` quantile are the accepted ABC sample, weighted by prior / proposal density; their
simulated values of ``f`` are the prediction, with its spread (parameter uncertainty) plus
the Monte-Carlo error of a virtual trial. A published number passes when ``|predicted -
published| / sqrt(se_published^2 + sd_predicted^2) <= 1.96`` (a ratio on the log scale).

The proposal is centred on a posterior that saw ``f``; importance weights correct for the
proposal, so the estimate is unbiased but noisy where few proposals are accepted (the table
reports each file's effective sample size).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from moodtwin.calibration._abc import (
    SHRINKAGE,
    Posterior,
    fitting_mc_se,
    trial_scores,
)
from moodtwin.calibration._targets import Target
from moodtwin.heterogeneity import HETEROGENEITY, moment_estimate
from moodtwin.parameter_sets import ParameterSet
from moodtwin.workers import process_map

_SCORE: Callable[[dict[str, float]], dict[str, tuple[float, float]]] | None = None


def _score(values: dict[str, float]) -> dict[str, tuple[float, float]]:
    if _SCORE is None:
        raise RuntimeError("leave_one_trial_out sets the scorer before simulating.")
    return _SCORE(values)


@dataclass
class LeaveOneOut:
    """One row per published number: its trial file, published value and standard error,
    prediction with the file left out (mean and SD), z, pass, and the file's effective
    sample size."""

    table: pd.DataFrame
    proposals: int

    @property
    def passed(self) -> int:
        return int(self.table["pass"].sum())

    @property
    def heterogeneity(self) -> float:
        """Between-trial heterogeneity (fraction of the value) that these out-of-sample
        residuals imply (:func:`moodtwin.heterogeneity.moment_estimate`; a ratio on the log
        scale)."""
        t = self.table
        log = (t["scale"] == "log").to_numpy()
        pred, pub = t["predicted"].to_numpy(float), t["published"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(log, np.log(pred) - np.log(pub), pred - pub)
        v = t["published_se"].to_numpy(float) ** 2 + t["predicted_sd"].to_numpy(float) ** 2
        return moment_estimate(r, v, np.where(log, 1.0, np.abs(pub)))

    def summary(self) -> str:
        by_file = self.table.groupby("trial")["pass"].agg(["sum", "count"])
        files = ", ".join(f"{f} {int(r['sum'])}/{int(r['count'])}"
                          for f, r in by_file.iterrows())
        return (f"leave-one-trial-out: {self.passed} of {len(self.table)} published numbers "
                f"pass when their trial file is left out of the fit ({self.proposals} "
                f"proposals; {files}); between-trial heterogeneity these residuals imply: "
                f"{self.heterogeneity:.3f} of the value (the fit assumes {HETEROGENEITY:g})")


def _proposal(post: Posterior, rng: np.random.Generator, size: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``size`` log-scale parameter vectors from the kernel mixture around the
    posterior, inside the prior box, with their (unnormalised) proposal density."""
    x = np.log(post.samples)
    w = post.weights
    mean = w @ x
    cov = 2.0 * ((x - mean).T * w) @ (x - mean)
    cov = (1 - SHRINKAGE) * cov + SHRINKAGE * np.diag(np.diag(cov))
    cov += 1e-9 * np.eye(len(cov))
    lo = np.log([p.low for p in post.priors])
    hi = np.log([p.high for p in post.priors])
    chol = np.linalg.cholesky(cov)
    out: list[np.ndarray] = []
    while len(out) < size:
        j = rng.choice(len(w), p=w)
        cand = x[j] + chol @ rng.standard_normal(len(lo))
        if np.all((cand >= lo) & (cand <= hi)):
            out.append(cand)
    draws = np.array(out)
    inv = np.linalg.inv(cov)
    diff = draws[:, None, :] - x[None, :, :]
    dens = np.exp(-0.5 * np.einsum("kjp,pq,kjq->kj", diff, inv, diff)) @ w
    return draws, dens


@dataclass(frozen=True)
class Observed:
    """One published number for :func:`leave_one_group_out`: its group (trial file), value,
    standard error, and the Monte-Carlo standard error of its simulation; a ratio
    (``log``) is compared on the log scale, where both standard errors are given."""

    label: str
    group: str
    value: float
    se: float
    se_mc: float = 0.0
    log: bool = False


def leave_one_group_out(
    post: Posterior, score: Callable[[dict[str, float]], dict[str, tuple[float, float]]],
    observed: Sequence[Observed], *, proposals: int = 200, accept: float = 0.25,
    seed: int = 0, workers: int = 1, progress: Callable[[str], None] | None = None,
) -> LeaveOneOut:
    """Predict each group of ``observed`` from an ABC sample fitted to the other groups;
    ``score`` maps a parameter mapping to each label's (simulated value, z^2)."""
    global _SCORE
    rng = np.random.default_rng(seed)
    draws, dens = _proposal(post, rng, proposals)
    values = [{n: float(math.exp(v)) for n, v in zip(post.names, d, strict=True)}
              for d in draws]
    _SCORE = score
    if progress is not None:
        progress(f"leave-one-trial-out: simulating {proposals} proposals on every trial")
    scores = process_map(_score, values, workers)
    sim = np.array([[s.get(o.label, (math.nan, 0.0))[0] for o in observed] for s in scores])
    z2 = np.array([[s.get(o.label, (math.nan, 100.0))[1] for o in observed] for s in scores])
    rows = []
    for g in sorted({o.group for o in observed}):
        mine = np.array([o.group == g for o in observed])
        d_without = z2[:, ~mine].sum(axis=1)
        ok = d_without <= np.quantile(d_without, accept)
        iw = np.where(ok, 1.0 / dens, 0.0)
        iw /= iw.sum()
        ess = 1.0 / np.sum(iw**2)
        for j in np.flatnonzero(mine):
            o = observed[j]
            v = sim[:, j]
            if o.log:
                v = np.log(np.where(v > 0, v, np.nan))
            good = ok & np.isfinite(v)
            mean, sd = math.nan, math.nan
            if good.any():
                ww = iw[good] / iw[good].sum()
                mean = float(ww @ v[good])
                sd = math.sqrt(float(ww @ (v[good] - mean) ** 2) + o.se_mc**2)
            z = (mean - (math.log(o.value) if o.log else o.value)) / math.hypot(o.se, sd)
            rows.append({"trial": g, "target": o.label, "published": o.value,
                         "published_se": o.se,
                         "predicted": math.exp(mean) if o.log else mean, "predicted_sd": sd,
                         "scale": "log" if o.log else "linear",
                         "z": z, "pass": bool(abs(z) <= 1.96), "ess": round(ess, 1)})
    return LeaveOneOut(pd.DataFrame(rows), proposals)


def leave_one_trial_out(
    post: Posterior, targets: Sequence[Target], *, proposals: int = 200, accept: float = 0.25,
    n_max: int = 150, seed: int = 0, workers: int = 1,
    parameters: ParameterSet | None = None, progress: Callable[[str], None] | None = None,
    realizations: int = 1, mc_error: float | None = None,
) -> LeaveOneOut:
    """Predict each trial file of ``targets`` from a fit without it (module docstring);
    ``realizations`` and ``mc_error`` as in :func:`~moodtwin.calibration._abc.trial_scores`."""
    observed = [Observed(t.label, t.trial_file.stem, float(t.published.value), t.sigma,
                         fitting_mc_se(t, n_max, realizations, mc_error), t.is_ratio)
                for t in targets if t.published.value is not None]
    score = trial_scores(targets, n_max=n_max, seed=seed, parameters=parameters,
                         realizations=realizations, mc_error=mc_error)
    return leave_one_group_out(post, score, observed, proposals=proposals, accept=accept,
                               seed=seed, workers=workers, progress=progress)
