"""Reading YAML input files with one-line, located errors (never a PyYAML traceback).

Stricter than plain YAML where plain YAML silently loses information: a key given twice in
one mapping, nesting deeper than :data:`MAX_DEPTH`, aliases that expand to more than
:data:`MAX_NODES` nodes, non-finite numbers (``.inf``, ``.nan``) and integers too large for
a float are refused.
"""

from __future__ import annotations

import difflib
import math
import re
import sys
import typing
from pathlib import Path
from typing import Annotated, Any

import pydantic
import yaml
from pydantic import BeforeValidator

from moodtwin.errors import ValidationError
from moodtwin.text_files import read_text

MAX_DEPTH = 64
MAX_NODES = 200_000


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys, deep nesting and non-finite numbers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels",
                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: PyYAML reports it below
                    continue
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} is given twice (first on line {first + 1}); "
                        "give each key once", key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node: Any) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a finite number; give a finite value",
                node.start_mark)
        return value

    def construct_yaml_int(self, node: Any) -> int:
        value = super().construct_yaml_int(node)
        if abs(value) > sys.float_info.max:
            raise yaml.constructor.ConstructorError(
                None, None, "the integer is too large for a number", node.start_mark)
        return value


_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """Nodes after expanding aliases (shared nodes counted once per use)."""
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, memo) for v in node.value)
    else:
        size = 1
    memo[id(node)] = size
    return size


def parse_yaml(text: str, where: str) -> Any:
    """The content of YAML ``text``; errors name ``where`` (the file)."""
    loader = None
    try:
        loader = _Loader(text)  # the reader already refuses control characters
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_NODES:
            raise ValidationError(f"{where}: the YAML expands to {size} values (aliases); at "
                                  f"most {MAX_NODES} are allowed.")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{where}: not valid YAML: {yaml_problem(exc)}.") from None
    except RecursionError:
        raise ValidationError(f"{where}: not valid YAML: nested too deeply.") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed content of ``path``; ``what`` names the file kind in errors ("trial file")."""
    return parse_yaml(read_text(path, what), str(path))


def yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's multi-line report as one line: what is wrong and where."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else str(problem)
    if mark is not None:
        text += f" (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(text.split())


#: What a number standing where a field name belongs means: YAML read ``{mean: 28,5}`` as mean
#: 28 and a key 5, and ``{dose: 0,5 mg/kg}`` as dose 0 and a key '5 mg/kg'.
DECIMAL_COMMA = "a decimal comma? Numbers take a decimal point (28.5, not 28,5)"


def split_at_decimal_comma(key: object) -> bool:
    """Whether a mapping key is the tail of a value that YAML split at a decimal comma."""
    if isinstance(key, bool):
        return False
    return isinstance(key, int | float) or (isinstance(key, str) and key[:1].isdigit())


def first_problem(exc: pydantic.ValidationError, source: str,
                  model: type[pydantic.BaseModel] | None = None) -> ValidationError:
    """A pydantic error as one line: ``source: field.path: message (and N more)``; with the
    validated ``model``, an unknown field names the allowed ones (and the closest)."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(_part(x) for x in first["loc"] if not _union_tag(x))
    msg = " ".join(str(first["msg"]).removeprefix("Value error, ").split())
    given = first.get("input")
    if msg.startswith("Input should") and isinstance(given, str | int | float | bool):
        msg += f"; got {given!r}"  # pydantic's own messages do not show the value
    if first["type"] == "literal_error" and isinstance(given, str):
        choices = re.findall(r"'([^']*)'", str(first.get("ctx", {}).get("expected", "")))
        close = difflib.get_close_matches(given, choices, n=1, cutoff=0.6)
        if close:
            msg = f"{given!r} is not allowed (did you mean {close[0]!r}?); {msg}"
    if first["type"] == "string_type" and isinstance(given, int | float) \
            and not isinstance(given, bool):
        msg += f" (a time or dose needs its unit, e.g. '{given} d')"
    if first["type"].endswith("_parsing") and isinstance(given, str) and "," in given:
        msg += f"; {DECIMAL_COMMA}"
    if first["type"] == "invalid_key" and split_at_decimal_comma(given):
        loc = ".".join(loc.split(".")[:-1])
        msg = f"{given!r} stands where a field name belongs: {DECIMAL_COMMA}"
    if first["type"] == "extra_forbidden" and model is not None:
        allowed = _fields_at(model, [x for x in first["loc"] if not _union_tag(x)][:-1])
        if allowed:
            name = str(first["loc"][-1])
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            msg = (f"unknown field {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                   + f"; allowed: {', '.join(allowed)}")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return ValidationError(f"{source}: {loc + ': ' if loc else ''}{msg}{more}")


def _fields_at(model: type[pydantic.BaseModel], loc: list[Any]) -> list[str]:
    """Field names of the (nested) model at ``loc`` inside ``model``; [] when the path
    leaves the models (a list index or dict key is stepped over)."""
    node: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(node, type) and issubclass(node, pydantic.BaseModel)):
            return []
        field = node.model_fields.get(str(part))
        if field is None:
            return []
        node = next(iter(models_in(field.annotation)), None)
    if isinstance(node, type) and issubclass(node, pydantic.BaseModel):
        return sorted(node.model_fields)
    return []


def models_in(tp: Any) -> list[type[pydantic.BaseModel]]:
    """The pydantic models inside a type annotation (``X | None``, ``list[X]``, a union)."""
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in models_in(arg)]


def _union_tag(part: object) -> bool:
    """Pydantic's names of union members in an error location
    (``function-after[_form(), Published]``, ``dict[str,...]``): not field names."""
    return "[" in str(part)


def _part(key: object) -> str:
    """A location part as written, quoted when it is not a plain name (``'a b'``, ``'\\n'``)."""
    text = str(key)
    return text if text.replace("_", "a").isalnum() else repr(text)


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            share = float(value.strip()[:-1]) / 100.0
        except ValueError:
            return value  # not a percentage: pydantic names the bad number
        raise ValueError(f"expected a plain number, got the percentage {value!r}: write a "
                         f"share as a fraction ({share:g})")
    return value


#: A number read from an input file: ``true``/``false`` are refused, not read as 1/0.
Number = Annotated[float, BeforeValidator(_no_bool)]
#: A whole number read from an input file (``true``/``false`` refused).
Count = Annotated[int, BeforeValidator(_no_bool)]
