"""MkDocs hook: pages and tables generated from the code at build time (nothing copied by hand).

* ``reference/model.md`` is the output of ``moodtwin model --markdown`` (run as a subprocess
  of this Python), with its LaTeX equations turned into MathML so they render offline.
* In any page, ``{{ directive argument }}`` is replaced by generated text:

  - ``{{ schema dotted.Class }}``: the fields of a pydantic file schema (type, default,
    allowed values, the field's comment in the source) and of every nested schema;
  - ``{{ values dotted.name }}``: the items of a tuple, list or mapping constant;
  - ``{{ value dotted.name }}``: a scalar or pair constant;
  - ``{{ settings }}``: the optimizer's adjustable settings per therapy;
  - ``{{ analytes }}``: the lab analytes of a person's ``labs.csv``;
  - ``{{ ketamine_doses }}``: the dose limits of racemic ketamine per route;
  - ``{{ calibratable }}``: the calibratable parameters with default and calibrated values;
  - ``{{ notebook path }}``: a notebook of the repository as a page (its Markdown cells, its
    code cells as Python blocks; the tests execute the same notebook).

An unknown directive or name stops the build.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from mkdocs.structure.files import File, Files
from pydantic import BaseModel
from pydantic.fields import FieldInfo

# The schema tables need the device limits and the quantity marker of the protocol schema,
# which only its module holds (build tooling, not user code).
from moodtwin.protocols import _schema as protocol_schema

ROOT = Path(__file__).resolve().parents[2]
DIRECTIVE = re.compile(r"\{\{\s*(\w+)\s*([^}]*?)\s*\}\}")
#: Schemas documented on their own page: linked, not expanded, when another schema uses them.
PAGES = {"Protocol": "protocol.md"}
QUANTITY = get_args(protocol_schema.Q)[1]


# ------------------------------------------------------------------------------ model page
def _model_markdown() -> str:
    """The Markdown of ``moodtwin model --markdown``, exactly as the command writes it."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model.md"
        run = subprocess.run([sys.executable, "-m", "moodtwin", "model", "--markdown", str(out)],
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"'moodtwin model --markdown' failed:\n{run.stderr[-3000:]}")
        return out.read_text(encoding="utf-8")


def _mathml(markdown: str) -> str:
    """Every ``$...$`` as inline MathML (rendered by browsers without any script)."""
    from latex2mathml.converter import convert

    def one(m: re.Match[str]) -> str:
        html = convert(m.group(1)).replace("\n", "")
        return html.replace("|", "&#124;").replace("*", "&#42;").replace("_", "&#95;")

    return re.sub(r"\$([^$\n]+)\$", one, markdown)


def on_files(files: Files, config: Any) -> Files:
    files.append(File.generated(config, "reference/model.md",
                                content=_mathml(_model_markdown())))
    return files


# ------------------------------------------------------------------------------ helpers
def _resolve(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"docs directive: cannot resolve {dotted!r}: {exc}") from None


def _cell(text: object) -> str:
    return " ".join(str(text).replace("|", "\\|").split())


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:g}"


def _anchor(cls: type) -> str:
    return "schema-" + cls.__name__.lower()


def _yaml(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    return "`" + yaml.safe_dump(value, default_flow_style=True, sort_keys=False,
                                width=1000).strip() + "`"


# ------------------------------------------------------------------------------ schemas
def _is_quantity(ann: Any, metadata: list[Any] = ()) -> bool:
    if QUANTITY in metadata:
        return True
    return get_origin(ann) is Annotated and QUANTITY in get_args(ann)[1:]


def _type(ann: Any, nested: list[type], metadata: list[Any] = ()) -> str:
    """Readable type of a field; BaseModel types are appended to ``nested``."""
    if _is_quantity(ann, metadata):
        return "quantity with unit"
    origin, args = get_origin(ann), get_args(ann)
    if origin is Annotated:
        info = next((a for a in args[1:] if isinstance(a, FieldInfo)), None)
        if info is not None and info.discriminator:
            return "one of " + ", ".join(_type(a, nested) for a in get_args(args[0]))
        return _type(args[0], nested)
    if origin in (Union, types.UnionType):
        parts = [_type(a, nested) for a in args if a is not type(None)]
        return " or ".join(parts) + (" or null" if type(None) in args else "")
    if origin is list:
        return f"list of {_type(args[0], nested)}"
    if origin is dict:
        return f"mapping of {_type(args[0], nested)} to {_type(args[1], nested)}"
    if origin is tuple:
        return "[" + ", ".join(_type(a, nested) for a in args) + "]"
    if origin is Literal:
        return " | ".join(f"`{a}`" for a in args)  # the table cell escapes the bars
    if inspect.isclass(ann) and issubclass(ann, BaseModel):
        if ann.__name__ in PAGES:
            return f"[{ann.__name__}]({PAGES[ann.__name__]})"
        if ann not in nested:
            nested.append(ann)
        label = _therapy_type(ann) or ann.__name__
        return f"[{label}](#{_anchor(ann)})"
    names = {str: "text", int: "integer", float: "number", bool: "true/false", Any: "any"}
    return names.get(ann, getattr(ann, "__name__", str(ann)))


def _therapy_type(cls: type) -> str | None:
    """``type`` of a therapy schema (one entry of a protocol's ``therapies``), else None."""
    field = getattr(cls, "model_fields", {}).get("type")
    if field is not None and get_origin(field.annotation) is Literal:
        values = get_args(field.annotation)
        if len(values) == 1 and values[0] in protocol_schema.THERAPY_TYPES:
            return f"`{values[0]}`"
    return None


def _allowed(cls: type, name: str, field: FieldInfo) -> str:
    marks = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "min_length": "at least",
             "max_length": "at most"}
    out = []
    for m in field.metadata:
        for attr, sign in marks.items():
            if hasattr(m, attr):
                value = getattr(m, attr)
                out.append(f"{sign} {value} item(s)" if "length" in attr else f"{sign} {value}")
    kind = _therapy_type(cls)
    if kind:
        limit = protocol_schema.LIMITS.get(f"{kind.strip('`')}.{name}")
        if limit:
            unit, low, high = limit
            out.append(f"{_num(low)}–{_num(high)} {unit}")
    return ", ".join(out)


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory else field.default
    if value is None:
        return "none"
    if value == [] or value == {}:
        return "empty"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, bool | int | float):
        return f"`{str(value).lower() if isinstance(value, bool) else _num(value)}`"
    if isinstance(value, BaseModel) and _constructible(type(value)) and value == type(value)():
        return f"the defaults of [{type(value).__name__}](#{_anchor(type(value))})"
    return _yaml(value)


def _constructible(cls: type[BaseModel]) -> bool:
    return not any(f.is_required() for f in cls.model_fields.values())


def _comments(cls: type) -> dict[str, str]:
    """``name: type = default  # comment`` lines of a class body: name -> comment."""
    out = {}
    for line in inspect.getsource(cls).splitlines():
        m = re.match(r"^ {4}(\w+)\s*:[^#]*#\s*(.+)$", line)
        if m and "type: ignore" not in m.group(2):
            out[m.group(1)] = m.group(2).strip()
    return out


def _doc(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    if cls.__doc__ is None or doc == inspect.getdoc(BaseModel):
        return ""
    return doc.split("\n\n")[0].replace("``", "`")


def _schema(dotted: str) -> str:
    root = _resolve(dotted)
    if not (inspect.isclass(root) and issubclass(root, BaseModel)):
        raise ValueError(f"docs directive: {dotted!r} is not a pydantic model.")
    queue, blocks = [root], []
    while queue:
        cls = queue.pop(0)
        nested: list[type] = []
        comments = _comments(cls)
        rows = []
        for name, field in cls.model_fields.items():
            if name == "type" and _therapy_type(cls):
                continue
            rows.append([f"`{name}`", _type(field.annotation, nested, field.metadata),
                         _default(field), _allowed(cls, name, field), comments.get(name, "")])
        title = f"`type: {_therapy_type(cls).strip('`')}`" if _therapy_type(cls) else \
            f"`{cls.__name__}`"
        level = "###" if cls is root else "####"
        blocks.append(f"{level} {title} {{#{_anchor(cls)}}}\n\n{_doc(cls)}\n\n"
                      + _table(["field", "type", "default", "allowed", "note"], rows))
        queue += [c for c in nested if c not in queue and all(
            f"{{#{_anchor(c)}}}" not in b for b in blocks)]
    return "\n\n".join(blocks)


# ------------------------------------------------------------------------------ constants
def _values(dotted: str) -> str:
    value = _resolve(dotted)
    if not isinstance(value, tuple | list | dict):
        raise ValueError(f"docs directive: {dotted!r} is not a tuple, list or mapping.")
    return ", ".join(f"`{v}`" for v in value)


def _value(dotted: str) -> str:
    value = _resolve(dotted)
    if isinstance(value, tuple):
        return "–".join(_num(v) for v in value)
    return _num(value) if isinstance(value, float | int) else f"`{value}`"


def _settings() -> str:
    from moodtwin.optimize import SETTINGS

    blocks = []
    for therapy, settings in SETTINGS.items():
        rows = []
        for s in settings:
            unit = "count" if s.unit == "1" else s.unit
            if s.choices:
                search = ("only " if s.strict else "") + ", ".join(_num(c) for c in s.choices)
            else:
                search = f"{_num(s.low)}–{_num(s.high)}" + (f" step {_num(s.step)}"
                                                            if s.step else "")
            rows.append([f"`{s.name}`", unit, _num(s.standard), search,
                         f"{_num(s.limit[0])}–{_num(s.limit[1])}",
                         "yes" if s.searched else "no", s.doc])
        blocks.append(f"#### `therapy: {therapy}`\n\n" + _table(
            ["setting", "unit", "standard", "default search", "hard limit",
             "searched by default", "meaning"], rows))
    return "\n\n".join(blocks)


def _analytes() -> str:
    from moodtwin.person._schema import ANALYTES

    rows = [[f"`{name}`", f"`{obs}`", unit, f"{_num(lo)}–{_num(hi)}", _num(sd)]
            for name, (obs, unit, lo, hi, sd) in ANALYTES.items()]
    return _table(["analyte", "model observable", "unit", "plausible range",
                   "measurement log-SD (assumed)"], rows)


def _ketamine_doses() -> str:
    from moodtwin.protocols._schema import KETAMINE_ROUTE_DOSES

    rows = [[f"`{route}`", f"{_num(kg[0])}–{_num(kg[1])}", f"{_num(mg[0])}–{_num(mg[1])}"]
            for route, (kg, mg) in KETAMINE_ROUTE_DOSES.items()]
    return _table(["route", "dose in mg/kg", "dose in mg"], rows)


def _calibratable() -> str:
    from moodtwin import ParameterSet

    shipped = ParameterSet.calibrated().model
    rows = []
    for p in ParameterSet.definition().model.parameters:
        if p.calibratable:
            unit = "1" if p.unit.strip() == "1" else p.unit
            rows.append([f"`{p.name}`", unit, f"{_num(p.low)}–{_num(p.high)}",
                         f"{p.value:.4g}", f"{shipped.parameter(p.name).value:.4g}",
                         p.description])
    return _table(["parameter", "unit", "plausible range", "model default",
                   "shipped calibrated", "meaning"], rows)


def _notebook(path: str) -> str:
    """A notebook's cells as Markdown, with a note on where it lives after its first cell."""
    book = json.loads((ROOT / path).read_text(encoding="utf-8"))
    blocks = []
    for cell in book["cells"]:
        text = "".join(cell["source"]).strip()
        blocks.append(text if cell["cell_type"] == "markdown" else f"```python\n{text}\n```")
    note = (f'!!! note "Notebook"\n    This page is the notebook `{path}`, executed by the tests. '
            f"Open it in Jupyter (`pip install jupyterlab`, then `jupyter lab {path}`); paths "
            "in it are relative to its folder, and its figures and tables appear when it runs."
            )
    return "\n\n".join(blocks[:1] + [note] + blocks[1:])


DIRECTIVES = {"notebook": _notebook, "schema": _schema, "values": _values, "value": _value,
              "settings": _settings, "analytes": _analytes, "calibratable": _calibratable,
              "ketamine_doses": _ketamine_doses}


def _expand(m: re.Match[str]) -> str:
    name, arg = m.group(1), m.group(2)
    if name not in DIRECTIVES:
        raise ValueError(f"docs directive {name!r} is unknown; use {', '.join(DIRECTIVES)}.")
    return DIRECTIVES[name](arg) if arg else DIRECTIVES[name]()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return DIRECTIVE.sub(_expand, markdown)


SPHINX_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):<code>(~?)([\w.()]+)</code>")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Docstrings' Sphinx roles (``:class:`~a.B` ``) shown as code (``B``; full path without ~)."""
    return SPHINX_ROLE.sub(
        lambda m: f"<code>{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}</code>",
        html)
