"""Mean squared error as torch.nn.MSELoss computes it: (x - t)^2 per element, reduced.

    loss = reduce((x - t)^2)        d loss / dx = 2 (x - t) G,   d loss / dt = -2 (x - t) G

with G the output gradient per element (grad_y, grad_y, or grad_y / numel for 'mean').
The target has the input's shape (broadcasting a target is out of scope).
"""

from __future__ import annotations

import numpy as np

from reference.reduction import per_position_gradient, reduce


def mse_loss_forward(x: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """reduce((x - target)^2)."""
    difference = np.asarray(x, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    return reduce(difference**2, reduction)


def mse_loss_vjp(
    x: np.ndarray, target: np.ndarray, reduction: str, grad_y: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of <loss, grad_y> with respect to the input and the target."""
    difference = np.asarray(x, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    g = per_position_gradient(grad_y, difference.shape, reduction)
    grad_input = 2.0 * difference * g
    return {"input": grad_input, "target": -grad_input}
