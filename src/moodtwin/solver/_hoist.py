"""Split expressions into state-independent parts (computed once per event segment) and the
state-dependent remainder (computed at every right-hand-side or Jacobian evaluation).

Between events the parameters and inputs are constant, so every maximal subexpression
free of states (``body_weight**0.75``, Hill thresholds of stimulation currents, ...) is
replaced by a symbol ``_k<i>`` whose value ``precompute`` stores once per segment.
"""

from __future__ import annotations

import sympy as sp


class Hoister:
    """Collects state-free subexpressions of the expressions passed to :meth:`split`."""

    def __init__(self, states: set[sp.Symbol]) -> None:
        self.states = states
        self.constants: dict[sp.Expr, sp.Symbol] = {}

    def _const(self, e: sp.Expr) -> sp.Expr:
        if e.is_Atom:
            return e
        if e not in self.constants:
            self.constants[e] = sp.Symbol(f"_k{len(self.constants)}")
        return self.constants[e]

    def _walk(self, e: sp.Expr) -> sp.Expr:
        if not (e.free_symbols & self.states):
            return self._const(e)
        if e.is_Atom:
            return e
        if e.is_Add or e.is_Mul:
            fixed = [a for a in e.args if not (a.free_symbols & self.states)]
            rest = [self._walk(a) for a in e.args if a.free_symbols & self.states]
            if fixed:
                rest.insert(0, self._const(e.func(*fixed)))
            return e.func(*rest, evaluate=False)
        return e.func(*[self._walk(a) for a in e.args])

    def split(self, exprs: list[sp.Expr]) -> list[sp.Expr]:
        """``exprs`` with their state-free parts replaced by ``_k`` symbols."""
        return [self._walk(e) for e in exprs]

    def definitions(self) -> list[tuple[sp.Symbol, sp.Expr]]:
        """``(_k symbol, expression over parameters and inputs)`` in creation order."""
        return [(s, e) for e, s in self.constants.items()]
