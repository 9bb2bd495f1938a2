"""Adjustable settings of each therapy and how a set of values becomes a protocol.

Every therapy the optimizer can tune has a fixed list of :class:`Setting` s with a unit, the
standard clinical value, a default search range and a hard limit. Hard limits come from the
protocol schema's device and dose limits (:data:`moodtwin.protocols._schema.LIMITS`); the
protocol built from any candidate is validated by the same schema, so device limits hold for
every simulated setting.

Research software, not medical advice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.protocols import Protocol, parse_protocol
from moodtwin.protocols._schema import ESKETAMINE_DOSES_MG, LIMITS
from moodtwin.units import hours


@dataclass(frozen=True)
class Setting:
    """One adjustable setting of a therapy.

    ``standard`` is the usual clinical value, ``low``/``high`` the default search range and
    ``limit`` the hard (device, label or schedule) range, all in ``unit`` (``"1"`` for
    counts). ``choices`` are the values searched by default (e.g. the values a pulse
    generator can be programmed to); with ``strict`` they are the only allowed values.
    """

    name: str
    unit: str
    standard: float
    low: float
    high: float
    limit: tuple[float, float]
    doc: str
    integer: bool = False
    choices: tuple[float, ...] = ()
    step: float | None = None
    log: bool = False
    searched: bool = True  # part of the default search space
    strict: bool = False


def _lim(key: str) -> tuple[float, float]:
    return LIMITS[key][1], LIMITS[key][2]


#: Weekly dosing patterns (days after the first dose of a week) for 1, 2 or 3 doses a week.
WEEK_PATTERN = {1: (0,), 2: (0, 3), 3: (0, 2, 4)}

#: Settings per therapy. VNS pulse width, frequency, ON and OFF time are searched over the
#: values the VNS Therapy pulse generator can be programmed to (assumed from the programming
#: options reviewed by Heck, Helmers & DeGiorgio 2002, Neurology 59:S31; ON time <= 60 s).
SETTINGS: dict[str, tuple[Setting, ...]] = {
    "vns": (
        Setting("current", "mA", 1.25, 0.25, 3.5, _lim("vns.current"),
                "target output current, reached by the titration path", step=0.125),
        Setting("pulse_width", "us", 250.0, 130.0, 1000.0, _lim("vns.pulse_width"),
                "pulse width", choices=(130.0, 250.0, 500.0, 750.0, 1000.0)),
        Setting("frequency", "Hz", 20.0, 1.0, 30.0, _lim("vns.frequency"), "pulse frequency",
                choices=(1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0)),
        Setting("on_time", "s", 30.0, 7.0, 60.0, _lim("vns.on_time"), "train duration",
                choices=(7.0, 14.0, 21.0, 30.0, 60.0)),
        Setting("off_time", "min", 5.0, 0.2, 10.0, _lim("vns.off_time"), "pause between trains",
                choices=(0.2, 0.3, 0.5, 0.8, 1.1, 1.8, 3.0, 5.0, 10.0)),
        Setting("titration_step", "mA", 0.25, 0.125, 0.5, (0.05, 3.5),
                "current increase per titration visit", step=0.125, searched=False),
        Setting("titration_every", "week", 2.0, 1.0, 4.0, (1.0 / 7.0, 26.0),
                "interval between titration visits", step=1.0, searched=False),
    ),
    "tavns": (
        Setting("current", "mA", 4.0, 0.5, 10.0, _lim("tavns.current"), "session current"),
        Setting("pulse_width", "us", 250.0, 50.0, 1000.0, _lim("tavns.pulse_width"),
                "pulse width"),
        Setting("frequency", "Hz", 20.0, 1.0, 100.0, _lim("tavns.frequency"), "pulse frequency"),
        Setting("session", "min", 30.0, 5.0, 60.0, _lim("tavns.session"), "session length"),
        Setting("sessions_per_day", "1", 2, 1, 4, (1, 4), "sessions per day", integer=True),
        Setting("days_per_week", "1", 5, 1, 7, (1, 7), "stimulation days per week",
                integer=True),
    ),
    "ketamine_iv": (
        Setting("dose", "mg/kg", 0.5, 0.1, 1.0, _lim("ketamine_iv.dose"), "dose per infusion"),
        Setting("infusion", "min", 40.0, 40.0, 100.0, _lim("ketamine_iv.infusion"),
                "infusion duration", searched=False),
        Setting("per_week", "1", 3, 1, 3, (1, 3),
                "infusions per week (days 0 / 0, 3 / 0, 2, 4 of each week)", integer=True),
        Setting("weeks", "1", 2, 1, 6, (1, 52), "weeks of infusions", integer=True),
    ),
    "esketamine_nasal": (
        Setting("dose", "mg", 56.0, 28.0, 84.0, (28.0, 84.0), "dose per session",
                choices=ESKETAMINE_DOSES_MG, strict=True),
        Setting("per_week", "1", 2, 1, 2, (1, 2), "sessions per week (days 0 / 0, 3)",
                integer=True),
        Setting("weeks", "1", 4, 1, 12, (1, 52), "weeks of sessions", integer=True),
    ),
    "botulinum_glabellar": (
        Setting("total_units", "U", 29.0, 10.0, 100.0, _lim("botulinum_glabellar.total"),
                "total dose of one session, split evenly over the base protocol's sites"),
    ),
}

#: Where the standard values come from (shown in reports).
STANDARD_SOURCES = {
    "vns": "1.25 mA reached in 0.25 mA steps every 2 weeks, 250 us, 20 Hz, 30 s on / 5 min off "
           "(Rush et al. 2005; examples/protocols/vns_standard.yaml)",
    "tavns": "4 mA, 250 us, 20 Hz, 30 min twice daily, 5 days a week (Rong et al. 2016; "
             "examples/protocols/tavns_daily.yaml)",
    "ketamine_iv": "0.5 mg/kg over 40 min, three infusions a week for 2 weeks (Murrough et al. "
                   "2013; examples/protocols/ketamine_repeated_iv.yaml)",
    "esketamine_nasal": "56 mg twice weekly for 4 weeks (TRANSFORM-2 induction; "
                        "examples/protocols/esketamine_twice_weekly.yaml)",
    "botulinum_glabellar": "29 U in one session (Finzi & Rosenthal 2014, women; 39 U in men: "
                           "set 'standard: {total_units: 39 U}' in the space file)",
}


#: Highest VNS duty cycle on / (on + off) the optimizer may propose. Assumed: clinical
#: programming keeps ON time shorter than OFF time (duty cycle <= 50 %) because continuous
#: stimulation injured the nerve in animal studies; to be checked against the labelling.
MAX_VNS_DUTY = 0.5


def rule_violations(therapy: str, values: Mapping[str, float]) -> dict[str, float]:
    """Programming rules that couple several settings: name -> excess (<= 0 is allowed)."""
    if therapy == "vns":
        duty = values["on_time"] / (values["on_time"] + 60.0 * values["off_time"])
        return {f"vns duty cycle<={MAX_VNS_DUTY:g}": duty - MAX_VNS_DUTY}
    return {}


def setting(therapy: str, name: str) -> Setting:
    """The :class:`Setting` ``name`` of ``therapy`` (close matches on a typo)."""
    found = {s.name: s for s in therapy_settings(therapy)}
    if name not in found:
        raise UnknownNameError(f"{therapy} setting", name, found)
    return found[name]


def therapy_settings(therapy: str) -> tuple[Setting, ...]:
    if therapy not in SETTINGS:
        raise UnknownNameError("therapy to optimize", therapy, SETTINGS)
    return SETTINGS[therapy]


def _q(value: float, unit: str) -> str:
    return f"{value:.6g} {unit}"


def _vns(th: dict[str, Any], v: Mapping[str, float], end_h: float) -> None:
    start_h = hours(th.get("start", "2 week"), "vns.start")
    target, step = v["current"], v["titration_step"]
    n = max(1, math.ceil(target / step - 1e-9))
    steps = [{"at": f"{(start_h + k * v['titration_every'] * 168.0) / 24.0:.6g} d",
              "current": _q(min(step * (k + 1), target), "mA")}
             for k in range(n) if start_h + k * v["titration_every"] * 168.0 < end_h]
    th.pop("current", None)
    th["titration"] = steps or [{"at": th.get("start", "2 week"), "current": _q(step, "mA")}]
    th.update(pulse_width=_q(v["pulse_width"], "us"), frequency=_q(v["frequency"], "Hz"),
              on_time=_q(v["on_time"], "s"), off_time=_q(v["off_time"], "min"))


def _tavns(th: dict[str, Any], v: Mapping[str, float], end_h: float) -> None:
    """The sessions' settings; a course that would run past the horizon ``end_h`` ends there
    (sessions after it cannot change the forecast)."""
    th.update(current=_q(v["current"], "mA"), pulse_width=_q(v["pulse_width"], "us"),
              frequency=_q(v["frequency"], "Hz"), session=_q(v["session"], "min"),
              sessions_per_day=int(v["sessions_per_day"]),
              days_per_week=int(v["days_per_week"]))
    start_h = hours(th.get("start", "0 d"), "tavns.start")
    if start_h + hours(th.get("duration", "4 week"), "tavns.duration") > end_h:
        th["duration"] = _q((end_h - start_h) / 24.0, "d")


def _weekly(th: dict[str, Any], per_week: float, weeks: float, end_h: float) -> None:
    """Doses on the weekly pattern for ``weeks`` weeks, those before the horizon ``end_h``
    (a dose after it cannot change the forecast)."""
    first = min(hours(t, f"{th['type']}.at") for t in th.get("at", ["0 d"])) / 24.0
    days = [first + d + 7.0 * k for k in range(int(weeks)) for d in WEEK_PATTERN[int(per_week)]]
    th["at"] = [f"{d:.6g} d" for d in days if d * 24.0 < end_h - 1e-9] or [f"{first:.6g} d"]
    th.pop("repeat", None)


def _ketamine(th: dict[str, Any], v: Mapping[str, float], end_h: float) -> None:
    th.update(dose=_q(v["dose"], "mg/kg"), infusion=_q(v["infusion"], "min"))
    _weekly(th, v["per_week"], v["weeks"], end_h)


def _esketamine(th: dict[str, Any], v: Mapping[str, float], end_h: float) -> None:
    th["dose"] = _q(v["dose"], "mg")
    _weekly(th, v["per_week"], v["weeks"], end_h)


def _botulinum(th: dict[str, Any], v: Mapping[str, float], end_h: float) -> None:
    th["units_per_site"] = _q(v["total_units"] / th.get("sites", 5), "U")
    th.setdefault("at", ["0 d"])


_APPLY = {"vns": _vns, "tavns": _tavns, "ketamine_iv": _ketamine,
          "esketamine_nasal": _esketamine, "botulinum_glabellar": _botulinum}


def therapy_index(base: Protocol, therapy: str) -> int | None:
    """Position of the one ``therapy`` in ``base`` (None if absent; error if several)."""
    where = [i for i, th in enumerate(base.therapies) if th.type == therapy]
    if len(where) > 1:
        raise ValidationError(f"The base protocol has {len(where)} '{therapy}' therapies; the "
                              "optimizer tunes exactly one.")
    return where[0] if where else None


def build_protocol(base: Protocol, therapy: str, values: Mapping[str, float],
                   duration: str, name: str | None = None, note: str = "") -> Protocol:
    """``base`` with ``therapy`` set to ``values`` (all settings, in their units) and the
    horizon ``duration``; validated against the schema's device and dose limits. ``note``
    opens the description (e.g. that the settings violate a constraint).

    A base protocol without the therapy gets it added (default timing). VNS titration steps
    and ketamine-class doses that would fall at or after the horizon are left out (they could
    not act before it).
    """
    data = base.model_dump(mode="python")
    data["duration"] = duration
    data["name"] = name or f"{base.name} [optimized {therapy}]"
    data["description"] = (f"{note}{therapy} settings written by 'moodtwin optimize' from the base "
                           f"protocol '{base.name}'. Research use only, not medical advice.")
    k = therapy_index(base, therapy)
    if k is None:
        data["therapies"].append({"type": therapy})
        k = len(data["therapies"]) - 1
    _APPLY[therapy](data["therapies"][k], values, hours(duration, "duration"))
    return parse_protocol(data, "candidate protocol")
