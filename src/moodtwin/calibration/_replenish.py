"""Replenishment ABC-SMC (Drovandi & Pettitt 2011 Biometrics 67:225): particles keep equal
weights, so the importance weights cannot collapse.

Importance-weighted ABC-SMC (pyabc's default, :func:`moodtwin.calibration.abc_smc`) weights
each particle by prior / kernel-mixture density. With ~20 parameters and ~100 particles that
ratio spans orders of magnitude and the effective sample size falls to a few particles
within two or three generations (measured here: 100 -> 7.5 -> 1.2). This sampler avoids
weights altogether. Each generation drops the worse half of the particles (the new tolerance
is their median distance), refills it by resampling survivors, and moves every refilled
particle with ``mcmc_steps`` ABC-MCMC steps (or, given ``mcmc_max_steps``, with as many as
make it unlikely that a particle never moves: ``ceil(log(0.01) / log(1 - a))`` for the
previous generation's acceptance ``a``, between the two bounds, Drovandi & Pettitt's rule).
A step is a Gaussian random walk on the log scale with covariance ``2.38^2 / d`` times the
survivors' covariance, reflected at the faces of the prior box (a symmetric proposal, so the
uniform log prior needs no ratio), and accepted when its distance is within the tolerance.
The population stays a sample from prior x 1[distance <= tolerance].

With a stochastic simulator the distance of a particle depends on the Monte-Carlo realization
it was simulated with. Under common random numbers alone (one realization for the whole run,
and for every run warm-started from it) the population converges on the parameters that fit
that realization's noise: round 24's population, after fourteen warm-started runs on one
realization, had a tolerance of 33.0 there but a mean distance of 71.7 on independent
realizations, and 90 % intervals as narrow as 293-297 h. Given ``refresh``, the distance takes
the generation as a second argument, its realization: every generation first re-evaluates
the whole population on its own realization (common random numbers within a generation, so
its particles are compared on the same noise), then selects and moves. No particle survives
on a lucky draw of an earlier realization, and the population targets prior x P(distance <=
tolerance), the ABC posterior of a noisy simulator, at the cost of one evaluation per
distinct particle per generation (copies from resampling share one simulation: the distance
is deterministic on a realization).

The checkpoint (``.npz``) holds the population (with the parameter names) after every
generation; a killed run resumes from it, and from the evaluations of the generation it was
killed in (``<checkpoint>.partial.npz``, saved every :data:`PROGRESS_EVERY` evaluations).
A new run may instead start from the last population of an earlier checkpoint
(``start_from``, e.g. after a model change): its
particles, matched by name and with new parameters drawn from their priors, are re-evaluated
as generation 0. The MCMC moves leave prior x 1[distance <= tolerance] invariant, so the
start affects only how fast the population mixes, not the distribution it targets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from moodtwin.calibration._abc import Posterior, Prior, prior_values
from moodtwin.errors import ValidationError
from moodtwin.workers import process_map

_DISTANCE: Callable[..., float] | None = None
_NAMES: list[str] = []
_PRIORS: list[Prior] = []
_REALIZATION: int | None = None  # the generation whose realization is evaluated (refresh)
#: Report progress inside a generation every this many evaluations.
PROGRESS_EVERY = 10


def _evaluate(x: np.ndarray) -> float:
    if _DISTANCE is None:
        raise RuntimeError("abc_replenish sets the distance before evaluating.")
    values = {n: float(v) for n, v in zip(_NAMES, prior_values(x, _PRIORS), strict=True)}
    return _DISTANCE(values) if _REALIZATION is None else _DISTANCE(values, _REALIZATION)


class _Partial:
    """Distances already evaluated in the unfinished generation, saved next to the checkpoint
    every :data:`PROGRESS_EVERY` evaluations, so that a run killed mid-generation resumes
    there (a generation at a small Monte-Carlo error takes about an hour). Keyed by the
    batch and the particle: the batches of a generation repeat exactly on resumption, since
    the particles come from the checkpoint and from generators seeded per generation."""

    def __init__(self, path: Path, run: str) -> None:
        self.path, self.run = path, run
        self.done: dict[tuple[str, bytes], float] = {}
        if path.exists():
            try:
                saved = _load(path, "partial generation")
            except ValidationError as exc:
                raise ValidationError(f"{exc} Delete it to redo the unfinished generation "
                                      "from its start.") from exc
            if "run" not in saved.files or str(saved["run"]) != run:
                return  # another run's (seed, size, parameters): not ours, overwritten
            for tag, x, d in zip(saved["tags"], saved["x"], saved["d"], strict=True):
                self.done[(str(tag), np.asarray(x, float).tobytes())] = float(d)

    def get(self, tag: str, x: np.ndarray) -> float | None:
        return self.done.get((tag, x.tobytes()))

    def add(self, tag: str, x: np.ndarray, d: float) -> None:
        self.done[(tag, x.tobytes())] = d

    def save(self) -> None:
        keys = list(self.done)
        np.savez(self.path, run=self.run, tags=np.array([k[0] for k in keys]),
                 x=np.array([np.frombuffer(k[1]) for k in keys]),
                 d=np.array([self.done[k] for k in keys]))

    def clear(self) -> None:
        self.done.clear()
        self.path.unlink(missing_ok=True)


def _map(xs: np.ndarray, workers: int, partial: _Partial, tag: str,
         progress: Callable[[str], None] | None = None) -> np.ndarray:
    """Distances of the particles ``xs`` (batch ``tag`` of the current generation). Each
    distinct particle is evaluated once (the distance is deterministic on a realization: a
    resampled population holds copies) and not at all if ``partial`` has it from before a
    kill; ``progress`` hears every :data:`PROGRESS_EVERY` evaluations with the elapsed time."""
    xs = np.asarray(xs, float)
    unique, inverse = np.unique(xs, axis=0, return_inverse=True)
    d = np.array([partial.get(tag, u) for u in unique], dtype=float)  # None -> nan
    todo = np.flatnonzero(np.isnan(d))
    start = time.monotonic()

    def done(k: int, value: float) -> None:
        i = todo[k - 1]
        d[i] = value
        partial.add(tag, unique[i], value)
        if k % PROGRESS_EVERY == 0 or k == len(todo):
            partial.save()
            if progress is not None:
                progress(f"  {tag}: {k}/{len(todo)} evaluations ({len(xs)} particles), "
                         f"{(time.monotonic() - start) / 60:.1f} min")

    process_map(_evaluate, [unique[i] for i in todo], workers, on_done=done)
    return d[inverse.ravel()]


def _reflect(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Fold points back into the box ``[lo, hi]`` by reflection at its faces (keeps the
    random walk symmetric, so the uniform prior needs no correction)."""
    r = np.mod((x - lo) / (hi - lo), 2.0)
    return lo + (hi - lo) * (1.0 - np.abs(r - 1.0))


def _load(path: Path, what: str) -> Mapping[str, np.ndarray]:
    try:
        return np.load(path)
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{what}: {path} is not a readable .npz checkpoint of "
                              "moodtwin calibrate.") from exc


def _start_population(start_from: Path, names: list[str], lo: np.ndarray, hi: np.ndarray,
                      particles: int, rng: np.random.Generator,
                      redraw: Sequence[str] = ()) -> np.ndarray:
    """Log-scale particles from an earlier checkpoint's last population, matched by name
    (clipped into the current prior box); parameters it lacks, and those named in ``redraw``
    (e.g. after their prior widened: a warm start keeps the old, narrow spread, which the
    covariance-scaled moves widen only slowly), are drawn from their priors.

    A parameter whose matched particles have (almost) no spread is jittered (uniform,
    reflected into the box): the MCMC moves are scaled to the population's covariance, so a
    parameter without spread would never move. Particles all clipped to a prior bound that
    moved get 10 % of the prior's log-width, to leave the bound; a population that has merely
    converged inside the box gets 1 %, which keeps its fit (10 % on one such parameter,
    ``course_corr_time`` of round 20's population, raised the median distance of the
    re-evaluated start from 36.3 to 42.8)."""
    saved = _load(start_from, "start_from")
    if "names" not in saved or "x" not in saved:
        raise ValidationError(f"start_from: {start_from} holds no parameter names (written "
                              "before names were stored); it cannot be matched to the current "
                              "priors.")
    unknown = sorted(set(redraw) - set(names))
    if unknown:
        raise ValidationError(f"redraw: {', '.join(unknown)} is not calibrated in this run "
                              f"(calibrated: {', '.join(names)}).")
    old = [str(n) for n in saved["names"]]
    x0 = saved["x"][rng.integers(len(saved["x"]), size=particles)]
    x = lo + (hi - lo) * rng.uniform(size=(particles, len(names)))
    for j, n in enumerate(names):
        if n in old and n not in redraw:
            x[:, j] = np.clip(x0[:, old.index(n)], lo[j], hi[j])
            width = hi[j] - lo[j]
            if np.ptp(x[:, j]) < 0.01 * width:
                clipped = np.all(x[:, j] <= lo[j]) or np.all(x[:, j] >= hi[j])
                jitter = (0.1 if clipped else 0.01) * width
                x[:, j] = _reflect(x[:, j] + jitter * rng.uniform(-1, 1, particles),
                                   lo[j], hi[j])
    return x


#: Accepted chance that a refilled particle is never moved (Drovandi & Pettitt 2011).
STUCK_CHANCE = 0.01


def move_steps(acceptance: float, low: int, high: int | None) -> int:
    """ABC-MCMC steps per refilled particle: ``low``, or with a cap ``high`` the steps after
    which a particle that accepts a move with probability ``acceptance`` (the previous
    generation's) has stayed put with chance at most :data:`STUCK_CHANCE`."""
    if high is None or high <= low or acceptance >= 1.0 - STUCK_CHANCE:
        return low
    if acceptance <= 0.0:
        return high
    need = math.ceil(math.log(STUCK_CHANCE) / math.log(1.0 - acceptance))
    return int(min(max(need, low), high))


def abc_replenish(distance: Callable[..., float], priors: Sequence[Prior], *,
                  checkpoint: Path, particles: int = 100, generations: int = 10,
                  mcmc_steps: int = 3, seed: int = 0, workers: int = 1,
                  start_from: Path | None = None, redraw: Sequence[str] = (),
                  mcmc_max_steps: int | None = None, refresh: bool = False,
                  progress: Callable[[str], None] | None = None) -> Posterior:
    """Sample prior x 1[distance <= tolerance] for a shrinking tolerance, ``generations``
    times (generation 0: ``particles`` draws from the log-uniform priors, or the last
    population of the checkpoint ``start_from`` with the parameters in ``redraw`` drawn
    from their priors); each refilled particle moves :func:`move_steps` times.
    ``refresh``: ``distance(values, generation)`` is evaluated on the generation's own
    Monte-Carlo realization, and each generation re-evaluates the population on it first."""
    global _DISTANCE, _NAMES, _PRIORS, _REALIZATION
    _DISTANCE, _NAMES, _REALIZATION = distance, [p.name for p in priors], None
    _PRIORS = list(priors)
    lo = np.log([p.low for p in priors])
    hi = np.log([p.high for p in priors])
    dim = len(priors)
    checkpoint = Path(checkpoint)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    partial = _Partial(checkpoint.with_name(checkpoint.stem + ".partial.npz"),
                       f"seed {seed}, {particles} particles, refresh {refresh}: "
                       + ", ".join(_NAMES))
    if checkpoint.exists():
        saved = _load(checkpoint, "checkpoint")
        x, d = saved["x"], saved["d"]
        eps, evals = [float(e) for e in saved["eps"]], int(saved["evals"])
        accept = [float(a) for a in saved["accept"]]
        if x.shape != (particles, dim) or ("names" in saved
                                             and list(saved["names"]) != _NAMES):
            raise ValidationError(f"checkpoint {checkpoint} holds {x.shape[0]} particles of "
                                  f"{x.shape[1]} other parameters, not {particles} of {dim} "
                                  f"({', '.join(_NAMES)}); use it as start_from instead.")
    else:
        rng = np.random.default_rng([seed, 0])
        if start_from is None:
            x = lo + (hi - lo) * rng.uniform(size=(particles, dim))
        else:
            x = _start_population(Path(start_from), _NAMES, lo, hi, particles, rng, redraw)
        if progress is not None:
            progress(f"ABC-SMC (replenishment): generation 0, {particles} "
                     + ("prior draws" if start_from is None else f"particles from {start_from}"))
        _REALIZATION = 0 if refresh else None
        d = _map(x, workers, partial, "generation 0", progress)
        eps, evals, accept = [float(np.max(d))], particles, [1.0]
        np.savez(checkpoint, x=x, d=d, eps=eps, evals=evals, accept=accept, names=_NAMES)
        partial.clear()
    while len(eps) < generations:
        g = len(eps)
        rng = np.random.default_rng([seed, g])
        if refresh:  # this generation's realization: every particle simulated on it
            _REALIZATION = g
            d = _map(x, workers, partial, f"generation {g}, re-evaluation on its realization",
                     progress)
            evals += particles
        tol = float(np.median(d))
        keep = np.flatnonzero(d <= tol)[: particles // 2 + 1]
        drop = np.setdiff1d(np.arange(particles), keep)
        cov = np.cov(x[keep].T) * 2.38**2 / dim + 1e-10 * np.eye(dim)
        chol = np.linalg.cholesky(cov)
        x, d = x.copy(), d.copy()
        pick = rng.choice(keep, size=drop.size)
        x[drop], d[drop] = x[pick], d[pick]
        moved, steps = 0, move_steps(accept[-1], mcmc_steps, mcmc_max_steps)
        for step in range(steps):
            prop = _reflect(x[drop] + rng.standard_normal((drop.size, dim)) @ chol.T, lo, hi)
            dp = _map(prop, workers, partial, f"generation {g}, move {step + 1}/{steps}",
                      progress)
            evals += drop.size
            ok = dp <= tol
            x[drop[ok]], d[drop[ok]] = prop[ok], dp[ok]
            moved += int(ok.sum())
        eps.append(float(tol))
        accept.append(float(moved / (drop.size * steps)))
        np.savez(checkpoint, x=x, d=d, eps=eps, evals=evals, accept=accept, names=_NAMES)
        partial.clear()
        if progress is not None:
            progress(f"ABC-SMC (replenishment): generation {g}/{generations - 1}, tolerance "
                     f"{tol:.1f}, {steps} MCMC steps per particle at acceptance "
                     f"{accept[-1]:.0%}, {evals} evaluations, "
                     f"{len(np.unique(x, axis=0))} distinct particles")
    _REALIZATION = None
    w = np.full(particles, 1.0 / particles)
    return Posterior([p.name for p in priors], prior_values(x, priors), w, d, eps, evals,
                     list(priors))
