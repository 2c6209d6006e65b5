"""Deliberately naive scalar loops of torch.optim's documented algorithms, for self-tests.

One Python float at a time, the whole run at once (t = 1 .. T), written line by line from
the pseudo-code in the SGD, Adam and AdamW docstrings (its if/else blocks kept as the
pseudo-code writes them), sharing no code with reference/.
"""

# ruff: noqa: SIM108

import math


def sgd_naive(theta, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
              nesterov=False, maximize=False):  # fmt: skip
    """[(theta_t, b_t)] for t = 1 .. len(grads), one scalar parameter."""
    out = []
    b = None
    for t, grad in enumerate(grads, start=1):
        if maximize:
            g = -grad
        else:
            g = grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            if t > 1:
                b = momentum * b + (1 - dampening) * g
            else:
                b = g
            if nesterov:
                g = g + momentum * b
            else:
                g = b
        theta = theta - lr * g
        out.append((theta, b))
    return out


def adam_naive(theta, grads, lr, beta1, beta2, eps, weight_decay=0.0, amsgrad=False,
               maximize=False, decoupled=False):  # fmt: skip
    """[(theta_t, m_t, v_t, v_max_t)] for t = 1 .. len(grads), one scalar parameter."""
    out = []
    m = 0.0
    v = 0.0
    v_max = 0.0
    for t, grad in enumerate(grads, start=1):
        if maximize:
            g = -grad
        else:
            g = grad
        if weight_decay != 0:
            if decoupled:
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = max(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append((theta, m, v, v_max))
    return out
