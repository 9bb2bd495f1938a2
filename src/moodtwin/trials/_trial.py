"""Replicated virtual trials: the same design run R times with independent patients and noise."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moodtwin import DISCLAIMER
from moodtwin.errors import ValidationError
from moodtwin.heterogeneity import HETEROGENEITY, of_set, prediction_interval
from moodtwin.parameter_sets import ParameterSet, ParametersLike, ensemble_of, resolve
from moodtwin.simulation import Engine, SolverOptions
from moodtwin.trials._claims import claim_verdicts
from moodtwin.trials._domain import outside_calibration
from moodtwin.trials._endpoints import compute_endpoints, shortfall
from moodtwin.trials._run import Progress, TrialData, run_replicate
from moodtwin.trials._schema import RATE_TYPES, RATIO_TYPES, Trial, resolve_trial

#: From this many replicates :meth:`TrialResult.summary`'s interval is the 2.5-97.5
#: percentile range of the replicate estimates; below it, too few values for percentiles,
#: the mean of the replicates' own 95% confidence intervals.
PERCENTILE_REPLICATES = 10


def _geometric_mean(values: pd.Series) -> float:
    """Geometric mean of the positive finite values (NaN if none): how ratios average."""
    v = values.to_numpy(dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return float(np.exp(np.log(v).mean())) if v.size else math.nan


def published_values(trial: Trial) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(value, 95 % low, 95 % high) of every published number in ``trial`` by (endpoint,
    arm) as :meth:`TrialResult.summary` labels them (claims have no number)."""
    from moodtwin.calibration._targets import trial_targets

    return {(t.endpoint, t.arm): (t.published.value, *t.ci)
            for t in trial_targets(trial, Path(trial.name))
            if t.published.value is not None}


@dataclass
class TrialResult:
    """Endpoints of every replicate, their summary, and the first replicate's patients.

    ``endpoints``: one row per replicate x endpoint x arm (estimate, within-trial 95% CI;
    column ``ensemble_member`` when the replicates drew posterior ensemble members).
    ``trajectories``: mean observed primary-scale score (and its between-patient SD) per
    replicate x arm x visit.
    ``members``: the posterior ensemble member (numbered from 0) each replicate used, or
    None when every replicate used the parameter set's own values.
    ``notes``: endpoint values without an estimate or 95% interval (NaN), one line each
    with the replicates it happened in (e.g. an arm with too few patients).
    :attr:`outside_calibration`: where the design lies outside the calibration set.
    ``heterogeneity``: the between-trial heterogeneity of the prediction interval (fraction
    of the value) and where it comes from (:func:`moodtwin.heterogeneity.of_set`).
    """

    trial: Trial
    seed: int
    replicates: int
    first: TrialData
    endpoints: pd.DataFrame
    trajectories: pd.DataFrame
    failures: list[str]
    members: tuple[int, ...] | None = None
    notes: list[str] = field(default_factory=list)
    heterogeneity: tuple[float, str] = (HETEROGENEITY, "assumed")

    @property
    def outside_calibration(self) -> list[str]:
        """Where the design lies outside the calibration set, one line each
        (:func:`moodtwin.trials.outside_calibration`; empty inside it): read those results
        as extrapolations. Computed when asked, not in every run (calibration scores
        thousands)."""
        return outside_calibration(self.trial)

    def summary(self) -> pd.DataFrame:
        """Per endpoint and arm: mean over replicates, its 95% interval, and for a published
        significance claim, in how many replicates it holds.

        From 10 replicates (:data:`PERCENTILE_REPLICATES`) the interval is the 2.5-97.5
        percentile range of the replicate estimates (the spread of the trial's result over
        repeated trials; with ensemble members, over the posterior parameter sets as well).
        With fewer, too few values for percentiles, it is the mean of the replicates' own 95%
        confidence intervals (each trial's sampling interval at its size: a rate's Wilson
        interval stays within 0-1); with one replicate, that trial's own interval.
        Columns ``claim`` (the published claim, '' where none) and ``claim_holds_in`` (the
        replicates whose 95% CI bears it out, of :attr:`replicates`). ``new_trial_low`` and
        ``new_trial_high``: the 95% prediction interval for the published value of a new
        trial of this design, the interval widened by :attr:`heterogeneity`
        (:func:`moodtwin.heterogeneity.prediction_interval`). ``published``,
        ``published_low``, ``published_high``: the trial file's published value and its 95 %
        interval (NaN where it gives none, or gives a claim).
        """
        g = self.endpoints.groupby(["endpoint", "arm"], sort=False)
        out = g.agg(type=("type", "first"), scale=("scale", "first"), at=("at", "first"),
                    mean=("estimate", "mean"), n=("n", "mean")).reset_index()
        ratio = out["type"].isin(RATIO_TYPES).to_numpy()
        if ratio.any():  # a ratio's replicates average on the log scale (geometric mean)
            geo = g["estimate"].agg(_geometric_mean).to_numpy()
            out["mean"] = np.where(ratio, geo, out["mean"].to_numpy())
        if self.replicates >= PERCENTILE_REPLICATES:
            lo = g["estimate"].quantile(0.025).to_numpy()
            hi = g["estimate"].quantile(0.975).to_numpy()
        else:
            lo, hi = g["ci_low"].mean().to_numpy(), g["ci_high"].mean().to_numpy()
            if ratio.any():
                lo = np.where(ratio, g["ci_low"].agg(_geometric_mean).to_numpy(), lo)
                hi = np.where(ratio, g["ci_high"].agg(_geometric_mean).to_numpy(), hi)
        out["low"], out["high"] = lo, hi
        out["new_trial_low"], out["new_trial_high"] = prediction_interval(
            out["mean"], lo, hi, ratio=ratio,
            rate=out["type"].isin(RATE_TYPES).to_numpy(), heterogeneity=self.heterogeneity[0])
        verdicts = claim_verdicts(self.trial, self.endpoints)
        keys = list(zip(out["endpoint"], out["arm"], strict=True))
        published = published_values(self.trial)
        for k, column in enumerate(("published", "published_low", "published_high")):
            out[column] = [published[key][k] if key in published else math.nan
                           for key in keys]
        out["claim"] = [verdicts[k][0] if k in verdicts else "" for k in keys]
        out["claim_holds_in"] = pd.array([verdicts[k][1] if k in verdicts else None
                                          for k in keys], dtype="Int64")
        return out

    def to_json(self) -> dict[str, Any]:
        s = self.summary()
        rows = []
        for _, r in s.iterrows():
            per = self.endpoints[(self.endpoints["endpoint"] == r["endpoint"])
                                 & (self.endpoints["arm"] == r["arm"])]["estimate"]
            claim = None if not r["claim"] else {
                "claim": r["claim"], "holds_in": int(r["claim_holds_in"]),
                "of": self.replicates}
            rows.append({"endpoint": r["endpoint"], "type": r["type"], "scale": r["scale"],
                         "at": r["at"], "arm": r["arm"], "mean": _num(r["mean"]),
                         "interval_95": [_num(r["low"]), _num(r["high"])],
                         "new_trial_95": [_num(r["new_trial_low"]), _num(r["new_trial_high"])],
                         "n_per_replicate": _num(r["n"]),
                         "published": None if math.isnan(r["published"]) else {
                             "value": _num(r["published"]),
                             "ci_95": [_num(r["published_low"]), _num(r["published_high"])]},
                         "replicates": [_num(x) for x in per], "published_claim": claim})
        return {"trial": self.trial.name, "source": self.trial.source, "seed": self.seed,
                "replicates": self.replicates, "interval": self.interval,
                "ensemble_members": None if self.members is None else list(self.members),
                "endpoints": rows, "failures": self.failures, "notes": self.notes,
                "outside_calibration": self.outside_calibration,
                "heterogeneity": {"fraction": self.heterogeneity[0],
                                  "source": self.heterogeneity[1]},
                "disclaimer": DISCLAIMER}

    @property
    def interval(self) -> str:
        """What :meth:`summary`'s interval is, in words."""
        if self.replicates == 1:
            return "95% confidence interval of the single replicate"
        if self.replicates < PERCENTILE_REPLICATES:
            without = "" if self.members is None else ", without parameter uncertainty"
            return (f"mean of the {self.replicates} replicates' own 95% confidence intervals "
                    f"(fewer than {PERCENTILE_REPLICATES} replicates: sampling noise at the "
                    f"trial's size{without})")
        if self.members is None:
            return "2.5-97.5 percentiles over replicates (sampling noise only)"
        return (f"2.5-97.5 percentiles over replicates, drawn from "
                f"{len(set(self.members))} posterior ensemble member(s) (parameter "
                f"uncertainty included)")


def _num(x: Any) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else round(x, 6)


def _trajectories(d: TrialData, r: int) -> pd.DataFrame:
    from moodtwin.trials._endpoints import _members, _scores

    x = _scores(d, d.trial.scale)
    rows = []
    for arm in [a.name for a in d.trial.all_arms()]:
        sel = x[_members(d, arm)]
        if sel.size == 0:
            continue
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(sel, axis=0)
            sd = np.nanstd(sel, axis=0, ddof=1)
            resp = np.nanmean(sel <= 0.5 * sel[:, :1], axis=0)
        for k, t in enumerate(d.visit_h):
            rows.append({"replicate": r, "arm": arm, "day": t / 24.0, "mean_score": mean[k],
                         "sd": sd[k], "response": resp[k],
                         "n": int(np.isfinite(sel[:, k]).sum())})
    return pd.DataFrame(rows)


def run_trial(
    trial: Trial | str | Path, *, seed: int = 0, replicates: int = 1, n: int | None = None,
    parameters: ParametersLike = None, options: SolverOptions = SolverOptions(),
    progress: Progress | None = None, on_replicate: Callable[[int], None] | None = None,
    engine: Engine | None = None, ensemble: bool | None = None,
) -> TrialResult:
    """Run ``trial`` ``replicates`` times; the same trial, seed and ``n`` give the same result.

    **Arguments:**

    - ``trial``: a :class:`~moodtwin.Trial` or a trial file (YAML).
    - ``seed``: root of every random draw (population, randomization, noise, dropout).
    - ``n``: overrides the randomized sample size (cohort sizes scale with it).
    - ``progress``: called with (what, patients) after each simulated group.
    - ``parameters``: the :class:`~moodtwin.ParameterSet` (its values are the typical
      values of the virtual population); default: the calibrated set.
    - ``engine``: a :class:`~moodtwin.sweep.DaskEngine` (a Dask cluster; same numbers);
      default :func:`~moodtwin.simulation.run_engine` in this process.
    - ``ensemble``: replicate ``r`` uses posterior ensemble member ``r mod N`` of the
      parameter set (:meth:`~moodtwin.ParameterSet.ensemble_members`), so the interval
      over replicates includes parameter uncertainty (``replicates >= N`` covers the
      ensemble). Default (None): on when the set has an ensemble and ``replicates > 1``;
      True with a set without an ensemble is an error.
    """
    if replicates < 1:
        raise ValidationError(f"replicates must be at least 1, got {replicates}.")
    trial = resolve_trial(trial)
    ps = resolve(parameters)
    members = replicate_members(ps, replicates, ensemble)
    sets = ps.ensemble_members() if members is not None else []
    seeds = np.random.SeedSequence(seed).spawn(replicates)
    rows, traj, failures = [], [], []
    short: dict[str, list[int]] = {}
    first: TrialData | None = None
    for r, ss in enumerate(seeds):
        d = run_replicate(trial, ss, n=n, parameters=ps if members is None
                          else sets[members[r]], options=options, progress=progress,
                          engine=engine)
        first = first or d
        tag = {} if members is None else {"ensemble_member": members[r]}
        for row in compute_endpoints(d):
            rows.append({"replicate": r, **tag, **row})
            if (line := shortfall(row)) is not None:
                short.setdefault(line, []).append(r)
        traj.append(_trajectories(d, r))
        failures += [f"replicate {r}: {x}" for x in d.failures]
        if on_replicate is not None:
            on_replicate(r)
    if first is None:
        raise ValidationError("no replicate was run.")
    notes = [f"{line} (in {len(rs)} of {replicates} replicate(s))"
             for line, rs in short.items()]
    return TrialResult(trial, seed, replicates, first, pd.DataFrame(rows),
                       pd.concat(traj, ignore_index=True), failures, members, notes,
                       of_set(ps))


def replicate_members(parameters: ParameterSet, replicates: int, ensemble: bool | None
                      ) -> tuple[int, ...] | None:
    """The ensemble member (``r mod N``) of each replicate ``r``, or None when the replicates
    use the set's own values (``ensemble``: see :func:`run_trial`)."""
    n = len(parameters.ensemble)
    if ensemble is None:
        ensemble = n > 0 and replicates > 1
    if not ensemble:
        return None
    n = len(ensemble_of(parameters))
    return tuple(r % n for r in range(replicates))
