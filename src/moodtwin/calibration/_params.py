"""Parameter sets: typical values with provenance, as written by ``moodtwin calibrate``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from moodtwin.errors import ValidationError
from moodtwin.simulate import parameter_table

SHIPPED = "data/calibrated.yaml"


def load_parameter_set(path: Path | None = None) -> dict[str, float]:
    """Values from a parameter-set YAML (``parameters: {name: {value, source}}``).

    Without ``path``, the calibrated set shipped with moodtwin (empty if none is shipped).
    Unknown names and values outside a parameter's plausible range are refused.
    """
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
    values = {}
    for name, e in entries.items():
        v = e.get("value") if isinstance(e, dict) else e
        if not isinstance(v, int | float):
            raise ValidationError(f"{where}: parameter {name!r}: 'value' must be a number.")
        values[str(name)] = float(v)
    from moodtwin.model import default_model

    parameter_table(values, default_model())  # names and ranges checked with clear errors
    return values
