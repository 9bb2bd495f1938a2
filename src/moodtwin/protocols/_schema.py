"""Validated protocol files: therapies, doses, stimulation settings, schedules (YAML).

Each therapy is a pydantic model keyed by ``type``; every quantity is a string with a unit
(``"0.5 mg/kg"``, ``"40 min"``, ``"250 us"``) checked against device or dose limits.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from moodtwin.errors import ValidationError
from moodtwin.units import dose_mg_or_per_kg, format_hours, hours, quantity
from moodtwin.yaml_files import Count, Number


def _as_text(v: object) -> object:
    """Quantities are written as text; a bare number becomes text so that the unit check
    (run by each field's validator) reports the missing unit instead of a type error."""
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise ValueError(f"expected a number with a unit (e.g. '40 min'), got {v!r}.")
    return v if isinstance(v, str) else repr(v)


Q = Annotated[str, BeforeValidator(_as_text)]  # a quantity with unit, e.g. "0.5 mg/kg"


_FIELD_PREFIX = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\])*(?:\.[A-Za-z_]\w*(?:\[\d+\])*)*): (.*)$")


def locate(where: str, kind: str | None, msg: str) -> str:
    """One-line message ``"<where>.<field> (<kind>): <what>"``.

    ``msg`` may start with its own field name (``"ketamine_iv.dose: ..."`` or ``"at[1]: ..."``);
    its last part is joined to ``where`` unless ``where`` already ends with that field.
    """
    m = _FIELD_PREFIX.match(msg)
    if m:
        parts, msg = m.group(1).split("."), m.group(2)
        if len(parts) > 1 and parts[0] in THERAPY_TYPES:
            parts = parts[1:]  # "ketamine_iv.dose" -> "dose"
        last = re.split(r"[.\]]", where)[-1] if where else ""
        if last and last == parts[-1].split("[")[0]:
            where = where[: len(where) - len(last)] + parts[-1]  # keeps an index: at -> at[1]
        elif not where.endswith(parts[-1]):
            where = ".".join(([where] if where else []) + parts)
    tag = f" ({kind})" if kind else ""
    return f"{where}{tag}: {msg}" if where else msg


def _times(values: list[str], field: str, low: float = 0.0) -> list[str]:
    for i, t in enumerate(values):
        hours(t, f"{field}[{i}]", low)
    return values

#: Device and dose limits: (unit, low, high). Sources: VNS Therapy labelling ranges
#: (current 0-3.5 mA, pulse width 130-1000 us, 1-30 Hz); ketamine antidepressant trials used
#: 0.1-1.0 mg/kg, IV esketamine 0.2-0.4 mg/kg (Singh et al. 2016); nasal esketamine is
#: labelled at 28/56/84 mg; glabellar toxin doses in depression trials were 29-50 U.
LIMITS: dict[str, tuple[str, float, float]] = {
    "vns.current": ("mA", 0.0, 3.5),
    "vns.pulse_width": ("us", 130.0, 1000.0),
    "vns.frequency": ("Hz", 1.0, 30.0),
    "vns.on_time": ("s", 7.0, 60.0),
    "vns.off_time": ("min", 0.2, 180.0),
    "tavns.current": ("mA", 0.0, 10.0),
    "tavns.pulse_width": ("us", 50.0, 1000.0),
    # 120 Hz: the highest in a published taVNS depression trial (Trevizol et al. 2016 Brain
    # Stimul 9:453); above 100 Hz the saturating frequency gain (stimulation mechanism) is
    # extrapolated: 1.5 % more gain at 120 than at 100 Hz (docs/formats/protocol.md)
    "tavns.frequency": ("Hz", 1.0, 120.0),
    "tavns.session": ("min", 1.0, 120.0),
    "tavns.on_time": ("s", 1.0, 3600.0),
    "tavns.off_time": ("s", 0.0, 3600.0),
    "tcvns.stimulation": ("min", 0.5, 10.0),
    "ketamine_iv.dose": ("mg/kg", 0.05, 1.0),
    "ketamine_iv.infusion": ("min", 2.0, 240.0),
    "esketamine_iv.dose": ("mg/kg", 0.05, 1.0),
    "esketamine_iv.infusion": ("min", 2.0, 240.0),
    "midazolam_iv.dose": ("mg/kg", 0.01, 0.1),
    "midazolam_iv.infusion": ("min", 2.0, 240.0),
    "saline_iv.infusion": ("min", 2.0, 240.0),
    "botulinum_glabellar.units_per_site": ("U", 0.5, 20.0),
    "botulinum_glabellar.total": ("U", 0.0, 100.0),
    "exposure_therapy.session": ("min", 10.0, 240.0),
    "stressor.duration": ("h", 1.0, 24 * 365 * 5),
}
ESKETAMINE_DOSES_MG = (28.0, 56.0, 84.0)


def check(kind: str, name: str, value: object) -> float:
    """Magnitude of ``value`` in the unit of ``LIMITS[kind.name]``, range-checked."""
    unit, low, high = LIMITS[f"{kind}.{name}"]
    return quantity(value, unit, f"{kind}.{name}", low, high)


def _limits(kind: str, *fields: str) -> Any:
    """A field validator that range-checks ``fields`` against ``LIMITS[f"{kind}.{field}"]``."""

    def _check(cls: type, v: Q | None, info: ValidationInfo) -> Q | None:
        if v is not None:
            check(kind, info.field_name, v)
        return v

    return field_validator(*fields)(classmethod(_check))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Repeat(_Strict):
    """Repeat the ``at`` pattern: every ``every`` for ``count`` times in all."""

    every: Q
    count: Count = Field(ge=1, le=2000)

    @field_validator("every")
    @classmethod
    def _every(cls, v: Q) -> Q:
        hours(v, "repeat.every", 1e-3)
        return v


class _Scheduled(_Strict):
    at: list[Q] = Field(min_length=1)
    repeat: Repeat | None = None

    @field_validator("at")
    @classmethod
    def _at(cls, v: list[Q]) -> list[Q]:
        return _times(v, "at")

    def times_h(self, kind: str) -> list[float]:
        """Dose times in hours from baseline."""
        base = [hours(t, f"{kind}.at") for t in self.at]
        if self.repeat is None:
            return sorted(base)
        every = hours(self.repeat.every, f"{kind}.repeat.every", 1e-3)
        return sorted(b + k * every for k in range(self.repeat.count) for b in base)


class KetamineIV(_Scheduled):
    type: Literal["ketamine_iv"]
    _limited = _limits("ketamine_iv", "dose", "infusion")
    dose: Q
    infusion: Q = "40 min"


class EsketamineIV(_Scheduled):
    """Intravenous esketamine (S-ketamine), e.g. 0.2 or 0.4 mg/kg over 40 min (Singh et al.
    2016 Biol Psychiatry 80:424); its placebo is ``saline_iv``."""

    type: Literal["esketamine_iv"]
    _limited = _limits("esketamine_iv", "dose", "infusion")
    dose: Q
    infusion: Q = "40 min"


#: A non-IV ketamine dose (injection, sprays, tablet) is administered over this time (min).
#: Assumed: an injection or a tablet takes a minute, a session of sprays a few (Lapidus et al.
#: 2014: five applications 5 min apart); absorption (tens of minutes) dominates the profile.
KETAMINE_ADMIN_MIN = 5.0
#: Dose limits of racemic ketamine by route: (per kg in mg/kg, fixed in mg). Antidepressant
#: trials gave 0.1-0.5 mg/kg SC and IM (Loo et al. 2016), 10-100 mg intranasally (Lapidus et
#: al. 2014: 50 mg), and 0.25-7 mg/kg or 25-300 mg orally (review: Andrade 2019 J Clin
#: Psychiatry 80:19f12820).
KETAMINE_ROUTE_DOSES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "intramuscular": ((0.05, 1.0), (5.0, 100.0)),
    "subcutaneous": ((0.05, 1.0), (5.0, 100.0)),
    "intranasal": ((0.1, 3.0), (5.0, 200.0)),
    "oral": ((0.1, 7.0), (5.0, 500.0)),
}


class Ketamine(_Scheduled):
    """Racemic ketamine by a route other than IV: ``route`` intramuscular, subcutaneous,
    intranasal or oral; ``dose`` per administration in mg/kg or mg (limits per route in
    :data:`KETAMINE_ROUTE_DOSES`; a session of several sprays is one dose), given over
    :data:`KETAMINE_ADMIN_MIN` minutes; ``placebo`` gives a matched placebo (saline spray or
    injection, placebo tablet; no dose needed); ``setting: clinic`` (default) makes every
    dose a treatment contact, ``home`` only the first."""

    type: Literal["ketamine"]
    route: Literal["intramuscular", "subcutaneous", "intranasal", "oral"]
    dose: Q | None = None
    placebo: bool = False
    setting: Literal["clinic", "home"] = "clinic"

    @field_validator("route", mode="before")
    @classmethod
    def _route(cls, v: object) -> object:
        if isinstance(v, str) and v.strip().lower() in ("intravenous", "iv", "i.v."):
            raise ValueError(f"{v!r}: intravenous ketamine is the therapy type 'ketamine_iv' "
                             "(dose, infusion); 'ketamine' takes intramuscular, subcutaneous, "
                             "intranasal or oral.")
        return v

    @model_validator(mode="after")
    def _dose_for_route(self) -> Ketamine:
        if self.dose is None and not self.placebo:
            raise ValueError("dose: required for an active dose, in mg/kg or mg (a "
                             "'placebo: true' dose may omit it).")
        if self.dose is not None:
            self.amount()
        times = sorted(self.times_h(self.type))
        for a, b in zip(times, times[1:], strict=False):
            if b - a < KETAMINE_ADMIN_MIN / 60.0:
                raise ValueError(f"at: two doses at {format_hours(a)} and {format_hours(b)} "
                                 f"overlap (each is given over {KETAMINE_ADMIN_MIN:g} min); "
                                 "write a session of several sprays as one dose, or separate "
                                 "the doses.")
        return self

    def amount(self) -> tuple[float, bool]:
        """(dose, per_kg): the dose in mg/kg (``per_kg``) or in mg, range-checked for the route
        (0 mg for a placebo without a dose)."""
        if self.dose is None:
            return 0.0, False
        per_kg, fixed = KETAMINE_ROUTE_DOSES[self.route]
        return dose_mg_or_per_kg(self.dose, "ketamine.dose", per_kg, fixed, self.route)


class MidazolamIV(_Scheduled):
    """Active placebo: perceptible sedation without an antidepressant mechanism."""

    type: Literal["midazolam_iv"]
    _limited = _limits("midazolam_iv", "dose", "infusion")
    dose: Q = "0.045 mg/kg"
    infusion: Q = "40 min"


class SalineIV(_Scheduled):
    """Inactive placebo infusion."""

    type: Literal["saline_iv"]
    _limited = _limits("saline_iv", "infusion")
    infusion: Q = "40 min"


class EsketamineNasal(_Scheduled):
    """Intranasal esketamine (28 mg per device); ``placebo`` gives a matched placebo spray."""

    type: Literal["esketamine_nasal"]
    dose: Q = "56 mg"
    placebo: bool = False

    @field_validator("dose")
    @classmethod
    def _dose(cls, v: Q) -> Q:
        mg = quantity(v, "mg", "esketamine_nasal.dose", 0.0, 1e9)
        if not any(abs(mg - d) < 1e-6 for d in ESKETAMINE_DOSES_MG):
            raise ValueError(
                f"esketamine_nasal.dose: {v!r} is not a labelled dose; allowed: 28, 56 or 84 mg "
                "(one, two or three 28 mg devices)."
            )
        return v


class BotulinumGlabellar(_Scheduled):
    """OnabotulinumtoxinA into corrugator and procerus; ``placebo`` gives saline."""

    type: Literal["botulinum_glabellar"]
    _limited = _limits("botulinum_glabellar", "units_per_site")
    units_per_site: Q = "5.8 U"
    sites: Count = Field(default=5, ge=1, le=7)
    placebo: bool = False

    def total_units(self) -> float:
        per_site = check("botulinum_glabellar", "units_per_site", self.units_per_site)
        total = per_site * self.sites
        _, low, high = LIMITS["botulinum_glabellar.total"]
        if not low <= total <= high:
            raise ValidationError(
                f"units_per_site: total dose {self.sites} sites x {per_site:g} U = "
                f"{total:g} U is outside the allowed range {low:g}–{high:g} U per session."
            )
        return total

    @model_validator(mode="after")
    def _total(self) -> BotulinumGlabellar:
        self.total_units()
        return self


class TitrationStep(_Strict):
    at: Q
    current: Q
    _limited = _limits("vns", "current")

    @field_validator("at")
    @classmethod
    def _at(cls, v: Q) -> Q:
        hours(v, "vns.titration.at")
        return v


class OffPeriod(_Strict):
    start: Q
    end: Q

    @field_validator("start", "end")
    @classmethod
    def _t(cls, v: Q, info: ValidationInfo) -> Q:
        hours(v, f"vns.off_periods.{info.field_name}")
        return v


class VNS(_Strict):
    """Implanted left cervical VNS. Give ``current`` or a ``titration`` schedule.

    Each titration step is a programming visit, hence a treatment contact for the expectancy
    model; a ``sham`` device may list the same steps for its mock programming visits (their
    currents are not delivered).

    The implantation (``implant_at``) enrols the patient and is a contact with the care team
    (engagement), but the treatment course, whose novelty carries expectancy, starts when the
    device is switched on (``start``): in the open VNS pilot 1 of 60 patients improved during
    the 2-week recovery period without stimulation (Sackeim et al. 2001 Neuropsychopharmacology
    25:713). ``implant_at: null`` means the device is already implanted (a continuation period
    of a trial): no surgery, hence no implantation contact.
    """

    type: Literal["vns"]
    _limited = _limits("vns", "current", "pulse_width", "frequency", "on_time", "off_time")
    implant_at: Q | None = "0 d"
    start: Q = "2 week"
    current: Q | None = None
    titration: list[TitrationStep] | None = None
    pulse_width: Q = "250 us"
    frequency: Q = "20 Hz"
    on_time: Q = "30 s"
    off_time: Q = "5 min"
    off_periods: list[OffPeriod] = Field(default_factory=list)
    sham: bool = False

    @field_validator("implant_at", "start")
    @classmethod
    def _t(cls, v: Q | None, info: ValidationInfo) -> Q | None:
        if v is not None:
            hours(v, f"vns.{info.field_name}")
        return v

    @field_validator("titration")
    @classmethod
    def _tit(cls, v: list[TitrationStep] | None) -> list[TitrationStep] | None:
        if v is not None and not v:
            raise ValueError("vns.titration: give at least one step, or use 'current'.")
        return v

    @model_validator(mode="after")
    def _one_setting(self) -> VNS:
        if self.current is not None and self.titration is not None:
            raise ValueError("give exactly one of 'current' or 'titration', not both.")
        if self.current is None and self.titration is None and not self.sham:
            raise ValueError("give the stimulation 'current' (e.g. '1 mA') or a 'titration' "
                             "schedule (or set 'sham: true').")
        at = [hours(x.at, "vns.titration.at") for x in self.titration or []]
        for i, t in enumerate(at):
            if t in at[:i]:
                raise ValueError(f"titration[{i}].at: {self.titration[i].at!r} is the time of "
                                 f"titration[{at.index(t)}] too; give one current per "
                                 "programming visit.")
        return self


class TaVNS(_Strict):
    """Transcutaneous auricular VNS sessions. ``sham``: the same ``current`` at a site without
    vagal fibres (earlobe, scapha): felt, but no vagal input; a sham device left off has
    ``current: 0 mA``. ``self_administered``: the patient runs the sessions at home after a
    first, trained session, so only that one is a contact with the care team."""

    type: Literal["tavns"]
    _limited = _limits("tavns", "current", "pulse_width", "frequency", "session", "on_time",
                       "off_time")
    current: Q = "2 mA"
    pulse_width: Q = "250 us"
    frequency: Q = "25 Hz"
    session: Q = "30 min"
    on_time: Q | None = None  # on/off cycling within a session (e.g. 30 s on / 30 s off)
    off_time: Q | None = None
    sessions_per_day: Count = Field(default=2, ge=1, le=4)
    days_per_week: Count = Field(default=7, ge=1, le=7)
    start: Q = "0 d"
    duration: Q = "4 week"
    first_session_at: Q = "8 h"  # time after each day's start (08:00 when days start at 0:00)
    sham: bool = False
    self_administered: bool = False

    @field_validator("start", "duration")
    @classmethod
    def _t(cls, v: Q, info: ValidationInfo) -> Q:
        hours(v, f"tavns.{info.field_name}")
        return v

    @field_validator("first_session_at")
    @classmethod
    def _first(cls, v: Q) -> Q:
        hours(v, "tavns.first_session_at", 0.0, 24.0)
        return v

    def session_starts_h(self, end_h: float) -> list[float]:
        """Start of every session (h from protocol start) that ends by ``end_h``: on each
        stimulation day, ``first_session_at`` after the day's start, then every
        24 h / ``sessions_per_day``."""
        return _daily_starts("tavns", self.start, self.duration, self.first_session_at,
                             check("tavns", "session", self.session) / 60.0,
                             self.sessions_per_day, self.days_per_week, end_h)

    @model_validator(mode="after")
    def _fits(self) -> TaVNS:
        session_h = check("tavns", "session", self.session) / 60.0
        if session_h * self.sessions_per_day > 24.0:
            raise ValueError(f"{self.sessions_per_day} sessions of {self.session} do not fit in "
                             "a day (24 h).")
        return self


def _daily_starts(kind: str, start_q: Q, duration_q: Q, first_q: Q, session_h: float,
                  per_day: int, days_per_week: int, end_h: float) -> list[float]:
    """Session starts (h): on each of the first ``days_per_week`` days of every week from
    ``start`` for ``duration``, ``first`` after the day's start and then every
    24 h / ``per_day``; only sessions that end by the schedule's end and ``end_h``."""
    start = hours(start_q, f"{kind}.start")
    stop = min(end_h, start + hours(duration_q, f"{kind}.duration", 0.0))
    first = hours(first_q, f"{kind}.first_session_at", 0.0, 24.0)
    spacing = 24.0 / per_day
    out, day = [], 0
    while start + day * 24.0 < stop:
        if day % 7 < days_per_week:
            for k in range(per_day):
                t0 = start + day * 24.0 + first + k * spacing
                if t0 + session_h > stop:
                    break
                out.append(t0)
        day += 1
    return out


class TcVNS(_Strict):
    """Transcutaneous cervical VNS (hand-held neck stimulator, e.g. gammaCore): ``doses_per_day``
    doses, each ``stimulations_per_dose`` back-to-back stimulations of ``stimulation``, at
    ``level`` (fraction of the device's maximal output, 0-1); ``sham`` is felt but stimulates
    no vagal fibres; ``self_administered`` as for taVNS. The model drives the afferent input
    through the transcutaneous (auricular) pathway at an assumed equivalent setting
    (``TCVNS_EQUIVALENT`` in the compiler)."""

    type: Literal["tcvns"]
    _limited = _limits("tcvns", "stimulation")
    stimulation: Q = "2 min"
    stimulations_per_dose: Count = Field(default=2, ge=1, le=6)
    doses_per_day: Count = Field(default=2, ge=1, le=6)
    days_per_week: Count = Field(default=7, ge=1, le=7)
    level: Number = Field(default=1.0, gt=0.0, le=1.0)
    start: Q = "0 d"
    duration: Q = "4 week"
    first_dose_at: Q = "8 h"  # time after each day's start
    sham: bool = False
    self_administered: bool = False

    @field_validator("start", "duration")
    @classmethod
    def _t(cls, v: Q, info: ValidationInfo) -> Q:
        hours(v, f"tcvns.{info.field_name}")
        return v

    @field_validator("first_dose_at")
    @classmethod
    def _first(cls, v: Q) -> Q:
        hours(v, "tcvns.first_dose_at", 0.0, 24.0)
        return v

    def dose_h(self) -> float:
        """Length of one dose (h): its stimulations back to back."""
        return self.stimulations_per_dose * check("tcvns", "stimulation", self.stimulation) / 60

    def session_starts_h(self, end_h: float) -> list[float]:
        """Start of every dose (h from protocol start) that ends by ``end_h``."""
        return _daily_starts("tcvns", self.start, self.duration, self.first_dose_at,
                             self.dose_h(), self.doses_per_day, self.days_per_week, end_h)


class OralAntidepressant(_Strict):
    """Start or stop an oral antidepressant at the given times.

    By default the patient knows the pill is an antidepressant (open label, usual care, or
    the newly started one beside a blinded study treatment in TRANSFORM-2). ``blinded``: the
    pill is the double-blind study treatment of a trial against a matching placebo pill, so
    the patient believes it active with the trial's allocation share; ``placebo``: that
    matching placebo pill (no pharmacology; blinded). Side effects are not modelled as cues,
    so neither pill unblinds."""

    type: Literal["oral_antidepressant"]
    action: Literal["start", "stop"] = "start"
    at: list[Q] = Field(default_factory=lambda: ["0 d"], min_length=1)
    blinded: bool = False
    placebo: bool = False

    @field_validator("at")
    @classmethod
    def _at(cls, v: list[Q]) -> list[Q]:
        return _times(v, "at")

    @model_validator(mode="after")
    def _start_only(self) -> OralAntidepressant:
        if (self.blinded or self.placebo) and self.action != "start":
            flag = "placebo" if self.placebo else "blinded"
            raise ValueError(f"oral_antidepressant.{flag}: true needs action 'start' (got "
                             f"{self.action!r}); a blinded or placebo pill is started, and "
                             "stopping it is the protocol's end.")
        return self

    @property
    def masked(self) -> bool:
        """The pill is a double-blind study treatment (the active one or its placebo)."""
        return self.blinded or self.placebo

    @property
    def known_active(self) -> bool:
        """An unmasked pill is known to be active in any trial (the compiler starts it as a
        known-active contact)."""
        return not self.masked


class TreatmentAsUsual(_Strict):
    """Usual care: an oral antidepressant from ``start`` and a clinical review (medication
    adjustment, support) every ``review_every``, each a review for the expectancy model (the
    oral antidepressant runs on; no new treatment is delivered)."""

    type: Literal["treatment_as_usual"]
    start: Q = "0 d"
    review_every: Q = "4 week"
    known_active: ClassVar[bool] = True
    """Usual care is known to be active in any trial (a known-active contact)."""

    @field_validator("start")
    @classmethod
    def _start(cls, v: Q) -> Q:
        return _times([v], "start")[0]

    @field_validator("review_every")
    @classmethod
    def _every(cls, v: Q) -> Q:
        hours(v, "review_every", 24.0, 24 * 365)
        return v


#: Oral comparator presets: extra MADRS improvement over placebo at full onset (points),
#: onset time constant, source. Onsets are assumed (separation from placebo within 1-2 weeks
#: in these trials).
COMPARATOR_PRESETS: dict[str, dict[str, Any]] = {
    "aripiprazole_augmentation": {
        "drug": "aripiprazole", "effect_madrs": 3.0, "onset": "1 week",
        "source": "Berman et al. 2007 J Clin Psychiatry 68:843 (adjunctive aripiprazole vs "
                  "placebo, MADRS change -8.8 vs -5.8 at 6 weeks); onset assumed"},
    "quetiapine_xr_augmentation": {
        "drug": "quetiapine XR", "effect_madrs": 3.0, "onset": "1 week",
        "source": "approximate: Bauer et al. 2009 J Clin Psychiatry 70:540 (adjunctive "
                  "quetiapine XR 300 mg vs placebo, MADRS difference about -3 at 6 weeks); "
                  "onset assumed"},
}


class OralComparator(_Strict):
    """An oral comparator or augmentation drug (another antidepressant class, atypical
    antipsychotic augmentation, lithium) given by its published effect: ``effect_madrs``
    extra MADRS improvement over placebo at full onset, reached with time constant ``onset``
    from ``start`` (until ``stop``, or the protocol's end). Give them with their ``source``,
    or a ``preset`` (:data:`COMPARATOR_PRESETS`). Virtual trials apply the effect to the
    modelled MADRS of the patients on this protocol (no patient variability); the
    mechanistic model itself has no input for its pharmacology. Its start is a treatment
    contact that begins a course the patient knows is active (open label) or believes active
    with the allocation's probability (blinded), so the non-specific response to a newly
    started drug comes from the model's expectancy, as for any other therapy.
    """

    type: Literal["oral_comparator"]
    drug: str
    preset: str | None = None
    effect_madrs: Number | None = Field(default=None, ge=-10.0, le=20.0)
    onset: Q | None = None
    source: str | None = None
    start: Q = "0 d"
    stop: Q | None = None

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") is not None:
            name = data["preset"]
            if name not in COMPARATOR_PRESETS:
                raise ValueError(f"oral_comparator.preset: {name!r} is not a preset; "
                                 f"choose from {', '.join(COMPARATOR_PRESETS)}.")
            data = {**COMPARATOR_PRESETS[name], **data}
        return data

    @model_validator(mode="after")
    def _given(self) -> OralComparator:
        missing = [f for f in ("effect_madrs", "onset", "source") if getattr(self, f) is None]
        if missing:
            raise ValueError(f"oral_comparator: give {', '.join(missing)} (with its source) "
                             f"or a preset ({', '.join(COMPARATOR_PRESETS)}).")
        hours(self.onset, "oral_comparator.onset", 1.0, 24 * 365)
        hours(self.start, "oral_comparator.start")
        if self.stop is not None and hours(self.stop, "oral_comparator.stop") <= hours(
                self.start, "oral_comparator.start"):
            raise ValueError(f"oral_comparator.stop: {self.stop!r} must be after start.")
        return self

    def effect_at(self, t_h: np.ndarray) -> np.ndarray:
        """Extra MADRS improvement (points, positive = better) at protocol times ``t_h``."""
        start = hours(self.start, "oral_comparator.start")
        stop = np.inf if self.stop is None else hours(self.stop, "oral_comparator.stop")
        tau = hours(self.onset or "", "oral_comparator.onset", 1.0, 24 * 365)
        on = (t_h > start) & (t_h <= stop)
        return np.where(on, (self.effect_madrs or 0.0)
                        * (1.0 - np.exp(-(t_h - start) / tau)), 0.0)


class ExposureTherapy(_Scheduled):
    """Exposure-therapy sessions (e.g. prolonged exposure for PTSD) at ``at`` (with ``repeat``).

    ``paired`` adds vagal stimulation during each session: ``tavns`` (an ear stimulator worn
    during the session, with ``current``, ``pulse_width``, ``frequency``) or ``vns`` (bursts
    of the implanted VNS paired with the exposure cues; needs a ``vns`` therapy).
    """

    type: Literal["exposure_therapy"]
    _limited = _limits("exposure_therapy", "session")
    session: Q = "90 min"
    paired: Literal["none", "tavns", "vns"] = "none"
    current: Q = "2 mA"
    pulse_width: Q = "250 us"
    frequency: Q = "25 Hz"

    @model_validator(mode="after")
    def _pairing(self) -> ExposureTherapy:
        if self.paired == "tavns":
            check("tavns", "current", self.current)
            check("tavns", "pulse_width", self.pulse_width)
            check("tavns", "frequency", self.frequency)
        return self


class Stressor(_Strict):
    """An external stressor: a life event or a chronic stress period of ``intensity`` (0-3;
    1 = a major life event) from ``start`` for ``duration``."""

    type: Literal["stressor"]
    _limited = _limits("stressor", "duration")
    start: Q = "0 d"
    duration: Q = "2 week"
    intensity: Number = Field(default=1.0, gt=0.0, le=3.0)

    @field_validator("start")
    @classmethod
    def _start(cls, v: Q) -> Q:
        return _times([v], "start")[0]


Therapy = Annotated[
    KetamineIV | Ketamine | EsketamineIV | MidazolamIV | SalineIV | EsketamineNasal
    | BotulinumGlabellar | VNS | TaVNS | TcVNS | OralAntidepressant | TreatmentAsUsual
    | OralComparator | ExposureTherapy | Stressor,
    Field(discriminator="type"),
]
THERAPY_TYPES = (
    "ketamine_iv", "ketamine", "esketamine_iv", "midazolam_iv", "saline_iv", "esketamine_nasal",
    "botulinum_glabellar", "vns", "tavns", "tcvns", "oral_antidepressant", "treatment_as_usual",
    "oral_comparator", "exposure_therapy", "stressor",
)


class Background(_Strict):
    """Treatment already in place before baseline."""

    oral_antidepressant: Literal["none", "continued"] = "none"


class Blinding(_Strict):
    """What the patient knows about the treatment: ``open`` (known active, or known inactive
    for placebo/sham therapies) or ``blinded`` with ``p_active``, the probability of active
    treatment the patient is told (a trial sets it from its allocation ratio)."""

    mode: Literal["open", "blinded"] = "open"
    p_active: Number | None = Field(default=None, ge=0.0, le=1.0)


class Visits(_Strict):
    """Clinical reviews (each renews engagement as far as a review does, ``review_engagement``)."""

    every: Q
    start: Q = "1 week"

    @field_validator("every")
    @classmethod
    def _every(cls, v: Q) -> Q:
        hours(v, "visits.every", 1.0)
        return v

    @field_validator("start")
    @classmethod
    def _start(cls, v: Q) -> Q:
        hours(v, "visits.start")
        return v


class Protocol(_Strict):
    """A therapy protocol: what is given to one patient, when, over what horizon.

    ``anaesthesia``: the procedures are given under general anaesthesia or sedation, so
    perceptible acute drug effects are masked from the patient; ``setting``: outpatient or
    inpatient care (on a ward the care team sees the patient every day: a daily treatment
    contact, which keeps engagement saturated). Both are carried to the :class:`Timeline`.
    """

    name: str
    description: str = ""
    duration: Q
    background: Background = Field(default_factory=Background)
    therapies: list[Therapy] = Field(default_factory=list)
    visits: Visits | None = None
    blinding: Blinding = Field(default_factory=Blinding)
    anaesthesia: bool = False  # procedures under general anaesthesia/sedation (masked effects)
    setting: Literal["outpatient", "inpatient"] = "outpatient"  # context of care

    @field_validator("duration")
    @classmethod
    def _d(cls, v: Q) -> Q:
        hours(v, "duration", 1.0, 24 * 365 * 10)
        return v

    def duration_h(self) -> float:
        return hours(self.duration, "duration", 1.0, 24 * 365 * 10)

    @model_validator(mode="after")
    def _doses_inside(self) -> Protocol:
        """Scheduled doses (``at`` with ``repeat``) lie before the end: checked when the file
        loads, not when a run compiles it."""
        end = self.duration_h()
        for i, th in enumerate(self.therapies):
            if isinstance(th, _Scheduled):
                late = [t for t in th.times_h(th.type) if t >= end - 1e-9]
                if late:
                    raise ValueError(
                        f"therapies[{i}].at ({th.type}): a dose at {late[0] / 24:g} d is at or "
                        f"after the protocol's end (duration {self.duration!r} = {end / 24:g} d); "
                        "doses must lie before it (lengthen 'duration' or shorten 'repeat').")
            # only a duration the file gives: a default one (tcVNS's 4 weeks) runs to the end
            span = (getattr(th, "start", None), getattr(th, "duration", None))
            if "duration" in th.model_fields_set and all(isinstance(x, str) for x in span):
                begin = hours(span[0], "start")
                stop = begin + hours(span[1], "duration")
                if begin < end and stop > end + 1e-6:  # a start past the end has its own error
                    raise ValueError(
                        f"therapies[{i}] ({th.type}): start {span[0]!r} + duration {span[1]!r} "
                        f"ends at {stop / 24:g} d, after the protocol's end (duration "
                        f"{self.duration!r} = {end / 24:g} d); it would be cut short without "
                        "a word (lengthen the protocol's 'duration' or shorten the therapy's).")
        return self

    def study_treatment(self) -> str:
        """``"active"``, ``"placebo"`` (placebo, sham, midazolam or saline only) or ``"none"``
        (no blindable study treatment: usual care, oral antidepressants, nothing)."""
        kinds = set()
        for th in self.therapies:
            if isinstance(th, KetamineIV | EsketamineIV):
                kinds.add("active")
            elif isinstance(th, MidazolamIV | SalineIV):
                kinds.add("placebo")
            elif isinstance(th, Ketamine | EsketamineNasal | BotulinumGlabellar):
                kinds.add("placebo" if th.placebo else "active")
            elif isinstance(th, VNS | TaVNS | TcVNS):
                kinds.add("placebo" if th.sham else "active")
            elif isinstance(th, OralAntidepressant) and th.masked:
                kinds.add("placebo" if th.placebo else "active")
        return "active" if "active" in kinds else ("placebo" if kinds else "none")
