"""One step of torch.optim.SGD, as its documentation states the algorithm.

    g <- -grad if maximize else grad
    g <- g + weight_decay * theta                         (weight_decay != 0)
    b <- g at a parameter's first step, else momentum * b + (1 - dampening) * g
    g <- g + momentum * b if nesterov else b              (momentum != 0)
    theta <- theta - lr * g

The state is explicit: {} before a parameter's first step, {"momentum_buffer": b} after
it when momentum != 0 (SGD keeps no state without momentum). Non-finite values follow
IEEE arithmetic: a NaN gradient makes the step NaN, an infinite one infinite.
"""

import numpy as np


# Non-finite values are part of the law's domain: IEEE results, without warnings.
@np.errstate(invalid="ignore", divide="ignore", over="ignore")
def sgd_step(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, np.ndarray],
    *,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(new parameter, new state) after one step on `grad`; the inputs are left untouched."""
    theta = np.asarray(param, dtype=np.float64)
    g = -np.asarray(grad, dtype=np.float64) if maximize else np.asarray(grad, dtype=np.float64)
    if weight_decay != 0:
        g = g + weight_decay * theta
    new_state: dict[str, np.ndarray] = {}
    if momentum != 0:
        previous = state.get("momentum_buffer")
        if previous is None:
            buffer = g.copy()
        else:
            buffer = momentum * np.asarray(previous, dtype=np.float64) + (1 - dampening) * g
        new_state["momentum_buffer"] = buffer
        g = g + momentum * buffer if nesterov else buffer
    return theta - lr * g, new_state
