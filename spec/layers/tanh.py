"""nn.Tanh, pushed to |x| where a naive (e^x - e^-x) / (e^x + e^-x) overflows."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.activations import tanh_forward, tanh_vjp
from spec.elementwise import elementwise_spec
from spec.exact import ExactCase, Symmetry, filled
from spec.inputs import Inputs
from spec.values import arrays


def _any_values(spec, hp, dtype):
    """x over the whole drawn domain, grad_y too: for the odd symmetry."""

    @st.composite
    def build(draw):
        shape = tuple(draw(spec.input_shape(hp), label="input_shape"))
        x = draw(arrays(shape, spec.max_magnitude, "x"), label="x")
        grad_y = draw(arrays(shape, 10.0, "grad_y"), label="grad_y")
        return Inputs(x, hp, training=False, grad_y=grad_y)

    return build()


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
    exact=(
        ExactCase(
            "zeros",
            why="tanh(0) = 0 and its derivative 1 - tanh(0)^2 = 1: g passes unchanged",
            inputs=filled(0.0),
        ),
        Symmetry(
            "odd",
            why=(
                "tanh is odd: every sound implementation computes tanh(-x) as -tanh(x) "
                "(the sign is separate in floating point), and its derivative 1 - t^2 "
                "is even, so the input gradient at -x equals the one at x bit for bit"
            ),
            inputs=_any_values,
            transform_x=np.negative,
            transform_y=np.negative,
            transform_grad=lambda grad: grad,
        ),
    ),
)
