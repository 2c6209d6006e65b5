"""nn.ReLU: max(x, 0), in place or not."""

from __future__ import annotations

from reference.activations import relu_forward, relu_vjp
from spec.elementwise import elementwise_spec, exact
from spec.exact import ExactCase, integer_inputs

SPEC = elementwise_spec(
    "ReLU",
    forward=relu_forward,
    vjp=relu_vjp,
    # A select, not arithmetic: the output and the gradient are exact.
    forward_scale=exact,
    vjp_scale=exact,
    foreign_kwargs=({"negative_slope": 0.01}, {"inplace": False, "threshold": 0.0}),
    inplace=True,
    kinks=(0.0,),
    exact=(
        ExactCase(
            "any values",
            why="max(x, 0) selects x or 0, and the gradient selects g or 0: no arithmetic",
            inputs=integer_inputs(),
        ),
    ),
)
