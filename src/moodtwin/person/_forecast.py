"""Forecasts of a fitted person under candidate protocols, with credible bands.

Each posterior draw is simulated through the person's treatment history up to the forecast
start (by default the last observation), and each candidate protocol then runs from that
state (its time 0 = the forecast start). Sensitivities to therapies the person never had
are not informed by the record: they are drawn from the prior (the population). A candidate
``vns`` entry continues an implant already in the history (no new implant procedure), and a
candidate that gives only what the person is still on (an implant, home taVNS, an oral
antidepressant, recent doses) continues that treatment course rather than starting a new
one (the trials' rule, :func:`moodtwin.protocols.starts_course`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from moodtwin import scales
from moodtwin.errors import ValidationError
from moodtwin.model import Model
from moodtwin.parameter_sets import ParameterSet, ParametersLike, ensemble_of, resolve
from moodtwin.person._fit import PersonFit, therapy_parameters
from moodtwin.person._likelihood import FIT_OPTIONS
from moodtwin.person._prior import person_prior
from moodtwin.protocols import (
    Protocol,
    ProtocolLike,
    Timeline,
    compile_protocol,
    course_key,
    resolve_protocol,
    starts_course,
)
from moodtwin.simulation import parameter_table, run_engine
from moodtwin.units import hours as to_hours

BIOMARKERS = ("rmssd", "crp_mgl", "il6_pgml", "cortisol_ugdl", "bdnf_serum_ngml")
#: Side-effect observables and the therapies that cause them.
SIDE_EFFECTS = {"voice_alteration": ("vns",), "dissociation": ("ketamine_iv", "ketamine",
                                                                 "esketamine_iv",
                                                                 "esketamine_nasal"),
                "ptosis_risk": ("botulinum_glabellar",)}
@dataclass(frozen=True)
class Forecast:
    """One candidate's forecast.

    ``bands``: columns ``day, quantity, q5, median, q95`` (days from the forecast start;
    quantities are scales in points and biomarkers in their units); ``outcomes``: one row per
    requested time with P(response) and P(remission) on each scale; ``side_effects``: mean and
    peak (median over draws) of each side-effect observable the candidate can cause.
    """

    name: str
    file: str
    bands: pd.DataFrame
    outcomes: pd.DataFrame
    side_effects: pd.DataFrame


@dataclass(frozen=True)
class ForecastSet:
    """All candidates of one person, and the fitted course of the history."""

    start_h: float
    history: pd.DataFrame  # bands of the history (day from the start date)
    candidates: list[Forecast]
    scales: tuple[str, ...]
    prior_only: list[str]  # parameters drawn from the population, not the person's data
    ensemble_members: int = 0  # posterior ensemble members the draws used (0: none)


def forecast(
    fit: PersonFit, candidates: Sequence[tuple[str, ProtocolLike] | ProtocolLike], *,
    at: Sequence[tuple[str, float]] = (("6w", 1008.0), ("6mo", 4383.0)),
    start_h: float | None = None, draws: int = 200, seed: int = 0,
    parameters: ParametersLike = None, ensemble: bool = False,
) -> ForecastSet:
    """Forecast ``candidates`` for the fitted person.

    ``candidates``: (label, protocol) pairs, or bare protocols; a protocol is a
    :class:`~moodtwin.Protocol` or a protocol file (a bare file is labelled by its path).
    ``at``: (label, h after the forecast start) pairs; ``start_h``: forecast start, h after
    the record's start date (default: the last observation); ``parameters``: the
    :class:`~moodtwin.ParameterSet` of the parameters the posterior does not hold
    (default: the calibrated set; use the one the fit used). ``ensemble``: posterior draw
    ``i`` takes those parameters from ensemble member ``i mod N`` of the set (its typical
    values, and the centre of the population prior of therapies the person never had), so
    the bands and probabilities include the calibration's parameter uncertainty.
    """
    rec = fit.record
    ps = resolve(parameters)
    model = rec.model_for(ps.model)
    pairs = [_candidate(c) for c in candidates]
    last = float(max(rec.scores["time_h"].max(), rec.biomarkers["time_h"].max()
                     if len(rec.biomarkers) else 0.0))
    start_h = last if start_h is None else start_h
    if not 0.0 <= start_h <= rec.end_h:
        raise ValidationError(f"forecast start {start_h / 24:g} d is outside the treatment "
                              f"history (0-{rec.end_h / 24:g} d after the start date).")
    for label, h in at:
        for file, proto in pairs:
            # a day's slack: '6mo' (26.09 weeks) reads the end of a 26-week candidate
            if h > proto.duration_h() + AT_SLACK_H:
                raise ValidationError(f"--at {label}: {proto.name!r} ({file}) lasts only "
                                      f"{proto.duration}; ask for times within it.")
    sets = _draw_sets(ps, draws, ensemble)
    rng = np.random.default_rng(seed)
    grid = np.unique(np.append(np.arange(0.0, start_h, 24.0), start_h))
    hours = [_hours(_continue_devices(rec.protocol, proto), proto, model, at)
             for _, proto in pairs]
    runs = [_simulate_draws(fit, pairs, rec.model_for(s.model), k, rng, grid, hours)
            for s, k in sets]
    names = [o.name for o in model.observables]
    used = [s for s in dict.fromkeys(["MADRS", *rec.scores["scale"]])
            if scales.get_scale(s).construct == "depression"]
    status = np.concatenate([r[0] for r in runs])
    history = _bands(np.concatenate([r[1] for r in runs]), status, grid / 24.0, names, used)
    out = []
    for i, (file, proto) in enumerate(pairs):
        st = np.concatenate([r[2][i][0] for r in runs])
        ob = np.concatenate([r[2][i][1] for r in runs])
        ok = (st == 0) & (status == 0)
        if not ok.any():
            raise ValidationError(f"{file}: every simulation failed under this protocol.")
        out.append(Forecast(proto.name, file, _bands(ob, st | status, hours[i] / 24.0, names,
                                                     used),
                            _outcomes(ob[ok], hours[i], names, used, at),
                            _side_effects(ob[ok], names, proto)))
    fitted = set(fit.prior.names)
    prior_only = sorted({p for _, pr in pairs for p in therapy_parameters(pr)} - fitted)
    return ForecastSet(start_h, history, out, tuple(used), prior_only,
                       len(sets) if ensemble else 0)


def _candidate(c: tuple[str, ProtocolLike] | ProtocolLike) -> tuple[str, Protocol]:
    """(label, protocol) of one candidate (see :func:`forecast`)."""
    if isinstance(c, tuple) and len(c) == 2:
        return str(c[0]), resolve_protocol(c[1], f"candidate {c[0]!r}")
    proto = resolve_protocol(c, "candidate")  # type: ignore[arg-type]
    return (str(c) if isinstance(c, str | Path) else proto.name), proto


def _draw_sets(ps: ParameterSet, draws: int, ensemble: bool) -> list[tuple[ParameterSet, int]]:
    """(parameter set, number of draws) pairs: draw ``i`` uses ensemble member ``i mod N``
    (members left without a draw are skipped), or every draw the set itself."""
    if not ensemble:
        return [(ps, draws)]
    members = ensemble_of(ps)
    counts = [len(range(k, draws, len(members))) for k in range(len(members))]
    return [(m, k) for m, k in zip(members, counts, strict=True) if k]


def _hours(protocol: Protocol, candidate: Protocol, model: Model,
           at: Sequence[tuple[str, float]]) -> np.ndarray:
    """Output times of a candidate (h after the forecast start): daily, the requested
    times, and dense after each dose."""
    tl = compile_protocol(protocol, model, model.defaults())
    dense = (tl.dose_times[:, None] + np.array([0.2, 0.4, 0.67, 1.0, 2.0, 6.0])).ravel()
    hours = np.unique(np.concatenate([np.arange(0.0, candidate.duration_h() + 1e-9, 24.0),
                                      [h for _, h in at], dense]))
    return hours[hours <= candidate.duration_h()]


def _simulate_draws(fit: PersonFit, pairs: Sequence[tuple[str, Protocol]], model: Model,
                    n: int, rng: np.random.Generator, grid: np.ndarray,
                    hours: Sequence[np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """``n`` posterior draws over ``model``'s other values: the history up to the forecast
    start (status, observables on ``grid``), then each candidate from there ((status,
    observables) on its ``hours``)."""
    rec = fit.record
    table = parameter_table(_draws(fit, pairs, n, rng, model), model, n)
    hist_tl = compile_protocol(rec.protocol, model, model.defaults())
    states, status, obs = run_engine(model, table, _truncate(hist_tl, grid[-1]), grid,
                                     FIT_OPTIONS)
    out = []
    for (_, proto), t in zip(pairs, hours, strict=True):
        tl = compile_protocol(_continue_devices(rec.protocol, proto), model, model.defaults(),
                              new_course=starts_course(
                                  frozenset(course_key(th) for th in proto.therapies),
                                  _ongoing(rec.protocol, float(grid[-1])), blinded=False))
        _, st, ob = run_engine(model, table, tl, t, FIT_OPTIONS, y0=states[:, -1, :])
        out.append((st, ob))
    return status, obs, out


def _draws(fit: PersonFit, candidates: Sequence[tuple[str, Protocol]], n: int,
           rng: np.random.Generator, model: Model) -> dict[str, np.ndarray]:
    post = fit.draws
    pick = rng.choice(len(post), size=n, replace=len(post) < n)
    values = {k: post[k].to_numpy()[pick] for k in post.columns}
    extra = [p for _, pr in candidates for p in therapy_parameters(pr) if p not in values]
    extra = list(dict.fromkeys(extra))
    if extra:
        prior = person_prior(extra, model)
        values.update(prior.values(prior.sample(rng, n)))
    return values


def _truncate(tl: Timeline, end_h: float) -> Timeline:
    """The part of a timeline before ``end_h`` (the integration stops there)."""
    k = max(1, int(np.searchsorted(tl.t, end_h, side="left")))
    t = np.append(tl.t[:k], max(end_h, tl.t[k - 1] + 1e-6))
    return Timeline(t, tl.u[:k], tl.jump[:k], tl.baseline_inputs,
                    tl.dose_times[tl.dose_times < end_h],
                    session_times=tl.session_times[tl.session_times < end_h])


#: How far past a candidate's end a requested time may lie and read its end (h): calendar
#: months and weeks differ by hours ('6mo' is 26.09 weeks).
AT_SLACK_H = 24.0
#: A course in the history still counts as running at the forecast start when its last
#: session or dose lies at most this long before it (h; assumed: two weeks covers weekly and
#: fortnightly maintenance schedules).
ONGOING_H = 14 * 24.0


def _ongoing(history: Protocol, start_h: float) -> frozenset[str]:
    """Course keys of the history's therapies still running at ``start_h`` (h): an implant,
    an oral antidepressant or usual care, a taVNS/tcVNS course whose span reaches it, or
    doses of which the last is at most :data:`ONGOING_H` before it. A candidate that gives
    only these continues the course (no new novelty); anything else starts a new one."""
    keys = set()
    for th in history.therapies:
        if th.type in ("vns", "oral_antidepressant", "treatment_as_usual"):
            keys.add(course_key(th))
        elif isinstance(getattr(th, "duration", None), str) and hasattr(th, "start"):
            begin = to_hours(th.start, "start")
            if begin <= start_h <= begin + to_hours(th.duration, "duration") + ONGOING_H:
                keys.add(course_key(th))
        elif hasattr(th, "times_h"):
            doses = th.times_h(th.type)
            if any(start_h - ONGOING_H <= d <= start_h for d in doses):
                keys.add(course_key(th))
    return frozenset(keys)


def _continue_devices(history: Protocol, candidate: Protocol) -> Protocol:
    """A candidate VNS continues the implanted device when the history already has one: no
    implant procedure (``implant_at: null``), hence no new surgery in the expectancy model."""
    had = any(th.type == "vns" and not th.sham for th in history.therapies)
    if not had:
        return candidate
    therapies = [th.model_copy(update={"implant_at": None}) if th.type == "vns" else th
                 for th in candidate.therapies]
    return candidate.model_copy(update={"therapies": therapies})


def _bands(obs: np.ndarray, status: np.ndarray, days: np.ndarray, names: list[str],
           used: Sequence[str]) -> pd.DataFrame:
    ok = status == 0
    madrs = obs[ok][:, :, names.index("madrs")]
    series = {s: scales.convert(madrs, s) for s in used}
    series.update({b: obs[ok][:, :, names.index(b)] for b in BIOMARKERS})
    rows = []
    for name, x in series.items():
        q = np.quantile(x, [0.05, 0.5, 0.95], axis=0)
        rows.append(pd.DataFrame({"day": days, "quantity": name, "q5": q[0], "median": q[1],
                                  "q95": q[2]}))
    return pd.concat(rows, ignore_index=True)


def _outcomes(obs: np.ndarray, hours: np.ndarray, names: list[str], used: Sequence[str],
              at: Sequence[tuple[str, float]]) -> pd.DataFrame:
    madrs = obs[:, :, names.index("madrs")]
    rows = []
    for label, h in at:
        k = int(np.argmin(np.abs(hours - h)))
        row: dict[str, object] = {"at": label, "day": h / 24.0}
        for s in used:
            base = scales.convert(madrs[:, 0], s)
            now = scales.convert(madrs[:, k], s)
            row[f"{s}_baseline"] = float(np.median(base))  # at the forecast start
            row[f"{s}_median"] = float(np.median(now))
            row[f"P_response_{s}"] = float(np.mean(scales.is_response(base, now, s)))
            row[f"P_remission_{s}"] = float(np.mean(scales.is_remission(now, s)))
        rows.append(row)
    return pd.DataFrame(rows)


def _side_effects(obs: np.ndarray, names: list[str], proto: Protocol) -> pd.DataFrame:
    kinds = {th.type for th in proto.therapies}
    rows = []
    for name, causes in SIDE_EFFECTS.items():
        if kinds & set(causes):
            x = obs[:, :, names.index(name)]
            rows.append({"side_effect": name, "mean": float(np.median(x.mean(axis=1))),
                         "peak": float(np.median(x.max(axis=1)))})
    return pd.DataFrame(rows, columns=["side_effect", "mean", "peak"])
