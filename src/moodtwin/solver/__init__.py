"""Solvers: generated numba kernel (batched, one patient per thread)."""

STATS = ("steps", "rejected", "factorisations", "rhs_evaluations", "dense_lu_fallbacks")
"""Names of the per-patient work counters the kernel accumulates (columns of ``stats``)."""
