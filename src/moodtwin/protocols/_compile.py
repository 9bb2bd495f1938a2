"""Compile a protocol into a timeline of known discontinuities for the solver.

Doses become state jumps and stimulation/infusion changes become piecewise-constant inputs
at exact event times; the solver restarts its step at each one instead of meeting an
``if t > t_dose`` inside the right-hand side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from moodtwin.errors import ProtocolError
from moodtwin.model import Model
from moodtwin.protocols import _schema as s
from moodtwin.units import hours, quantity


@dataclass(frozen=True)
class Timeline:
    """Segments ``[t[k], t[k+1])`` with inputs ``u[k]``, entered with the jump ``jump[k]``.

    ``baseline_inputs`` are the inputs before time 0 (used for the steady-state burn-in);
    ``dose_times`` (h) mark where outputs are saved densely.
    """

    t: np.ndarray
    u: np.ndarray
    jump: np.ndarray
    baseline_inputs: np.ndarray
    dose_times: np.ndarray


#: The parameters each therapy's events read (expectancy kicks, esketamine's nasal
#: absorption); patients differing in them get their own timeline (:func:`compile_per_patient`).
THERAPY_TIMELINE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "ketamine_iv": ("kick_infusion", "kick_perceptible"),
    "midazolam_iv": ("kick_infusion", "kick_perceptible"),
    "saline_iv": ("kick_infusion",),
    "esketamine_nasal": ("esk_FRn", "esk_Fgut", "esk_spray_factor", "kick_nasal",
                         "kick_perceptible"),
    "botulinum_glabellar": ("kick_injection",),
    "vns": ("kick_implant",),
    "tavns": ("kick_stim_session",),
    "treatment_as_usual": ("kick_visit",),
    "oral_antidepressant": (),
}
VISIT_PARAMETERS = ("kick_visit",)  # read by protocol visits and trial assessments


def timeline_parameters(protocol: s.Protocol, assessments: Sequence[float] = ()
                        ) -> tuple[str, ...]:
    """The parameters the timeline of ``protocol`` reads (declared per therapy), sorted."""
    names = {n for th in protocol.therapies for n in THERAPY_TIMELINE_PARAMETERS[th.type]}
    if protocol.visits is not None or len(assessments):
        names.update(VISIT_PARAMETERS)
    return tuple(sorted(names))


def compile_per_patient(protocol: s.Protocol, model: Model, table: np.ndarray,
                        assessments: Sequence[float] = ()
                        ) -> list[tuple[np.ndarray, Timeline]]:
    """(rows, timeline) for the patients of ``table`` (patients, parameters): each group of
    rows shares the values of :func:`timeline_parameters` and gets the timeline of its own
    values, so every patient's events use that patient's parameters."""
    names = list(timeline_parameters(protocol, assessments))
    cols = [model.parameter_index[n] for n in names]
    keys, group = np.unique(np.asarray(table)[:, cols], axis=0, return_inverse=True)
    group = group.ravel()
    return [(np.flatnonzero(group == g),
             compile_protocol(protocol, model, dict(zip(names, map(float, key), strict=True)),
                              assessments))
            for g, key in enumerate(keys)]


class _Events:
    def __init__(self, model: Model, params: dict[str, float]):
        self.model, self.params = model, params
        self.sets: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.jumps: list[tuple[float, str, float]] = []
        self.doses: list[float] = []
        self.infusions: list[tuple[float, float, str]] = []

    def set(self, t: float, name: str, value: float) -> None:
        self.sets[name].append((t, value))

    def jump(self, t: float, state: str, amount: float) -> None:
        self.jumps.append((t, state, amount))

    def kick(self, t: float, kind: str) -> None:
        self.jump(t, "expectancy", self.params[f"kick_{kind}"])

    def perceptible(self, t: float) -> None:
        """A dose with perceptible acute effects (sedation, dissociation): fast relief."""
        self.jump(t, "acute_relief", self.params["kick_perceptible"])

    def infusion(self, t0: float, dur: float, label: str, rate: float | None = None) -> None:
        self.infusions.append((t0, t0 + dur, label))
        if rate is not None:
            self.set(t0, "ketamine_rate", rate)
            self.set(t0 + dur, "ketamine_rate", 0.0)
        self.doses.append(t0)


def _iv(ev: _Events, th: s.KetamineIV | s.MidazolamIV | s.SalineIV, label: str) -> None:
    dur = hours(th.infusion, f"{th.type}.infusion")
    for t in th.times_h(th.type):
        if isinstance(th, s.KetamineIV):
            rate = s.check("ketamine_iv", "dose", th.dose) / dur
            ev.infusion(t, dur, label, rate)
            ev.kick(t, "infusion")
            ev.perceptible(t)
        elif isinstance(th, s.MidazolamIV):
            ev.infusion(t, dur, label)
            ev.kick(t, "infusion")
            ev.perceptible(t)
        else:
            ev.infusion(t, dur, label)
            ev.kick(t, "infusion")


def _esketamine(ev: _Events, th: s.EsketamineNasal) -> None:
    dose = quantity(th.dose, "mg", "esketamine_nasal.dose", 0.0, 84.0)
    n = round(dose / 28.0)
    p = ev.params
    frn = p["esk_FRn"] * (1 + (n - 1) * p["esk_spray_factor"]) / n
    for t in th.times_h(th.type):
        ev.kick(t, "nasal")
        ev.doses.append(t)
        if not th.placebo:
            ev.perceptible(t)
            ev.jump(t, "esk_nasal", dose * frn)
            ev.jump(t, "esk_swallowed", dose * (1 - frn) * p["esk_Fgut"])


def _botulinum(ev: _Events, th: s.BotulinumGlabellar) -> None:
    total = th.total_units()
    for t in th.times_h(th.type):
        ev.kick(t, "injection")
        ev.doses.append(t)
        if not th.placebo:
            ev.jump(t, "toxin_depot", total)


def _vns(ev: _Events, th: s.VNS, end: float) -> None:
    implant = 0.0 if th.implant_at is None else hours(th.implant_at, "vns.implant_at")
    start = hours(th.start, "vns.start")
    if start < implant:
        raise ProtocolError(f"start: {th.start!r} is before implant_at ({th.implant_at!r}); "
                            "stimulation can only start after the implant.")
    if start >= end and not th.sham:
        raise ProtocolError(f"start: {th.start!r} is at or after the protocol's end "
                            f"({_fmt(end)}); stimulation would never be delivered.")
    if th.implant_at is not None:
        ev.kick(implant, "implant")
        ev.doses.append(implant)
    if th.sham:
        return
    if (th.current is None) == (th.titration is None):
        raise ProtocolError("give exactly one of 'current' or 'titration'.")
    if th.titration is not None:
        steps = sorted((hours(x.at, "vns.titration.at"), s.check("vns", "current", x.current))
                       for x in th.titration)
        if steps[0][0] < start:
            raise ProtocolError(f"titration: the first step ({_fmt(steps[0][0])}) is before "
                                f"start ({th.start!r}).")
        for i, x in enumerate(th.titration):
            if hours(x.at, "vns.titration.at") >= end:
                raise ProtocolError(f"titration[{i}].at: {x.at!r} is at or after the protocol's "
                                    f"end ({_fmt(end)}); steps must lie before it.")
    else:
        steps = [(start, s.check("vns", "current", th.current))]
    on = s.check("vns", "on_time", th.on_time)
    off = s.check("vns", "off_time", th.off_time) * 60.0
    ev.set(start, "vns_pulse_width", s.check("vns", "pulse_width", th.pulse_width))
    ev.set(start, "vns_frequency", s.check("vns", "frequency", th.frequency))
    ev.set(start, "vns_duty", on / (on + off))

    def current_at(t: float) -> float:
        level = 0.0
        for when, mA in steps:
            if when <= t:
                level = mA
        return level

    for when, mA in steps:
        ev.set(when, "vns_current", mA)
    for i, per in enumerate(th.off_periods):
        a = hours(per.start, "vns.off_periods.start")
        b = hours(per.end, "vns.off_periods.end")
        if b <= a:
            raise ProtocolError(f"off_periods[{i}]: end ({per.end!r}) is not after start "
                                f"({per.start!r}).")
        if any(a < when < b for when, _ in steps):
            raise ProtocolError(f"off_periods[{i}] ({per.start!r} to {per.end!r}) overlaps a "
                                "titration step; move the step or the off period.")
        ev.set(a, "vns_current", 0.0)
        if b < end:
            ev.set(b, "vns_current", current_at(b))


def _tavns(ev: _Events, th: s.TaVNS, end: float) -> None:
    start = hours(th.start, "tavns.start")
    if start >= end:
        raise ProtocolError(f"start: {th.start!r} is at or after the protocol's end "
                            f"({_fmt(end)}); no session would be delivered.")
    stop = min(end, start + hours(th.duration, "tavns.duration", 0.0))
    session = s.check("tavns", "session", th.session) / 60.0
    spacing = 24.0 / th.sessions_per_day
    if session > spacing:
        raise ProtocolError(f"{th.sessions_per_day} sessions of {th.session} do not fit in "
                            "a day (24 h).")
    current = 0.0 if th.sham else s.check("tavns", "current", th.current)
    ev.set(start, "tavns_pulse_width", s.check("tavns", "pulse_width", th.pulse_width))
    ev.set(start, "tavns_frequency", s.check("tavns", "frequency", th.frequency))
    ev.set(start, "tavns_current", current)
    day = 0
    while start + day * 24.0 < stop:
        if day % 7 < th.days_per_week:
            for k in range(th.sessions_per_day):
                t0 = start + day * 24.0 + 8.0 + k * spacing  # first session at 08:00
                if t0 + session > stop:
                    break
                ev.set(t0, "tavns_on", 1.0)
                ev.set(t0 + session, "tavns_on", 0.0)
                ev.kick(t0, "stim_session")
        day += 1


def compile_protocol(protocol: s.Protocol, model: Model, params: Mapping[str, float],
                     assessments: Sequence[float] = ()) -> Timeline:
    """Turn ``protocol`` into a :class:`Timeline` for ``model``, one set of patients.

    ``params`` gives the values of :func:`timeline_parameters` (other names are ignored;
    several patients with different values: :func:`compile_per_patient`).
    ``assessments`` are the times (h, protocol time) of a trial's rating visits: each is a
    contact with the study team and adds the expectancy kick of a visit (follow-up
    assessments raise placebo response, Posternak & Zimmerman 2007 Br J Psychiatry 190:287).
    """
    end = protocol.duration_h()
    declared = timeline_parameters(protocol, assessments)
    missing = [n for n in declared if n not in params]
    if missing:
        raise ValueError(f"compile_protocol needs the values of {missing}.")
    ev = _Events(model, {n: float(params[n]) for n in declared})
    kinds = [th.type for th in protocol.therapies]
    for kind in ("vns", "tavns"):
        where = [f"therapies[{i}]" for i, k in enumerate(kinds) if k == kind]
        if len(where) > 1:
            raise ProtocolError(f"{', '.join(where)}: {len(where)} '{kind}' therapies; only one "
                                f"'{kind}' therapy per protocol (one device per patient).")
    ad_on = 1.0 if protocol.background.oral_antidepressant == "continued" else 0.0
    ev.set(0.0, "oral_ad", ad_on)
    for i, th in enumerate(protocol.therapies):
        label = f"therapies[{i}] ({th.type})"
        n_jumps = len(ev.jumps)
        try:
            _therapy(ev, th, end, label)
        except ProtocolError as exc:
            raise ProtocolError(s.locate(f"therapies[{i}]", th.type, str(exc))) from None
        late = [t for t, *_ in ev.jumps[n_jumps:] if t >= end]
        if late:
            field = "implant_at" if isinstance(th, s.VNS) else "at"
            raise ProtocolError(
                f"therapies[{i}].{field} ({th.type}): a dose at {_fmt(min(late))} is at or "
                f"after the protocol's end (duration {protocol.duration!r} = {_fmt(end)}); "
                f"doses must lie in [0, {_fmt(end)})."
            )
    if protocol.visits is not None:
        every = hours(protocol.visits.every, "visits.every", 1.0)
        for t in np.arange(hours(protocol.visits.start, "visits.start"), end, every):
            ev.kick(float(t), "visit")
    for t in sorted(set(assessments)):
        if 0.0 <= t < end:
            ev.kick(float(t), "visit")
    _check_infusions(ev.infusions)
    return _timeline(model, ev, end, ad_on)


def _therapy(ev: _Events, th: s.Therapy, end: float, label: str) -> None:
    if isinstance(th, s.KetamineIV | s.MidazolamIV | s.SalineIV):
        _iv(ev, th, label)
    elif isinstance(th, s.EsketamineNasal):
        _esketamine(ev, th)
    elif isinstance(th, s.BotulinumGlabellar):
        _botulinum(ev, th)
    elif isinstance(th, s.VNS):
        _vns(ev, th, end)
    elif isinstance(th, s.TaVNS):
        _tavns(ev, th, end)
    elif isinstance(th, s.TreatmentAsUsual):
        start = hours(th.start, "treatment_as_usual.start")
        ev.set(start, "oral_ad", 1.0)
        every = hours(th.review_every, "treatment_as_usual.review_every", 24.0)
        for t in np.arange(start + every, end, every):
            ev.kick(float(t), "visit")
    else:
        for t in th.at:
            when = hours(t, "oral_antidepressant.at")
            if when >= end:
                raise ProtocolError(f"at: {t!r} is at or after the protocol's end ({_fmt(end)}).")
            ev.set(when, "oral_ad", 1.0 if th.action == "start" else 0.0)


def _fmt(t_h: float) -> str:
    """A time in hours, written in days (with hours when not whole days)."""
    days, rest = divmod(t_h, 24.0)
    if days == 0:
        return f"{rest:.4g} h"
    if abs(rest) < 1e-9:
        return f"{days:g} d"
    return f"{days:g} d {rest:.4g} h"


def _check_infusions(infusions: list[tuple[float, float, str]]) -> None:
    infusions = sorted(infusions)
    for (a0, a1, la), (b0, _, lb) in zip(infusions, infusions[1:], strict=False):
        if b0 < a1:
            raise ProtocolError(
                f"Overlapping infusions: {la} runs from {_fmt(a0)} to {_fmt(a1)} and {lb} "
                f"starts at {_fmt(b0)}; one IV line delivers one infusion at a time."
            )


def _timeline(model: Model, ev: _Events, end: float, ad_on: float) -> Timeline:
    times = {0.0, end}
    times.update(t for changes in ev.sets.values() for t, _ in changes if t < end)
    times.update(t for t, *_ in ev.jumps)
    t = np.array(sorted(times))
    nseg = len(t) - 1
    defaults = np.array([u.default for u in model.inputs])
    u = np.tile(defaults, (nseg, 1))
    for name, changes in ev.sets.items():
        j = model.input_index[name]
        for when, value in sorted(changes, key=lambda c: c[0]):
            u[np.searchsorted(t[:-1], when, side="left"):, j] = value
    jump = np.zeros((nseg, len(model.states)))
    for when, state, amount in ev.jumps:
        jump[np.searchsorted(t, when), model.state_index[state]] += amount
    base = defaults.copy()
    base[model.input_index["oral_ad"]] = ad_on
    return Timeline(t=t, u=u, jump=jump, baseline_inputs=base,
                    dose_times=np.array(sorted(set(ev.doses))))
