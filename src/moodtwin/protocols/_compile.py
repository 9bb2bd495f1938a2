"""Compile a protocol into a timeline of known discontinuities for the solver.

Doses become state jumps and stimulation/infusion changes become piecewise-constant inputs
at exact event times; the solver restarts its step at each one instead of meeting an
``if t > t_dose`` inside the right-hand side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from moodtwin.errors import ProtocolError
from moodtwin.model import Model
from moodtwin.protocols import _schema as s
from moodtwin.units import format_hours as _fmt
from moodtwin.units import hours, quantity


@dataclass(frozen=True)
class Timeline:
    """Segments ``[t[k], t[k+1])`` with inputs ``u[k]``, entered with the jump ``jump[k]``.

    ``baseline_inputs`` are the inputs before time 0 (used for the steady-state burn-in);
    ``dose_times`` (h) mark where outputs are saved densely; ``session_times`` (h) are the
    middles of stimulation sessions (taVNS, tcVNS), where outputs are also saved so that a
    session's engagement biomarkers show; ``anaesthesia`` and ``setting`` are the protocol's
    context of care.
    """

    t: np.ndarray
    u: np.ndarray
    jump: np.ndarray
    baseline_inputs: np.ndarray
    dose_times: np.ndarray
    anaesthesia: bool = False  # procedures under general anaesthesia/sedation
    setting: str = "outpatient"  # outpatient | inpatient
    session_times: np.ndarray = field(default_factory=lambda: np.empty(0))


#: A treatment contact (procedure, session, review) lasts this long (h) for the expectancy
#: model's engagement (``contact`` input).
CONTACT_H = 1.0
#: After a procedure under anaesthesia, drug effects stay unperceived this long (h).
MASKED_H = 2.0
KETAMINE_ADMIN_H = s.KETAMINE_ADMIN_MIN / 60.0
_KETAMINE_ROUTE_INPUT = {"intramuscular": "ket_route_injection",
                         "subcutaneous": "ket_route_injection",
                         "intranasal": "ket_route_nasal", "oral": "ket_route_oral"}


#: The parameters each therapy's events read (esketamine's nasal absorption split); patients
#: differing in them get their own timeline (:func:`compile_per_patient`).
THERAPY_TIMELINE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "esketamine_nasal": ("esk_FRn", "esk_Fgut", "esk_spray_factor"),
}


def timeline_parameters(protocol: s.Protocol) -> tuple[str, ...]:
    """The parameters the timeline of ``protocol`` reads (declared per therapy), sorted."""
    names = {n for th in protocol.therapies for n in THERAPY_TIMELINE_PARAMETERS.get(th.type, ())}
    return tuple(sorted(names))


def compile_per_patient(protocol: s.Protocol, model: Model, table: np.ndarray,
                        p_active: float | None = None, rating_visits: Sequence[float] = (),
                        comparators_applied: bool = False, new_course: bool = True,
                        ) -> list[tuple[np.ndarray, Timeline]]:
    """(rows, timeline) for the patients of ``table`` (patients, parameters): each group of
    rows shares the values of :func:`timeline_parameters` and gets the timeline of its own
    values, so every patient's events use that patient's parameters (``p_active``,
    ``rating_visits``, ``comparators_applied``, ``new_course``: see
    :func:`compile_protocol`)."""
    names = list(timeline_parameters(protocol))
    cols = [model.parameter_index[n] for n in names]
    keys, group = np.unique(np.asarray(table)[:, cols], axis=0, return_inverse=True)
    group = group.ravel()
    return [(np.flatnonzero(group == g),
             compile_protocol(protocol, model, dict(zip(names, map(float, key), strict=True)),
                              p_active=p_active, rating_visits=rating_visits,
                              comparators_applied=comparators_applied,
                              new_course=new_course))
            for g, key in enumerate(keys)]


class _Events:
    def __init__(self, model: Model, params: dict[str, float], p_blind: float | None,
                 anaesthesia: bool = False):
        self.model, self.params, self.p_blind = model, params, p_blind
        self.anaesthesia = anaesthesia  # procedures under anaesthesia: effects not perceived
        self.sets: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.jumps: list[tuple[float, str, float]] = []
        self.doses: list[float] = []
        self.infusions: list[tuple[float, float, str]] = []
        self.contacts: list[tuple[float, float]] = []
        self.reviews: list[tuple[float, float]] = []  # rating visits and clinical reviews
        self.masked: list[tuple[float, float]] = []
        self.courses: list[tuple[float, float]] = []  # first contact of each treatment course
        self.expects_percept: list[float] = []  # deliveries of perceptible-when-active treatments
        self.expects_rapid: list[float] = []  # deliveries of treatments presented as rapid-acting
        self.expects_gradual: list[float] = []  # switch-ons of treatments presented as gradual
        self.ketamine_doses: list[float] = []  # starts of non-IV ketamine administrations
        self.sessions: list[float] = []  # middles of stimulation sessions (h)

    def set(self, t: float, name: str, value: float) -> None:
        self.sets[name].append((t, value))

    def jump(self, t: float, state: str, amount: float) -> None:
        self.jumps.append((t, state, amount))

    def contact(self, t: float, active: bool, duration: float = CONTACT_H,
                perceptible: bool = True, care_team: bool = True,
                delivers: bool = True) -> None:
        """A treatment contact at ``t``; ``active``: the treatment itself is active.

        It sets the patient's belief: known active or known inactive (open label), or the
        blinded probability of active treatment. ``perceptible``: the active form of this
        treatment has an effect the patient can notice (so a blinded patient who notices
        nothing from now on infers placebo); ``care_team``: the contact is with the care or
        study team (a session the patient runs alone at home is not); ``delivers``: the
        treatment itself is delivered, so its course (and its novelty) starts here (an
        implantation before the device is switched on does not)."""
        if care_team:
            self.clinic_contact(t, duration)
        if perceptible:
            self.expects_percept.append(t)
        if delivers:
            self.course(t)
        if self.p_blind is not None:
            self.set(t, "belief_blind", self.p_blind)
        elif active:
            self.set(t, "belief_known", 1.0)

    def known_active(self, t: float) -> None:
        """An open treatment the patient knows is active (oral antidepressant, usual care)."""
        self.set(t, "belief_known", 1.0)
        self.course(t)

    def clinic_contact(self, t: float, duration: float = CONTACT_H) -> None:
        """A contact with the care or study team at which a treatment is delivered, started
        or adjusted."""
        self.contacts.append((t, t + duration))

    def review(self, t: float) -> None:
        """A rating visit or clinical review at ``t``: the team sees the patient but delivers
        no treatment (engagement rises only to ``review_engagement``)."""
        self.reviews.append((t, t + CONTACT_H))

    def course(self, t: float) -> None:
        """Mark ``t`` as a (possible) start of the treatment course; the earliest counts."""
        self.courses.append((t, t + CONTACT_H))

    def infusion(self, t0: float, dur: float, label: str) -> None:
        self.infusions.append((t0, t0 + dur, label))
        self.doses.append(t0)


def _iv(ev: _Events, th: s.KetamineIV | s.EsketamineIV | s.MidazolamIV | s.SalineIV,
        label: str) -> None:
    dur = hours(th.infusion, f"{th.type}.infusion")
    for t in th.times_h(th.type):
        ev.infusion(t, dur, label)
        ev.contact(t, active=isinstance(th, s.KetamineIV | s.EsketamineIV),
                   duration=max(dur, CONTACT_H))
        ev.expects_rapid.append(t)
        if ev.anaesthesia:
            ev.masked.append((t, t + dur + MASKED_H))
        if isinstance(th, s.KetamineIV):
            rate = s.check("ketamine_iv", "dose", th.dose) / dur
            ev.set(t, "ketamine_rate", rate)
            ev.set(t + dur, "ketamine_rate", 0.0)
        elif isinstance(th, s.EsketamineIV):
            rate = s.check("esketamine_iv", "dose", th.dose) / dur
            ev.set(t, "esketamine_rate", rate)
            ev.set(t + dur, "esketamine_rate", 0.0)
        elif isinstance(th, s.MidazolamIV):
            rate = s.check("midazolam_iv", "dose", th.dose) / dur
            ev.set(t, "midazolam_rate", rate)
            ev.set(t + dur, "midazolam_rate", 0.0)


def _ketamine(ev: _Events, th: s.Ketamine) -> None:
    """Racemic ketamine by a non-IV route: the dose enters its route's absorption depot over
    :data:`KETAMINE_ADMIN_H` (the ketamine_pk mechanism)."""
    amount, per_kg = th.amount()
    rate = amount / KETAMINE_ADMIN_H
    route = _KETAMINE_ROUTE_INPUT[th.route]
    for k, t in enumerate(th.times_h(th.type)):
        ev.contact(t, active=not th.placebo, care_team=k == 0 or th.setting == "clinic")
        ev.expects_rapid.append(t)
        ev.doses.append(t)
        if ev.anaesthesia:
            ev.masked.append((t, t + MASKED_H))
        if th.placebo:
            continue
        ev.ketamine_doses.append(t)
        end = t + KETAMINE_ADMIN_H
        for name, value in (("ket_dose_kg" if per_kg else "ket_dose_mg", rate), (route, 1.0)):
            ev.set(t, name, value)
            ev.set(end, name, 0.0)


def _esketamine(ev: _Events, th: s.EsketamineNasal) -> None:
    dose = quantity(th.dose, "mg", "esketamine_nasal.dose", 0.0, 84.0)
    n = round(dose / 28.0)
    p = ev.params
    frn = p["esk_FRn"] * (1 + (n - 1) * p["esk_spray_factor"]) / n
    for t in th.times_h(th.type):
        ev.contact(t, active=not th.placebo)
        ev.expects_rapid.append(t)
        ev.doses.append(t)
        if ev.anaesthesia:
            ev.masked.append((t, t + MASKED_H))
        if not th.placebo:
            ev.jump(t, "esk_nasal", dose * frn)
            ev.jump(t, "esk_swallowed", dose * (1 - frn) * p["esk_Fgut"])


def _botulinum(ev: _Events, th: s.BotulinumGlabellar) -> None:
    total = th.total_units()
    for t in th.times_h(th.type):
        ev.contact(t, active=not th.placebo)
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
        # surgery: belief and engagement, not yet the course (why: the VNS schema's docstring)
        ev.contact(implant, active=not th.sham, perceptible=False, delivers=False)
        ev.doses.append(implant)
    ev.contact(start, active=not th.sham)  # the device is switched on (or sham: left off)
    ev.expects_gradual.append(start)  # presented as acting over months (background.py)
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
        for when, _ in steps:  # each step is a programming visit (sham: a mock one)
            ev.contact(when, active=not th.sham)
    if th.sham:
        return
    if th.titration is None:
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
    session = s.check("tavns", "session", th.session) / 60.0
    spacing = 24.0 / th.sessions_per_day
    if session > spacing:
        raise ProtocolError(f"{th.sessions_per_day} sessions of {th.session} do not fit in "
                            "a day (24 h).")
    skin = s.check("tavns", "current", th.current)  # felt, also at a sham's non-vagal site
    current = 0.0 if th.sham else skin
    duty = 1.0
    if (th.on_time is None) != (th.off_time is None):
        raise ProtocolError("give both on_time and off_time (on/off cycling), or neither.")
    if th.on_time is not None:
        on = s.check("tavns", "on_time", th.on_time)
        duty = on / (on + s.check("tavns", "off_time", th.off_time))
    ev.set(start, "tavns_pulse_width", s.check("tavns", "pulse_width", th.pulse_width))
    ev.set(start, "tavns_frequency", s.check("tavns", "frequency", th.frequency))
    ev.set(start, "tavns_current", current)
    ev.set(start, "tavns_skin_current", skin)
    for k, t0 in enumerate(th.session_starts_h(end)):
        ev.set(t0, "tavns_on", duty)
        ev.set(t0 + session, "tavns_on", 0.0)
        ev.sessions.append(t0 + session / 2.0)
        ev.contact(t0, active=not th.sham, duration=max(session, CONTACT_H),
                   care_team=k == 0 or not th.self_administered)


#: The taVNS-input setting that one tcVNS stimulation at full output (level 1) is modelled
#: as; ``level`` scales the current. Assumed: the cervical device (gammaCore: 5 kHz bursts
#: repeated at 25 Hz) reaches vagal afferents through the skin like a strong auricular
#: session; 25 Hz as used with tcVNS in PTSD (Gurel et al. 2020; Bremner et al. 2020/2021);
#: 4 mA at 250 us is the highest taVNS setting of the depression trials (Rong et al. 2016),
#: giving ~84 % auricular-branch recruitment at the default threshold. No human comparison
#: of afferent recruitment by the two routes was found, so tcVNS effects inherit the taVNS
#: coupling (``tavns_coupling``) and are not separately calibrated.
TCVNS_EQUIVALENT = {"current_mA": 4.0, "pulse_width_us": 250.0, "frequency_Hz": 25.0}


def _tcvns(ev: _Events, th: s.TcVNS, end: float) -> None:
    start = hours(th.start, "tcvns.start")
    if start >= end:
        raise ProtocolError(f"start: {th.start!r} is at or after the protocol's end "
                            f"({_fmt(end)}); no dose would be delivered.")
    dose = th.dose_h()  # at most 6 x 10 min, so up to 6 doses a day always fit
    eq = TCVNS_EQUIVALENT
    ev.set(start, "tavns_pulse_width", eq["pulse_width_us"])
    ev.set(start, "tavns_frequency", eq["frequency_Hz"])
    ev.set(start, "tavns_current", 0.0 if th.sham else th.level * eq["current_mA"])
    ev.set(start, "tavns_skin_current", th.level * eq["current_mA"])  # a sham is felt too
    for k, t0 in enumerate(th.session_starts_h(end)):
        ev.set(t0, "tavns_on", 1.0)
        ev.set(t0 + dose, "tavns_on", 0.0)
        ev.sessions.append(t0 + dose / 2.0)
        ev.contact(t0, active=not th.sham, duration=max(dose, CONTACT_H),
                   care_team=k == 0 or not th.self_administered)


def compile_protocol(protocol: s.Protocol, model: Model, params: Mapping[str, float],
                     p_active: float | None = None, natural_course: bool = True,
                     rating_visits: Sequence[float] = (),
                     comparators_applied: bool = False, new_course: bool = True) -> Timeline:
    """Turn ``protocol`` into a :class:`Timeline` for ``model``, one set of patients.

    ``params`` gives the values of :func:`timeline_parameters` (other names are ignored;
    several patients with different values: :func:`compile_per_patient`).

    ``p_active``: the probability of active treatment a blinded patient is told; a blinded trial
    sets it from its allocation, and then the protocol runs blinded whatever its own
    ``blinding`` says (a protocol file alone is open label unless it says ``blinded``, with
    ``blinding.p_active``, default 0.5). ``natural_course``: run the episode clock from time 0,
    so that spontaneous remission and relapse (patient parameters) happen on the protocol's time
    axis (off for steady-state burn-ins). ``rating_visits``: the hours (protocol time) at which
    a trial rates the patient; each is a review (``review`` input), which sustains engagement
    less than a treatment contact (Posternak & Zimmerman 2007 Br J Psychiatry 190:287, 41
    placebo-controlled trials: an extra visit at week 3 gave a further 0.86-point HRSD fall); a
    visit during a treatment contact adds nothing to it. ``comparators_applied``: the caller
    (a virtual trial) adds each ``oral_comparator``'s published effect over placebo to the
    modelled score; its start is then compiled as what the model does represent, a treatment
    contact that starts a course the patient knows is active (or, blinded, believes active
    with the allocation's probability). Without it an ``oral_comparator`` is refused.
    ``new_course``: the protocol's first contact starts a new treatment course (novelty);
    False when it continues the course of what the patient had before (a trial's later
    period or titration step that gives no new type of therapy).
    """
    end = protocol.duration_h()
    blind = protocol.blinding
    p_blind = p_active
    if p_blind is None and blind.mode == "blinded":
        p_blind = blind.p_active if blind.p_active is not None else 0.5
    declared = timeline_parameters(protocol)
    missing = [n for n in declared if n not in params]
    if missing:
        raise ValueError(f"compile_protocol needs the values of {missing}.")
    ev = _Events(model, {n: float(params[n]) for n in declared}, p_blind, protocol.anaesthesia)
    kinds = [th.type for th in protocol.therapies]
    for kind in ("vns", "tavns", "tcvns"):
        where = [f"therapies[{i}]" for i, k in enumerate(kinds) if k == kind]
        if len(where) > 1:
            raise ProtocolError(f"{', '.join(where)}: {len(where)} '{kind}' therapies; only one "
                                f"'{kind}' therapy per protocol (one device per patient).")
    if "tavns" in kinds and "tcvns" in kinds:
        raise ProtocolError(f"therapies[{kinds.index('tcvns')}] (tcvns): 'tcvns' and 'tavns' "
                            "share the transcutaneous stimulation input; give only one.")
    _check_exposure_and_stress(protocol)
    ad_on = 1.0 if protocol.background.oral_antidepressant == "continued" else 0.0
    ev.set(0.0, "oral_ad", ad_on)
    if natural_course:
        ev.set(0.0, "clock_on", 1.0)
    for i, th in enumerate(protocol.therapies):
        label = f"therapies[{i}] ({th.type})"
        n_doses = len(ev.doses)
        try:
            _therapy(ev, th, end, label, comparators_applied)
        except ProtocolError as exc:
            raise ProtocolError(s.locate(f"therapies[{i}]", th.type, str(exc))) from None
        late = [t for t in ev.doses[n_doses:] if t >= end]
        if late:
            field = "implant_at" if isinstance(th, s.VNS) else "at"
            raise ProtocolError(
                f"therapies[{i}].{field} ({th.type}): a dose at {_fmt(min(late))} is at or "
                f"after the protocol's end (duration {protocol.duration!r} = {_fmt(end)}); "
                f"doses must lie in [0, {_fmt(end)})."
            )
    if protocol.setting == "inpatient":  # the ward team sees the patient every day
        for t in np.arange(0.0, end, 24.0):
            ev.clinic_contact(float(t))
    if protocol.visits is not None:
        every = hours(protocol.visits.every, "visits.every", 1.0)
        for t in np.arange(hours(protocol.visits.start, "visits.start"), end, every):
            ev.review(float(t))
    for t in rating_visits:
        if 0.0 < t < end:
            ev.review(float(t))
    _check_infusions(ev.infusions)
    _check_ketamine_doses(ev.ketamine_doses)
    _intervals(ev, "contact", ev.contacts, end)
    _intervals(ev, "review", ev.reviews, end)
    _intervals(ev, "new_course", [min(ev.courses)] if ev.courses and new_course else [], end)
    for name in ("expects_percept", "expects_rapid", "expects_gradual"):
        if getattr(ev, name):
            ev.set(min(getattr(ev, name)), name, 1.0)
    _intervals(ev, "percept_masked", ev.masked, end)
    tl = _timeline(model, ev, end, ad_on)
    return replace(tl, anaesthesia=protocol.anaesthesia, setting=protocol.setting)


def _intervals(ev: _Events, name: str, spans: list[tuple[float, float]], end: float) -> None:
    """Set input ``name`` to 1 on the union of ``spans`` (overlapping contacts count once)."""
    merged: list[list[float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    for a, b in merged:
        if a < end:
            ev.set(a, name, 1.0)
            if b < end:
                ev.set(b, name, 0.0)


def _therapy(ev: _Events, th: s.Therapy, end: float, label: str,
             comparators_applied: bool = False) -> None:
    if isinstance(th, s.KetamineIV | s.EsketamineIV | s.MidazolamIV | s.SalineIV):
        _iv(ev, th, label)
    elif isinstance(th, s.Ketamine):
        _ketamine(ev, th)
    elif isinstance(th, s.EsketamineNasal):
        _esketamine(ev, th)
    elif isinstance(th, s.BotulinumGlabellar):
        _botulinum(ev, th)
    elif isinstance(th, s.VNS):
        _vns(ev, th, end)
    elif isinstance(th, s.TaVNS):
        _tavns(ev, th, end)
    elif isinstance(th, s.TcVNS):
        _tcvns(ev, th, end)
    elif isinstance(th, s.OralComparator) and comparators_applied:
        start = hours(th.start, "oral_comparator.start")
        if start < end:  # a newly started drug: the non-specific part is the model's
            ev.contact(start, active=True, perceptible=False)
    elif isinstance(th, s.OralComparator):
        raise ProtocolError("oral_comparator acts in virtual trials only (moodtwin.trials "
                            "applies its published effect to the modelled MADRS); the "
                            "mechanistic model has no input for it.")
    elif isinstance(th, s.ExposureTherapy):
        _exposure(ev, th, end)
    elif isinstance(th, s.Stressor):
        _stressor(ev, th, end)
    elif isinstance(th, s.TreatmentAsUsual):
        start = hours(th.start, "treatment_as_usual.start")
        ev.set(start, "oral_ad", 1.0)
        ev.known_active(start)
        every = hours(th.review_every, "treatment_as_usual.review_every", 24.0)
        ev.clinic_contact(start)  # usual care is set up: a treatment contact
        for t in np.arange(start + every, end, every):
            ev.review(float(t))
    else:
        for t in th.at:
            when = hours(t, "oral_antidepressant.at")
            if when >= end:
                raise ProtocolError(f"at: {t!r} is at or after the protocol's end ({_fmt(end)}).")
            start = th.action == "start"
            if not th.placebo:
                ev.set(when, "oral_ad", 1.0 if start else 0.0)
            if start and not th.known_active:  # a double-blind pill: belief from allocation
                ev.contact(when, active=not th.placebo, perceptible=False)
            elif start:
                ev.known_active(when)
                ev.clinic_contact(when)


def _exposure(ev: _Events, th: s.ExposureTherapy, end: float) -> None:
    """Exposure sessions: ``exposure_on`` during each, with paired stimulation if asked."""
    session = s.check("exposure_therapy", "session", th.session) / 60.0
    times = th.times_h(th.type)
    for a, b in zip(times, times[1:], strict=False):
        if b < a + session:
            raise ProtocolError(f"at: sessions at {_fmt(a)} and {_fmt(b)} overlap (session "
                                f"{th.session!r}).")
    if th.paired == "tavns":
        ev.set(times[0], "tavns_pulse_width", s.check("tavns", "pulse_width", th.pulse_width))
        ev.set(times[0], "tavns_frequency", s.check("tavns", "frequency", th.frequency))
        current = s.check("tavns", "current", th.current)
        ev.set(times[0], "tavns_current", current)
        ev.set(times[0], "tavns_skin_current", current)
    for t0 in times:
        if t0 >= end:
            raise ProtocolError(f"at: a session at {_fmt(t0)} is at or after the protocol's end "
                                f"({_fmt(end)}).")
        t1 = min(t0 + session, end)
        ev.set(t0, "exposure_on", 1.0)
        ev.set(t1, "exposure_on", 0.0)
        ev.contact(t0, active=True, duration=t1 - t0, perceptible=False)  # a treatment contact
        if th.paired == "tavns":
            ev.set(t0, "tavns_on", 1.0)
            ev.set(t1, "tavns_on", 0.0)
        elif th.paired == "vns":
            ev.set(t0, "vns_paired", 1.0)
            ev.set(t1, "vns_paired", 0.0)


def _stressor(ev: _Events, th: s.Stressor, end: float) -> None:
    start = hours(th.start, "stressor.start")
    if start >= end:
        raise ProtocolError(f"start: {th.start!r} is at or after the protocol's end "
                            f"({_fmt(end)}).")
    ev.set(start, "stressor", th.intensity)
    stop = start + s.check("stressor", "duration", th.duration)
    if stop < end:
        ev.set(stop, "stressor", 0.0)


def _check_exposure_and_stress(protocol: s.Protocol) -> None:
    """Paired stimulation needs its device (and no second taVNS schedule); stressors may not
    overlap (one stressor input)."""
    kinds = [th.type for th in protocol.therapies]
    spans: list[tuple[float, float, int]] = []
    for i, th in enumerate(protocol.therapies):
        where = f"therapies[{i}].paired (exposure_therapy)"
        if isinstance(th, s.ExposureTherapy) and th.paired == "tavns" and (
                "tavns" in kinds or "tcvns" in kinds):
            raise ProtocolError(f"{where}: 'tavns' pairing needs its own ear stimulator; remove "
                                "the separate 'tavns'/'tcvns' therapy or pair with 'none'.")
        if isinstance(th, s.ExposureTherapy) and th.paired == "vns" and "vns" not in kinds:
            raise ProtocolError(f"{where}: 'vns' pairing needs an implanted 'vns' therapy in "
                                "the protocol.")
        if isinstance(th, s.Stressor):
            a = hours(th.start, "stressor.start")
            spans.append((a, a + s.check("stressor", "duration", th.duration), i))
    spans.sort()
    for (_a0, a1, i), (b0, _, j) in zip(spans, spans[1:], strict=False):
        if b0 < a1:
            raise ProtocolError(f"therapies[{j}].start (stressor): starts at {_fmt(b0)}, before "
                                f"therapies[{i}] (stressor) ends at {_fmt(a1)}; stressors may "
                                "not overlap (give one with the combined intensity).")


def _check_infusions(infusions: list[tuple[float, float, str]]) -> None:
    infusions = sorted(infusions)
    for (a0, a1, la), (b0, _, lb) in zip(infusions, infusions[1:], strict=False):
        if b0 < a1:
            raise ProtocolError(
                f"Overlapping infusions: {la} runs from {_fmt(a0)} to {_fmt(a1)} and {lb} "
                f"starts at {_fmt(b0)}; one IV line delivers one infusion at a time."
            )


def _check_ketamine_doses(starts: list[float]) -> None:
    """Non-IV ketamine doses of different therapies must not overlap (one therapy's own doses
    are checked when the file loads)."""
    starts = sorted(starts)
    for a, b in zip(starts, starts[1:], strict=False):
        if b - a < KETAMINE_ADMIN_H:
            raise ProtocolError(f"at: two ketamine doses at {_fmt(b)} overlap (each is given "
                                f"over {s.KETAMINE_ADMIN_MIN:g} min); give one dose or "
                                "separate them.")


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
                    dose_times=np.array(sorted(set(ev.doses))),
                    session_times=np.array(sorted(s for s in set(ev.sessions) if s < end)))
