"""Read-only descriptions for the pages, derived from the library's own definitions:
the protocol form (fields, units, device/dose limits from the protocol schema), the catalogue
of shipped protocols and trials, and the model browser (states, parameters, equations as MathML)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin

import pydantic

from moodtwin.errors import MoodtwinError, ValidationError


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
            if kind == "ketamine" and name == "dose":
                entry |= {"unit": "mg/kg or mg", "per_route": {
                    r: {"mg/kg": list(kg), "mg": list(mg)}
                    for r, (kg, mg) in s.KETAMINE_ROUTE_DOSES.items()}}
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
@dataclass(frozen=True)
class Catalogue:
    """Where the pages' examples come from: protocol and trial files, and a person's
    candidate protocols (None when no folder of them is found)."""

    protocols: Path
    trials: Path
    candidates: Path | None


def find_catalogue(examples: Path | None = None) -> Catalogue:
    """With ``examples`` (``--examples``: a folder holding ``protocols/`` and ``trials/``):
    that folder's files; else the catalogues packaged with moodtwin
    (:mod:`moodtwin.catalogue`). Candidates: ``person/candidates`` of ``examples``, else of
    ``./examples`` or of the checkout's ``examples/``."""
    from moodtwin.catalogue import protocol_catalogue, trial_catalogue

    if examples is not None:
        for sub in ("protocols", "trials"):
            if not (examples / sub).is_dir():
                raise ValidationError(f"--examples: {str(examples)!r} has no {sub}/ folder.")
        protocols, trials, roots = examples / "protocols", examples / "trials", [examples]
    else:
        protocols, trials = protocol_catalogue(), trial_catalogue()
        roots = [Path.cwd() / "examples", Path(__file__).resolve().parents[3] / "examples"]
    found = [r / "person" / "candidates" for r in roots]
    return Catalogue(protocols, trials, next((c for c in found if c.is_dir()), None))


def catalogue(cat: Catalogue) -> dict[str, Any]:
    """Protocols (name, YAML text), trials (title, n, source, how many published values
    the validation compares) and person candidates (YAML text)."""
    import yaml

    protos = []
    for p in sorted(cat.protocols.glob("*.yaml")):
        text = p.read_text()
        try:
            name = (yaml.safe_load(text) or {}).get("name", p.stem)
        except yaml.YAMLError:
            name = p.stem
        protos.append({"file": p.name, "name": str(name), "yaml": text})
    trials = [_trial_entry(p, p.stat().st_mtime) for p in sorted(cat.trials.glob("*.yaml"))]
    cands = ([{"file": p.name, "yaml": p.read_text()}
              for p in sorted(cat.candidates.glob("*.yaml"))] if cat.candidates else [])
    return {"protocols": protos, "trials": trials, "candidates": cands}


@cache
def _trial_entry(path: Path, mtime: float) -> dict[str, Any]:
    """A trial file's catalogue entry (cached until the file changes: ``mtime``)."""
    from moodtwin import load_trial
    from moodtwin.calibration import collect_targets

    try:
        spec = load_trial(path)
        published = len(collect_targets([path]))
    except MoodtwinError as exc:
        return {"file": path.name, "name": path.stem, "source": "", "n": None, "published": 0,
                "error": " ".join(str(exc).split())}
    return {"file": path.name, "name": spec.name, "source": spec.source or "", "n": spec.n,
            "published": published}


# ---------------------------------------------------------------------------- model browser
@cache
def model_description() -> dict[str, Any]:
    """States, derived quantities, parameters (value, unit, range, provenance), inputs,
    equations (MathML from the sympy expressions the solver compiles) and, per therapy,
    the parameters its compiled events read and the mechanisms its inputs and jumps drive."""
    import html
    import re

    import sympy as sp

    from moodtwin import ParameterSet

    model = ParameterSet.calibrated().model
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


_EXAMPLE_THERAPY = {"ketamine_iv": {"dose": "0.5 mg/kg"}, "vns": {"current": "1 mA"},
                    "ketamine": {"route": "intranasal", "dose": "50 mg"},
                    "esketamine_iv": {"dose": "0.2 mg/kg"},
                    "oral_comparator": {"drug": "aripiprazole",
                                        "preset": "aripiprazole_augmentation"}}
_SCHEDULED = ("ketamine_iv", "ketamine", "esketamine_iv", "midazolam_iv", "saline_iv",
              "esketamine_nasal", "botulinum_glabellar", "exposure_therapy")


def therapy_parameters(model: Any) -> dict[str, Any]:
    """Per therapy type: the inputs it sets, the states it jumps, the parameters its
    timeline reads (:func:`~moodtwin.protocols.timeline_parameters`), and the parameters of
    the mechanisms those inputs and states belong to."""
    import numpy as np

    from moodtwin.person._fit import THERAPY_PARAMETERS
    from moodtwin.protocols import _schema as s
    from moodtwin.protocols import compile_protocol, parse_protocol, timeline_parameters

    out = {}
    for kind in s.THERAPY_TYPES:
        therapy = {"type": kind, **_EXAMPLE_THERAPY.get(kind, {})}
        if kind in _SCHEDULED:
            therapy["at"] = ["1 d"]
        try:
            proto = parse_protocol({"name": kind, "duration": "8 week", "therapies": [therapy]})
            tl = compile_protocol(proto, model, model.defaults())
        except MoodtwinError as exc:
            out[kind] = {"error": str(exc)}
            continue
        reads = list(timeline_parameters(proto))
        inputs = [u.name for j, u in enumerate(model.inputs) if np.any(tl.u[:, j] != u.default)]
        states = [x.name for j, x in enumerate(model.states) if np.any(tl.jump[:, j] != 0)]
        mechs = sorted({model.mechanism_of(n) for n in inputs + states})
        mech_params = [p.name for m in model.mechanisms if m.name in mechs for p in m.parameters]
        out[kind] = {"inputs": inputs, "states_jumped": states, "mechanisms": mechs,
                     "compiler_reads": reads, "sensitivity": THERAPY_PARAMETERS.get(kind),
                     "parameters": sorted(set(mech_params) | set(reads))}
    return out
