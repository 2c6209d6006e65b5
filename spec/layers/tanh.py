"""nn.Tanh, pushed to |x| where a naive (e^x - e^-x) / (e^x + e^-x) overflows."""

from __future__ import annotations

import numpy as np

from reference.activations import tanh_forward, tanh_vjp
from spec.elementwise import elementwise_spec


def forward_scale(x: np.ndarray) -> np.ndarray:
    # torch's tanh is within an ulp of the output (2 eps relative).
    return np.abs(tanh_forward(x))


def vjp_scale(x: np.ndarray, grad_y: np.ndarray) -> np.ndarray:
    # torch computes g * (1 - t * t) from its rounded output t (error 2 eps * |t|): t * t
    # is off by (2 * 2 + 1) eps * t^2, absolute, so where |t| -> 1 and the true derivative
    # vanishes the error stays eps * t^2; 1 - t^2 and the product add 2 eps * (1 - t^2).
    # So <= 5 eps * |g| * (t^2 + (1 - t^2)) = 5 eps * |g|.
    return np.abs(grad_y)


SPEC = elementwise_spec(
    "Tanh",
    forward=tanh_forward,
    vjp=tanh_vjp,
    forward_scale=forward_scale,
    vjp_scale=vjp_scale,
    foreign_kwargs=({"inplace": True}, {"dim": 0}),
    max_magnitude=1e3,
)
