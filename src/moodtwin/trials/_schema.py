"""Validated virtual-trial files (YAML): arms, population, visits, noise, dropout, endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from moodtwin import scales
from moodtwin.errors import ValidationError
from moodtwin.population import PopulationSpec
from moodtwin.protocols import Protocol, load_protocol, parse_protocol
from moodtwin.units import hours
from moodtwin.yaml_files import Count, Number, first_problem, read_yaml

ARM_ENDPOINTS = (
    "mean_score", "mean_change", "percent_change", "response_rate", "remission_rate",
    "cumulative_response_rate", "cumulative_remission_rate", "time_in_response",
    "time_in_remission", "biomarker_change", "median_time_to_relapse",
)
RATE_TYPES = ("response_rate", "remission_rate", "cumulative_response_rate",
              "cumulative_remission_rate", "time_in_response", "time_in_remission")
COMPARISONS = ("difference", "cohen_d", "hedges_g", "risk_ratio", "hazard_ratio")
BIOMARKERS = ("rmssd", "hf_power", "heart_rate", "bdnf_serum_ngml", "cortisol_ugdl", "il6_pgml",
              "tnf_pgml", "crp_mgl", "norepinephrine", "serotonin", "dissociation",
              "voice_alteration", "ptosis_risk", "paralysis")
#: Rating visits: at least 1 h apart (as protocol visits) and at most this many per trial.
MIN_VISIT_INTERVAL_H = 1.0
MAX_VISITS = 2000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              allow_inf_nan=False)


def _h(v: str, field: str) -> float:
    return hours(str(v), field)


class Period(_Strict):
    """One protocol from the end of the previous period (or baseline) ``until`` a time."""

    protocol: Protocol
    until: str | None = None  # trial time; None = the end of the trial


class Arm(_Strict):
    """A treatment arm: one protocol, or a sequence of periods (crossover, follow-up)."""

    name: str
    periods: list[Period]
    allocation: Number = Field(default=1.0, gt=0.0)
    n: Count | None = Field(default=None, ge=1)  # fixed size: a non-randomized cohort
    population: dict[str, Any] | None = None  # cohort-specific population overrides


class Withdrawal(_Strict):
    """Randomized withdrawal: at ``at``, patients meeting ``criterion`` on the primary scale
    (at their last visit) are re-randomized to ``arms``; the others leave the trial."""

    at: str
    criterion: Literal["response", "remission", "all"] = "response"
    from_arms: list[str] | None = None
    arms: list[Arm]


class Published(_Strict):
    """A published value with its uncertainty: ``ci`` (95%), ``se``, or ``sd`` with ``n``;
    for rates, ``n`` alone gives the binomial standard error."""

    value: Number
    ci: tuple[Number, Number] | None = None
    se: Number | None = Field(default=None, gt=0.0)
    sd: Number | None = Field(default=None, gt=0.0)
    n: Count | None = Field(default=None, ge=1)
    source: str = ""


class Endpoint(_Strict):
    """One endpoint. Arm endpoints give a value per arm in ``arms`` (default: all arms);
    comparisons (``difference``, ``cohen_d``, ``hedges_g``, ``risk_ratio``,
    ``hazard_ratio``) contrast ``arms[0]`` with ``arms[1]``."""

    id: str | None = None
    type: Literal[ARM_ENDPOINTS + COMPARISONS]  # type: ignore[valid-type]
    scale: str | None = None
    at: str | None = None
    arms: list[str] | None = None
    of: Literal["mean_change", "percent_change", "response_rate", "remission_rate",
                "cumulative_response_rate", "cumulative_remission_rate",
                "mean_score", "biomarker_change"] | None = None
    measure: str | None = None  # biomarker observable for biomarker_change
    relapse_score: Number | None = None  # relapse when the score reaches this (trial scale)
    remission_threshold: Number | None = None  # overrides the scale's remission definition
    published: Published | dict[str, Published] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Endpoint:
        if self.type in COMPARISONS and (self.arms is None or len(self.arms) != 2):
            raise ValueError(f"endpoint {self.type!r} compares two arms: give 'arms: [A, B]'.")
        if self.type == "difference" and self.of is None:
            raise ValueError("endpoint 'difference' needs 'of' (e.g. mean_change).")
        if self.type == "biomarker_change" or self.of == "biomarker_change":
            if self.measure not in BIOMARKERS:
                raise ValueError(f"measure {self.measure!r} is not a biomarker; choose from "
                                 f"{', '.join(BIOMARKERS)}.")
        if self.type in ("median_time_to_relapse", "hazard_ratio") and self.relapse_score is None:
            raise ValueError(f"endpoint {self.type!r} needs 'relapse_score' (trial scale).")
        if self.scale is not None:
            scales.get_scale(self.scale)
        if self.at is not None:
            _h(self.at, "endpoint.at")
        return self


class Trial(_Strict):
    """A virtual clinical trial."""

    name: str
    description: str = ""
    source: str = ""
    population: PopulationSpec = Field(default_factory=PopulationSpec)
    n: Count | None = Field(default=None, ge=1)  # randomized patients (randomized arms)
    duration: str
    visits: list[str]
    scale: str = "MADRS"  # primary scale (inclusion, response, withdrawal criterion)
    rater_noise: Number = Field(default=0.0, ge=0.0)  # SD in points of each scale
    dropout: Number = Field(default=0.0, ge=0.0, lt=1.0)  # fraction lost by the end of the trial
    biomarker_noise: dict[str, Number] = Field(default_factory=dict)  # relative SD per measurement
    analysis: Literal["locf", "observed"] = "locf"
    arms: list[Arm] = Field(min_length=1)
    withdrawal: Withdrawal | None = None
    endpoints: list[Endpoint] = Field(default_factory=list)

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: str) -> str:
        return scales.get_scale(v).name

    @model_validator(mode="after")
    def _check(self) -> Trial:
        end = self.duration_h()
        vt = self.visit_times_h()
        if vt[-1] > end + 1e-9:
            raise ValueError(f"visit at {vt[-1] / 24:g} d is after the trial's end "
                             f"({self.duration}).")
        names = [a.name for a in self.all_arms()]
        dup = {x for x in names if names.count(x) > 1}
        if dup:
            raise ValueError(f"arm names must be unique; repeated: {', '.join(sorted(dup))}.")
        if any(a.n is None for a in self.arms) and self.n is None:
            raise ValueError("give the trial's 'n' (randomized patients) or an 'n' per arm.")
        at = _h(self.withdrawal.at, "withdrawal.at") if self.withdrawal else end
        spans = [(a, 0.0, at) for a in self.arms]
        spans += [(a, at, end) for a in (self.withdrawal.arms if self.withdrawal else [])]
        for arm, start, stop_arm in spans:
            for i, p in enumerate(arm.periods):
                stop = stop_arm if p.until is None else _h(p.until, f"{arm.name}.until")
                if stop <= start or stop > stop_arm + 1e-9:
                    raise ValueError(f"arm {arm.name!r} period {i}: 'until' must increase and "
                                     f"lie within the arm's part of the trial.")
                if p.protocol.duration_h() + 1e-9 < stop - start:
                    raise ValueError(
                        f"arm {arm.name!r} period {i}: protocol {p.protocol.name!r} lasts "
                        f"{p.protocol.duration}, shorter than its period "
                        f"({(stop - start) / 24:g} d).")
                start = stop
            if abs(start - stop_arm) > 1e-6:
                raise ValueError(f"arm {arm.name!r}: the last period must run to the end of "
                                 "the arm's part of the trial (leave out its 'until').")
        for arm in self.all_arms():
            try:  # cohort overrides checked now, not when the trial runs
                self.population.merged(arm.population)
            except pydantic.ValidationError as exc:
                raise ValueError(f"arm {arm.name!r}: {first_problem(exc, 'population')}") from None
        for name, cv in self.biomarker_noise.items():
            if name not in BIOMARKERS or not 0.0 <= cv <= 2.0:
                raise ValueError(f"biomarker_noise: {name!r}: {cv!r} must be a biomarker "
                                 f"({', '.join(BIOMARKERS)}) with a relative SD in 0-2.")
        for e in self.endpoints:
            for a in e.arms or []:
                if a not in names:
                    raise ValueError(f"endpoint {e.type!r}: unknown arm {a!r}; arms are "
                                     f"{', '.join(names)}.")
            if e.at is not None and not any(abs(_h(e.at, "at") - t) < 1e-6 for t in vt):
                raise ValueError(f"endpoint {e.type!r} at {e.at!r} is not a visit; visits "
                                 f"are at {', '.join(f'{t / 24:g} d' for t in vt)}.")
        if self.withdrawal is not None:
            at = _h(self.withdrawal.at, "withdrawal.at")
            if not any(abs(at - t) < 1e-6 for t in vt) or at >= end:
                raise ValueError("withdrawal.at must be a visit before the trial's end.")
        return self

    def duration_h(self) -> float:
        return _h(self.duration, "duration")

    def visit_times_h(self) -> list[float]:
        """Visit times (h), including baseline (0), sorted."""
        times = {0.0, *(_h(v, "visits") for v in self.visits)}
        return sorted(times)

    def all_arms(self) -> list[Arm]:
        return [*self.arms, *(self.withdrawal.arms if self.withdrawal else [])]


def _expand_visits(v: Any, duration: str) -> list[str]:
    """``visits`` as a list of times, or ``{every: 1 week, start: 1 week}``."""
    if isinstance(v, dict):
        extra = set(v) - {"every", "start", "also"}
        if extra:
            raise ValidationError(f"visits: unknown key(s) {', '.join(sorted(extra))}; use "
                                  "'every', 'start' and 'also'.")
        every = hours(v.get("every", ""), "visits.every", MIN_VISIT_INTERVAL_H)
        start = _h(v.get("start", v.get("every")), "visits.start")
        end = _h(duration, "duration")
        count = int((end - start) / every + 1e-9) + 1 if end >= start else 0
        also = v.get("also") or []
        if not isinstance(also, list):
            raise ValidationError(f"visits.also: give a list of times, got {also!r}.")
        if count + len(also) > MAX_VISITS:
            raise ValidationError(f"visits: every {v['every']} from {v.get('start', v['every'])}"
                                  f" to {duration} gives {count} visits; at most {MAX_VISITS} "
                                  "are allowed (visit less often).")
        times = [f"{t:g} h" for t in _arange(start, end, every)]
        return times + [str(x) for x in also]
    if not isinstance(v, list) or not v:
        raise ValidationError("visits: give a list of times (e.g. ['1 d', '1 week']) or "
                              "{every: 1 week}.")
    if len(v) > MAX_VISITS:
        raise ValidationError(f"visits: {len(v)} visits; at most {MAX_VISITS} are allowed.")
    return [str(x) for x in v]


def _arange(start: float, end: float, step: float) -> list[float]:
    out, t = [], start
    while t <= end + 1e-9:
        out.append(t)
        t += step
    return out


def _protocol(ref: Any, base: Path, where: str) -> Protocol:
    if isinstance(ref, dict):
        return parse_protocol(ref, where)
    if not isinstance(ref, str):
        raise ValidationError(f"{where}: give a protocol file path or an inline protocol.")
    path = (base / ref) if not Path(ref).is_absolute() else Path(ref)
    if not path.exists():
        raise ValidationError(f"{where}: protocol file {ref!r} not found (looked in {path}).")
    return load_protocol(path)


def _arm(data: Any, base: Path, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or "name" not in data:
        raise ValidationError(f"{where}: each arm needs a 'name' and a 'protocol' (or "
                              "'periods').")
    data = dict(data)
    if "protocol" in data and "periods" in data:
        raise ValidationError(f"{where} ({data['name']}): give 'protocol' or 'periods', not both.")
    if "protocol" in data:
        data["periods"] = [{"protocol": data.pop("protocol")}]
    if not data.get("periods"):
        raise ValidationError(f"{where} ({data['name']}): missing 'protocol'.")
    _list_of(data["periods"], f"{where}.periods")
    data["periods"] = [
        {**p, "protocol": _protocol(p.get("protocol"), base, f"{where}.periods[{i}]")}
        if isinstance(p, dict) else p for i, p in enumerate(data["periods"])]
    return data


def _list_of(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError(f"{where}: expected a list, got {value!r}.")
    return value


def parse_trial(data: Any, base: Path = Path("."), source: str = "trial") -> Trial:
    """Validate a trial given as a mapping; protocol paths are relative to ``base``."""
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: expected a mapping with 'name', 'arms', 'duration', "
                              "'visits' at the top level.")
    data = dict(data)
    try:
        data["visits"] = _expand_visits(data.get("visits"), str(data.get("duration", "")))
        data["arms"] = [_arm(a, base, f"arms[{i}]")
                        for i, a in enumerate(_list_of(data.get("arms") or [], "arms"))]
        if isinstance(data.get("withdrawal"), dict):
            w = dict(data["withdrawal"])
            w["arms"] = [_arm(a, base, f"withdrawal.arms[{i}]")
                         for i, a in enumerate(_list_of(w.get("arms") or [], "withdrawal.arms"))]
            data["withdrawal"] = w
        return Trial.model_validate(data)
    except pydantic.ValidationError as exc:
        raise first_problem(exc, source) from None
    except ValidationError as exc:  # from the helpers above: name the trial file
        if str(exc).startswith(source):
            raise
        raise ValidationError(f"{source}: {exc}") from None


def load_trial(path: str | Path) -> Trial:
    """Read and validate a trial YAML file."""
    path = Path(path)
    return parse_trial(read_yaml(path, "trial file"), path.parent, str(path))
