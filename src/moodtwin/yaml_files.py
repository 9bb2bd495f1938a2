"""Reading YAML input files with one-line, located errors (never a PyYAML traceback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import yaml

from moodtwin.errors import ValidationError


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed content of ``path``; ``what`` names the file kind in errors ("trial file")."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValidationError(f"Cannot read {what} {str(path)!r}: {exc.strerror}.") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{path}: not valid YAML: {yaml_problem(exc)}.") from None


def yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's multi-line report as one line: what is wrong and where."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else str(problem)
    if mark is not None:
        text += f" (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(text.split())


def first_problem(exc: pydantic.ValidationError, source: str) -> ValidationError:
    """A pydantic error as one line: ``source: field.path: message (and N more)``."""
    errors = exc.errors()
    loc = ".".join(str(x) for x in errors[0]["loc"] if not _union_tag(x))
    msg = errors[0]["msg"].removeprefix("Value error, ")
    given = errors[0].get("input")
    if msg.startswith("Input should") and isinstance(given, str | int | float | bool):
        msg += f"; got {given!r}"  # pydantic's own messages do not show the value
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return ValidationError(f"{source}: {loc + ': ' if loc else ''}{msg}{more}")


def _union_tag(part: object) -> bool:
    """Pydantic's names of union members in an error location
    (``function-after[_form(), Published]``, ``dict[str,...]``): not field names."""
    return "[" in str(part)
