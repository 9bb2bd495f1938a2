"""Markdown documentation of a model, generated from its definition (nothing hand-written).

Every equation is rendered from the same sympy expressions that the solver compiles, so the
documentation cannot drift from the simulated model. Names are shown verbatim (upright, with
underscores) so that each symbol in an equation can be found in the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sympy as sp

from moodtwin import DISCLAIMER
from moodtwin.model import Model
from moodtwin.model._spec import Derived, Input, Mechanism, Parameter, State


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell (no pipes, no line breaks)."""
    return " ".join(str(text).replace("|", "\\|").split())


def _unit(unit: str) -> str:
    return "1 (dimensionless)" if unit.strip() == "1" else f"`{unit}`"


def _num(x: float) -> str:
    return f"{x:.4g}"


def _symbol_names(model: Model) -> dict[sp.Symbol, str]:
    """LaTeX for each model name: single letters italic, longer names upright verbatim."""
    out: dict[sp.Symbol, str] = {}
    for name, sym in model.symbols.items():
        if len(name) == 1:
            out[sym] = name
        else:
            out[sym] = r"\mathrm{" + name.replace("_", r"\_") + "}"
    return out


def _latex(expr: sp.Expr, names: dict[sp.Symbol, str]) -> str:
    # Constants folded by sympy (e.g. 70**-0.75) are shown with 5 significant digits.
    expr = expr.xreplace({f: sp.Float(f, 5) for f in expr.atoms(sp.Float)})
    tex = sp.latex(expr, symbol_names=names, mul_symbol="dot")
    return tex.replace("|", r"\vert ")  # keep Markdown tables intact


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _states_table(model: Model, states: Sequence[State], names: dict[sp.Symbol, str]) -> list[str]:
    rows = []
    for s in states:
        lhs = r"\frac{d\," + names[model.symbols[s.name]] + "}{dt}"
        rows.append((f"`{s.name}`", _unit(s.unit), s.description,
                     f"${lhs} = {_latex(model.rate_exprs[s.name], names)}$"))
    return _table(("State", "Unit", "Description", "Equation (t in h)"), rows)


def _derived_table(model: Model, derived: Sequence[Derived],
                   names: dict[sp.Symbol, str]) -> list[str]:
    rows = []
    for d in derived:
        lhs = names[model.symbols[d.name]]
        rows.append((f"`{d.name}`", _unit(d.unit), d.description,
                     f"${lhs} = {_latex(model.derived_exprs[d.name], names)}$",
                     "yes" if d.observable else ""))
    return _table(("Derived", "Unit", "Description", "Definition", "Saved output"), rows)


def _parameters_table(params: Sequence[Parameter]) -> list[str]:
    rows = [(f"`{p.name}`", _num(p.value), _unit(p.unit), f"{_num(p.low)} – {_num(p.high)}",
             p.description, p.source, "yes" if p.calibratable else "")
            for p in params]
    return _table(("Parameter", "Value", "Unit", "Plausible range", "Description",
                   "Source / provenance", "Calibratable"), rows)


def _inputs_table(model: Model, inputs: Sequence[Input], with_mechanism: bool) -> list[str]:
    rows = []
    for u in inputs:
        row = [f"`{u.name}`", _unit(u.unit), _num(u.default), u.description]
        if with_mechanism:
            row.append(model.mechanism_of(u.name))
        rows.append(row)
    header = ["Input", "Unit", "Default", "Description"]
    return _table(header + (["Mechanism"] if with_mechanism else []), rows)


def _mechanism_section(model: Model, mech: Mechanism, number: int,
                       names: dict[sp.Symbol, str]) -> list[str]:
    derived = [d for d in model.derived if model.mechanism_of(d.name) == mech.name]
    out = [f"## {number}. Mechanism `{mech.name}`", "", (mech.doc or "").strip(), ""]
    if mech.states:
        out += ["### States", "", *_states_table(model, mech.states, names), ""]
    if derived:
        out += ["### Derived quantities", "", *_derived_table(model, derived, names), ""]
    if mech.parameters:
        out += ["### Parameters", "", *_parameters_table(mech.parameters), ""]
    if mech.inputs:
        out += ["### Inputs", "", *_inputs_table(model, mech.inputs, False), ""]
    if mech.references:
        out += ["### References", "", *[f"- {r}" for r in mech.references], ""]
    return out


def model_markdown(model: Model) -> str:
    """The whole model as Markdown with LaTeX equations, generated from ``model``.

    Contents: an overview, then per mechanism its description, states with their rate
    equations, derived quantities, parameters (value, unit, plausible range, provenance,
    whether calibration may move them), inputs and references; finally all inputs.
    """
    names = _symbol_names(model)
    n_cal = sum(p.calibratable for p in model.parameters)
    out = [
        f"# Model `{model.name}`",
        "",
        DISCLAIMER,
        "",
        "*Generated from the model definition by `moodtwin.docs.model_markdown`; do not edit "
        "by hand.*",
        "",
        f"{len(model.mechanisms)} mechanisms, {len(model.states)} states, "
        f"{len(model.parameters)} parameters ({n_cal} calibratable), {len(model.inputs)} "
        f"inputs, {len(model.derived)} derived quantities ({len(model.observables)} saved as "
        f"outputs). Time is in hours. Model fingerprint: `{model.fingerprint}`. Equations "
        "are the sympy expressions compiled by the solver; numeric constants folded by "
        "sympy are shown to 5 significant digits.",
        "",
        "Baseline states come from a steady-state burn-in under the protocol's background "
        "inputs, not from the initial guesses.",
        "",
        "## Contents",
        "",
    ]
    out += [f"{i}. `{m.name}` — {_cell((m.doc or '').strip().splitlines()[0] if m.doc else '')}"
            for i, m in enumerate(model.mechanisms, 1)]
    out += [f"{len(model.mechanisms) + 1}. All inputs", ""]
    for i, mech in enumerate(model.mechanisms, 1):
        out += _mechanism_section(model, mech, i, names)
    out += [f"## {len(model.mechanisms) + 1}. All inputs",
            "",
            "Piecewise-constant controls set by protocol events.",
            "",
            *_inputs_table(model, model.inputs, True),
            ""]
    return "\n".join(out)


__all__ = ["model_markdown"]
