"""Tiny helpers that write common rate-law strings."""


def hill(x: str, k: str, n: str) -> str:
    """Increasing Hill function ``x^n / (x^n + k^n)`` as an expression string."""
    return f"({x})**({n})/(({x})**({n}) + ({k})**({n}))"


def relax(target: str, state: str, tau: str) -> str:
    """First-order relaxation ``(target - state) / tau`` as an expression string."""
    return f"(({target}) - {state})/({tau})"


def smooth_pos(x: str, eps: str) -> str:
    """Smooth positive part ``(x + sqrt(x^2 + eps)) / 2`` (max(x, 0) without a kink)."""
    return f"(({x}) + sqrt(({x})**2 + {eps}))/2"


def smooth_min(a: str, b: str, eps: str) -> str:
    """Smooth minimum ``(a + b - sqrt((a - b)^2 + eps)) / 2`` (min(a, b) without a kink)."""
    return f"(({a}) + ({b}) - sqrt((({a}) - ({b}))**2 + {eps}))/2"
