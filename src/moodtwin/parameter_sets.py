"""Parameter sets: typical parameter values with provenance, as written by ``moodtwin calibrate``.

A :class:`ParameterSet` is what every verb of moodtwin (``simulate``, ``run_sweep``,
``run_trial``, population generation, ``sensitivity``, ``optimize``, ``fit_person``,
``forecast``, ``export_sbml``, ``demo`` and the CLI) takes as ``parameters=``. The one
default everywhere is :meth:`ParameterSet.calibrated`, the set shipped with moodtwin
(``moodtwin/data/calibrated.yaml``); :meth:`ParameterSet.definition` is the uncalibrated
model definition, :meth:`ParameterSet.load` any set written by ``moodtwin calibrate``.

A set written by ``moodtwin calibrate`` also carries the posterior ``ensemble:`` (parameter
sets drawn from the ABC-SMC posterior); :meth:`ParameterSet.ensemble_members` gives them as
sets, so ``run_trial``, ``forecast`` and ``optimize`` can carry parameter uncertainty.

Kept light (no statistics imports) so every command can start from the calibrated model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from moodtwin.errors import MoodtwinError, ValidationError
from moodtwin.model import Model
from moodtwin.text_files import read_text
from moodtwin.yaml_files import parse_yaml

SHIPPED = "data/calibrated.yaml"
#: What ``moodtwin calibrate`` records beside the values: kind of each key.
METADATA = {"population": "mapping", "ensemble": "list", "calibration": "mapping",
            "targets": "list", "objective": "number", "evaluations": "whole number"}
POPULATION_PREFIX = "population."  # population-level values (data/population.yaml)


def split_population(values: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(model parameters, population-level overrides) of a parameter mapping."""
    pop = {k: v for k, v in values.items() if k.startswith(POPULATION_PREFIX)}
    return {k: v for k, v in values.items() if k not in pop}, pop


def _check_population(values: Mapping[str, float]) -> None:
    from moodtwin.population._spec import variability_table

    variability_table(values)  # unknown paths: one clear error
CALIBRATED_NAME = "calibrated (shipped with moodtwin)"
DEFINITION_NAME = "model definition (uncalibrated)"


@dataclass(frozen=True, eq=False)
class ParameterSet:
    """A named set of typical parameter values over the model's equations.

    ``model`` is the model definition with the set's values (and their provenance); its
    compiled kernel is shared with every other set. Values are in each parameter's unit
    (``moodtwin model`` lists them).
    """

    name: str
    model: Model
    population: Mapping[str, float] = field(default_factory=dict)
    """Overrides of ``data/population.yaml`` values (variability, covariate and natural-course
    models) by dotted path with the ``population.`` prefix (e.g.
    ``population.variability.k_LC.omega``)."""
    ensemble: tuple[Mapping[str, float], ...] = ()
    """The posterior ensemble: one mapping of values (model parameters and ``population.``
    overrides, as in :meth:`with_values`) per member; empty when the set has none."""
    heterogeneity: float | None = None
    """Between-trial heterogeneity (fraction of the value) that the calibration which wrote
    the set measured out of sample (``calibration.leave_one_trial_out.
    heterogeneity_moment_estimate``); None when it was not measured
    (:func:`moodtwin.heterogeneity.of_set`)."""

    @classmethod
    def calibrated(cls) -> ParameterSet:
        """The calibrated set shipped with moodtwin: the default of every verb."""
        return _shipped()

    @classmethod
    def definition(cls) -> ParameterSet:
        """The model definition's own (uncalibrated) values."""
        from moodtwin.model import default_model

        return cls(DEFINITION_NAME, default_model())

    @classmethod
    def load(cls, path: str | Path) -> ParameterSet:
        """A parameter-set YAML (``parameters: {name: {value, source}}``) over the model
        definition; names it does not give keep the definition's value."""
        return cls(str(path), _with_set(Path(path)), _population(Path(path)),
                   _ensemble(Path(path)), _heterogeneity(Path(path)))

    @property
    def values(self) -> dict[str, float]:
        """Every parameter's typical value by name (in the parameter's unit)."""
        return self.model.defaults()

    def with_values(self, values: Mapping[str, float], source: str = "set by the caller"
                    ) -> ParameterSet:
        """This set with some values replaced (names and ranges checked).

        A posterior ensemble is kept with ``values`` applied on top of every member: the
        replaced values are then fixed in every member, while the members still differ in
        the values not replaced.
        """
        if not values:
            return self
        model_part, pop_part = split_population(values)
        _check_population(pop_part)
        return ParameterSet(f"{self.name} + {len(values)} change(s)",
                            self.model.with_values(model_part, source) if model_part
                            else self.model, {**self.population, **pop_part},
                            tuple({**e, **values} for e in self.ensemble), self.heterogeneity)

    def ensemble_members(self) -> list[ParameterSet]:
        """One set per posterior ensemble member (this set with the member's values; no
        ensemble of its own); empty when the set has no ensemble."""
        return list(self._members)

    @cached_property
    def _members(self) -> tuple[ParameterSet, ...]:
        n = len(self.ensemble)
        out = []
        for k, entry in enumerate(self.ensemble):
            source = f"posterior ensemble member {k} of {n} (numbered from 0)"
            model_part, pop_part = split_population(entry)
            out.append(ParameterSet(f"{self.name}, {source}",
                                    self.model.with_values(model_part, source) if model_part
                                    else self.model, {**self.population, **pop_part},
                                    heterogeneity=self.heterogeneity))
        return tuple(out)

    def __repr__(self) -> str:
        return f"ParameterSet({self.name!r})"


ParametersLike = ParameterSet | str | Path | None
"""What ``parameters=`` accepts: a set, a parameter-set file, or None (the calibrated set)."""


def resolve(parameters: ParametersLike) -> ParameterSet:
    """The :class:`ParameterSet` meant by ``parameters`` (None: :meth:`ParameterSet.calibrated`)."""
    if parameters is None:
        return ParameterSet.calibrated()
    if isinstance(parameters, ParameterSet):
        return parameters
    if isinstance(parameters, str | Path):
        return ParameterSet.load(parameters)
    raise ValidationError(f"parameters must be a ParameterSet, a parameter-set file or None "
                          f"(the calibrated set), got {type(parameters).__name__}.")


def ensemble_of(parameters: ParameterSet) -> list[ParameterSet]:
    """The posterior ensemble members of ``parameters``; a set without one is refused in one
    line (asked for with ``ensemble=True`` / ``--ensemble``)."""
    members = parameters.ensemble_members()
    if not members:
        raise ValidationError(f"ensemble: parameter set {parameters.name!r} has no posterior "
                              "ensemble (only sets written by 'moodtwin calibrate' have one).")
    return members


def member_values(parameters: ParameterSet, members: Sequence[int]) -> dict[str, np.ndarray]:
    """Per draw, the model-parameter values of ensemble member ``members[i]``: one array per
    parameter that any member sets (population overrides are for generating patients)."""
    sets = ensemble_of(parameters)
    names = sorted({n for e in parameters.ensemble for n in split_population(e)[0]})
    idx = np.asarray(members, dtype=int)
    return {n: np.array([s.values[n] for s in sets])[idx] for n in names}


def load_parameter_set(path: Path | None = None) -> dict[str, float]:
    """The values a parameter-set YAML names (without ``path``: the shipped calibrated set).

    Unknown names and values outside a parameter's plausible range are refused. Entries of
    the file's ``population:`` section (variability and natural-course values of
    ``data/population.yaml``) are returned with the ``population.`` prefix.
    """
    return {name: value for name, (value, _) in _read_set(path).items()}


def _document(path: Path | None) -> tuple[object, str] | None:
    """(parsed YAML, name for messages) of a parameter-set file (None: the shipped set;
    returns None when moodtwin ships none)."""
    if path is None:
        res = resources.files("moodtwin").joinpath(SHIPPED)
        if not res.is_file():
            return None
        text, where = res.read_text(encoding="utf-8"), "shipped calibrated parameter set"
    else:
        text, where = read_text(path, "parameter set"), str(path)
    return parse_yaml(text, where), where


def _check_values(values: Mapping[str, float]) -> None:
    """Names and ranges of model parameters and population overrides (clear errors)."""
    from moodtwin.model import default_model
    from moodtwin.simulation import parameter_table

    model_part, pop_part = split_population(values)
    parameter_table(model_part, default_model())
    _check_population(pop_part)


def _read_set(path: Path | None) -> dict[str, tuple[float, str]]:
    """(value, source) by parameter name; ``source`` is "" where the file gives none."""
    found = _document(path)
    if found is None:
        return {}
    doc, where = found
    entries = doc.get("parameters") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise ValidationError(f"{where}: expected 'parameters: {{name: {{value: ..}}}}'.")
    _check_metadata(doc, where)
    pop = doc.get("population") or {}
    entries = {**entries, **{f"{POPULATION_PREFIX}{k}": v for k, v in pop.items()}}
    out = {}
    for name, e in entries.items():
        v = e.get("value") if isinstance(e, dict) else e
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValidationError(f"{where}: parameter {name!r}: 'value' must be a finite "
                                  f"number, got {v!r}.")
        out[str(name)] = (float(v), str(e.get("source") or "") if isinstance(e, dict) else "")
    try:  # names and ranges checked with clear errors
        _check_values({n: v for n, (v, _) in out.items()})
    except MoodtwinError as exc:
        raise ValidationError(f"{where}: {exc}") from None
    return out


def _ensemble(path: Path | None) -> tuple[dict[str, float], ...]:
    """The file's ``ensemble:`` members (values by name, ``population.`` paths included),
    each checked like the set's own values; () when it has none."""
    found = _document(path)
    if found is None:
        return ()
    doc, where = found
    members = doc.get("ensemble") if isinstance(doc, dict) else None
    out = []
    for k, entry in enumerate(members or []):
        if not isinstance(entry, dict) or not entry:
            raise ValidationError(f"{where}: ensemble member {k} must be a mapping of "
                                  f"parameter name to value, got {entry!r}.")
        bad = next((n for n, v in entry.items() if isinstance(v, bool)
                    or not isinstance(v, int | float) or not math.isfinite(v)), None)
        if bad is not None:
            raise ValidationError(f"{where}: ensemble member {k}: {bad!r} must be a finite "
                                  f"number, got {entry[bad]!r}.")
        values = {str(n): float(v) for n, v in entry.items()}
        try:
            _check_values(values)
        except MoodtwinError as exc:
            raise ValidationError(f"{where}: ensemble member {k}: {exc}") from None
        out.append(values)
    return tuple(out)


def _check_metadata(doc: dict, where: str) -> None:
    """The keys ``moodtwin calibrate`` writes beside ``parameters``, checked for type."""
    unknown = sorted(str(k) for k in doc if k not in METADATA and k != "parameters")
    if unknown:
        raise ValidationError(f"{where}: unknown key {unknown[0]!r}; allowed: parameters, "
                              f"{', '.join(METADATA)}.")
    for key, kind in METADATA.items():
        v = doc.get(key)
        ok = v is None or (
            isinstance(v, list) if kind == "list" else
            isinstance(v, dict) if kind == "mapping" else
            not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
            and (kind == "number" or v == int(v)))
        if not ok:
            raise ValidationError(f"{where}: {key!r} must be a {kind}, got {v!r}.")
    _check_report(doc.get("calibration"), "calibration", where)


def _check_report(node: object, path: str, where: str) -> None:
    """The calibration report holds text and finite numbers only (a boolean or a non-finite
    number there is an edited file, not what ``moodtwin calibrate`` wrote)."""
    if isinstance(node, dict):
        for k, v in node.items():
            _check_report(v, f"{path}.{k}", where)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_report(v, f"{path}[{i}]", where)
    elif node is not None and not isinstance(node, str) and (
            isinstance(node, bool) or not isinstance(node, int | float)
            or not math.isfinite(node)):
        raise ValidationError(f"{where}: {path}: {node!r} is not allowed here; the calibration "
                              "report holds text and finite numbers.")


def calibrated_model(path: Path | None = None) -> Model:
    """The model of a parameter set (default: the shipped calibrated set); see
    :class:`ParameterSet`."""
    return resolve(path).model


@cache
def _shipped() -> ParameterSet:
    return ParameterSet(CALIBRATED_NAME, _with_set(None), _population(None), _ensemble(None),
                        _heterogeneity(None))


def _heterogeneity(path: Path | None) -> float | None:
    """The between-trial heterogeneity the set's calibration measured out of sample, or
    None (not measured, or a set without a calibration report)."""
    found = _document(path)
    report = found[0].get("calibration") if found and isinstance(found[0], dict) else None
    loto = report.get("leave_one_trial_out") if isinstance(report, dict) else None
    value = loto.get("heterogeneity_moment_estimate") if isinstance(loto, dict) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 10:
        raise ValidationError(f"{found[1]}: calibration.leave_one_trial_out."  # type: ignore[index]
                              f"heterogeneity_moment_estimate must be a number in 0-10, got "
                              f"{value!r}.")
    return float(value)


def _population(path: Path | None) -> dict[str, float]:
    return {n: v for n, (v, _) in _read_set(path).items() if n.startswith(POPULATION_PREFIX)}


def _with_set(path: Path | None) -> Model:
    from moodtwin.model import default_model

    entries = _read_set(path)
    entries = {n: e for n, e in entries.items() if not n.startswith(POPULATION_PREFIX)}
    values = {n: v for n, (v, _) in entries.items()}
    where = {n: src or f"from parameter set {path or SHIPPED}" for n, (_, src) in entries.items()}
    return default_model().with_values(values, where)
