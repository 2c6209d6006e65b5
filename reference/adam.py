"""One step of torch.optim.Adam and torch.optim.AdamW, as their documentation states it.

    g <- -grad if maximize else grad
    theta <- theta - lr * weight_decay * theta           (AdamW: decoupled decay)
    g <- g + weight_decay * theta                         (Adam: decay through the gradient)
    m <- beta1 * m + (1 - beta1) * g
    v <- beta2 * v + (1 - beta2) * g^2
    v_max <- max(v_max, v)                                (amsgrad)
    m_hat <- m / (1 - beta1^t),  v_hat <- (v_max if amsgrad else v) / (1 - beta2^t)
    theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

t counts the parameter's own steps. The state is explicit: {} before the first step,
then {"step", "exp_avg", "exp_avg_sq"} and "max_exp_avg_sq" with amsgrad, each starting
at zero. AdamW is Adam with decoupled weight decay (torch.optim.AdamW's own docs; Adam
takes it as `decoupled_weight_decay=True`). The maximum propagates NaN, as torch.maximum
does; everything else follows IEEE arithmetic.
"""

import numpy as np


# Non-finite values are part of the law's domain: IEEE results, without warnings.
@np.errstate(invalid="ignore", divide="ignore", over="ignore")
def adam_step(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, np.ndarray],
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(new parameter, new state) after one step on `grad`; the inputs are left untouched."""
    beta1, beta2 = betas
    theta = np.asarray(param, dtype=np.float64)
    g = -np.asarray(grad, dtype=np.float64) if maximize else np.asarray(grad, dtype=np.float64)
    zeros = np.zeros_like(theta)
    step = float(state.get("step", 0.0)) + 1
    m = np.asarray(state.get("exp_avg", zeros), dtype=np.float64)
    v = np.asarray(state.get("exp_avg_sq", zeros), dtype=np.float64)
    if weight_decay != 0:
        if decoupled_weight_decay:
            theta = theta - lr * weight_decay * theta
        else:
            g = g + weight_decay * theta
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    new_state = {"step": np.asarray(step), "exp_avg": m, "exp_avg_sq": v}
    v_used = v
    if amsgrad:
        previous_max = np.asarray(state.get("max_exp_avg_sq", zeros), dtype=np.float64)
        v_used = new_state["max_exp_avg_sq"] = np.maximum(previous_max, v)
    m_hat = m / (1 - beta1**step)
    v_hat = v_used / (1 - beta2**step)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), new_state


def adamw_step(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, np.ndarray],
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One AdamW step: Adam with the weight decay applied to the parameter, not the gradient."""
    return adam_step(
        param,
        grad,
        state,
        lr=lr,
        betas=betas,
        eps=eps,
        weight_decay=weight_decay,
        amsgrad=amsgrad,
        maximize=maximize,
        decoupled_weight_decay=True,
    )
