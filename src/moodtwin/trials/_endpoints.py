"""Trial endpoints from a simulated replicate, with SciPy/statsmodels/lifelines statistics.

Conventions: changes are ``score(at) - score(baseline)`` (negative = improvement);
``percent_change`` is in percent; rates are fractions; effect sizes (``cohen_d``,
``hedges_g``) are positive when ``arms[0]`` improves more than ``arms[1]`` (for biomarker
changes: when ``arms[0]`` raises the biomarker more); ``risk_ratio``
and ``hazard_ratio`` are ``arms[0]`` over ``arms[1]``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats

from moodtwin import scales
from moodtwin.errors import ValidationError
from moodtwin.trials._run import TrialData
from moodtwin.trials._schema import Endpoint
from moodtwin.trials._stats import wilson
from moodtwin.units import hours

_RATES = ("response_rate", "remission_rate", "cumulative_response_rate",
          "cumulative_remission_rate")


def _scores(d: TrialData, scale: str) -> np.ndarray:
    """Observed scores (patients, visits); LOCF-filled when the trial analyses that way."""
    x = d.observed[scales.get_scale(scale).name].copy()
    if d.trial.analysis == "locf":
        for k in range(1, x.shape[1]):
            gap = np.isnan(x[:, k])
            x[gap, k] = x[gap, k - 1]
    return x


def _members(d: TrialData, arm: str) -> np.ndarray:
    p = d.patients
    mask = (p["arm"].to_numpy() == arm) | (p["withdrawal_arm"].to_numpy() == arm)
    return mask & (p["status"].to_numpy() == 0)


def _start_h(d: TrialData, arm: str) -> float:
    w = d.trial.withdrawal
    if w is not None and arm in [a.name for a in w.arms]:
        return hours(w.at, "withdrawal.at")
    return 0.0


def _per_patient(d: TrialData, e: Endpoint, kind: str, arm: str) -> np.ndarray:
    """Per-patient values of ``kind`` for ``arm`` (NaN where not observed)."""
    scale = e.scale or d.trial.scale
    k = d.visit(hours(e.at, "at")) if e.at else len(d.visit_h) - 1
    rows = _members(d, arm)
    if kind == "biomarker_change":
        v = d.observable(e.measure or "")
        return (v[rows, k] - v[rows, 0])
    x = _scores(d, scale)[rows]
    base, now = x[:, 0], x[:, k]
    sc = scales.get_scale(scale)
    thr = e.remission_threshold if e.remission_threshold is not None else sc.remission_threshold

    def flag(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(values), np.nan, ok.astype(float))

    if kind == "mean_score":
        return now
    if kind == "mean_change":
        return now - base
    if kind == "percent_change":
        return 100.0 * (now - base) / np.where(base > 0, base, np.nan)
    if kind == "response_rate":
        return flag(now, scales.is_response(base, now, sc.name))
    if kind == "remission_rate":
        return flag(now, now <= thr)
    window = x[:, 1: k + 1]
    if kind in ("cumulative_response_rate", "time_in_response"):
        hit = scales.is_response(base[:, None], window, sc.name)
    else:
        hit = window <= thr
    hit = np.where(np.isnan(window), np.nan, hit.astype(float))
    if kind.startswith("cumulative"):
        return flag(now, np.nanmax(np.nan_to_num(hit, nan=0.0), axis=1) > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(hit, axis=1)


def _mean_ci(x: np.ndarray) -> tuple[float, float, float, int]:
    x = x[np.isfinite(x)]
    if x.size < 2:
        return (float(x.mean()) if x.size else float("nan")), float("nan"), float("nan"), x.size
    ci = stats.ttest_1samp(x, 0.0).confidence_interval()
    return float(x.mean()), float(ci.low), float(ci.high), int(x.size)


def _rate_ci(x: np.ndarray) -> tuple[float, float, float, int]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan"), 0
    lo, hi = wilson(float(x.sum()), x.size)
    return float(x.mean()), float(lo), float(hi), int(x.size)


def _relapse(d: TrialData, e: Endpoint, arm: str) -> tuple[np.ndarray, np.ndarray]:
    """Time (days from the arm's start) to the first visit at or above ``relapse_score``,
    and whether it was observed (else censored at the last observed visit)."""
    scale = e.scale or d.trial.scale
    start = _start_h(d, arm)
    x = d.observed[scales.get_scale(scale).name][_members(d, arm)]
    after = d.visit_h > start + 1e-9
    t = (d.visit_h[after] - start) / 24.0
    xs = x[:, after]
    hit = xs >= (e.relapse_score or 0.0)
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    seen = np.isfinite(xs)
    last = np.where(seen.any(axis=1), seen.shape[1] - 1 - seen[:, ::-1].argmax(axis=1), 0)
    event = first >= 0
    return np.where(event, t[np.maximum(first, 0)], t[last]), event


def _km_median(d: TrialData, e: Endpoint, arm: str) -> tuple[float, float, float, int]:
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    t, ev = _relapse(d, e, arm)
    if t.size == 0:
        return float("nan"), float("nan"), float("nan"), 0
    km = KaplanMeierFitter().fit(t, ev)
    ci = median_survival_times(km.confidence_interval_).to_numpy()[0]
    return float(km.median_survival_time_), float(ci[0]), float(ci[1]), int(t.size)


def _hazard_ratio(d: TrialData, e: Endpoint, a: str, b: str) -> tuple[float, float, float, int]:
    import pandas as pd
    from lifelines import CoxPHFitter

    ta, ea = _relapse(d, e, a)
    tb, eb = _relapse(d, e, b)
    df = pd.DataFrame({"t": np.concatenate([ta, tb]), "event": np.concatenate([ea, eb]),
                       "arm": np.r_[np.ones(ta.size), np.zeros(tb.size)]})
    if df["event"].sum() == 0:
        return float("nan"), float("nan"), float("nan"), len(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter().fit(df, "t", "event")
    s = cph.summary.loc["arm"]
    return (float(s["exp(coef)"]), float(s["exp(coef) lower 95%"]),
            float(s["exp(coef) upper 95%"]), len(df))


def _compare(d: TrialData, e: Endpoint) -> tuple[float, float, float, int]:
    from statsmodels.stats.meta_analysis import effectsize_smd
    from statsmodels.stats.proportion import confint_proportions_2indep

    a, b = e.arms or []
    if e.type == "hazard_ratio":
        return _hazard_ratio(d, e, a, b)
    kind = e.of or ("response_rate" if e.type == "risk_ratio" else "mean_change")
    xa, xb = _per_patient(d, e, kind, a), _per_patient(d, e, kind, b)
    xa, xb = xa[np.isfinite(xa)], xb[np.isfinite(xb)]
    n = xa.size + xb.size
    if xa.size < 2 or xb.size < 2:
        return float("nan"), float("nan"), float("nan"), n
    if e.type == "difference" and kind in _RATES:
        lo, hi = confint_proportions_2indep(int(xa.sum()), xa.size, int(xb.sum()), xb.size,
                                            compare="diff")
        return float(xa.mean() - xb.mean()), float(lo), float(hi), n
    if e.type == "risk_ratio":
        ca, cb = int(xa.sum()), int(xb.sum())
        if cb == 0:
            return float("inf"), float("nan"), float("inf"), n
        lo, hi = confint_proportions_2indep(ca, xa.size, cb, xb.size, compare="ratio")
        return float(xa.mean() / xb.mean()), float(lo), float(hi), n
    if e.type == "difference":
        ci = stats.ttest_ind(xa, xb, equal_var=False).confidence_interval()
        return float(xa.mean() - xb.mean()), float(ci.low), float(ci.high), n
    # effect sizes: positive when arm a improves more (lower scores / larger decrease);
    # for biomarkers, positive when arm a raises the biomarker more
    if kind == "biomarker_change":
        xa, xb = xb, xa
    g, var = effectsize_smd(xb.mean(), xb.std(ddof=1), xb.size, xa.mean(), xa.std(ddof=1),
                            xa.size)
    half = 1.96 * float(np.sqrt(var))
    if e.type == "cohen_d":
        j = 1.0 - 3.0 / (4.0 * n - 9.0)
        return float(g / j), float((g - half) / j), float((g + half) / j), n
    return float(g), float(g - half), float(g + half), n


def endpoint_label(e: Endpoint) -> str:
    """Stable identifier of an endpoint (its ``id`` or type/scale/time)."""
    if e.id:
        return e.id
    parts = [e.type if e.type != "difference" else f"difference_{e.of}"]
    parts += [x for x in (e.measure, e.scale, e.at) if x]
    return ":".join(parts).replace(" ", "")


def compute_endpoints(d: TrialData) -> list[dict[str, Any]]:
    """Every endpoint of ``d.trial`` as rows: label, type, arm(s), estimate, 95% CI, n."""
    rows: list[dict[str, Any]] = []
    arm_names = [a.name for a in d.trial.all_arms()]
    for e in d.trial.endpoints:
        label = endpoint_label(e)
        base = {"endpoint": label, "type": e.type, "scale": e.scale or d.trial.scale,
                "at": e.at or d.trial.duration}
        if e.type in ("difference", "cohen_d", "hedges_g", "risk_ratio", "hazard_ratio"):
            est, lo, hi, n = _compare(d, e)
            rows.append({**base, "arm": " vs ".join(e.arms or []), "estimate": est,
                         "ci_low": lo, "ci_high": hi, "n": n})
            continue
        for arm in e.arms or arm_names:
            if e.type == "median_time_to_relapse":
                est, lo, hi, n = _km_median(d, e, arm)
            else:
                x = _per_patient(d, e, e.type, arm)
                est, lo, hi, n = (_rate_ci(x) if e.type in _RATES
                                  else _mean_ci(x))
            rows.append({**base, "arm": arm, "estimate": est, "ci_low": lo, "ci_high": hi,
                         "n": n})
    if not rows and d.trial.endpoints:
        raise ValidationError("No endpoint could be computed.")
    return rows
