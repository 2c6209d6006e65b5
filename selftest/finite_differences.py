"""Central finite differences: the independent check on every reference VJP."""

from collections.abc import Callable

import numpy as np

# Central differences have O(h^2) truncation and O(eps/h) rounding error; h = 1e-6
# balances the two in float64 for inputs of order one.
STEP = 1e-6


def numerical_vjp(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, grad_y: np.ndarray, step: float = STEP
) -> np.ndarray:
    """d/dx of sum(f(x) * grad_y), one central difference per element of x."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    grad_flat = grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + step
        up = np.sum(f(x) * grad_y)
        flat[i] = saved - step
        down = np.sum(f(x) * grad_y)
        flat[i] = saved
        grad_flat[i] = (up - down) / (2 * step)
    return grad


def assert_vjp_matches_finite_differences(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    grad_y: np.ndarray,
    analytic: np.ndarray,
    rtol: float = 1e-6,
    atol: float = 1e-7,
) -> None:
    """The analytic VJP equals central differences of <f(x), grad_y> in float64."""
    numeric = numerical_vjp(f, x, grad_y)
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)
