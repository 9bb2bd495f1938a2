"""Read protocol files (YAML) and turn validation failures into one-line messages."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, get_args

import pydantic

from moodtwin.errors import ValidationError
from moodtwin.protocols import _schema as schema
from moodtwin.yaml_files import DECIMAL_COMMA, models_in, read_yaml, split_at_decimal_comma


def _model_at(loc: tuple[Any, ...], data: Any) -> type[pydantic.BaseModel] | None:
    """The schema class of the object at ``loc`` in ``data`` (None if it cannot be told)."""
    cls: type[pydantic.BaseModel] | None = schema.Protocol
    node, candidates = data, [schema.Protocol]
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
        if isinstance(part, str):
            field = cls.model_fields.get(part) if cls is not None else None
            if field is None:
                return None
            candidates = models_in(field.annotation)
        cls = None
        if isinstance(node, dict):
            if len(candidates) == 1:
                cls = candidates[0]
            else:
                cls = next((c for c in candidates if _tag(c) == node.get("type")), None)
    return cls


def _tag(cls: type[pydantic.BaseModel]) -> str | None:
    field = cls.model_fields.get("type")
    return get_args(field.annotation)[0] if field is not None else None


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def _hint(name: Any, choices: list[str]) -> str:
    if split_at_decimal_comma(name):
        return f" It stands where a field name belongs: {DECIMAL_COMMA}."
    close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.5)
    return f" Did you mean {', '.join(map(repr, close))}?" if close else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(err: dict[str, Any], data: Any) -> str:
    loc = _strip_tag(tuple(err["loc"]))
    kind = err["loc"][2] if len(loc) < len(err["loc"]) else None
    etype = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ")
    if etype == "extra_forbidden":
        cls = _model_at(loc[:-1], data)
        allowed = list(cls.model_fields) if cls is not None else []
        known = f" Allowed fields: {', '.join(allowed)}." if allowed else ""
        return schema.locate(_where(loc[:-1]), kind,
                             f"unknown field {loc[-1]!r}.{_hint(loc[-1], allowed)}{known}")
    if etype in ("union_tag_invalid", "union_tag_not_found"):
        known = ", ".join(schema.THERAPY_TYPES)
        tag = err["input"].get("type") if isinstance(err.get("input"), dict) else None
        if etype == "union_tag_not_found" or tag is None:
            return f"{_where(loc)}: missing 'type'; give one of: {known}."
        return (f"{_where(loc)}.type: unknown therapy type {tag!r}."
                f"{_hint(tag, list(schema.THERAPY_TYPES))} Known: {known}.")
    if etype == "missing":
        return schema.locate(_where(loc), kind, "required field is missing.")
    if etype in _BOUNDS:
        cls = _model_at(loc[:-1], data)
        field = cls.model_fields.get(str(loc[-1])) if cls is not None else None
        lo = next((m.ge for m in field.metadata if hasattr(m, "ge")), None) if field else None
        hi = next((m.le for m in field.metadata if hasattr(m, "le")), None) if field else None
        if lo is not None and hi is not None:
            return schema.locate(_where(loc), kind, f"{_short(err.get('input'))} is outside the "
                                 f"allowed range {lo}–{hi}.")
    if etype != "value_error":  # pydantic's own wording: say what was given
        msg = f"{msg.rstrip('.')}; got {_short(err.get('input'))}."
    return schema.locate(_where(loc), kind, msg)


_BOUNDS = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")
_PRIORITY = {"extra_forbidden": 0, "union_tag_invalid": 1, "union_tag_not_found": 1,
             "missing": 3}


def _explained(errors: list[Any], data: Any) -> list[Any]:
    """Drop "missing 'dose'" when the same object has a misspelt field such as 'dosee'."""
    misspelt = set()
    for e in errors:
        if e["type"] == "extra_forbidden":
            cls = _model_at(_strip_tag(tuple(e["loc"]))[:-1], data)
            for name in difflib.get_close_matches(str(e["loc"][-1]), list(cls.model_fields)
                                                  if cls else [], n=1, cutoff=0.5):
                misspelt.add(tuple(e["loc"][:-1]) + (name,))
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in misspelt)]


def _strip_tag(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(loc) >= 3 and loc[0] == "therapies" and isinstance(loc[1], int):
        if loc[2] in schema.THERAPY_TYPES:  # pydantic puts the union tag into the location
            return loc[:2] + loc[3:]
    return loc


def parse_protocol(data: Any, source: str = "protocol") -> schema.Protocol:
    """Validate a protocol given as a mapping (e.g. parsed YAML)."""
    if not isinstance(data, dict):
        got = "an empty document" if data is None else f"a {type(data).__name__} ({_short(data)})"
        raise ValidationError(f"{source}: expected a mapping with 'name', 'duration' and "
                              f"'therapies' at the top level, got {got}.")
    try:
        return schema.Protocol.model_validate(data)
    except pydantic.ValidationError as exc:
        # An unknown field usually explains a "missing" one next to it ('dosee' vs 'dose').
        errors = sorted(_explained(exc.errors(), data), key=lambda e: _PRIORITY.get(e["type"], 2))
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ValidationError(f"{source}: {_message(errors[0], data)}{more}") from None


def load_protocol(path: str | Path) -> schema.Protocol:
    """Read and validate a protocol YAML file: a path, or the name of a packaged catalogue
    protocol (``ketamine_single_iv``)."""
    from moodtwin.catalogue import find_shipped, protocol_catalogue

    path = find_shipped(path, protocol_catalogue(), "protocol file")
    return parse_protocol(read_yaml(path, "protocol file"), str(path))


ProtocolLike = schema.Protocol | str | Path
"""What a verb's ``protocol`` accepts: a :class:`Protocol` or a protocol file (YAML)."""


def resolve_protocol(protocol: ProtocolLike, what: str = "protocol") -> schema.Protocol:
    """The :class:`Protocol` meant by ``protocol`` (a file is read and validated); anything
    else is refused in one line naming ``what``."""
    if isinstance(protocol, schema.Protocol):
        return protocol
    if isinstance(protocol, str | Path):
        return load_protocol(protocol)
    raise ValidationError(f"{what} must be a Protocol or a protocol file path (str or Path), "
                          f"got {type(protocol).__name__}.")
