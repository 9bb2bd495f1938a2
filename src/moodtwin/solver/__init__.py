"""Solvers: generated numba kernel (batched, one patient per thread)."""
