"""Forecasts of a fitted person under candidate protocols, with credible bands.

Each posterior draw is simulated through the person's treatment history up to the forecast
start (by default the last observation), and each candidate protocol then runs from that
state (its time 0 = the forecast start). Sensitivities to therapies the person never had
are not informed by the record: they are drawn from the prior (the population). A candidate
``vns`` entry continues an implant already in the history (no new implant procedure).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from moodtwin import scales
from moodtwin.errors import ValidationError
from moodtwin.model import Model
from moodtwin.parameter_sets import ParametersLike, resolve
from moodtwin.person._fit import PersonFit, therapy_parameters
from moodtwin.person._likelihood import FIT_OPTIONS
from moodtwin.person._prior import person_prior
from moodtwin.protocols import Protocol, Timeline, compile_protocol
from moodtwin.simulation import parameter_table, run_engine

BIOMARKERS = ("rmssd", "crp_mgl", "il6_pgml", "cortisol_ugdl", "bdnf_serum_ngml")
#: Side-effect observables and the therapies that cause them.
SIDE_EFFECTS = {"voice_alteration": ("vns",), "dissociation": ("ketamine_iv", "esketamine_nasal"),
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


def forecast(
    fit: PersonFit, candidates: Sequence[tuple[str, Protocol]], *,
    at: Sequence[tuple[str, float]] = (("6w", 1008.0), ("6mo", 4383.0)),
    start_h: float | None = None, draws: int = 200, seed: int = 0,
    parameters: ParametersLike = None,
) -> ForecastSet:
    """Forecast ``candidates`` ((file, protocol) pairs) for the fitted person.

    ``at``: (label, h after the forecast start) pairs; ``start_h``: forecast start, h after
    the record's start date (default: the last observation); ``parameters``: the
    :class:`~moodtwin.ParameterSet` of the parameters the posterior does not hold
    (default: the calibrated set; use the one the fit used).
    """
    rec = fit.record
    model = rec.model_for(resolve(parameters).model)
    last = float(max(rec.scores["time_h"].max(), rec.biomarkers["time_h"].max()
                     if len(rec.biomarkers) else 0.0))
    start_h = last if start_h is None else start_h
    if not 0.0 <= start_h <= rec.end_h:
        raise ValidationError(f"forecast start {start_h / 24:g} d is outside the treatment "
                              f"history (0-{rec.end_h / 24:g} d after the start date).")
    for label, h in at:
        for file, proto in candidates:
            if h > proto.duration_h():
                raise ValidationError(f"--at {label}: {proto.name!r} ({file}) lasts only "
                                      f"{proto.duration}; ask for times within it.")
    rng = np.random.default_rng(seed)
    values = _draws(fit, candidates, draws, rng, model)
    table = parameter_table(values, model, draws)
    names = [o.name for o in model.observables]
    hist_tl = compile_protocol(rec.protocol, model, model.defaults())
    grid = np.unique(np.append(np.arange(0.0, start_h, 24.0), start_h))
    states, status, obs = run_engine(model, table, _truncate(hist_tl, start_h), grid,
                                     FIT_OPTIONS)
    used = [s for s in dict.fromkeys(["MADRS", *rec.scores["scale"]])
            if scales.get_scale(s).construct == "depression"]
    history = _bands(obs, status, grid / 24.0, names, used)
    out = []
    for file, proto in candidates:
        tl = compile_protocol(_continue_devices(rec.protocol, proto), model, model.defaults())
        dense = (tl.dose_times[:, None] + np.array([0.2, 0.4, 0.67, 1.0, 2.0, 6.0])).ravel()
        hours = np.unique(np.concatenate([np.arange(0.0, proto.duration_h() + 1e-9, 24.0),
                                          [h for _, h in at], dense]))
        hours = hours[hours <= proto.duration_h()]
        _, st, ob = run_engine(model, table, tl, hours, FIT_OPTIONS, y0=states[:, -1, :])
        ok = (st == 0) & (status == 0)
        if not ok.any():
            raise ValidationError(f"{file}: every simulation failed under this protocol.")
        out.append(Forecast(proto.name, file, _bands(ob, st | status, hours / 24.0, names, used),
                            _outcomes(ob[ok], hours, names, used, at),
                            _side_effects(ob[ok], names, proto)))
    fitted = set(fit.prior.names)
    prior_only = sorted({p for _, pr in candidates for p in therapy_parameters(pr)} - fitted)
    return ForecastSet(start_h, history, out, tuple(used), prior_only)


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
                    tl.dose_times[tl.dose_times < end_h])


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
