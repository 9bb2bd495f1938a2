"""Where a trial design leaves the calibration set (the model's context of use).

The calibrated values are pinned by the trial files whose ``role`` is ``calibration`` (the
packaged catalogue, :func:`moodtwin.catalogue.trial_catalogue`). A design outside what those
trials cover is an extrapolation, and the design files run out of sample miss most there
(README, "Out of sample"): repeated open-label ketamine infusions, adults over 65, readings
in the first hours after a dose. :func:`outside_calibration` lists, one line each, every
feature of a design that lies outside the calibration set's range:

* population means: age (years), baseline severity (MADRS points), failed treatments in the
  episode, share continuing an antidepressant;
* per study therapy (a sham or placebo is its own therapy): never calibrated; more or fewer
  doses or sessions per arm than any calibration arm; an endpoint read earlier or later after
  the arm's first delivery than any published calibration number; given open label where the
  calibration set gives it only blinded, or the reverse;
* the primary scale, when no calibration number is read on it.

Ranges come from the trial files themselves (one source): a new calibration file widens the
domain with no edit here. A note is a reason to read the result with care, not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from moodtwin import scales
from moodtwin.protocols import Protocol
from moodtwin.protocols._schema import Therapy
from moodtwin.trials._schema import RELAPSE_TYPES, Arm, Endpoint, Trial, _h, load_trial

#: Population means compared with the calibration set: field -> (label, unit, tolerance). A
#: mean counts as outside only beyond the tolerance, about a tenth of the between-trial range
#: of each mean in depression trials (assumed: a year or two of age or a point of severity
#: is no extrapolation).
POPULATION_FEATURES = {
    "age": ("mean age", "years", 5.0),
    "baseline": ("mean baseline severity", "MADRS points", 3.0),
    "failed_treatments": ("mean number of failed treatments", "", 1.0),
    "antidepressant_continued": ("share continuing an antidepressant", "", 0.1),
}


@dataclass
class Exposure:
    """What one trial does with one study therapy: doses or sessions per arm (the fewest and
    the most one patient receives where dosing depends on the patient; none for a continuous
    therapy such as implanted VNS or an oral drug), endpoint times after the arm's first
    delivery (h), whether any arm gives it open label or blinded."""

    deliveries: list[int] = field(default_factory=list)
    reads_h: list[float] = field(default_factory=list)
    open_label: bool = False
    blinded: bool = False


def therapy_key(th: Therapy) -> str:
    """Name of a study therapy: its type, with ``(sham)`` or ``(placebo)`` when it is one."""
    kind = str(th.type)
    if getattr(th, "sham", False):
        return f"{kind} (sham)"
    return f"{kind} (placebo)" if getattr(th, "placebo", False) else kind


def _deliveries(th: Therapy, protocol: Protocol) -> tuple[list[float], bool]:
    """Delivery times (h, protocol time) of a therapy and whether they are countable doses or
    sessions (False: a continuous therapy, where only its start counts)."""
    end = protocol.duration_h()
    if hasattr(th, "session_starts_h"):
        return list(th.session_starts_h(end)), True
    if hasattr(th, "times_h"):
        return list(th.times_h(th.type)), True
    if getattr(th, "action", None) == "start":
        return [min(_h(t, "oral_antidepressant.at") for t in th.at)], False
    start = getattr(th, "start", None)
    return ([_h(start, f"{th.type}.start")] if start is not None else []), False


def _endpoint_times(trial: Trial, arm: Arm, published_only: bool) -> list[float]:
    """Times (h, trial time) at which ``arm`` is read by the trial's endpoints (if
    ``published_only``, by those whose published value the calibration fits); a relapse
    endpoint follows its patients to the trial's end."""
    out = []
    for e in trial.endpoints:
        when = (e.at if e.at is not None
                else trial.duration if e.type in RELAPSE_TYPES else None)
        if when is None or (published_only and not _fitted(trial, e)):
            continue
        names = {n for x in e.arms or [] for n in trial.pools.get(x, [x])}
        if not e.arms or arm.name in names:
            out.append(_h(when, "at"))
    return out


def _fitted(trial: Trial, e: Endpoint) -> bool:
    """Whether the calibration fits ``e``'s published value."""
    return e.published is not None and (e.role or trial.role) == "calibration"


def exposures(trial: Trial, published_only: bool = False) -> dict[str, Exposure]:
    """Each study therapy of ``trial`` (:func:`therapy_key`) and how the trial uses it."""
    found: dict[str, Exposure] = {}
    for arm in trial.all_arms():
        reads = _endpoint_times(trial, arm, published_only)
        per_arm: dict[str, tuple[int, int, float, bool]] = {}
        opened = False  # the blind, once broken by a period, stays broken
        for start, _, period in trial.period_spans(arm):
            opened |= period.open_label
            # a period with patient-dependent dosing (choose_by) gives each patient one of
            # its protocols: count the fewest and the most deliveries among them
            alternatives = period.all_protocols()
            counts: dict[str, list[int]] = {}
            for i, protocol in enumerate(alternatives):
                is_open = opened or trial.p_active_for(protocol) is None
                for th in protocol.therapies:
                    if th.type == "stressor":
                        continue
                    times, countable = _deliveries(th, protocol)
                    if not times:
                        continue
                    key = therapy_key(th)
                    n = counts.setdefault(key, [0] * len(alternatives))
                    n[i] = n[i] + len(times) if countable and n[i] >= 0 else -1
                    known = is_open or getattr(th, "known_active", False)  # never 'blinded'
                    lo, hi, first, _ = per_arm.get(key, (0, 0, start + min(times), known))
                    per_arm[key] = (lo, hi, min(first, start + min(times)), known)
            for key, n in counts.items():
                lo, hi, first, is_open = per_arm[key]
                if lo < 0 or min(n) < 0:
                    per_arm[key] = (-1, -1, first, is_open)
                else:
                    per_arm[key] = (lo + min(n), hi + max(n), first, is_open)
        for key, (lo, hi, first, is_open) in per_arm.items():
            ex = found.setdefault(key, Exposure())
            if lo >= 0:
                ex.deliveries += [lo] if lo == hi else [lo, hi]
            ex.reads_h += [t - first for t in reads if t > first]
            ex.open_label |= is_open
            ex.blinded |= not is_open
    return found


def population_means(trial: Trial) -> dict[str, dict[str, float]]:
    """Means of :data:`POPULATION_FEATURES` (baseline in MADRS points) of the trial's
    population (key '') and of each arm whose cohort overrides it (key: the arm's name)."""
    pops = {"": trial.population} | {a.name: trial.population.merged(a.population)
                                     for a in trial.all_arms() if a.population}
    return {name: {"age": p.age.mean,
                   "baseline": float(scales.to_source(p.baseline.mean, p.baseline.scale)),
                   "failed_treatments": p.failed_treatments.mean,
                   "antidepressant_continued": p.antidepressant_continued}
            for name, p in pops.items()}


@dataclass(frozen=True)
class Domain:
    """What the calibration set covers: ranges of population means, the study therapies
    with their exposures, the primary scales, and the trial names behind them."""

    population: dict[str, tuple[float, float]]
    therapies: dict[str, Exposure]
    scales: frozenset[str]
    trials: tuple[str, ...]


def domain_of(trials: Iterable[Trial]) -> Domain:
    """The :class:`Domain` the published numbers of ``trials`` cover."""
    trials = [t for t in trials if any(_fitted(t, e) for e in t.endpoints)]
    pop: dict[str, list[float]] = {k: [] for k in POPULATION_FEATURES}
    therapies: dict[str, Exposure] = {}
    used: set[str] = set()
    for t in trials:
        for means in population_means(t).values():
            for k, v in means.items():
                pop[k].append(v)
        for key, ex in exposures(t, published_only=True).items():
            into = therapies.setdefault(key, Exposure())
            into.deliveries += ex.deliveries
            into.reads_h += ex.reads_h
            into.open_label |= ex.open_label
            into.blinded |= ex.blinded
        used |= {scales.get_scale(e.scale or t.scale).name for e in t.endpoints
                 if _fitted(t, e)}
    return Domain({k: (min(v), max(v)) for k, v in pop.items() if v}, therapies,
                  frozenset(used), tuple(t.name for t in trials))


@lru_cache(maxsize=1)
def calibration_domain() -> Domain:
    """The :class:`Domain` of the packaged calibration set (files with ``role:
    calibration``)."""
    from moodtwin.catalogue import trial_catalogue

    files = sorted(Path(trial_catalogue()).glob("*.yaml"))
    return domain_of(t for t in (load_trial(f) for f in files) if t.role == "calibration")


def _time(h: float) -> str:
    if h < 48:
        return f"{h:.3g} h"
    return f"{h / 24:.3g} d" if h < 2 * 8766 else f"{h / 8766:.3g} years"


def _range(values: list[float], fmt: Callable[[float], str] = "{:g}".format) -> str:
    lo, hi = min(values), max(values)
    return fmt(lo) if lo == hi else f"{fmt(lo)}-{fmt(hi)}"


def _times(values: list[float]) -> str:
    """Distinct times, in order: all of them up to three, else the first and the last."""
    u = sorted({round(v, 6) for v in values})
    return ", ".join(map(_time, u)) if len(u) <= 3 else f"{_time(u[0])}, ..., {_time(u[-1])}"


def outside_calibration(trial: Trial, domain: Domain | None = None) -> list[str]:
    """One line for each population mean and each study therapy of ``trial`` outside
    ``domain`` (default: the calibration set's), one for an uncalibrated primary scale; an
    empty list when the design lies inside it."""
    d = calibration_domain() if domain is None else domain
    notes = []
    for arm, means in population_means(trial).items():
        for k, v in means.items():
            if k not in d.population:
                continue
            lo, hi = d.population[k]
            label, unit, tol = POPULATION_FEATURES[k]
            if not lo - tol <= v <= hi + tol:
                notes.append(f"{f'arm {arm}: ' if arm else ''}{label} {v:.3g}"
                             f"{' ' + unit if unit else ''}: the calibration trials' means "
                             f"span {lo:.3g}-{hi:.3g}")
    for key, ex in exposures(trial).items():
        cal = d.therapies.get(key)
        if cal is None:
            notes.append(f"{key}: in no calibration trial (its effect rests on the "
                         "mechanism's sources alone)")
            continue
        parts = []
        if ex.deliveries and cal.deliveries and (
                max(ex.deliveries) > max(cal.deliveries)
                or min(ex.deliveries) < min(cal.deliveries)):
            parts.append(f"{_range(ex.deliveries)} doses or sessions per arm (calibration: "
                         f"{_range(cal.deliveries)})")
        if ex.reads_h and cal.reads_h:
            out = [t for t in ex.reads_h
                   if not min(cal.reads_h) - 1e-6 <= t <= max(cal.reads_h) + 1e-6]
            if out:
                parts.append(f"read {_times(out)} after the first dose or session "
                             f"(calibration: {_range(cal.reads_h, _time)})")
        if ex.open_label and not cal.open_label:
            parts.append("open label (calibration: blinded only)")
        if ex.blinded and not cal.blinded:
            parts.append("blinded (calibration: open label only)")
        if parts:
            notes.append(f"{key}: " + "; ".join(parts))
    primary = scales.get_scale(trial.scale).name
    if d.scales and primary not in d.scales:
        notes.append(f"primary scale {primary}: no calibration number is read on it (scores "
                     "come through its published link to the MADRS)")
    return notes
