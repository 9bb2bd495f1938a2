"""Parameter sets: typical values with provenance, as written by ``moodtwin calibrate``.

Kept light (no statistics imports) so every command can start from the calibrated model.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from moodtwin.errors import ValidationError
from moodtwin.model import Model
from moodtwin.population._spec import POPULATION_PREFIX, split_population, variability_table
from moodtwin.simulate import parameter_table

SHIPPED = "data/calibrated.yaml"


def load_parameter_set(path: Path | None = None) -> dict[str, float]:
    """Values from a parameter-set YAML (``parameters: {name: {value, source}}``).

    Without ``path``, the calibrated set shipped with moodtwin (empty if none is shipped).
    Unknown names and values outside a parameter's plausible range are refused. Entries of
    the file's ``population:`` section (variability and natural-course values of
    ``data/population.yaml``) are returned with the ``population.`` prefix.
    """
    return {name: value for name, (value, _) in _read_set(path).items()}


def _read_set(path: Path | None) -> dict[str, tuple[float, str]]:
    """(value, source) by parameter name; ``source`` is "" where the file gives none."""
    if path is None:
        res = resources.files("moodtwin").joinpath(SHIPPED)
        if not res.is_file():
            return {}
        text, where = res.read_text(), "shipped calibrated parameter set"
    else:
        try:
            text, where = Path(path).read_text(), str(path)
        except OSError as exc:
            raise ValidationError(f"Cannot read parameter set {str(path)!r}: "
                                  f"{exc.strerror}.") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{where}: not valid YAML ({str(exc).splitlines()[0]}).") from None
    entries = doc.get("parameters") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise ValidationError(f"{where}: expected 'parameters: {{name: {{value: ..}}}}'.")
    pop = doc.get("population") or {}
    if not isinstance(pop, dict):
        raise ValidationError(f"{where}: expected 'population: {{path: {{value: ..}}}}'.")
    entries = {**entries, **{f"{POPULATION_PREFIX}{k}": v for k, v in pop.items()}}
    out = {}
    for name, e in entries.items():
        v = e.get("value") if isinstance(e, dict) else e
        if not isinstance(v, int | float):
            raise ValidationError(f"{where}: parameter {name!r}: 'value' must be a number.")
        out[str(name)] = (float(v), str(e.get("source") or "") if isinstance(e, dict) else "")
    from moodtwin.model import default_model

    # names and ranges checked with clear errors
    model_part, pop_part = split_population({n: v for n, (v, _) in out.items()})
    parameter_table(model_part, default_model())
    variability_table(pop_part)
    return out


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
    entries = {n: e for n, e in entries.items() if not n.startswith(POPULATION_PREFIX)}
    values = {n: v for n, (v, _) in entries.items()}
    where = {n: src or f"from parameter set {path or SHIPPED}" for n, (_, src) in entries.items()}
    return default_model().with_values(values, where)
