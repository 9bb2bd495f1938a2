"""Validated description of a virtual patient population (covariates, inclusion criteria)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moodtwin import scales
from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.parameter_sets import POPULATION_PREFIX
from moodtwin.yaml_files import Count, Number, first_problem, read_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _scale_of(name: str) -> scales.Scale:
    """The scale called ``name``; an unknown name becomes a ValueError, so the field it sits
    in is named with it (pydantic reports ValueErrors with their location)."""
    try:
        return scales.get_scale(name)
    except UnknownNameError as exc:
        raise ValueError(exc.args[0] if exc.args else str(exc)) from None


class Normal(_Strict):
    """A normal distribution truncated to ``[min, max]`` (units of the quantity)."""

    mean: Number
    sd: Number = Field(ge=0.0)
    min: Number = -1e9
    max: Number = 1e9

    @model_validator(mode="after")
    def _ordered(self) -> Normal:
        if not self.min <= self.mean <= self.max:
            raise ValueError(f"mean {self.mean:g} must lie within [min, max] = "
                             f"[{self.min:g}, {self.max:g}].")
        return self


class Baseline(Normal):
    """Baseline severity of the latent depression, on ``scale`` (points).

    ``of``: whose severity ``mean`` is. ``enrolled`` (default): the patients who pass
    screening, as trial reports give it; candidates are drawn from the distribution shifted so
    that those who pass the inclusion rule have this mean. ``candidates``: the distribution
    before screening, which the inclusion rule then truncates (the enrolled mean is higher).
    """

    scale: str = "MADRS"
    of: Literal["enrolled", "candidates"] = "enrolled"

    @model_validator(mode="after")
    def _scale(self) -> Baseline:
        sc = _scale_of(self.scale)
        if sc.construct != "depression":
            raise ValueError(f"baseline scale {self.scale!r} measures {sc.construct}, not "
                             "depression.")
        if not 0 < self.mean < sc.max_score:
            raise ValueError(f"baseline mean {self.mean:g} is outside 0-{sc.max_score:g} "
                             f"({sc.name}).")
        for bound in ("min", "max"):
            v = getattr(self, bound)
            if bound in self.model_fields_set and not 0 <= v <= sc.max_score:
                raise ValueError(f"baseline {bound} {v:g} is outside 0-{sc.max_score:g} "
                                 f"({sc.name}).")
        return self


class PtsdBaseline(Normal):
    """Baseline PTSD severity on ``scale`` (points), reached per patient by setting the
    strength of the trauma memory, ``trauma_load`` (0-1)."""

    scale: str = "PCL5"

    @model_validator(mode="after")
    def _scale(self) -> PtsdBaseline:
        sc = _scale_of(self.scale)
        if sc.construct != "ptsd":
            raise ValueError(f"ptsd_baseline scale {self.scale!r} measures {sc.construct}, not "
                             "PTSD (use PCL5).")
        if not 0 < self.mean < sc.max_score:
            raise ValueError(f"ptsd_baseline mean {self.mean:g} is outside 0-{sc.max_score:g} "
                             f"({sc.name}).")
        return self


class SleepBaseline(Normal):
    """Baseline sleep on the Pittsburgh Sleep Quality Index (PSQI, 0-21 points) of patients
    with chronic insomnia, reached per patient by setting the conditioned insomnia arousal,
    ``insomnia_load`` (sleep mechanism). ``min`` is the trial's PSQI entry criterion."""

    scale: Literal["PSQI"] = "PSQI"
    min: Number = 0.0
    max: Number = 21.0

    @model_validator(mode="after")
    def _range(self) -> SleepBaseline:
        if not 0.0 <= self.min <= self.max <= 21.0 or not 0 < self.mean < 21:
            raise ValueError(f"sleep_baseline PSQI mean {self.mean:g}, min {self.min:g} and max "
                             f"{self.max:g} must lie within 0-21 (mean strictly inside).")
        return self


class FailedTreatments(_Strict):
    """Number of failed adequate antidepressant treatments (Poisson, truncated)."""

    mean: Number = Field(default=2.5, ge=0.0, le=20.0)
    min: Count = Field(default=0, ge=0)
    max: Count = Field(default=12, le=30)


class Inclusion(_Strict):
    """Screening criteria, applied to the observed screening score and covariates; the score
    bounds are points of ``baseline``'s scale (not necessarily the trial's primary scale)."""

    min_score: Number | None = None
    max_score: Number | None = None
    min_failed_treatments: Count | None = None
    max_failed_treatments: Count | None = None
    min_age: Number | None = None
    max_age: Number | None = None


class PopulationSpec(_Strict):
    """Who is in the trial: covariate distributions and inclusion criteria.

    ``baseline`` is the latent severity; ``antidepressant_continued`` the probability that a
    patient stays on an oral antidepressant throughout (background treatment);
    ``ptsd_baseline`` (optional) the latent PTSD severity of patients with a trauma memory
    (without it, ``trauma_load`` stays 0 and the PCL-5 is 0); ``sleep_baseline`` (optional)
    the PSQI of patients with chronic insomnia (without it, ``insomnia_load`` stays 0 and
    sleep follows depression, cortisol and vagal tone alone); ``bdnf_met_carriers`` the share
    of BDNF Val66Met Met-allele carriers (default 0.34: 21 of 62 patients of mostly European
    ancestry in Laje et al. 2012 Biol Psychiatry 72:e27; the Met allele is about twice as
    common in East Asian samples, Su et al. 2017 Neuropsychopharmacology 42:2482).
    """

    baseline: Baseline = Field(default_factory=lambda: Baseline(mean=33.0, sd=5.0, min=10.0,
                                                                max=55.0))
    age: Normal = Field(default_factory=lambda: Normal(mean=45.0, sd=12.0, min=18.0, max=80.0))
    female: Number = Field(default=0.6, ge=0.0, le=1.0)
    failed_treatments: FailedTreatments = Field(default_factory=FailedTreatments)
    antidepressant_continued: Number = Field(default=0.0, ge=0.0, le=1.0)
    ptsd_baseline: PtsdBaseline | None = None
    sleep_baseline: SleepBaseline | None = None
    bdnf_met_carriers: Number = Field(default=0.34, ge=0.0, le=1.0)
    inclusion: Inclusion = Field(default_factory=Inclusion)

    def merged(self, overrides: dict[str, Any] | None) -> PopulationSpec:
        """A copy with ``overrides`` (nested mappings) applied and re-validated."""
        if not overrides:
            return self
        data = self.model_dump()
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return PopulationSpec.model_validate(data)


def load_population_spec(path: str | Path) -> PopulationSpec:
    """A :class:`PopulationSpec` from a YAML file of its fields (omitted ones keep defaults)."""
    data = read_yaml(path, "population file") or {}
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: expected a mapping of population fields "
                              "(baseline, age, female, failed_treatments, ...).")
    try:
        return PopulationSpec().merged(data)
    except pydantic.ValidationError as exc:
        raise first_problem(exc, str(path), PopulationSpec) from None


@cache
def _shipped_variability() -> dict[str, Any]:
    text = resources.files("moodtwin").joinpath("data/population.yaml").read_text()
    return yaml.safe_load(text)


def variability_table(overrides: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Between-patient variability and covariate models (``data/population.yaml``), with
    ``overrides`` by dotted path after :data:`POPULATION_PREFIX` (unknown paths refused)."""
    table = copy.deepcopy(_shipped_variability())
    for key, value in (overrides or {}).items():
        path = key.removeprefix(POPULATION_PREFIX).split(".")
        node = table
        for part in path[:-1]:
            if not isinstance(node, dict) or part not in node:
                raise ValidationError(f"{key}: no such population value (data/population.yaml).")
            node = node[part]
        if not isinstance(node, dict) or not isinstance(node.get(path[-1]), int | float):
            raise ValidationError(f"{key}: no such numeric population value "
                                  "(data/population.yaml).")
        node[path[-1]] = float(value)
    return table
