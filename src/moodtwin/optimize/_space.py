"""Search spaces: which settings of a therapy are searched, over what range, and which are
held fixed; read from YAML and checked against the device and dose limits.

A space file (see ``examples/optimize/``)::

    therapy: vns
    search:                       # searched settings (others: 'fixed' or the standard value)
      current: {low: 0.5 mA, high: 3 mA}
      frequency: {low: 5 Hz, high: 30 Hz, step: 5 Hz}
    fixed:
      pulse_width: 250 us
    standard:                     # the comparator (default: the usual clinical settings)
      current: 1.25 mA

Research software, not medical advice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from moodtwin.errors import ValidationError
from moodtwin.optimize._settings import Setting, setting, therapy_settings
from moodtwin.units import quantity
from moodtwin.yaml_files import read_yaml


@dataclass(frozen=True)
class Dimension:
    """A searched setting: range ``[low, high]`` (or ``choices``) in the setting's unit."""

    setting: Setting
    low: float
    high: float
    step: float | None = None
    log: bool = False
    choices: tuple[float, ...] = ()

    @property
    def name(self) -> str:
        return self.setting.name

    @property
    def label(self) -> str:
        unit = "" if self.setting.unit == "1" else f" ({self.setting.unit})"
        return f"{self.name}{unit}"

    @property
    def log_axis(self) -> bool:
        """Whether figures should show this setting on a log axis."""
        return self.log or (bool(self.choices) and self.low > 0 and self.high / self.low >= 20)

    def suggest(self, trial: Any) -> float:
        """Ask an Optuna trial for a value of this dimension."""
        if self.choices:
            return float(trial.suggest_categorical(self.name, list(self.choices)))
        if self.setting.integer:
            return float(trial.suggest_int(self.name, int(self.low), int(self.high),
                                           step=int(self.step or 1)))
        return float(trial.suggest_float(self.name, self.low, self.high, step=self.step,
                                         log=self.log and self.step is None))

    def contains(self, value: float) -> bool:
        if self.choices:
            return any(abs(value - c) < 1e-9 for c in self.choices)
        if not self.low - 1e-9 <= value <= self.high + 1e-9:
            return False
        if self.step is not None or self.setting.integer:
            k = (value - self.low) / (self.step or 1.0)
            return abs(k - round(k)) < 1e-6
        return True

    def grid(self, n: int) -> np.ndarray:
        """About ``n`` values spanning the dimension (for response-surface figures)."""
        if self.choices:
            return np.array(self.choices, dtype=float)
        if self.log:
            values = np.geomspace(self.low, self.high, n)
        else:
            values = np.linspace(self.low, self.high, n)
        if self.step is not None or self.setting.integer:
            step = self.step or 1.0
            values = self.low + np.round((values - self.low) / step) * step
        return np.unique(np.clip(values, self.low, self.high))


@dataclass(frozen=True)
class SearchSpace:
    """Searched dimensions of one therapy plus the values of all other settings.

    ``fixed`` holds every non-searched setting; ``standard`` is the comparator (all
    settings).
    """

    therapy: str
    dimensions: tuple[Dimension, ...]
    fixed: dict[str, float] = field(default_factory=dict)
    standard: dict[str, float] = field(default_factory=dict)

    def values(self, searched: Mapping[str, float]) -> dict[str, float]:
        """All settings: ``fixed`` completed by the searched ``searched`` values."""
        return {**self.fixed, **{d.name: float(searched[d.name]) for d in self.dimensions}}

    def contains(self, values: Mapping[str, float]) -> bool:
        """Whether ``values`` (all settings) is a point of this space."""
        return all(d.contains(values[d.name]) for d in self.dimensions) and all(
            abs(values[k] - v) < 1e-9 for k, v in self.fixed.items())


def default_space(therapy: str) -> SearchSpace:
    """The default space of ``therapy``: its usual settings over their default ranges."""
    dims, fixed = [], {}
    for s in therapy_settings(therapy):
        if s.searched:
            dims.append(Dimension(s, s.low, s.high, s.step, s.log, s.choices))
        else:
            fixed[s.name] = s.standard
    standard = {s.name: s.standard for s in therapy_settings(therapy)}
    return SearchSpace(therapy, tuple(dims), fixed, standard)


def _value(s: Setting, raw: object, where: str) -> float:
    """A setting value from a space file: a quantity in the setting's unit, or a count."""
    lo, hi = s.limit
    if s.unit == "1":
        if (isinstance(raw, bool) or not isinstance(raw, int | float)
                or not math.isfinite(raw) or raw != int(raw)):
            raise ValidationError(f"{where}: expected a whole number, got {raw!r}.")
        if not lo <= raw <= hi:
            raise ValidationError(f"{where}: {raw!r} is outside the allowed range {lo:g}–{hi:g}.")
        return float(raw)
    value = quantity(raw, s.unit, where, lo, hi)
    if s.strict and not any(abs(value - c) < 1e-6 for c in s.choices):
        allowed = ", ".join(f"{c:g}" for c in s.choices)
        raise ValidationError(f"{where}: {raw!r} is not allowed; use {allowed} {s.unit}.")
    return value


def _dimension(s: Setting, spec: object, where: str) -> Dimension:
    if not isinstance(spec, dict):
        raise ValidationError(f"{where}: expected {{low: ..., high: ...}} or {{choices: [...]}}, "
                              f"got {spec!r}.")
    unknown = set(spec) - {"low", "high", "step", "log", "choices"}
    if unknown:
        raise ValidationError(f"{where}: unknown key {sorted(unknown)[0]!r}; use low, high, "
                              "step, log or choices.")
    if "choices" in spec:
        raw = spec["choices"]
        if not isinstance(raw, list) or not raw:
            raise ValidationError(f"{where}.choices: expected a non-empty list, got {raw!r}.")
        values = tuple(sorted({_value(s, c, f"{where}.choices") for c in raw}))
        return Dimension(s, values[0], values[-1], choices=values)
    if s.strict:
        raise ValidationError(f"{where}: {s.name} takes only {s.choices}; give 'choices'.")
    if "low" not in spec or "high" not in spec:
        raise ValidationError(f"{where}: give both 'low' and 'high'.")
    low, high = _value(s, spec["low"], f"{where}.low"), _value(s, spec["high"], f"{where}.high")
    if not low < high:
        raise ValidationError(f"{where}: low ({spec['low']!r}) must be below high "
                              f"({spec['high']!r}); put a constant under 'fixed'.")
    step = None
    if "step" in spec:
        step = _value(s, spec["step"], f"{where}.step") if s.unit == "1" else quantity(
            spec["step"], s.unit, f"{where}.step", 1e-9, high - low)
        k = (high - low) / step
        if abs(k - round(k)) > 1e-6:
            raise ValidationError(f"{where}: high - low ({high - low:g} {s.unit}) is not a "
                                  f"multiple of step ({step:g} {s.unit}).")
    log = spec.get("log", s.log and step is None)
    if not isinstance(log, bool):
        raise ValidationError(f"{where}.log: expected true or false, got {log!r}.")
    if log and (step is not None or s.integer):
        raise ValidationError(f"{where}: 'log' cannot be combined with a step or a count.")
    return Dimension(s, low, high, step, log)


def _mapping(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    part = data.get(key) or {}
    if not isinstance(part, dict):
        raise ValidationError(f"{source}: '{key}' must be a mapping of setting names, got "
                              f"{part!r}.")
    return part


def parse_space(data: object, source: str = "space") -> SearchSpace:
    """A :class:`SearchSpace` from a mapping (parsed YAML); one-line errors name the field."""
    if not isinstance(data, dict) or "therapy" not in data:
        raise ValidationError(f"{source}: expected a mapping with 'therapy' and 'search'.")
    unknown = set(data) - {"therapy", "search", "fixed", "standard"}
    if unknown:
        raise ValidationError(f"{source}: unknown key {sorted(unknown)[0]!r}; allowed: therapy, "
                              "search, fixed, standard.")
    therapy = str(data["therapy"])
    base = default_space(therapy)
    search = _mapping(data, "search", source)
    if not search:
        raise ValidationError(f"{source}: 'search' lists no setting to search.")
    dims = tuple(_dimension(setting(therapy, k), v, f"{source}.search.{k}")
                 for k, v in search.items())
    fixed = {**base.standard}
    for k, v in _mapping(data, "fixed", source).items():
        if k in search:
            raise ValidationError(f"{source}.fixed.{k}: also under 'search'; give it once.")
        fixed[k] = _value(setting(therapy, k), v, f"{source}.fixed.{k}")
    standard = {**base.standard}
    for k, v in _mapping(data, "standard", source).items():
        standard[k] = _value(setting(therapy, k), v, f"{source}.standard.{k}")
    for d in dims:
        fixed.pop(d.name)
    return SearchSpace(therapy, dims, fixed, standard)


def load_space(path: str | Path) -> SearchSpace:
    """Read a search-space YAML file (see the module docstring)."""
    return parse_space(read_yaml(path, "space file"), str(path))


def therapy_to_tune(base: Any, given: str | None = None,
                    space: SearchSpace | None = None) -> str:
    """The therapy an optimization tunes: the space file's, else ``given``, else the base
    protocol's one tunable therapy (refused when there are none or several). A therapy the
    base protocol lacks is added to it only when ``given`` names it: a space file for
    another therapy than the protocol's is refused."""
    from moodtwin.optimize._settings import SETTINGS

    if space is not None:
        if given is not None and given != space.therapy:
            raise ValidationError(f"--therapy {given!r} differs from the space file's therapy "
                                  f"{space.therapy!r}.")
        has = sorted({th.type for th in base.therapies})
        if given is None and space.therapy not in has:
            raise ValidationError(
                f"The space file tunes {space.therapy!r} but the base protocol {base.name!r} "
                f"has {', '.join(repr(t) for t in has) or 'no therapy'}; use a space file for "
                f"its therapy, or give --therapy {space.therapy} to add {space.therapy} to it.")
        return str(space.therapy)
    if given is not None:
        return given
    found = sorted({th.type for th in base.therapies if th.type in SETTINGS})
    if len(found) != 1:
        what = f"has {', '.join(found)}" if found else "has none"
        raise ValidationError(f"Give --therapy (one of {', '.join(SETTINGS)}); the base protocol "
                              f"{what} of them.")
    return found[0]
