"""Relapse and loss of response per patient: event times from a score matrix."""

from __future__ import annotations

import numpy as np


def relapse_flags(x: np.ndarray, base: np.ndarray, *, score: float | None = None,
                  improvement_below: float | None = None, reference: str = "baseline",
                  combine: str = "any") -> np.ndarray:
    """Visits (patients, visits) at which the relapse criterion holds; NaN where missing.

    ``score``: the score is at or above it. ``improvement_below`` (%): the improvement is
    below this percentage of the patient's ``reference`` -- ``baseline`` (improvement from
    baseline, percent of baseline) or ``best`` (improvement kept, percent of the best
    improvement reached at any visit up to and including this one).
    ``combine``: ``any`` or ``all`` of the given criteria.
    """
    parts = []
    if score is not None:
        parts.append(x >= score)
    if improvement_below is not None:
        gain = base[:, None] - x
        if reference == "best":
            best = np.fmax.accumulate(np.where(np.isnan(gain), -np.inf, gain), axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                kept = np.where(best > 0, 100.0 * gain / best, 0.0)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                kept = np.where(base[:, None] > 0, 100.0 * gain / base[:, None], 0.0)
        parts.append(kept < improvement_below)
    hit = np.logical_and.reduce(parts) if combine == "all" else np.logical_or.reduce(parts)
    return np.where(np.isnan(x), np.nan, hit.astype(float))


def event_times(flags: np.ndarray, days: np.ndarray, origin: np.ndarray, *,
                confirm: int = 1, severe: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time (days from each patient's origin visit) to a confirmed relapse.

    ``flags`` (patients, visits): 1 where the criterion holds, 0 where not, NaN missing;
    ``origin``: each patient's origin visit index (-1: not at risk, e.g. never responded);
    a relapse is ``confirm`` consecutive observed visits after the origin that all hold
    (dated at the first of them; visits off the patient's schedule or missed are skipped),
    or one visit flagged in ``severe`` (a hospitalisation-like event, at once). Without an
    event the patient is censored at the last observed visit.
    Returns (time, event, at_risk); patients not at risk or never seen after their origin
    are left out (``at_risk`` False).
    """
    n, m = flags.shape
    t = np.zeros(n)
    event = np.zeros(n, dtype=bool)
    at_risk = np.zeros(n, dtype=bool)
    for i in range(n):
        o = int(origin[i])
        if o < 0 or o >= m - 1:
            continue
        f, seen = flags[i, o + 1:], np.isfinite(flags[i, o + 1:])
        if not seen.any():
            continue
        at_risk[i] = True
        idx = np.flatnonzero(seen)  # consecutive = consecutive observed visits
        hold = f[idx] > 0
        sev = (np.zeros_like(hold) if severe is None
               else np.nan_to_num(severe[i, o + 1:][idx]) > 0)
        run = 0
        for j in range(idx.size):
            run = run + 1 if hold[j] else 0
            if sev[j] or run >= confirm:
                first = idx[j] if sev[j] and run < confirm else idx[j - confirm + 1]
                t[i], event[i] = days[o + 1 + first] - days[o], True
                break
        else:
            t[i] = days[o + 1 + idx[-1]] - days[o]
    return t[at_risk], event[at_risk], at_risk
