"""Straight-line sparse LU of the Rosenbrock iteration matrix ``I - h*gamma*J``.

The Jacobian's sparsity pattern is known symbolically, so an elimination order with
little fill-in (greedy Markowitz on the diagonal) is chosen once, at code generation,
and the factorisation and triangular solves are printed as straight-line code without
pivoting. A pivot that is small compared with the entries below it (threshold
``PIVOT_RATIO``) makes ``lu_factor`` return ``False``; the kernel then falls back to
dense LU with partial pivoting for that step.
"""

from __future__ import annotations

from collections.abc import Iterable

PIVOT_RATIO = 1e-3  # |pivot| must be >= PIVOT_RATIO * |largest multiplier numerator|


def elimination_order(n: int, pattern: Iterable[tuple[int, int]]) -> list[int]:
    """Greedy Markowitz order (diagonal pivots) for the ``n``x``n`` ``pattern``."""
    filled = set(pattern) | {(i, i) for i in range(n)}
    left = set(range(n))
    order: list[int] = []
    while left:
        def cost(k: int) -> tuple[int, int]:
            r = sum(1 for i in left if i != k and (i, k) in filled)
            c = sum(1 for j in left if j != k and (k, j) in filled)
            return r * c, k

        best = min(left, key=cost)
        order.append(best)
        left.remove(best)
        rows = [i for i in left if (i, best) in filled]
        cols = [j for j in left if (best, j) in filled]
        filled.update((i, j) for i in rows for j in cols)
    return order


def _fill(n: int, pattern: set[tuple[int, int]]) -> tuple[list[tuple[int, int]], int]:
    """Pattern (in permuted indices) of L+U after elimination, and the update count."""
    filled = set(pattern)
    updates = 0
    for k in range(n):
        rows = [i for i in range(k + 1, n) if (i, k) in filled]
        cols = [j for j in range(k + 1, n) if (k, j) in filled]
        filled.update((i, j) for i in rows for j in cols)
        updates += len(rows) * len(cols)
    return sorted(filled), updates


def lu_source(n: int, jac_keys: list[tuple[int, int]]) -> list[str]:
    """numba source of ``lu_factor(jv, hg, a)`` and ``lu_solve(a, b, r)``.

    ``jv[k]`` holds the Jacobian entry ``jac_keys[k]``; ``a`` (``LU_SIZE``,) receives the
    factors of ``I - hg*J`` (reciprocal pivots on the diagonal); ``lu_solve`` overwrites
    row ``b[r]`` of the 2-D ``b`` with the solution of ``(I - hg*J) x = b[r]`` (a row
    index, not a row view: views cost the kernel atomic reference counting).
    """
    order = elimination_order(n, jac_keys)
    pos = {s: k for k, s in enumerate(order)}
    perm_pattern = {(pos[i], pos[j]) for i, j in jac_keys} | {(k, k) for k in range(n)}
    entries, _ = _fill(n, perm_pattern)
    slot = {e: k for k, e in enumerate(entries)}
    jac_slot = {(pos[i], pos[j]): k for k, (i, j) in enumerate(jac_keys)}
    lines = [f"LU_SIZE = {len(entries)}", "", "",
             '@njit(cache=True, error_model="numpy")', "def lu_factor(jv, hg, a):"]
    for e in entries:
        k = jac_slot.get(e)
        one = "1.0" if e[0] == e[1] else "0.0"
        lines.append(f"    a[{slot[e]}] = {one}" + (f" - hg * jv[{k}]" if k is not None else ""))
    for k in range(n):
        rows = [i for i in range(k + 1, n) if (i, k) in slot]
        cols = [j for j in range(k + 1, n) if (k, j) in slot]
        d = slot[(k, k)]
        if rows:
            big = ", ".join(f"abs(a[{slot[(i, k)]}])" for i in rows)
            big = f"max({big}, 0.0)" if len(rows) > 1 else f"abs(a[{slot[(rows[0], k)]}])"
            lines.append(f"    if not abs(a[{d}]) >= {PIVOT_RATIO!r} * {big} or a[{d}] == 0.0:")
        else:
            lines.append(f"    if not abs(a[{d}]) > 0.0:")
        lines.append("        return False")
        lines.append(f"    a[{d}] = 1.0 / a[{d}]")
        for i in rows:
            lines.append(f"    a[{slot[(i, k)]}] *= a[{d}]")
            for j in cols:
                lines.append(f"    a[{slot[(i, j)]}] -= a[{slot[(i, k)]}] * a[{slot[(k, j)]}]")
    lines.append("    return True")
    lines += ["", "", '@njit(cache=True, error_model="numpy")', "def lu_solve(a, b, r):"]
    for i in range(n):
        terms = "".join(f" - a[{slot[(i, j)]}] * _x{j}" for j in range(i) if (i, j) in slot)
        lines.append(f"    _x{i} = b[r, {order[i]}]{terms}")
    for i in range(n - 1, -1, -1):
        terms = "".join(f" - a[{slot[(i, j)]}] * _x{j}" for j in range(i + 1, n)
                        if (i, j) in slot)
        expr = f"(_x{i}{terms})" if terms else f"_x{i}"
        lines.append(f"    _x{i} = {expr} * a[{slot[(i, i)]}]")
    lines += [f"    b[r, {order[i]}] = _x{i}" for i in range(n)]
    return lines
