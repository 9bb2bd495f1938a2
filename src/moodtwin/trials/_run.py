"""Run a virtual trial: enrol, randomize, simulate each arm's periods, observe visits."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from moodtwin import scales
from moodtwin.errors import ProtocolError, ValidationError
from moodtwin.model import Model
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.population import Population, generate_population
from moodtwin.protocols import Protocol, compile_per_patient, course_key, starts_course
from moodtwin.protocols._schema import Background, OralComparator
from moodtwin.result import STATUS_MESSAGES
from moodtwin.simulation import Engine, SolverOptions, _fluctuation, run_engine, run_groups
from moodtwin.trials._schema import Arm, Period, Tolerance, Trial, Withdrawal

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
    scheduled: np.ndarray | None = None  # (patients, visits): on the patient's arm schedule

    def observable(self, name: str) -> np.ndarray:
        """Biomarker values at the visits: measured (with noise) if the trial says so; NaN
        off the patient's rating schedule."""
        v = self.measured[name] if name in self.measured else true_value(self, name)
        return v if self.scheduled is None else np.where(self.scheduled, v, np.nan)

    def visit(self, hours: float) -> int:
        return int(np.argmin(np.abs(self.visit_h - hours)))


def true_value(d: TrialData, name: str) -> np.ndarray:
    """Model value of a biomarker at the visits (derived measures: ``scales.MEASURES``)."""
    names = [o.name for o in d.model.observables]
    if name in scales.MEASURES:
        m = scales.MEASURES[name]
        return m.factor * d.latent[:, :, names.index(m.source)]
    return d.latent[:, :, names.index(name)]


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


def _on(visit_h: np.ndarray, schedule: list[float]) -> np.ndarray:
    """Which of ``visit_h`` lie on ``schedule`` (h)."""
    return np.isclose(visit_h[:, None], np.asarray(schedule)[None, :], atol=1e-6).any(axis=1)


def _scheduled(trial: Trial, visit_h: np.ndarray, first: list[str], second: np.ndarray,
               switch_h: float) -> np.ndarray:
    """(patients, visits): each visit on the patient's arm schedule (the withdrawal arm's
    after ``switch_h``)."""
    arms = {a.name: _on(visit_h, trial.arm_visit_times_h(a)) for a in trial.all_arms()}
    later = visit_h > switch_h + 1e-9
    out = np.array([arms[a] for a in first])
    for i, w in enumerate(second):
        if w:
            out[i, later] = arms[w][later]
    return out


@dataclass
class _Run:
    """What every simulated segment of a replicate shares."""

    trial: Trial
    model: Model
    pop: Population
    y: np.ndarray
    visit_h: np.ndarray
    latent: np.ndarray
    status: np.ndarray
    options: SolverOptions
    progress: Progress | None
    engine: Engine
    titrated: np.ndarray  # per patient: current reached by titration to tolerance (mA)
    obs_seed: np.random.SeedSequence  # the ratings' random stream
    scale_names: list[str]  # scales rated, in the order their noise is drawn
    rater_knows_from: np.ndarray  # per patient: trial time (h) after which the clinician who
    # rates the patient knows they are on the experimental treatment (inf: never)
    given: dict[int, frozenset[str]] = field(default_factory=dict)
    """Per patient (row): the therapies (course keys) of the segment simulated last (a later
    period that gives nothing new continues the same treatment course)."""
    chosen: dict[str, np.ndarray] = field(default_factory=dict)
    """Per patient-dependent period (column ``protocol_period<k>``): each row's protocol key
    ('' for rows not in that arm)."""


def _choose(run: _Run, period: Period, rows: np.ndarray, t0: float) -> np.ndarray:
    """Each row's key in ``period.protocols`` ('' when the period has one protocol); a
    response/remission decision reads the rated primary score at the visit at ``t0`` (the
    same rating the trial's results show there)."""
    if period.choose_by is None:
        return np.full(rows.size, "", dtype=object)
    if period.choose_by == "sex":
        return run.pop.covariates["sex"].to_numpy()[rows]
    trial = run.trial
    sc = scales.get_scale(trial.scale)
    rated = _observe(trial, run.model, run.pop, run.latent, run.visit_h,
                     np.random.default_rng(run.obs_seed), run.scale_names,
                     run.rater_knows_from)[sc.name][rows]
    now = rated[:, int(np.argmin(np.abs(run.visit_h - t0)))]
    base = rated[:, 0]
    if period.choose_by == "response":
        frac = None if period.threshold is None else period.threshold / 100
        return np.where(scales.is_response(base, now, sc.name, frac), "responder",
                        "non_responder")
    return np.where(scales.is_remission(now, sc.name, period.threshold), "remitter",
                    "non_remitter")


def _segment(run: _Run, arm: Arm, t0: float, stop: float, first: bool,
             groups: list[tuple[Protocol, np.ndarray]], open_label: bool = False) -> np.ndarray:
    """Integrate each group of rows with its protocol over [t0, stop] (trial time, h);
    fills ``latent`` at the visits in it, advances the states and returns the observables
    of every patient at ``stop`` (NaN for rows not simulated). ``open_label``: the blind is
    broken in this segment (patients know what they receive; so do the raters, unless the
    trial keeps ``raters: blinded``)."""
    visit_h = run.visit_h
    in_period = (visit_h > t0 + 1e-9) | (first & (visit_h <= 1e-9))
    in_period &= visit_h <= stop + 1e-9
    vis = np.flatnonzero(in_period)
    save = np.unique(np.concatenate([visit_h[vis] - t0, [stop - t0]]))
    at_end = np.full((len(run.y), run.latent.shape[2]), np.nan)
    ad_on = run.pop.covariates["antidepressant_continued"].to_numpy()
    own = np.asarray(run.trial.arm_visit_times_h(arm), dtype=float)  # the arm's rating visits
    rated_h = own[(own > t0 + 1e-9) & (own <= stop + 1e-9)]
    courses = []  # per group: its therapy types and which rows start a new course with it
    for protocol, rows in groups:
        types = frozenset(course_key(th) for th in protocol.therapies)
        blinded = not open_label and run.trial.p_active_for(protocol) is not None
        courses.append((types, np.array([starts_course(
            types, run.given.get(int(r), frozenset()), blinded) for r in rows], dtype=bool)))
    for ((protocol, rows), (types, starts)), ad, new in itertools.product(
            zip(groups, courses, strict=True), (False, True), (False, True)):
        sel = rows[(ad_on[rows] == ad) & (starts == new)]
        if sel.size == 0:
            continue
        drugs = [th for th in protocol.therapies if isinstance(th, OralComparator)]
        p_active = None if open_label else run.trial.p_active_for(protocol)
        try:
            tls = compile_per_patient(_with_background(arm.in_context(protocol), ad), run.model,
                                      run.pop.table[sel], p_active=p_active,
                                      rating_visits=rated_h - t0, comparators_applied=True,
                                      new_course=new)
        except ProtocolError as exc:  # name the arm: the message names only the therapy
            raise ProtocolError(f"arm {arm.name!r}, protocol {protocol.name!r}: {exc}") from None
        states, st, obs = run_groups(run.model, run.pop.table[sel], tls, save, run.options,
                                     y0=run.y[sel], engine=run.engine)
        run.status[sel] = np.where(run.status[sel] != 0, run.status[sel], st)
        k = np.searchsorted(save, visit_h[vis] - t0 - 1e-9)
        run.latent[np.ix_(sel, vis)] = obs[:, k, :]
        at_end[sel] = obs[:, -1, :]
        run.y[sel] = states[:, -1, :]
        run.given.update(dict.fromkeys(map(int, sel), types))
        if open_label and run.trial.raters != "blinded" \
                and protocol.study_treatment() == "active":
            run.rater_knows_from[sel] = np.minimum(run.rater_knows_from[sel], t0)
        for drug in drugs:  # published effect on the modelled MADRS
            m = [o.name for o in run.model.observables].index("madrs")
            cut = drug.effect_at(visit_h[vis] - t0)[None, :]
            run.latent[np.ix_(sel, vis, [m])] = np.clip(
                run.latent[np.ix_(sel, vis, [m])] - cut[:, :, None], 0.0, scales.MADRS_MAX)
        if run.progress is not None:
            run.progress(f"{arm.name}: {protocol.name}", int(sel.size))
    return at_end


def _titrate(run: _Run, arm: Arm, period: Period, tol: Tolerance, t0: float, stop: float,
             first: bool, rows: np.ndarray) -> None:
    """VNS titration to tolerance ``tol`` over ``period``, step by step."""
    from moodtwin.protocols._schema import check

    vns = period.protocol.therapies[0]
    step, top = check("vns", "current", tol.step), check("vns", "current", tol.max)
    every = _hours(tol.every)
    level = np.full(len(run.y), check("vns", "current", vns.current))  # type: ignore[union-attr]
    rising = np.ones(len(run.y), dtype=bool)
    m = [o.name for o in run.model.observables].index(tol.measure)
    a, b = t0, min(stop, t0 + _hours(vns.start) + every)  # type: ignore[union-attr]
    groups = [(period.protocol, rows)]
    while True:
        end = _segment(run, arm, a, b, first and a == t0, groups, period.open_label)[:, m]
        run.titrated[rows] = level[rows]
        if b >= stop - 1e-9:
            return
        rising[rows] &= (end[rows] < tol.below) & (level[rows] + step <= top + 1e-9)
        level[rows[rising[rows]]] += step
        a, b = b, min(stop, b + every)
        groups = []
        for mA in np.unique(level[rows]):
            cont = vns.model_copy(update={"implant_at": None, "start": "0 h",
                                          "current": f"{mA:g} mA"})
            groups.append((period.protocol.model_copy(update={"therapies": [cont]}),
                           rows[level[rows] == mA]))


def _simulate_periods(run: _Run, arm: Arm, start_h: float, end_h: float,
                      rows: np.ndarray) -> None:
    """Integrate ``rows`` of the trial through ``arm``'s periods from ``start_h`` to
    ``end_h`` (trial time, h), filling ``latent`` at visits and advancing the states."""
    t0 = start_h
    for k, period in enumerate(arm.periods, start=1):
        stop = end_h if period.until is None else min(_hours(period.until), end_h)
        if stop <= t0:
            continue
        first = abs(t0 - start_h) < 1e-9 and start_h == 0.0
        if period.titrate_to_tolerance is not None:
            _titrate(run, arm, period, period.titrate_to_tolerance, t0, stop, first, rows)
        else:
            choice = _choose(run, period, rows, t0)
            if period.choose_by is not None:
                column = run.chosen.setdefault(f"protocol_period{k}",
                                               np.full(len(run.pop), "", dtype=object))
                column[rows] = choice
            groups = [(protocol, rows[choice == key]) for key, protocol in
                      (period.protocols or {"": period.protocol}).items()]
            _segment(run, arm, t0, stop, first, groups, period.open_label)
        t0 = stop


def _hours(text: str) -> float:
    from moodtwin.units import hours

    return hours(text, "time")


def _meets(w: Withdrawal, trial: Trial, obs: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Whether the withdrawal criterion holds at each score in ``obs`` (NaN: no)."""
    if w.criterion == "all":
        return np.isfinite(obs)
    if w.criterion == "response":
        frac = None if w.threshold is None else w.threshold / 100.0
        return scales.is_response(base, obs, trial.scale, frac) & np.isfinite(obs)
    return scales.is_remission(obs, trial.scale, w.threshold) & np.isfinite(obs)


def _qualifies(w: Withdrawal, trial: Trial, obs: np.ndarray, visit_h: np.ndarray,
               scheduled: np.ndarray, k: int) -> np.ndarray:
    """Patients entering the withdrawal phase: the criterion at visit ``k``, or at ``k`` of
    their last ``of_last`` scheduled visits up to ``k`` (``persistence``)."""
    meets = _meets(w, trial, obs[:, : k + 1], obs[:, :1])
    if w.persistence is None:
        return meets[:, k]
    out = np.zeros(obs.shape[0], dtype=bool)
    for i in range(obs.shape[0]):
        own = np.flatnonzero(scheduled[i, 1: k + 1]) + 1
        last = own[-w.persistence.of_last:]
        out[i] = last.size == w.persistence.of_last and meets[i, last].sum() >= w.persistence.k
    return out


def dropout_times(trial: Trial, visit_h: np.ndarray, rated: np.ndarray, end: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Time (h) each patient leaves the trial (inf: completes).

    Random dropout (``dropout_informative`` 1): exponential times with ``dropout`` lost by
    ``end``. Informative dropout: between two visits the hazard is multiplied by
    ``HR ** ((x - 0.5) / 0.5)`` where ``x`` is the patient's last rated score over baseline
    (HR = ``dropout_informative``: an unimproved patient leaves HR times as often as a
    responder, a remitted one 1/HR times), the base hazard scaled so that ``dropout`` is
    still the expected fraction lost by ``end``. Discontinuation for lack of efficacy is a
    leading reason for dropout in antidepressant trials, so dropout is not at random."""
    n = rated.shape[0]
    if trial.dropout <= 0:
        return np.full(n, np.inf)
    u = rng.exponential(1.0, n)  # each patient's cumulative-hazard budget
    if trial.dropout_informative == 1.0:
        return u * end / -np.log1p(-trial.dropout)
    edges = np.concatenate([visit_h, [end]])
    edges = np.maximum.accumulate(edges)
    x = rated / np.where(rated[:, :1] > 0, rated[:, :1], np.nan)
    x = pd.DataFrame(x).ffill(axis=1).fillna(1.0).to_numpy()  # last rated score, LOCF
    mult = float(trial.dropout_informative) ** ((np.clip(x, 0.0, 1.5) - 0.5) / 0.5)
    cum = np.cumsum(mult * np.diff(edges)[None, :], axis=1)  # (patients, intervals)
    lo, hi = 0.0, 1.0
    while np.mean(1 - np.exp(-hi * cum[:, -1])) < trial.dropout:
        hi *= 2.0
    for _ in range(60):  # base hazard (1/h) giving the expected fraction lost
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.mean(1 - np.exp(-mid * cum[:, -1])) < trial.dropout else (
            lo, mid)
    h = (lo + hi) / 2 * cum
    out = np.full(n, np.inf)
    for i in range(n):
        k = int(np.searchsorted(h[i], u[i]))
        if k < h.shape[1]:
            before = h[i, k - 1] if k > 0 else 0.0
            out[i] = edges[k] + (u[i] - before) / (h[i, k] - before) * (edges[k + 1] - edges[k])
    return out


def _observe(trial: Trial, model: Model, pop: Population, latent: np.ndarray,
             visit_h: np.ndarray, rng: np.random.Generator, scale_names: list[str],
             rater_knows_from: np.ndarray) -> dict[str, np.ndarray]:
    """Rated scores: latent (natural course included) + day-to-day fluctuation averaged over
    each rating's recall period (a week, or the time since the previous visit) + rater noise,
    less the observer bias (``rater_bias``, MADRS points) at post-baseline visits of patients
    whose clinician-rated depression scale is scored by a rater who knows they are on the
    experimental treatment (after ``rater_knows_from``, trial time per patient).

    Depression scales convert the latent MADRS, anxiety scales the latent HAM-A (the model's
    own anxiety state), each with its own fluctuation; PTSD scales the PCL-5 output (rater
    noise only, see :data:`moodtwin.scales.CONSTRUCTS`)."""
    names = [o.name for o in model.observables]
    fl = _fluctuation(model, pop.table, visit_h, int(rng.integers(2**31)))
    knows = visit_h[None, :] > np.maximum(rater_knows_from, 1e-9)[:, None]
    bias = np.where(knows, pop.table[:, model.parameter_index["rater_bias"]][:, None], 0.0)
    out = {}
    for name in scale_names:
        sc = scales.get_scale(name)
        src = scales.source_score(sc.name, latent[:, :, names.index(sc.construct_source)], fl)
        if sc.construct == "depression" and not sc.self_rated:
            src = np.clip(src - bias, 0.0, sc.source_max)
        score = scales.convert(src, sc.name)
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
    # ``n`` scales the cohorts with the trial's n, or with their total in a trial of
    # cohorts only (where it was ignored)
    total = trial.n if trial.n is not None else sum(a.n or 0 for a in trial.arms)
    for i, arm in enumerate(trial.arms):
        if arm.n is not None:
            size = arm.n if n is None or not total else max(2, round(arm.n * n / total))
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
    names = sorted({trial.scale, *(e.scale for e in trial.endpoints if e.scale)})
    knows = np.where(np.array([trial.rater_knows_active(a) for a in trial.arms],
                              dtype=bool)[arm_idx], 0.0, np.inf)
    ctx = _Run(trial, model, pop, y, visit_h, latent, status, options, progress,
               engine or run_engine, np.full(n_pat, np.nan), s_obs, names, knows)
    for i, arm in enumerate(trial.arms):
        rows = np.flatnonzero(arm_idx == i)
        if rows.size:
            _simulate_periods(ctx, arm, 0.0, phase1_end, rows)
    w_arm = np.full(n_pat, "", dtype=object)
    if trial.withdrawal is not None:
        w = trial.withdrawal
        k = int(np.argmin(np.abs(visit_h - phase1_end)))
        pre = _observe(trial, model, pop, latent, visit_h, np.random.default_rng(s_obs),
                       names, ctx.rater_knows_from)[trial.scale]
        sched = _scheduled(trial, visit_h, [trial.arms[a].name for a in arm_idx],
                           np.full(n_pat, "", dtype=object), phase1_end)
        pre[~sched] = np.nan
        ok = _qualifies(w, trial, pre, visit_h, sched, k) & (status == 0)
        if w.from_arms:
            ok &= np.isin([trial.arms[a].name for a in arm_idx], w.from_arms)
        rng_wd = np.random.default_rng(s_wd)
        alloc = np.full(n_pat, -1)
        for i in range(len(trial.arms)):  # stratified by first arm / cohort
            stratum = np.flatnonzero(ok & (arm_idx == i))
            alloc[stratum] = _allocate(w.arms, stratum.size, rng_wd)
        for j, arm in enumerate(w.arms):
            sub = np.flatnonzero(alloc == j)
            w_arm[sub] = arm.name
            if sub.size:
                _simulate_periods(ctx, arm, phase1_end, end, sub)
    observed = _observe(trial, model, pop, latent, visit_h, np.random.default_rng(s_obs), names,
                        ctx.rater_knows_from)
    dropout_h = dropout_times(trial, visit_h, observed[trial.scale], end,
                              np.random.default_rng(s_drop))
    missing = visit_h[None, :] > dropout_h[:, None]
    if trial.withdrawal is not None:
        missing |= (visit_h[None, :] > phase1_end + 1e-9) & (w_arm == "")[:, None]
    scheduled = _scheduled(trial, visit_h, [trial.arms[a].name for a in arm_idx], w_arm,
                           phase1_end)
    missing |= ~scheduled
    for v in observed.values():
        v[missing] = np.nan
    failures = [f"patient {i} ({trial.arms[arm_idx[i]].name}): {STATUS_MESSAGES[int(s)]}"
                for i, s in enumerate(status) if s != 0]
    for v in observed.values():
        v[status != 0] = np.nan
    patients = pop.covariates.copy()
    patients.insert(1, "arm", [trial.arms[a].name for a in arm_idx])
    patients.insert(2, "withdrawal_arm", w_arm)
    # day of dropout; empty for a patient who completes the trial
    patients["dropout_day"] = np.where(dropout_h < end, dropout_h / 24.0, np.nan)
    patients["status"] = status  # solver status: 0 success, else STATUS_MESSAGES (excluded)
    if np.isfinite(ctx.titrated).any():
        patients["vns_titrated_mA"] = ctx.titrated
    for column, choice in ctx.chosen.items():
        patients[column] = choice
    rng_bio = np.random.default_rng(s_bio)
    d = TrialData(trial, model, visit_h, patients, latent, observed, excluded + failures,
                  {}, None if scheduled.all() else scheduled)
    d.measured = {name: true_value(d, name)
                  * (1.0 + cv * rng_bio.standard_normal((n_pat, n_vis)))
                  for name, cv in sorted(trial.biomarker_noise.items())}
    return d


def _concat(pops: list[Population]) -> Population:
    if len(pops) == 1:
        return pops[0]
    cov = pd.concat([p.covariates for p in pops], ignore_index=True)
    cov["patient"] = np.arange(len(cov))
    return Population(pops[0].model, cov, np.concatenate([p.table for p in pops]),
                      np.concatenate([p.y0 for p in pops]),
                      [x for p in pops for x in p.excluded])
