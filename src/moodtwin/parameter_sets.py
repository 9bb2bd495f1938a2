"""Parameter sets: typical values with provenance, as written by ``moodtwin calibrate``.

Kept light (no statistics imports) so every command can start from the calibrated model.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from pathlib import Path

from moodtwin.errors import MoodtwinError, ValidationError
from moodtwin.model import Model
from moodtwin.simulate import parameter_table
from moodtwin.text_files import read_text
from moodtwin.yaml_files import parse_yaml

SHIPPED = "data/calibrated.yaml"
#: What ``moodtwin calibrate`` records beside the values: kind of each key.
METADATA = {"targets": "list", "objective": "number", "evaluations": "whole number"}


def load_parameter_set(path: Path | None = None) -> dict[str, float]:
    """Values from a parameter-set YAML (``parameters: {name: {value, source}}``).

    Without ``path``, the calibrated set shipped with moodtwin (empty if none is shipped).
    Unknown names and values outside a parameter's plausible range are refused.
    """
    return {name: value for name, (value, _) in _read_set(path).items()}


def _read_set(path: Path | None) -> dict[str, tuple[float, str]]:
    """(value, source) by parameter name; ``source`` is "" where the file gives none."""
    if path is None:
        res = resources.files("moodtwin").joinpath(SHIPPED)
        if not res.is_file():
            return {}
        text, where = res.read_text(encoding="utf-8"), "shipped calibrated parameter set"
    else:
        text, where = read_text(path, "parameter set"), str(path)
    doc = parse_yaml(text, where)
    entries = doc.get("parameters") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise ValidationError(f"{where}: expected 'parameters: {{name: {{value: ..}}}}'.")
    _check_metadata(doc, where)
    out = {}
    for name, e in entries.items():
        v = e.get("value") if isinstance(e, dict) else e
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValidationError(f"{where}: parameter {name!r}: 'value' must be a finite "
                                  f"number, got {v!r}.")
        out[str(name)] = (float(v), str(e.get("source") or "") if isinstance(e, dict) else "")
    from moodtwin.model import default_model

    try:  # names and ranges checked with clear errors
        parameter_table({n: v for n, (v, _) in out.items()}, default_model())
    except MoodtwinError as exc:
        raise ValidationError(f"{where}: {exc}") from None
    return out


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
            not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
            and (kind == "number" or v == int(v)))
        if not ok:
            raise ValidationError(f"{where}: {key!r} must be a {kind}, got {v!r}.")


def calibrated_model(path: Path | None = None) -> Model:
    """The default model with a parameter set's values (default: the shipped calibrated set).

    Each replaced parameter takes the set's provenance (its ``source``, else "from <path>").
    Same equations as :func:`~moodtwin.model.default_model`, so the compiled kernel is shared.
    """
    if path is None:
        return _shipped_model()
    return _with_set(path)


@cache
def _shipped_model() -> Model:
    return _with_set(None)


def _with_set(path: Path | None) -> Model:
    from moodtwin.model import default_model

    entries = _read_set(path)
    values = {n: v for n, (v, _) in entries.items()}
    where = {n: src or f"from parameter set {path or SHIPPED}" for n, (_, src) in entries.items()}
    return default_model().with_values(values, where)
