"""Run a virtual trial: enrol, randomize, simulate each arm's periods, observe visits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from moodtwin import scales
from moodtwin.errors import ValidationError
from moodtwin.model import Model
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.population import Population, generate_population
from moodtwin.protocols import Protocol, compile_per_patient
from moodtwin.protocols._schema import Background
from moodtwin.result import STATUS_MESSAGES
from moodtwin.simulation import Engine, SolverOptions, _fluctuation, run_engine, run_groups
from moodtwin.trials._schema import Arm, Trial, Withdrawal

Progress = Callable[[str, int], None]  # (what, patients just simulated)


@dataclass
class TrialData:
    """One simulated replicate of a trial: everything the endpoints need.

    ``latent`` holds observables at the visits (patients, visits, observables); ``observed``
    the rated scores per scale (patients, visits), NaN after dropout or after leaving at a
    withdrawal; ``arm`` the first (randomized) arm, ``withdrawal_arm`` the re-randomized
    arm ('' when not re-randomized).
    """

    trial: Trial
    model: Model
    visit_h: np.ndarray
    patients: pd.DataFrame
    latent: np.ndarray
    observed: dict[str, np.ndarray]
    failures: list[str] = field(default_factory=list)
    measured: dict[str, np.ndarray] = field(default_factory=dict)

    def observable(self, name: str) -> np.ndarray:
        """Biomarker values at the visits: measured (with noise) if the trial says so."""
        if name in self.measured:
            return self.measured[name]
        return self.latent[:, :, [o.name for o in self.model.observables].index(name)]

    def visit(self, hours: float) -> int:
        return int(np.argmin(np.abs(self.visit_h - hours)))


def _allocate(arms: list[Arm], n: int, rng: np.random.Generator) -> np.ndarray:
    """Randomize ``n`` patients to ``arms`` by the allocation ratio (permuted block)."""
    ratio = np.array([a.allocation for a in arms], dtype=float)
    exact = n * ratio / ratio.sum()
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts))[: n - counts.sum()]] += 1
    labels = np.repeat(np.arange(len(arms)), counts)
    return rng.permutation(labels)


def _with_background(protocol: Protocol, antidepressant: bool) -> Protocol:
    bg = Background(oral_antidepressant="continued" if antidepressant else "none")
    return protocol.model_copy(update={"background": bg})


def _simulate_periods(
    model: Model, arm: Arm, start_h: float, end_h: float, pop: Population, y: np.ndarray,
    visit_h: np.ndarray, latent: np.ndarray, status: np.ndarray, rows: np.ndarray,
    options: SolverOptions, progress: Progress | None, engine: Engine,
) -> np.ndarray:
    """Integrate ``rows`` of the trial through ``arm``'s periods from ``start_h`` to
    ``end_h`` (trial time, h); fills ``latent`` at visits and returns the final states."""
    t0 = start_h
    for period in arm.periods:
        stop = end_h if period.until is None else min(_hours(period.until), end_h)
        if stop <= t0:
            continue
        first = abs(t0 - start_h) < 1e-9 and start_h == 0.0
        in_period = (visit_h > t0 + 1e-9) | (first & (visit_h <= 1e-9))
        in_period &= visit_h <= stop + 1e-9
        vis = np.flatnonzero(in_period)
        save = np.unique(np.concatenate([visit_h[vis] - t0, [stop - t0]]))
        for ad in (False, True):
            sel = rows[pop.covariates["antidepressant_continued"].to_numpy()[rows] == ad]
            if sel.size == 0:
                continue
            groups = compile_per_patient(_with_background(period.protocol, ad), model,
                                         pop.table[sel], assessments=visit_h[vis] - t0)
            states, st, obs = run_groups(model, pop.table[sel], groups, save, options,
                                         y0=y[sel], engine=engine)
            status[sel] = np.where(status[sel] != 0, status[sel], st)
            k = np.searchsorted(save, visit_h[vis] - t0 - 1e-9)
            latent[np.ix_(sel, vis)] = obs[:, k, :]
            y[sel] = states[:, -1, :]
            if progress is not None:
                progress(f"{arm.name}: {period.protocol.name}", int(sel.size))
        t0 = stop
    return y


def _hours(text: str) -> float:
    from moodtwin.units import hours

    return hours(text, "time")


def _qualifies(w: Withdrawal, trial: Trial, obs: np.ndarray, base: np.ndarray) -> np.ndarray:
    if w.criterion == "all":
        return np.isfinite(obs)
    if w.criterion == "response":
        return scales.is_response(base, obs, trial.scale) & np.isfinite(obs)
    return scales.is_remission(obs, trial.scale) & np.isfinite(obs)


def _observe(trial: Trial, model: Model, pop: Population, madrs: np.ndarray,
             visit_h: np.ndarray, rng: np.random.Generator, scale_names: list[str]
             ) -> dict[str, np.ndarray]:
    """Rated scores: latent + natural course + day-to-day fluctuation + rater noise, per scale."""
    fl = _fluctuation(model, pop.table, visit_h, int(rng.integers(2**31)), madrs)[:, :, 0]
    out = {}
    for name in scale_names:
        sc = scales.get_scale(name)
        score = scales.convert(np.clip(madrs + fl, 0.0, 60.0), sc.name)
        score = score + trial.rater_noise * rng.standard_normal(score.shape)
        out[sc.name] = np.clip(score, 0.0, sc.max_score)
    return out


def run_replicate(
    trial: Trial, seed: np.random.SeedSequence, *, n: int | None = None,
    parameters: ParametersLike = None, options: SolverOptions = SolverOptions(),
    progress: Progress | None = None, engine: Engine | None = None,
) -> TrialData:
    """Simulate one replicate of ``trial`` (``n`` overrides the randomized sample size;
    ``parameters``: the :class:`~moodtwin.ParameterSet`, default the calibrated set;
    ``engine``: a :class:`~moodtwin.sweep.DaskEngine`, default
    :func:`~moodtwin.simulation.run_engine` in this process)."""
    ps = resolve(parameters)
    model = ps.model
    s_pop, s_rand, s_obs, s_drop, s_wd, s_bio, *s_cohorts = seed.spawn(6 + len(trial.arms))
    visit_h = np.array(trial.visit_times_h())
    end = trial.duration_h()
    phase1_end = _hours(trial.withdrawal.at) if trial.withdrawal else end
    randomized = [a for a in trial.arms if a.n is None]
    n_rand = n if n is not None else (trial.n or 0)
    if randomized and n_rand < len(randomized):
        raise ValidationError(f"n = {n_rand} is too small for {len(randomized)} randomized arms.")
    groups: list[tuple[Population, np.ndarray]] = []
    if randomized:
        pop = generate_population(trial.population, n_rand,
                                  int(s_pop.generate_state(1)[0]), parameters=ps,
                                  engine=engine)
        groups.append((pop, np.array([trial.arms.index(randomized[i])
                                      for i in _allocate(randomized, len(pop),
                                                         np.random.default_rng(s_rand))])))
    for i, arm in enumerate(trial.arms):
        if arm.n is not None:
            size = arm.n if n is None or trial.n is None else max(2, round(arm.n * n / trial.n))
            spec = trial.population.merged(arm.population)
            pop = generate_population(spec, size, int(s_cohorts[i].generate_state(1)[0]),
                                      parameters=ps, engine=engine)
            groups.append((pop, np.full(len(pop), i)))
    pop = _concat([g for g, _ in groups])
    arm_idx = np.concatenate([a for _, a in groups])
    excluded = [x for g, _ in groups for x in g.excluded]
    n_pat, n_vis = len(pop), len(visit_h)
    latent = np.full((n_pat, n_vis, len(model.observables)), np.nan)
    status = np.zeros(n_pat, dtype=np.int64)
    y = pop.y0.copy()
    run = engine or run_engine
    for i, arm in enumerate(trial.arms):
        rows = np.flatnonzero(arm_idx == i)
        if rows.size:
            _simulate_periods(model, arm, 0.0, phase1_end, pop, y, visit_h, latent, status,
                              rows, options, progress, run)
    madrs = latent[:, :, [o.name for o in model.observables].index("madrs")]
    names = sorted({trial.scale, *(e.scale for e in trial.endpoints if e.scale)})
    w_arm = np.full(n_pat, "", dtype=object)
    if trial.withdrawal is not None:
        w = trial.withdrawal
        k = int(np.argmin(np.abs(visit_h - phase1_end)))
        pre = _observe(trial, model, pop, madrs, visit_h, np.random.default_rng(s_obs),
                       names)[trial.scale]
        ok = _qualifies(w, trial, pre[:, k], pre[:, 0]) & (status == 0)
        if w.from_arms:
            ok &= np.isin([trial.arms[a].name for a in arm_idx], w.from_arms)
        rows = np.flatnonzero(ok)
        alloc = _allocate(w.arms, rows.size, np.random.default_rng(s_wd))
        for j, arm in enumerate(w.arms):
            sub = rows[alloc == j]
            w_arm[sub] = arm.name
            if sub.size:
                _simulate_periods(model, arm, phase1_end, end, pop, y, visit_h, latent, status,
                                  sub, options, progress, run)
        madrs = latent[:, :, [o.name for o in model.observables].index("madrs")]
    observed = _observe(trial, model, pop, madrs, visit_h, np.random.default_rng(s_obs), names)
    drop_rate = -np.log1p(-trial.dropout) / end if trial.dropout > 0 else 0.0
    rng_drop = np.random.default_rng(s_drop)
    dropout_h = (rng_drop.exponential(1.0 / drop_rate, n_pat) if drop_rate > 0
                 else np.full(n_pat, np.inf))
    missing = visit_h[None, :] > dropout_h[:, None]
    if trial.withdrawal is not None:
        missing |= (visit_h[None, :] > phase1_end + 1e-9) & (w_arm == "")[:, None]
    for v in observed.values():
        v[missing] = np.nan
    failures = [f"patient {i} ({trial.arms[arm_idx[i]].name}): {STATUS_MESSAGES[int(s)]}"
                for i, s in enumerate(status) if s != 0]
    for v in observed.values():
        v[status != 0] = np.nan
    patients = pop.covariates.copy()
    patients.insert(1, "arm", [trial.arms[a].name for a in arm_idx])
    patients.insert(2, "withdrawal_arm", w_arm)
    patients["dropout_day"] = dropout_h / 24.0
    patients["status"] = status
    rng_bio = np.random.default_rng(s_bio)
    obs_names = [o.name for o in model.observables]
    measured = {name: latent[:, :, obs_names.index(name)]
                * (1.0 + cv * rng_bio.standard_normal((n_pat, n_vis)))
                for name, cv in sorted(trial.biomarker_noise.items())}
    return TrialData(trial, model, visit_h, patients, latent, observed, excluded + failures,
                     measured)


def _concat(pops: list[Population]) -> Population:
    if len(pops) == 1:
        return pops[0]
    cov = pd.concat([p.covariates for p in pops], ignore_index=True)
    cov["patient"] = np.arange(len(cov))
    return Population(pops[0].model, cov, np.concatenate([p.table for p in pops]),
                      np.concatenate([p.y0 for p in pops]),
                      [x for p in pops for x in p.excluded])
