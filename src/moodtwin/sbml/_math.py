"""sympy expressions -> SBML Level 3 infix formulas -> libsbml ``ASTNode`` (MathML).

Every operator the model may use is printed explicitly (powers as ``(a)^(b)``, natural
logarithm as ``ln``, ``Piecewise``/``Min``/``Max`` as SBML ``piecewise``/``min``/``max``);
anything else is refused rather than silently mistranslated.
"""

from __future__ import annotations

import libsbml
import sympy as sp
from sympy.printing.str import StrPrinter

from moodtwin.errors import ValidationError

_FUNCTIONS = {sp.exp: "exp", sp.log: "ln", sp.tanh: "tanh", sp.cos: "cos", sp.Abs: "abs",
              sp.Min: "min", sp.Max: "max"}
_RELATIONS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}


def _is_reciprocal(a: sp.Expr) -> bool:
    return bool(a.is_Pow and a.exp.is_number and a.exp.is_negative)


def _inverse(a: sp.Pow) -> sp.Expr:
    """``b**-e`` -> ``b**e`` (``b`` for ``e = 1``), left unevaluated."""
    return a.base if a.exp == -1 else sp.Pow(a.base, -a.exp, evaluate=False)


class _L3Printer(StrPrinter):
    """Prints sympy trees in the SBML L3 formula syntax (fully parenthesised)."""

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))

    def _print_Rational(self, expr: sp.Rational) -> str:
        return repr(float(expr))

    def _print_Integer(self, expr: sp.Integer) -> str:
        return str(int(expr))

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return expr.name

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        return "(" + " + ".join(self._print(a) for a in expr.args) + ")"

    def _print_Mul(self, expr: sp.Mul) -> str:
        # factors with negative numeric exponents are written as a division (units-checkable)
        num = [a for a in expr.args if not _is_reciprocal(a)]
        den = [_inverse(a) for a in expr.args if _is_reciprocal(a)]
        return self._fraction(num, den)

    def _fraction(self, num: list[sp.Expr], den: list[sp.Expr]) -> str:
        top = " * ".join(self._print(a) for a in num) or "1"
        if not den:
            return f"({top})"
        return f"(({top}) / ({' * '.join(self._print(a) for a in den)}))"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        if _is_reciprocal(expr):
            return self._fraction([], [_inverse(expr)])
        base, exp = (self._print(a) for a in expr.args)
        if expr.exp == sp.S.Half:
            return f"sqrt({base})"
        return f"(({base})^({exp}))"

    def _print_Function(self, expr: sp.Function) -> str:
        name = _FUNCTIONS.get(type(expr))
        if name is None:
            raise ValidationError(f"SBML export: function {type(expr).__name__!r} has no "
                                  "SBML translation.")
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    _print_Min = _print_Max = _print_exp = _print_log = _print_Abs = _print_Function

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        parts: list[str] = []
        for value, cond in expr.args:
            if cond is sp.true:
                parts.append(self._print(value))
                break
            parts += [self._print(value), self._print(cond)]
        else:
            raise ValidationError("SBML export: Piecewise without an otherwise branch.")
        return f"piecewise({', '.join(parts)})"

    def _print_Relational(self, expr: sp.core.relational.Relational) -> str:
        return f"({self._print(expr.lhs)} {_RELATIONS[expr.rel_op]} {self._print(expr.rhs)})"

    def _print_And(self, expr: sp.And) -> str:
        return "(" + " && ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr: sp.Or) -> str:
        return "(" + " || ".join(self._print(a) for a in expr.args) + ")"

    def _print_Not(self, expr: sp.Not) -> str:
        return f"!({self._print(expr.args[0])})"

    def _print_BooleanTrue(self, expr: object) -> str:
        return "true"

    def _print_BooleanFalse(self, expr: object) -> str:
        return "false"

    def _print_Exp1(self, expr: object) -> str:
        return "exponentiale"

    def _print_Pi(self, expr: object) -> str:
        return "pi"

    def emptyPrinter(self, expr: object) -> str:  # noqa: N802 - sympy's hook name
        raise ValidationError(f"SBML export: {type(expr).__name__!r} has no SBML translation.")

    _print_Heaviside = _print_Infinity = _print_NegativeInfinity = _print_NaN = emptyPrinter
    _print_ComplexInfinity = emptyPrinter


def formula(expr: sp.Expr) -> str:
    """``expr`` as an SBML L3 infix formula (natural log written ``ln``)."""
    return _L3Printer().doprint(expr)


def to_ast(text: str, model: libsbml.Model | None = None) -> libsbml.ASTNode:
    """Parse an L3 formula into MathML (``model`` resolves ids, e.g. for units checks)."""
    settings = libsbml.L3ParserSettings()
    settings.setParseLog(libsbml.L3P_PARSE_LOG_AS_LN)
    if model is not None:
        settings.setModel(model)
    ast = libsbml.parseL3FormulaWithSettings(text, settings)
    if ast is None:
        raise ValidationError(f"SBML export: libsbml cannot parse {text!r}: "
                              f"{libsbml.getLastParseL3Error()}")
    return ast


def mathml(expr: sp.Expr, model: libsbml.Model | None = None) -> libsbml.ASTNode:
    """``expr`` as a libsbml ``ASTNode``."""
    return to_ast(formula(expr), model)
