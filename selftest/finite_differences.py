"""Central finite differences: the independent check on every reference VJP."""

from collections.abc import Callable

import numpy as np

# Central differences have O(h^2) truncation and O(eps/h) rounding error; h = 1e-6
# balances the two in float64 for inputs of order one.
STEP = 1e-6
ATOL = 1e-7
ULP = 2.0**-52


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


def rounding_atol(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, grad_y: np.ndarray, step: float = STEP
) -> float:
    """The rounding noise of one central difference, whatever f: each evaluation of
    <f(x), grad_y> errs by up to about log2(n) + 2 ulps of sum|f(x) * grad_y| (numpy sums
    pairwise; the products and the shifted x round too), and the difference of two such
    sums is divided by 2 * step. ATOL alone was too tight once: a LeakyReLU case of 64
    elements near 11 under grad_y near 1.8 (the sum 1,290) differed by 1.09e-7 at an
    element where grad_y was -1e-5."""
    terms = np.abs(np.asarray(f(np.array(x, dtype=np.float64))) * grad_y)
    terms = terms[np.isfinite(terms)]
    return (np.log2(max(terms.size, 1)) + 2) * ULP * float(np.sum(terms)) / step


def assert_vjp_matches_finite_differences(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    grad_y: np.ndarray,
    analytic: np.ndarray,
    rtol: float = 1e-6,
    atol: float = ATOL,
) -> None:
    """The analytic VJP equals central differences of <f(x), grad_y> in float64, within
    `atol` plus the differences' own rounding noise."""
    numeric = numerical_vjp(f, x, grad_y)
    tolerance = atol + rounding_atol(f, x, grad_y)
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=tolerance)


def normalisation_atol(
    x: np.ndarray,
    weight: np.ndarray | None,
    grad_y: np.ndarray,
    smallest_variance: float,
    eps: float,
    shift: float = 0.0,
    step: float = STEP,
) -> float:
    """ATOL plus the rounding noise central differences pick up through a normalisation.

    The mean a normalisation subtracts carries a few ulps of max|x| (of max|x| + shift when
    a stored mean is subtracted), and every output multiplies that error by
    |weight| / sqrt(var + eps): up to 1 / sqrt(eps) on a constant channel, where a perturbed
    element moves the variance only at second order. Each of the two evaluations of
    <f(x), grad_y> may then err by that times sum|grad_y|, and their difference is divided
    by 2 * step.
    """
    gain = 1.0 if weight is None else max(1.0, float(np.max(np.abs(weight))))
    output_error = 8 * ULP * (float(np.max(np.abs(x))) + shift) * gain
    output_error /= np.sqrt(smallest_variance + eps)
    return ATOL + output_error * float(np.sum(np.abs(grad_y))) / step
