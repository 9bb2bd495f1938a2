"""Generate, cache and import the compiled (numba) form of a :class:`~moodtwin.model.Model`.

The generated module holds ``rhs``, ``jac`` (exact, from sympy) and ``observables`` plus
the integration kernel, in one file under the cache directory, so numba's on-disk cache
makes a cold start after the first one fast.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from importlib import resources
from pathlib import Path
from types import ModuleType

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from moodtwin.model import Model

_LOADED: dict[str, ModuleType] = {}


class _Printer(PythonCodePrinter):
    """Prints ``math.exp`` etc. and plain floats that numba compiles well."""

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))

    def _print_Rational(self, expr: sp.Rational) -> str:
        return repr(float(expr))


def cache_dir() -> Path:
    """Folder for generated modules (``$MOODTWIN_CACHE`` or ``~/.cache/moodtwin``)."""
    root = os.environ.get("MOODTWIN_CACHE") or Path.home() / ".cache" / "moodtwin"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _unpack(model: Model) -> list[str]:
    lines = [f"    {s.name} = y[{i}]" for i, s in enumerate(model.states)]
    lines += [f"    {p.name} = p[{i}]" for i, p in enumerate(model.parameters)]
    lines += [f"    {u.name} = u[{i}]" for i, u in enumerate(model.inputs)]
    return lines


def _cse_lines(exprs: list[sp.Expr], printer: _Printer) -> tuple[list[str], list[sp.Expr]]:
    temps, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_c"), optimizations="basic")
    return [f"    {s} = {printer.doprint(e)}" for s, e in temps], reduced


def generate_source(model: Model) -> str:
    """Python/numba source of ``rhs``, ``jac`` and ``observables`` for ``model``."""
    pr = _Printer({"fully_qualified_modules": True})
    unpack = _unpack(model)
    out = [
        f'"""Generated from model {model.name!r} ({model.fingerprint}); do not edit."""',
        "import math",
        "import numpy as np",
        "from numba import njit",
        "",
        f"N_STATES = {len(model.states)}",
        "",
        '@njit(cache=True, error_model="numpy")',
        "def rhs(y, p, u, dy):",
        *unpack,
    ]
    for d in model.derived:
        out.append(f"    {d.name} = {pr.doprint(model.derived_exprs[d.name])}")
    for i, s in enumerate(model.states):
        out.append(f"    dy[{i}] = {pr.doprint(model.rate_exprs[s.name])}")
    out += ["", '@njit(cache=True, error_model="numpy")', "def jac(y, p, u, J):", *unpack]
    out.append("    J[:, :] = 0.0")
    keys = sorted(model.jacobian)
    temps, reduced = _cse_lines([model.jacobian[k] for k in keys], pr)
    out += temps
    out += [f"    J[{i}, {j}] = {pr.doprint(e)}" for (i, j), e in zip(keys, reduced, strict=True)]
    out += ["", '@njit(cache=True, error_model="numpy")', "def observables(y, p, u, out):", *unpack]
    for d in model.derived:
        out.append(f"    {d.name} = {pr.doprint(model.derived_exprs[d.name])}")
    for k, d in enumerate(model.observables):
        out.append(f"    out[{k}] = {d.name}")
    out.append("")
    return "\n".join(out)


def compiled(model: Model) -> ModuleType:
    """Import (generating on first use) the compiled module of ``model``."""
    if model.fingerprint in _LOADED:
        return _LOADED[model.fingerprint]
    kernel = resources.files("moodtwin.solver").joinpath("_kernel.py").read_text()
    body = generate_source(model) + "\n# ---- integration kernel ----\n" + kernel
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    name = f"moodtwin_gen_{model.fingerprint}_{digest}"
    path = cache_dir() / f"{name}.py"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(body)
        tmp.replace(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - importlib contract
        raise ImportError(f"cannot import generated module {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _LOADED[model.fingerprint] = module
    return module
