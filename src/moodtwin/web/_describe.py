"""Read-only descriptions for the pages, derived from the library's own definitions:
the protocol form (fields, units, device/dose limits from the protocol schema), the catalogue
of shipped examples, and the model browser (states, parameters, equations as MathML)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin

import pydantic

from moodtwin.errors import MoodtwinError


# ---------------------------------------------------------------------------- protocol form
def _field_kind(annotation: Any) -> str:
    args = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    a = args[0]
    if get_origin(a) is list:
        return "list"
    if a is bool:
        return "bool"
    if a is int:
        return "int"
    if isinstance(a, type) and issubclass(a, pydantic.BaseModel):
        return "object"
    return "quantity" if get_args(a) or a is str else "text"


@cache
def protocol_form() -> dict[str, Any]:
    """Every therapy type with its fields: kind, default, unit and limits (from ``LIMITS``,
    the esketamine labelled doses and the integer bounds in the schema)."""
    from moodtwin.protocols import _schema as s

    therapies = {}
    union = get_args(get_args(s.Therapy)[0])
    for cls in union:
        kind = get_args(cls.model_fields["type"].annotation)[0]
        fields = []
        for name, f in cls.model_fields.items():
            if name == "type":
                continue
            entry: dict[str, Any] = {"name": name, "kind": _field_kind(f.annotation),
                                     "required": f.is_required(),
                                     "description": f.description or ""}
            if not f.is_required():
                default = f.get_default(call_default_factory=True)
                entry["default"] = default if isinstance(default, str | int | float | bool |
                                                           list) else None
            if f"{kind}.{name}" in s.LIMITS:
                unit, low, high = s.LIMITS[f"{kind}.{name}"]
                entry |= {"unit": unit, "low": low, "high": high}
            for m in f.metadata:
                if getattr(m, "ge", None) is not None:
                    entry["low"] = m.ge
                if getattr(m, "le", None) is not None:
                    entry["high"] = m.le
            if kind == "esketamine_nasal" and name == "dose":
                entry |= {"unit": "mg", "allowed": list(s.ESKETAMINE_DOSES_MG)}
            if name == "at":
                entry["hint"] = "times from baseline, e.g. 0 d, 1 week"
            fields.append(entry)
        therapies[kind] = {"doc": " ".join((cls.__doc__ or "").split()), "fields": fields}
    return {"therapy_types": list(s.THERAPY_TYPES), "therapies": therapies,
            "duration": {"low": "1 h", "high": "10 years"},
            "background": ["none", "continued"]}


def error_field(message: str) -> str | None:
    """The field path a one-line library error names (``protocol: therapies[0].dose (...)``)."""
    import re

    m = re.match(r"^(?:[^:]*?: )?((?:therapies\[\d+\]\.)?[A-Za-z_][\w.\[\]]*)(?: \([a-z_]+\))?:",
                 message)
    return m.group(1) if m else None


# ---------------------------------------------------------------------------- catalogue
def examples_dir() -> Path | None:
    """The catalogue: ./examples if present, else the repository's examples/, else the
    package data (a folder with trials/ and protocols/)."""
    here = Path(__file__).resolve()
    for cand in (Path.cwd() / "examples", here.parents[3] / "examples", here.parents[1] / "data"):
        if (cand / "trials").is_dir() and (cand / "protocols").is_dir():
            return cand
    return None


def catalogue(examples: Path | None) -> dict[str, Any]:
    """Protocols (name, YAML text) and trials (title, n, source, whether published values)."""
    import yaml

    if examples is None:
        return {"protocols": [], "trials": [], "candidates": [],
                "note": "no examples folder found; start 'moodtwin serve' in the moodtwin "
                        "folder or pass --examples"}
    protos = []
    for p in sorted((examples / "protocols").glob("*.yaml")):
        text = p.read_text()
        try:
            name = (yaml.safe_load(text) or {}).get("name", p.stem)
        except yaml.YAMLError:
            name = p.stem
        protos.append({"file": p.name, "name": str(name), "yaml": text})
    trials = []
    for p in sorted((examples / "trials").glob("*.yaml")):
        try:
            doc = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError:
            continue
        eps = doc.get("endpoints") or []
        trials.append({"file": p.name, "name": str(doc.get("name", p.stem)),
                       "source": str(doc.get("source", "")), "n": doc.get("n"),
                       "published": sum(_published_numbers(e) for e in eps)})
    cands = [{"file": p.name, "yaml": p.read_text()}
             for p in sorted((examples / "person" / "candidates").glob("*.yaml"))]
    return {"protocols": protos, "trials": trials, "candidates": cands}


def _published_numbers(endpoint: Any) -> int:
    """Published numbers of one endpoint (one per arm, or one for a comparison)."""
    pub = endpoint.get("published") if isinstance(endpoint, dict) else None
    if pub is None:
        return 0
    return len(pub) if isinstance(pub, dict) and "value" not in pub else 1


# ---------------------------------------------------------------------------- model browser
@cache
def model_description() -> dict[str, Any]:
    """States, derived quantities, parameters (value, unit, range, provenance), inputs,
    equations (MathML from the sympy expressions the solver compiles) and, per therapy,
    the parameters its compiled events read and the mechanisms its inputs and jumps drive."""
    import html
    import re

    import sympy as sp

    from moodtwin.parameter_sets import calibrated_model

    model = calibrated_model()
    names = list(model.symbols)
    # letter-only placeholders: sympy would turn '_' and trailing digits into subscripts
    code = {name: "zq" + "".join(chr(97 + int(c)) for c in str(i)) + "qz"
            for i, name in enumerate(names)}
    back = {v: k for k, v in code.items()}
    syms = {sym: sp.Symbol(code[name]) for name, sym in model.symbols.items()}

    def mi(name: str) -> str:
        return f'<mi mathvariant="normal">{html.escape(name)}</mi>'

    def mathml(lhs: str, expr: sp.Expr) -> str:
        expr = expr.xreplace({f: sp.Float(f, 5) for f in expr.atoms(sp.Float)})
        rhs = sp.mathml(expr.xreplace(syms), printer="presentation")
        rhs = re.sub(r"<mi>(zq[a-j]+qz)</mi>", lambda m: mi(back[m.group(1)]), rhs)
        return (f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mrow>'
                f"{lhs}<mo>=</mo>{rhs}</mrow></math>")

    def rate(name: str) -> str:
        return (f"<mfrac><mrow><mi>d</mi>{mi(name)}</mrow><mrow><mi>d</mi><mi>t</mi></mrow>"
                "</mfrac>")

    states = [{"name": s.name, "unit": s.unit, "description": s.description,
               "mechanism": model.mechanism_of(s.name),
               "equation": mathml(rate(s.name), model.rate_exprs[s.name])}
              for s in model.states]
    derived = [{"name": d.name, "unit": d.unit, "description": d.description,
                "mechanism": model.mechanism_of(d.name), "output": d.observable,
                "equation": mathml(mi(d.name), model.derived_exprs[d.name])} for d in model.derived]
    params = [{"name": p.name, "value": p.value, "unit": p.unit, "low": p.low, "high": p.high,
               "source": p.source, "description": p.description,
               "calibratable": p.calibratable, "mechanism": model.mechanism_of(p.name)}
              for p in model.parameters]
    inputs = [{"name": u.name, "unit": u.unit, "default": u.default,
               "description": u.description, "mechanism": model.mechanism_of(u.name)}
              for u in model.inputs]
    mechanisms = [{"name": m.name, "doc": " ".join((m.doc or "").split())}
                  for m in model.mechanisms]
    return {"name": model.name, "fingerprint": model.fingerprint, "states": states,
            "derived": derived, "parameters": params, "inputs": inputs,
            "mechanisms": mechanisms, "therapies": therapy_parameters(model)}


class _Reads(dict):  # type: ignore[type-arg]
    """A parameter mapping that records which names the protocol compiler reads."""

    def __init__(self, data: dict[str, float]) -> None:
        super().__init__(data)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> float:
        self.read.add(key)
        return super().__getitem__(key)


_EXAMPLE_THERAPY = {"ketamine_iv": {"dose": "0.5 mg/kg"}, "vns": {"current": "1 mA"}}


def therapy_parameters(model: Any) -> dict[str, Any]:
    """Per therapy type: the inputs it sets, the states it jumps, the parameters the compiler
    reads for it, and the parameters of the mechanisms those inputs and states belong to."""
    import numpy as np

    from moodtwin.person._fit import THERAPY_PARAMETERS
    from moodtwin.protocols import _schema as s
    from moodtwin.protocols import compile_protocol, parse_protocol

    out = {}
    for kind in s.THERAPY_TYPES:
        therapy = {"type": kind, **_EXAMPLE_THERAPY.get(kind, {})}
        if kind in ("ketamine_iv", "midazolam_iv", "saline_iv", "esketamine_nasal",
                    "botulinum_glabellar"):
            therapy["at"] = ["1 d"]
        try:
            proto = parse_protocol({"name": kind, "duration": "8 week", "therapies": [therapy]})
            params = _Reads(model.defaults())
            tl = compile_protocol(proto, model, params)
        except MoodtwinError as exc:
            out[kind] = {"error": str(exc)}
            continue
        inputs = [u.name for j, u in enumerate(model.inputs) if np.any(tl.u[:, j] != u.default)]
        states = [x.name for j, x in enumerate(model.states) if np.any(tl.jump[:, j] != 0)]
        mechs = sorted({model.mechanism_of(n) for n in inputs + states})
        mech_params = [p.name for m in model.mechanisms if m.name in mechs for p in m.parameters]
        out[kind] = {"inputs": inputs, "states_jumped": states, "mechanisms": mechs,
                     "compiler_reads": sorted(params.read),
                     "sensitivity": THERAPY_PARAMETERS.get(kind),
                     "parameters": sorted(set(mech_params) | params.read)}
    return out
