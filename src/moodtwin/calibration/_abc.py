"""Likelihood-free Bayesian calibration (ABC-SMC, pyabc) of typical values and
between-patient variability to published trial results.

Each evaluation runs every calibration trial with common random numbers (the same seed, and
``realizations`` Monte-Carlo realizations, for every parameter set) and scores the published
numbers with

``z = (simulated - published) / sqrt(se_pub^2 + se_mc^2 + tau^2)``

where ``se_pub`` is the published standard error, ``se_mc`` the Monte-Carlo error of the
virtual trial (``se_pub * sqrt(n_published / n_simulated)``, ``n_simulated`` summed over the
realizations: fixed by the design, so a fit cannot buy tolerance with noise) and ``tau`` the
between-trial heterogeneity (model discrepancy), a fraction of the published value. A risk
or hazard ratio is scored on the log scale, where its interval is symmetric. A target
whose patients are also inside another target's pooled analysis (``overlaps`` in the trial
file) is down-weighted by the number of files that share them. The distance is the weighted
sum of z^2; ABC-SMC (Toni et al. 2009; pyabc, Klinger et al. 2018) shrinks its tolerance
over generations and returns a weighted posterior ensemble of parameter sets. The pyabc
database is the checkpoint: a run killed at any time resumes from its last completed
generation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moodtwin.calibration._targets import Target, compare
from moodtwin.errors import MoodtwinError, ValidationError
from moodtwin.extras import require
from moodtwin.heterogeneity import HETEROGENEITY
from moodtwin.parameter_sets import ParameterSet
from moodtwin.simulation import Engine
from moodtwin.workers import share_cores

#: Shrinkage of the ABC-SMC kernel covariance toward its diagonal (keeps it full rank).
SHRINKAGE = 0.3
#: Report progress every this many evaluations.
PROGRESS_EVERY = 50
#: z^2 given to a target whose simulation failed.
FAILED_Z2 = 100.0


@dataclass(frozen=True)
class Prior:
    """Log-uniform prior on ``[low, high]`` for a model parameter or a population value
    (``population.<path>``); ``source`` says where the range comes from."""

    name: str
    low: float
    high: float
    source: str

    def __post_init__(self) -> None:
        if not 0 < self.low < self.high or not math.isfinite(self.high):
            raise ValidationError(f"prior {self.name}: need 0 < low < high, got "
                                  f"[{self.low:g}, {self.high:g}].")


def prior_values(log_x: np.ndarray, priors: Sequence[Prior]) -> np.ndarray:
    """Values of log-scale particles (last axis: ``priors``), clipped into each prior's
    ``[low, high]``: a particle on a bound, ``log(low)``, comes back a rounding error below
    ``low`` (exp(log(7.75)) = 7.749999999999999), which the parameter's range check refuses."""
    return np.clip(np.exp(log_x), [p.low for p in priors], [p.high for p in priors])


def model_prior(name: str, factor: float = 5.0) -> Prior:
    """Log-uniform prior for a model parameter over its plausible range (parameter table); a
    zero lower bound, which a log-uniform prior cannot take, becomes default/``factor``.
    Until round 43 the range was also narrowed to within x5 of the default, and the distance
    profile of the shipped set still fell at two such edges (the onsets of placebo relief,
    default 72 h and 12 h, cut at 360 h and 60 h inside their plausible 24-672 h and 2-72 h):
    the defaults are assumptions, not data."""
    from moodtwin.model import default_model

    p = default_model().parameter(name)
    low = p.low if p.low > 0 else p.value / factor
    return Prior(name, low, p.high, f"plausible range of {name} ({p.low:g}-{p.high:g} {p.unit})"
                 + ("" if p.low > 0 else f", lower end default/{factor:g}"))


def weighted_z2(targets: Sequence[Target], results: Mapping[Path, object],
                n_simulated: Mapping[Path, int]) -> dict[str, tuple[float, float]]:
    """Simulated value and weighted z^2 of each target with a published value (see the
    module docstring); a failed simulation gives ``(nan, FAILED_Z2)``."""
    out = {}
    for t in targets:
        if t.published.value is None:  # significance claims are validated, not fitted
            continue
        res = results.get(t.trial_file)
        sim = math.nan if res is None else float(compare(t, res)["simulated"])  # type: ignore[arg-type]
        if not math.isfinite(sim):
            out[t.label] = (math.nan, FAILED_Z2)
            continue
        z = (t.on_scale(sim) - t.on_scale(t.published.value)) / math.sqrt(
            t.sigma**2 + monte_carlo_se(t, n_simulated[t.trial_file])**2
            + (HETEROGENEITY * (1.0 if t.is_ratio else t.published.value)) ** 2)
        out[t.label] = (sim, z * z / (1 + len(getattr(t.trial, "overlaps", ()) or ())))
    return out


def monte_carlo_se(target: Target, n_simulated: int) -> float:
    """Monte-Carlo standard error of a target simulated with ``n_simulated`` patients:
    the published standard error scaled by ``sqrt(n_published / n_simulated)``."""
    trial = target.trial
    n_pub = trial.n or sum(a.n or 0 for a in trial.arms) or n_simulated
    return target.sigma * math.sqrt(n_pub / max(n_simulated, 1))


def trial_scores(targets: Sequence[Target], *, n_max: int, seed: int,
                 engine: Engine | None = None, parameters: ParameterSet | None = None,
                 realizations: int = 1, mc_error: float | None = None,
                 ) -> Callable[[dict[str, float]], dict[str, tuple[float, float]]]:
    """Function of a parameter mapping (values over the base set ``parameters``, default
    the model definition) giving each target's simulated value and weighted z^2, every
    trial run ``realizations`` times at ``min(n, n_max)`` patients with ``seed`` (common
    random numbers: the same ``realizations`` Monte-Carlo realizations for every parameter
    set). The simulated value is the mean over the realizations, so its Monte-Carlo error
    falls by ``sqrt(realizations)``; realization 0 is the single run of ``realizations=1``.
    ``mc_error``: size every trial so that this is its numbers' Monte-Carlo error in
    published standard errors (:func:`simulated_size`)."""
    if realizations < 1:
        raise ValidationError(f"realizations must be at least 1, got {realizations}.")
    base = parameters or ParameterSet.definition()
    from moodtwin.trials import run_trial

    by_file: dict[Path, list[Target]] = {}
    for t in targets:
        by_file.setdefault(t.trial_file, []).append(t)

    def scores(values: dict[str, float]) -> dict[str, tuple[float, float]]:
        results, sizes = {}, {}
        for path, ts in by_file.items():
            sizes[path] = simulated_size(ts[0], n_max, mc_error, realizations)
            trial = ts[0].trial
            if trial.n is None:  # cohorts only: scale their sizes
                trial = trial.model_copy(update={"n": sum(a.n or 0 for a in trial.arms)})
            try:
                results[path] = run_trial(trial, seed=seed, n=sizes[path], engine=engine,
                                          parameters=base.with_values(values, "candidate"),
                                          replicates=realizations, ensemble=False)
            except MoodtwinError:
                continue
        return weighted_z2(targets, results, {k: v * realizations for k, v in sizes.items()})

    return scores


def simulated_size(target: Target, n_max: int, mc_error: float | None = None,
                   realizations: int = 1) -> int:
    """Patients simulated per realization for ``target``'s trial, capped at ``n_max``: its
    published size, or with ``mc_error`` the size at which ``realizations`` runs give its
    numbers a Monte-Carlo error of ``mc_error`` published standard errors
    (``n_published / (mc_error^2 realizations)``, from :func:`monte_carlo_se`)."""
    trial = target.trial
    n = trial.n or sum(a.n or 0 for a in trial.arms) or n_max
    if mc_error is not None:
        if mc_error <= 0:
            raise ValidationError(f"mc_error must be positive, got {mc_error:g}.")
        n = math.ceil(n / (mc_error**2 * realizations))
    return min(n, n_max)


def fitting_mc_se(target: Target, n_max: int, realizations: int = 1,
                  mc_error: float | None = None) -> float:
    """Monte-Carlo standard error of ``target`` in one evaluation of :func:`trial_scores`:
    ``realizations`` runs of :func:`simulated_size` patients each."""
    return monte_carlo_se(target, realizations * simulated_size(target, n_max, mc_error,
                                                                 realizations))


def trial_distance(targets: Sequence[Target], *, n_max: int, seed: int,
                   engine: Engine | None = None, parameters: ParameterSet | None = None,
                   realizations: int = 1, mc_error: float | None = None,
                   ) -> Callable[[dict[str, float]], float]:
    """Distance of a parameter mapping: the sum of weighted z^2 of :func:`trial_scores`."""
    scores = trial_scores(targets, n_max=n_max, seed=seed, engine=engine,
                          parameters=parameters, realizations=realizations,
                          mc_error=mc_error)
    return lambda values: float(sum(z2 for _, z2 in scores(values).values()))


@dataclass
class Posterior:
    """A weighted ensemble of parameter sets from the last ABC-SMC generation."""

    names: list[str]
    samples: np.ndarray  # (particles, parameters), natural scale
    weights: np.ndarray  # sums to 1
    distances: np.ndarray
    epsilons: list[float]
    evaluations: int
    priors: list[Prior]

    def ess(self) -> float:
        """Effective sample size of the weighted ensemble, ``1 / sum(w^2)`` over distinct
        particles (copies pooled): near 1 the ensemble has collapsed on one particle and the
        intervals and contractions say nothing (the run needs more particles)."""
        _, inverse = np.unique(self.samples, axis=0, return_inverse=True)
        pooled = np.bincount(inverse.ravel(), weights=self.weights)
        return float(1.0 / np.sum(pooled**2))

    def point(self) -> dict[str, float]:
        """Weighted median of each parameter (on the log scale)."""
        out = {}
        for j, name in enumerate(self.names):
            order = np.argsort(self.samples[:, j])
            cw = np.cumsum(self.weights[order])
            out[name] = float(self.samples[order[np.searchsorted(cw, 0.5)], j])
        return out

    def interval(self, level: float = 0.9) -> dict[str, tuple[float, float]]:
        """Weighted central ``level`` interval of each parameter."""
        out = {}
        for j, name in enumerate(self.names):
            order = np.argsort(self.samples[:, j])
            cw = np.cumsum(self.weights[order])
            a = (1 - level) / 2
            lo = self.samples[order[min(np.searchsorted(cw, a), len(cw) - 1)], j]
            hi = self.samples[order[min(np.searchsorted(cw, 1 - a), len(cw) - 1)], j]
            out[name] = (float(lo), float(hi))
        return out

    def contraction(self) -> dict[str, float]:
        """Posterior contraction per parameter, ``1 - var_post / var_prior`` on the log scale:
        near 1 the targets pin the parameter, near 0 they do not (Schad et al. 2021)."""
        out = {}
        for j, pr in enumerate(self.priors):
            x = np.log(self.samples[:, j])
            mean = np.sum(self.weights * x)
            var_post = np.sum(self.weights * (x - mean) ** 2)
            var_prior = (math.log(pr.high) - math.log(pr.low)) ** 2 / 12.0
            out[pr.name] = float(1.0 - var_post / var_prior)
        return out

    def correlations(self) -> np.ndarray:
        """Weighted posterior correlation matrix of the log parameters: a strong correlation
        (|r| > 0.7) marks a pair the targets pin only as a product or ratio."""
        x = np.log(self.samples)
        d = x - self.weights @ x
        cov = (d.T * self.weights) @ d
        sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
        return cov / np.outer(sd, sd)

    def identifiability(self) -> list[dict[str, object]]:
        """One row per parameter: prior range, posterior point and 90 % interval,
        contraction, the verdict (pinned > 0.5, weakly pinned 0.1-0.5, not pinned < 0.1)
        and the parameter it is most correlated with."""
        interval, shrink, point = self.interval(0.9), self.contraction(), self.point()
        corr = self.correlations()
        rows = []
        for j, pr in enumerate(self.priors):
            c = corr[j].copy()
            c[j] = 0.0
            k = int(np.argmax(np.abs(c)))
            s = shrink[pr.name]
            rows.append({"parameter": pr.name, "prior_low": pr.low, "prior_high": pr.high,
                         "posterior": point[pr.name], "low_90": interval[pr.name][0],
                         "high_90": interval[pr.name][1], "contraction": round(s, 3),
                         "verdict": "pinned" if s > 0.5 else
                         "weakly pinned" if s > 0.1 else "not pinned",
                         "most_correlated_with": self.names[k],
                         "correlation": round(float(c[k]), 2)})
        return rows

    def ensemble(self, size: int, seed: int = 0) -> list[dict[str, float]]:
        """``size`` parameter sets drawn from the weighted ensemble."""
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(self.weights), size=size, p=self.weights)
        return [dict(zip(self.names, map(float, self.samples[i]), strict=True)) for i in idx]


def abc_smc(distance: Callable[[dict[str, float]], float], priors: Sequence[Prior], *,
            database: Path, population_size: int = 24, generations: int = 4,
            min_epsilon: float = 0.0, seed: int = 0, workers: int = 1,
            progress: Callable[[str], None] | None = None) -> Posterior:
    """ABC-SMC over log-uniform ``priors`` with a precomputed ``distance``.

    ``database`` (SQLite) holds every generation; calling again with the same database
    resumes the run where it stopped (up to ``generations`` in all).
    """
    require("calibrate")
    import logging

    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("Sampler").setLevel(logging.WARNING)
    logging.getLogger("Epsilon").setLevel(logging.WARNING)
    names = [p.name for p in priors]
    keys = {p.name: f"p{j}" for j, p in enumerate(priors)}  # pyabc keys: identifiers only
    prior = pyabc.Distribution(**{keys[p.name]: pyabc.RV("uniform", math.log(p.low),
                                                        math.log(p.high) - math.log(p.low))
                                  for p in priors})

    import multiprocessing

    count = multiprocessing.get_context("fork").Value("i", 0)  # shared with worker processes

    def model(par: Mapping[str, float]) -> dict[str, float]:
        if workers > 1:  # pyabc's forked evaluators: each kernel gets its share of the cores
            share_cores(workers)
        d = distance(dict(zip(names, prior_values(
            np.array([par[keys[p.name]] for p in priors]), priors), strict=True)))
        with count.get_lock():
            count.value += 1
            n = count.value
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(f"ABC-SMC: {n} evaluations in this run (last distance {d:.1f})")
        return {"d": d}

    from scipy import stats

    class ShrunkNormalTransition(pyabc.MultivariateNormalTransition):
        """pyabc's Gaussian kernel with its covariance shrunk toward its diagonal: with fewer
        particles than ~2x the parameters the sample covariance is singular, proposals leave
        its subspace, their kernel density is 0 and the importance weights become NaN."""

        def fit(self, X, w):  # type: ignore[no-untyped-def]
            super().fit(X, w)
            self.cov = (1 - SHRINKAGE) * self.cov + SHRINKAGE * np.diag(np.diag(self.cov))
            self.normal = stats.multivariate_normal(cov=self.cov)

    sampler = (pyabc.sampler.SingleCoreSampler() if workers <= 1 else
               pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers))
    np.random.seed(seed)
    abc = pyabc.ABCSMC(model, prior, lambda x, _y: x["d"], population_size=population_size,
                       sampler=sampler, eps=pyabc.QuantileEpsilon(alpha=0.5),
                       transitions=ShrunkNormalTransition())
    database = Path(database).resolve()
    database.parent.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{database}"
    done = 0
    if database.exists():
        history = pyabc.History(db)
        if history.n_populations > 0 and history.max_t >= 0:
            abc.load(db, history.id)
            done = history.max_t + 1
    if done == 0:
        abc.new(db, {"d": 0.0})
    if done < generations:
        if progress is not None:
            progress(f"ABC-SMC: generations {done + 1}-{generations} of {population_size} "
                     f"particles (checkpoint {database})")
        abc.run(minimum_epsilon=min_epsilon, max_nr_populations=generations - done)
    history = abc.history
    frame, w = history.get_distribution(t=history.max_t)
    samples = prior_values(frame[[keys[n] for n in names]].to_numpy(), priors)
    pops = history.get_all_populations()
    eps = [float(e) for e in pops["epsilon"].to_numpy() if np.isfinite(e)]
    dists = history.get_weighted_distances(t=history.max_t)["distance"].to_numpy()
    return Posterior(names, samples, np.asarray(w) / np.sum(w), dists, eps,
                     int(pops["samples"].sum()), list(priors))
