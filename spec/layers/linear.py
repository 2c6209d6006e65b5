"""nn.Linear: y = x @ weight.T + bias."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.linear import linear_forward, linear_vjp
from reference.parameter_laws import linear_param_shapes
from spec.default_init import fan_in_uniform_laws
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import leading_shapes, sizes


def hyperparams() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {"in_features": sizes(), "out_features": sizes(), "bias": st.booleans()}
    )


def input_shape(hp: dict) -> st.SearchStrategy[tuple]:
    return leading_shapes().map(lambda lead: (*lead, hp["in_features"]))


def forward(x, params, buffers, hp, training, randomness):
    return linear_forward(x, params["weight"], params.get("bias")), {}


def vjp(x, params, buffers, hp, training, randomness, grad_y):
    return linear_vjp(x, params["weight"], params.get("bias"), grad_y)


def forward_error(x, params, buffers, hp, training, randomness):
    bias = params.get("bias")
    scale = linear_forward(
        np.abs(x), np.abs(params["weight"]), None if bias is None else np.abs(bias)
    )
    return scale, hp["in_features"]


def vjp_error(x, params, buffers, hp, training, randomness, grad_y):
    bias = params.get("bias")
    absolute = linear_vjp(
        np.abs(x), np.abs(params["weight"]), None if bias is None else np.abs(bias), np.abs(grad_y)
    )
    batch = max(1, x.size // hp["in_features"])
    errors = {
        "input": (absolute["input"], hp["out_features"]),
        "weight": (absolute["weight"], batch),
    }
    if "bias" in params:
        errors["bias"] = (absolute["bias"], batch)
    return errors


def out_shape(hp: dict, shape: tuple) -> tuple:
    return (*shape[:-1], hp["out_features"])


def param_shapes(hp: dict) -> dict:
    return linear_param_shapes(hp["in_features"], hp["out_features"], hp["bias"])


def init(hp: dict) -> dict:
    return fan_in_uniform_laws(param_shapes(hp))


@st.composite
def invalid(draw: st.DrawFn) -> InvalidCase:
    good = draw(hyperparams())
    kind = draw(st.sampled_from(["negative size", "feature mismatch", "scalar input"]))
    if kind == "negative size":
        key = draw(st.sampled_from(["in_features", "out_features"]))
        return InvalidCase({**good, key: -draw(sizes())}, None, RuntimeError, f"{key} < 0")
    if kind == "feature mismatch":
        wrong = good["in_features"] + draw(sizes())
        return InvalidCase(
            good, (draw(sizes(1, 4)), wrong), RuntimeError, "last dim != in_features"
        )
    return InvalidCase(good, (), RuntimeError, "0-d input")


SPEC = LayerSpec(
    name="Linear",
    hyperparams=hyperparams,
    input_shape=input_shape,
    forward=forward,
    vjp=vjp,
    out_shape=out_shape,
    param_shapes=param_shapes,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=invalid,
    init=init,
)
