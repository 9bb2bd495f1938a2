"""Trial endpoints from a simulated replicate, with SciPy/statsmodels/lifelines statistics.

Conventions: changes are ``score(at) - score(baseline)`` (negative = improvement);
``percent_change`` is in percent; rates are fractions; effect sizes (``cohen_d``,
``hedges_g``) are positive when ``arms[0]`` improves more than ``arms[1]`` (for biomarker
changes: when ``arms[0]`` raises the biomarker more); ``risk_ratio``
and ``hazard_ratio`` are ``arms[0]`` over ``arms[1]``. An "arm" may also be a pool of arms
(``pools`` in the trial file). Missing visits are handled per endpoint (``missing``, default
the trial's ``analysis``): ``locf``, ``observed`` (observed cases), ``non_responder`` (a
missing rate outcome counts as failure) or ``mmrm`` (mixed model for mean changes).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats

from moodtwin import scales
from moodtwin.errors import ValidationError
from moodtwin.trials._relapse import event_times, relapse_flags
from moodtwin.trials._run import TrialData
from moodtwin.trials._schema import (
    COMPARISONS,
    SLOPE_UNITS,
    Endpoint,
    Persistence,
    within_label,
)
from moodtwin.trials._stats import (
    NAN,
    Estimate,
    correlation_ci,
    cox_hr,
    km_failure_by,
    km_median,
    locf,
    mean_ci,
    mmrm,
    nonresponder,
    rate_ci,
    share_ci,
)
from moodtwin.units import hours

_RATES = ("response_rate", "remission_rate", "cumulative_response_rate",
          "cumulative_remission_rate", "cgi_i_response_rate", "recovered_rate")


def _missing(d: TrialData, e: Endpoint | None) -> str:
    return (e.missing if e is not None and e.missing else None) or d.trial.analysis


def _scores(d: TrialData, scale: str, missing: str | None = None) -> np.ndarray:
    """Observed scores (patients, visits); LOCF-filled when the analysis says so."""
    x = d.observed[scales.get_scale(scale).name]
    return locf(x) if (missing or d.trial.analysis) == "locf" else x.copy()


def _arm_names(d: TrialData, arm: str) -> list[str]:
    return d.trial.pools.get(arm, [arm])


def _members(d: TrialData, arm: str) -> np.ndarray:
    p = d.patients
    names = _arm_names(d, arm)
    mask = np.isin(p["arm"].to_numpy(), names) | np.isin(p["withdrawal_arm"].to_numpy(), names)
    return mask & (p["status"].to_numpy() == 0)


def _start_h(d: TrialData, arm: str) -> float:
    w = d.trial.withdrawal
    first = _arm_names(d, arm)[0]
    if w is not None and first in [a.name for a in w.arms]:
        return hours(w.at, "withdrawal.at")
    return 0.0


def _subgroup(d: TrialData, e: Endpoint) -> np.ndarray:
    """Patients in the endpoint's subgroup (all when it has none)."""
    g, p = e.subgroup, d.patients
    if g is None:
        return np.ones(len(p), dtype=bool)
    if g.covariate in ("sex", "arm"):
        return (p[g.covariate] == g.equals).to_numpy()
    if g.covariate == "bdnf_genotype":
        return p["bdnf_met"].to_numpy(dtype=bool) == (g.equals == "met_carrier")
    if g.covariate in ("response", "remission"):
        x = _scores(d, d.trial.scale)
        now = x[:, d.visit(hours(g.at, "subgroup.at"))]
        if g.covariate == "response":
            hit = scales.is_response(x[:, 0], now, d.trial.scale)
        else:
            hit = scales.is_remission(now, d.trial.scale)
        yes = g.equals in ("responder", "remitter")
        return np.isfinite(now) & (hit == yes)
    v = (d.observed[d.trial.scale][:, 0] if g.covariate == "baseline"
         else p[g.covariate].to_numpy(dtype=float))
    lo = -np.inf if g.min is None else g.min
    hi = np.inf if g.max is None else g.max
    return (v >= lo) & (v <= hi)


def _rows(d: TrialData, e: Endpoint, arm: str) -> np.ndarray:
    return _members(d, arm) & _subgroup(d, e)


def _arm_at(d: TrialData, t: float) -> list[str]:
    """Each patient's arm at trial time ``t`` (h): the withdrawal arm after withdrawal."""
    p = d.patients
    w = d.trial.withdrawal
    later = w is not None and t > hours(w.at, "withdrawal.at") + 1e-9
    return [b if later and b else a for a, b in zip(p["arm"], p["withdrawal_arm"],
                                                    strict=True)]


def _period_base(d: TrialData, t: float) -> np.ndarray:
    """Per patient, the visit index at the start of the period that contains ``t``."""
    arms = {a.name: a for a in d.trial.all_arms()}
    starts = {name: max([s for s, _, _ in d.trial.period_spans(a) if s < t - 1e-9] or [0.0])
              for name, a in arms.items()}
    return np.array([d.visit(starts[a]) for a in _arm_at(d, t)])


def _at(d: TrialData, e: Endpoint) -> int:
    """Visit index of the endpoint's ``at`` (the last visit without one)."""
    return d.visit(hours(e.at, "at")) if e.at else len(d.visit_h) - 1


def _window(d: TrialData, e: Endpoint) -> slice:
    """Visits of a cumulative or time-in endpoint: ``window_start`` (default the first
    visit after baseline) to ``at``."""
    first = d.visit(hours(e.window_start, "window_start")) if e.window_start else 1
    return slice(first, _at(d, e) + 1)


def _per_patient(d: TrialData, e: Endpoint, kind: str, arm: str) -> np.ndarray:
    """Per-patient values of ``kind`` for ``arm`` (NaN where not observed)."""
    scale = e.scale or d.trial.scale
    k = _at(d, e)
    rows = _rows(d, e, arm)
    b = (_period_base(d, d.visit_h[k]) if e.baseline == "period"
         else np.zeros(len(rows), dtype=int))[rows]
    if kind == "biomarker_change":
        v = d.observable(e.measure or "")[rows]
        return v[:, k] - v[np.arange(v.shape[0]), b]
    if kind == "slope":  # observed visits from window_start (default baseline) to at
        first = d.visit(hours(e.window_start, "window_start")) if e.window_start else 0
        x = _scores(d, scale, "observed")[rows][:, first: k + 1]
        return slopes(x, d.visit_h[first: k + 1] / 24.0) * SLOPE_UNITS[e.per or "month"]
    missing = _missing(d, e)
    x = _scores(d, scale, missing)[rows]
    if e.since is not None:
        b = np.full(x.shape[0], d.visit(hours(e.since, "since")))
    base, now = x[np.arange(x.shape[0]), b], x[:, k]
    sc = scales.get_scale(scale)
    thr = e.remission_threshold if e.remission_threshold is not None else sc.remission_threshold

    def flag(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
        out = np.where(np.isnan(values), np.nan, ok.astype(float))
        return nonresponder(out, np.isfinite(base)) if missing == "non_responder" else out

    if kind == "mean_score":
        return now
    if kind == "mean_change":
        return now - base
    if kind == "percent_change":
        return 100.0 * (now - base) / np.where(base > 0, base, np.nan)
    if kind in ("response_rate", "remission_rate") and e.persistence is not None:
        meets = (x <= thr if kind == "remission_rate"
                 else scales.is_response(base[:, None], x, sc.name, e.response_fraction))
        return flag(now, _durable(d, e.persistence, meets & np.isfinite(x), k, rows))
    if kind == "response_rate":
        return flag(now, scales.is_response(base, now, sc.name, e.response_fraction))
    if kind in ("mean_cgi_i", "cgi_i_response_rate"):  # CGI-I from the MADRS equivalents
        cgi = scales.cgi_improvement(scales.to_source(base, sc.name),
                                     scales.to_source(now, sc.name))
        cgi = np.where(np.isnan(now) | np.isnan(base), np.nan, cgi)
        return cgi if kind == "mean_cgi_i" else flag(cgi, cgi <= 2.0)
    if kind == "remission_rate":
        return flag(now, now <= thr)
    if kind == "recovered_rate":  # back within recovered_within points of the 'since' score
        return flag(now - base, now - base <= (e.recovered_within or 0.0))
    if kind == "stressor_rise":  # highest score after 'since' up to 'at', minus the 'since' one
        visit = np.arange(x.shape[1])
        window = (visit > b[:, None]) & (visit <= k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # no visit observed: NaN
            return np.nanmax(np.where(window, x, np.nan), axis=1) - base
    window = x[:, _window(d, e)]
    if kind in ("cumulative_response_rate", "time_in_response"):
        hit = scales.is_response(base[:, None], window, sc.name, e.response_fraction)
    else:
        hit = window <= thr
    hit = np.where(np.isnan(window), np.nan, hit.astype(float))
    if missing == "non_responder":
        hit = nonresponder(hit, np.isfinite(base)[:, None])
    if kind.startswith("cumulative"):
        ever = np.nanmax(np.nan_to_num(hit, nan=0.0), axis=1) > 0
        if missing == "non_responder":
            return np.where(np.isfinite(base), ever.astype(float), np.nan)
        return flag(now, ever)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(hit, axis=1)


def slopes(x: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Each row's least-squares slope of ``x`` (patients x visits, NaN = not observed) on
    ``days``, per day; NaN for a row with fewer than two observed visits."""
    m = np.isfinite(x)
    n = m.sum(axis=1)
    t = np.where(m, days[None, :], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tbar = t.sum(axis=1) / n
        xbar = np.where(m, x, 0.0).sum(axis=1) / n
        dt = np.where(m, days[None, :] - tbar[:, None], 0.0)
        sxx = (dt * dt).sum(axis=1)
        out = (dt * np.where(m, x - xbar[:, None], 0.0)).sum(axis=1) / sxx
    return np.where((n >= 2) & (sxx > 0), out, np.nan)


def _durable(d: TrialData, p: Persistence, meets: np.ndarray, k: int, rows: np.ndarray
             ) -> np.ndarray:
    """Durable response or remission: ``meets`` (patients x visits) holds at ``p.k`` of each
    patient's last ``p.of_last`` rated visits up to visit ``k`` (baseline excluded; a missed
    visit does not meet it)."""
    rated = np.ones_like(meets) if d.scheduled is None else d.scheduled[rows].astype(bool)
    out = np.zeros(len(meets), dtype=bool)
    for i in range(len(meets)):
        last = (np.flatnonzero(rated[i, 1:k + 1]) + 1)[-p.of_last:]
        out[i] = last.size == p.of_last and meets[i, last].sum() >= p.k
    return out


def _mmrm(d: TrialData, e: Endpoint, arms: list[str]) -> Estimate:
    """MMRM mean change at ``e.at`` of one arm, or the difference of two."""
    scale = e.scale or d.trial.scale
    k = _at(d, e)
    x = _scores(d, scale, "observed")
    rows = [np.flatnonzero(_rows(d, e, a)) for a in arms]
    idx = np.concatenate(rows)
    group = np.concatenate([np.full(r.size, a, dtype=object) for a, r in zip(arms, rows,
                                                                             strict=True)])
    change = x[idx, 1: k + 1] - x[idx, :1]
    return mmrm(change, group, k - 1, tuple(arms))


def relapse_times(d: TrialData, e: Endpoint, arm: str) -> tuple[np.ndarray, np.ndarray]:
    """Days from each patient's origin (arm start, first response or a visit) to a confirmed
    relapse, and whether it happened (else censored at the last observed visit)."""
    rule = e.relapse_rule()
    scale = scales.get_scale(e.scale or d.trial.scale).name
    x = d.observed[scale][_rows(d, e, arm)]
    base = x[:, 0]
    start = d.visit(_start_h(d, arm))
    flags = relapse_flags(x, base, score=rule.score, improvement_below=rule.improvement_below,
                          reference=rule.reference, combine=rule.combine)
    severe = None if rule.severe_score is None else np.where(
        np.isnan(x), np.nan, (x >= rule.severe_score).astype(float))
    origin_h = rule.origin_h()
    if rule.origin == "arm_start":
        origin = np.full(x.shape[0], start)
    elif origin_h is not None:
        origin = np.full(x.shape[0], d.visit(origin_h))
    else:
        resp = scales.is_response(base[:, None], x, scale) & np.isfinite(x)
        resp[:, : max(start, 1)] = False
        origin = np.where(resp.any(axis=1), resp.argmax(axis=1), -1)
    t, event, _ = event_times(flags, d.visit_h / 24.0, origin, confirm=rule.confirm,
                              severe=severe)
    return t, event


def _zero_cell_risk_ratio(ca: int, na: int, cb: int, nb: int) -> Estimate:
    """Risk ratio of ``ca/na`` over ``cb/nb`` when an arm has no events: 0.5 added to every
    cell (Haldane-Anscombe, as meta-analyses pool such trials: Cochrane Handbook 10.4.4.2)
    with the Katz log interval, so a small arm without responders gives a finite ratio."""
    a, b, ma, mb = ca + 0.5, cb + 0.5, na + 1.0, nb + 1.0
    rr = (a / ma) / (b / mb)
    half = 1.96 * float(np.sqrt(1 / a - 1 / ma + 1 / b - 1 / mb))
    return float(rr), float(rr * np.exp(-half)), float(rr * np.exp(half)), na + nb


def _compare(d: TrialData, e: Endpoint) -> Estimate:
    from statsmodels.stats.meta_analysis import effectsize_smd
    from statsmodels.stats.proportion import confint_proportions_2indep

    a, b = e.arms or []
    if e.type == "hazard_ratio":
        return cox_hr(*relapse_times(d, e, a), *relapse_times(d, e, b))
    kind = e.of or ("response_rate" if e.type == "risk_ratio" else "mean_change")
    if kind == "mean_change" and e.type == "difference" and _missing(d, e) == "mmrm":
        return _mmrm(d, e, [a, b])
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
        if ca == 0 or cb == 0:
            return _zero_cell_risk_ratio(ca, xa.size, cb, xb.size)
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


def _arm_value(d: TrialData, e: Endpoint, arm: str) -> Estimate:
    if e.type == "median_time_to_relapse":
        return km_median(*relapse_times(d, e, arm))
    if e.type == "proportion_relapsed":
        return km_failure_by(*relapse_times(d, e, arm), hours(e.by, "by") / 24.0)
    if e.type == "correlation":
        return correlation_ci(_per_patient(d, e, "biomarker_change", arm),
                              _per_patient(d, e, e.of or "mean_change", arm), e.method)
    if e.type == "mean_change" and _missing(d, e) == "mmrm":
        return _mmrm(d, e, [arm])
    x = _per_patient(d, e, e.type, arm)
    if e.type in ("time_in_response", "time_in_remission"):  # shares of visits, in 0-1
        w = _window(d, e)
        return share_ci(x, w.stop - w.start)
    return rate_ci(x) if e.type in _RATES else mean_ci(x)


def _within(d: TrialData, e: Endpoint) -> list[tuple[str, Estimate]]:
    """Within-subject contrast: each patient's change over period ``A`` minus over period
    ``B`` (from each period's start to ``after`` into it, or to its end), paired t CI;
    pooled over the arms having both periods, then per arm (sequence), which shows
    carry-over and period effects."""
    a, b = e.periods or ["", ""]
    arms = [x for x in d.trial.all_arms() if {a, b} <= {p.label for p in x.periods}
            and (not e.arms or x.name in e.arms)]
    out, pooled = [], []
    for arm in arms:
        rows = _members(d, arm.name) & _subgroup(d, e)
        change = {}
        for start, stop, period in d.trial.period_spans(arm):
            if period.label in (a, b):
                read = start + hours(e.after, "after") if e.after else stop
                i, j = d.visit(start), d.visit(read)
                if e.of == "biomarker_change":
                    v = d.observable(e.measure or "")[rows]
                    change[period.label] = v[:, j] - v[:, i]
                else:
                    x = _scores(d, e.scale or d.trial.scale, _missing(d, e))[rows]
                    change[period.label] = x[:, j] - x[:, i]
                    if e.of == "percent_change":
                        change[period.label] *= 100.0 / np.where(x[:, i] > 0, x[:, i], np.nan)
        diff = change[a] - change[b]
        pooled.append(diff)
        out.append((f"{arm.name}: {a} vs {b}", mean_ci(diff)))
    return [(within_label(e), mean_ci(np.concatenate(pooled))), *out]


def endpoint_label(e: Endpoint) -> str:
    """Stable identifier of an endpoint (its ``id`` or type/scale/time)."""
    if e.id:
        return e.id
    parts = [e.type if e.type not in ("difference", "within_difference")
             else f"{e.type}_{e.of}"]
    parts += [x for x in (e.measure, e.scale, e.at, e.by) if x]
    if e.since:
        parts.append(f"since{e.since}")
    g = e.subgroup
    if g is not None:
        parts.append(f"{g.covariate}={g.equals}" if g.equals else
                     f"{g.covariate}={g.min if g.min is not None else ''}.."
                     f"{g.max if g.max is not None else ''}")
    return ":".join(parts).replace(" ", "")


def _needs(kind: str) -> tuple[int, str]:
    """Fewest analysed patients an endpoint type needs for an estimate with a 95% interval
    (in all), and the same in words."""
    if kind in COMPARISONS and kind != "hazard_ratio":
        return 4, "2 per arm"
    if kind == "correlation":
        return 4, "4"
    if kind == "hazard_ratio":
        return 2, "1 per arm"
    if kind in (*_RATES, "median_time_to_relapse", "proportion_relapsed"):
        return 1, "1"
    return 2, "2"  # t interval of a mean, or a share's Wilson interval from its spread


def shortfall(row: dict[str, Any]) -> str | None:
    """One line when an endpoint row (of :func:`compute_endpoints`) has no estimate or no
    95% interval (NaN): how many patients were analysed and what it needs; None otherwise."""
    est, lo, hi = (float(row[c]) for c in ("estimate", "ci_low", "ci_high"))
    if not any(np.isnan(v) for v in (est, lo, hi)):
        return None
    what = "estimate" if np.isnan(est) else "95% interval"
    n = int(row["n"])
    need, words = _needs(row["type"])
    causes = "no events or no spread"
    if row["type"] in COMPARISONS:
        causes = "an arm with too few, " + causes
    why = f"too few (needs at least {words})" if n < need else f"not estimable ({causes})"
    return f"{row['endpoint']} ({row['arm']}): no {what}, {n} patient(s) analysed - {why}"


def compute_endpoints(d: TrialData) -> list[dict[str, Any]]:
    """Every endpoint of ``d.trial`` as rows: label, type, arm(s), estimate, 95% CI, n."""
    rows: list[dict[str, Any]] = []
    arm_names = [a.name for a in d.trial.all_arms()]
    for e in d.trial.endpoints:
        label = endpoint_label(e)
        base = {"endpoint": label, "type": e.type, "scale": e.scale or d.trial.scale,
                "at": e.at or d.trial.duration}
        if e.type == "within_difference":
            for arm, (est, lo, hi, n) in _within(d, e):
                rows.append({**base, "arm": arm, "estimate": est, "ci_low": lo,
                             "ci_high": hi, "n": n})
            continue
        if e.type in COMPARISONS:
            est, lo, hi, n = _compare(d, e)
            rows.append({**base, "arm": " vs ".join(e.arms or []), "estimate": est,
                         "ci_low": lo, "ci_high": hi, "n": n})
            continue
        for arm in e.arms or arm_names:
            est, lo, hi, n = _arm_value(d, e, arm)
            rows.append({**base, "arm": arm, "estimate": est, "ci_low": lo, "ci_high": hi,
                         "n": n})
    if not rows and d.trial.endpoints:
        raise ValidationError("No endpoint could be computed.")
    return rows


__all__ = ["NAN", "compute_endpoints", "endpoint_label", "relapse_times", "shortfall"]
