"""Read protocol files (YAML) and turn validation failures into one-line messages."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pydantic
import yaml

from moodtwin.errors import ValidationError
from moodtwin.protocols import _schema as schema


def _fields_at(loc: tuple[Any, ...], data: Any) -> list[str]:
    """Allowed field names of the object at ``loc`` (for close-match hints)."""
    node = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return []
    if isinstance(node, dict) and "type" in node:
        for cls in schema.Therapy.__origin__.__args__:  # type: ignore[attr-defined]
            if cls.model_fields["type"].annotation.__args__[0] == node["type"]:
                return list(cls.model_fields)
    if len(loc) == 1:
        return list(schema.Protocol.model_fields)
    return []


def _message(err: dict[str, Any], data: Any) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in schema.THERAPY_TYPES))
    where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _fields_at(loc, data), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        return f"{where}: unknown field.{hint}"
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        tag = err.get("input", {}).get("type") if isinstance(err.get("input"), dict) else None
        close = difflib.get_close_matches(str(tag), schema.THERAPY_TYPES, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        return (f"{where}: unknown therapy type {tag!r}.{hint} "
                f"Known: {', '.join(schema.THERAPY_TYPES)}")
    return f"{where}: {msg}"


def parse_protocol(data: Any, source: str = "protocol") -> schema.Protocol:
    """Validate a protocol given as a mapping (e.g. parsed YAML)."""
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: expected a mapping with 'name', 'duration', 'therapies'.")
    try:
        return schema.Protocol.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise ValidationError(f"{source}: {_message(first, data)}{more}") from None


def load_protocol(path: str | Path) -> schema.Protocol:
    """Read and validate a protocol YAML file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValidationError(f"Cannot read protocol file {str(path)!r}: {exc.strerror}.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{path}: not valid YAML ({exc}).") from None
    return parse_protocol(data, str(path))
