"""nn.Sigmoid: 1 / (1 + exp(-x)), pushed to |x| where a naive exp overflows."""

from __future__ import annotations

import numpy as np

from reference.activations import sigmoid_forward, sigmoid_vjp
from spec.elementwise import elementwise_spec
from spec.exact import ExactCase, filled
from spec.values import EXP_UNDERFLOW


def forward_scale(x: np.ndarray) -> np.ndarray:
    # torch evaluates 1 / (1 + exp(-x)): exp within an ulp (2 eps), the sum and the
    # quotient one rounding each, so at most 4 eps relative to s.
    return np.abs(sigmoid_forward(x))


def vjp_scale(x: np.ndarray, grad_y: np.ndarray) -> np.ndarray:
    # torch computes g * (1 - s) * s from its rounded output s. Its error (4 eps * s) moves
    # s * (1 - s) by |1 - 2s| * 4 eps * s, absolute, not relative to s * (1 - s) (where
    # s -> 1 the true derivative vanishes but 1 - s is pure rounding error); the three
    # roundings of 1 - s and the two products add 3 eps * s * (1 - s). In all <= 7 eps |g| s.
    return np.abs(grad_y) * sigmoid_forward(x)


def vjp_floor_scale(x: np.ndarray, grad_y: np.ndarray) -> np.ndarray:
    # torch flushes a subnormal s to 0 (float32: x in (-103.3, -88.7)), which the forward
    # floor allows; the backward multiplies that s by g, so its error reaches |g| floors.
    return np.maximum(1.0, np.abs(grad_y))


SPEC = elementwise_spec(
    "Sigmoid",
    forward=sigmoid_forward,
    vjp=sigmoid_vjp,
    forward_scale=forward_scale,
    vjp_scale=vjp_scale,
    foreign_kwargs=({"inplace": True}, {"dim": 0}),
    max_magnitude=1e3,
    vjp_floor_scale=vjp_floor_scale,
    value_classes=(EXP_UNDERFLOW,),
    exact=(
        ExactCase(
            "zeros",
            why=(
                "sigmoid(0) = 1 / (1 + exp(0)) = 1/2 and its derivative s(1 - s) = 1/4: "
                "exp(0) is exactly 1 in any libm, the rest are exact halvings, and g/4 "
                "of a small integer g is exact"
            ),
            inputs=filled(0.0),
        ),
    ),
)
