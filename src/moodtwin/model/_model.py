"""Join mechanisms into a :class:`Model` and derive everything from that one definition.

The same sympy expressions feed the generated numba right-hand side and Jacobian
(:mod:`moodtwin.solver`), the SBML export and the Markdown/LaTeX documentation.
"""

from __future__ import annotations

import hashlib
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import sympy as sp

from moodtwin.errors import UnknownNameError, ValidationError
from moodtwin.model._spec import Derived, Input, Mechanism, Parameter, State

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FUNCTIONS = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "tanh": sp.tanh, "cos": sp.cos}
_RESERVED = set(_FUNCTIONS) | {"t", "math", "np", "pi", "y", "p", "u", "dy", "J", "out"}


@dataclass(frozen=True)
class Model:
    """An assembled model: ordered states, parameters, inputs and derived quantities.

    Build it with :func:`build_model`; do not construct directly.
    """

    name: str
    mechanisms: tuple[Mechanism, ...]
    states: tuple[State, ...]
    parameters: tuple[Parameter, ...]
    inputs: tuple[Input, ...]
    derived: tuple[Derived, ...]  # topologically ordered

    # ------------------------------------------------------------------ lookup
    @cached_property
    def state_index(self) -> dict[str, int]:
        return {s.name: i for i, s in enumerate(self.states)}

    @cached_property
    def parameter_index(self) -> dict[str, int]:
        return {p.name: i for i, p in enumerate(self.parameters)}

    @cached_property
    def input_index(self) -> dict[str, int]:
        return {u.name: i for i, u in enumerate(self.inputs)}

    @cached_property
    def observables(self) -> tuple[Derived, ...]:
        return tuple(d for d in self.derived if d.observable)

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name`` (close matches are suggested if unknown)."""
        try:
            return self.parameters[self.parameter_index[name]]
        except KeyError:
            raise UnknownNameError("parameter", name, self.parameter_index) from None

    def state(self, name: str) -> State:
        try:
            return self.states[self.state_index[name]]
        except KeyError:
            raise UnknownNameError("state", name, self.state_index) from None

    def mechanism_of(self, name: str) -> str:
        """Name of the mechanism that declares ``name`` (state, parameter, input, derived)."""
        for m in self.mechanisms:
            for group in (m.states, m.parameters, m.inputs, m.derived):
                if any(x.name == name for x in group):
                    return m.name
        raise UnknownNameError("model name", name, self.symbols)

    # ------------------------------------------------------------------ sympy
    @cached_property
    def symbols(self) -> dict[str, sp.Symbol]:
        # States are non-negative (amounts, normalised levels): lets sympy keep x**(n-1)
        # instead of Abs(x)**(2n)/x in Jacobians, which would be 0/0 at x = 0.
        out = {s.name: sp.Symbol(s.name, nonnegative=True) for s in self.states}
        names = [x.name for x in (*self.parameters, *self.inputs, *self.derived)]
        return out | {n: sp.Symbol(n, real=True) for n in names}

    def parse(self, expr: str, where: str) -> sp.Expr:
        """Parse ``expr`` over the model's names; unknown names get close-match hints."""
        try:
            tree = sp.sympify(expr, locals={**self.symbols, **_FUNCTIONS})
        except (sp.SympifyError, SyntaxError, TypeError) as exc:
            raise ValidationError(f"{where}: cannot parse expression {expr!r}: {exc}") from None
        for sym in tree.free_symbols:
            if sym.name not in self.symbols:
                raise UnknownNameError(f"name in {where}", sym.name, self.symbols)
        return tree

    @cached_property
    def derived_exprs(self) -> dict[str, sp.Expr]:
        """Derived quantities as written (may reference other derived quantities)."""
        return {d.name: self.parse(d.expr, f"derived {d.name!r}") for d in self.derived}

    @cached_property
    def rate_exprs(self) -> dict[str, sp.Expr]:
        """State rates as written (may reference derived quantities)."""
        return {s.name: self.parse(s.rate, f"rate of state {s.name!r}") for s in self.states}

    @cached_property
    def expanded_derived(self) -> dict[str, sp.Expr]:
        """Derived quantities with all derived references substituted away."""
        out: dict[str, sp.Expr] = {}
        for d in self.derived:  # topological order
            out[d.name] = self.derived_exprs[d.name].xreplace(
                {self.symbols[k]: v for k, v in out.items()}
            )
        return out

    @cached_property
    def expanded_rates(self) -> list[sp.Expr]:
        """State rates in state order, over states, parameters and inputs only."""
        sub = {self.symbols[k]: v for k, v in self.expanded_derived.items()}
        return [self.rate_exprs[s.name].xreplace(sub) for s in self.states]

    @cached_property
    def jacobian(self) -> dict[tuple[int, int], sp.Expr]:
        """Non-zero entries of d(rate_i)/d(state_j)."""
        ys = [self.symbols[s.name] for s in self.states]
        entries: dict[tuple[int, int], sp.Expr] = {}
        for i, f in enumerate(self.expanded_rates):
            for j, yj in enumerate(ys):
                if yj in f.free_symbols:
                    # powsimp turns n*x**n/x into n*x**(n-1): finite at x = 0
                    d = sp.powsimp(sp.diff(f, yj), force=True)
                    if d != 0:
                        entries[(i, j)] = d
        return entries

    @cached_property
    def fingerprint(self) -> str:
        """Hash of the whole definition (names, expressions, defaults): keys compiled caches."""
        h = hashlib.sha256()
        for group in (self.states, self.parameters, self.inputs, self.derived):
            for x in group:
                h.update(repr(x).encode())
        return h.hexdigest()[:16]

    @cached_property
    def structure_key(self) -> str:
        """Hash of the equations alone (names, units, expressions; not parameter values).

        Models that differ only in parameter values (e.g. a calibrated set) share it, and so
        share one compiled kernel: values always reach the solver as an array.
        """
        h = hashlib.sha256()
        for group in (self.states, self.inputs, self.derived):
            for x in group:
                h.update(repr(x).encode())
        for p in self.parameters:
            h.update(f"{p.name}|{p.unit}".encode())
        return h.hexdigest()[:16]

    def defaults(self) -> dict[str, float]:
        """Default parameter values by name."""
        return {p.name: p.value for p in self.parameters}

    def with_values(self, values: Mapping[str, float],
                    source: str | Mapping[str, str]) -> Model:
        """This model with the typical values of some parameters replaced.

        ``source`` becomes their provenance (e.g. "calibrated to ..."), one for all or one per
        name; unknown names and values outside a parameter's plausible range are refused with
        a clear error.
        """
        for name in values:
            self.parameter(name)
        where = {n: source if isinstance(source, str) else source[n] for n in values}
        mechanisms = [
            replace(m, parameters=tuple(
                replace(p, value=float(values[p.name]), source=where[p.name])
                if p.name in values else p for p in m.parameters))
            for m in self.mechanisms
        ]
        return build_model(self.name, mechanisms)


def _check_name(name: str, owner: str) -> None:
    if not _NAME.match(name) or keyword.iskeyword(name) or name in _RESERVED:
        raise ValidationError(
            f"{owner}: {name!r} is not a valid model name (letters, digits and '_', "
            f"starting with a letter; not one of {sorted(_RESERVED)})."
        )


def _toposort(derived: Sequence[Derived], symbols: Iterable[str]) -> tuple[Derived, ...]:
    by_name = {d.name: d for d in derived}
    deps: dict[str, set[str]] = {}
    known = set(symbols) | set(by_name)
    for d in derived:
        tree = sp.sympify(d.expr, locals={**{n: sp.Symbol(n) for n in known}, **_FUNCTIONS})
        deps[d.name] = {s.name for s in tree.free_symbols} & set(by_name)
    order: list[Derived] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(n: str) -> None:
        if n in done:
            return
        if n in visiting:
            raise ValidationError(f"Derived quantity {n!r} depends on itself (cycle).")
        visiting.add(n)
        for m in sorted(deps[n]):
            visit(m)
        visiting.discard(n)
        done.add(n)
        order.append(by_name[n])

    for d in derived:
        visit(d.name)
    return tuple(order)


def build_model(name: str, mechanisms: Sequence[Mechanism]) -> Model:
    """Assemble ``mechanisms`` into a validated :class:`Model`.

    Raises :class:`~moodtwin.errors.ValidationError` for duplicate or invalid names and
    :class:`~moodtwin.errors.UnknownNameError` for expressions that use undeclared names.
    """
    seen: dict[str, str] = {}
    states, params, inputs, derived = [], [], [], []
    for m in mechanisms:
        for group, bucket in (
            (m.states, states),
            (m.parameters, params),
            (m.inputs, inputs),
            (m.derived, derived),
        ):
            for x in group:
                _check_name(x.name, f"mechanism {m.name!r}")
                if x.name in seen:
                    raise ValidationError(
                        f"Name {x.name!r} is declared twice: in {seen[x.name]!r} and {m.name!r}."
                    )
                seen[x.name] = m.name
                bucket.append(x)
    base = [x.name for x in (*states, *params, *inputs)]
    model = Model(
        name=name,
        mechanisms=tuple(mechanisms),
        states=tuple(states),
        parameters=tuple(params),
        inputs=tuple(inputs),
        derived=_toposort(derived, base),
    )
    model.rate_exprs  # noqa: B018 - parse everything now so errors surface at build time
    model.derived_exprs  # noqa: B018
    return model
