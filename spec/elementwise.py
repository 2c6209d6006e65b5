"""Shape-preserving maps as LayerSpecs: one factory, each activation supplies only its math.

A map with hyperparameters of its own (LeakyReLU's negative_slope, GELU's approximate)
supplies their strategy and classes, and `arguments`: what of hp its reference, VJP and
error scales take as keyword arguments (torch's defaults filled in).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st

from spec.inputs import Inputs
from spec.layerspec import Array, ErrorScale, InvalidCase, LayerSpec
from spec.strategies import tensor_shapes
from spec.values import ValueClass

# Softmax and Flatten ranks start at 1: their dims' 0-d wrap rules are not specified yet.
MIN_RANK = 1
MAX_RANK = 4

# Each takes x (and grad_y), then the keyword arguments `arguments(hp)` gives.
MapRef = Callable[..., Array]
MapVjp = Callable[..., dict]
# Per element error scale of the map's output (from x) and of its input gradient (x, grad_y).
MapScale = Callable[..., Array]
MapVjpScale = Callable[..., Array]
HyperParams = Mapping[str, Any]


def any_shape(hp: dict) -> st.SearchStrategy[tuple]:
    """Any small shape of 0..MAX_RANK dims: an elementwise map accepts every one, 0-d too."""
    return tensor_shapes(min_dims=0, max_dims=MAX_RANK)


def same_shape(hp: dict, shape: tuple) -> tuple:
    """The output shape of a shape-preserving layer."""
    return tuple(shape)


def no_params(hp: dict) -> dict:
    """A layer without parameters (or buffers)."""
    return {}


INPLACE_CLASSES = ("in place", "out of place")


def inplace_hyperparams(corner: dict | None = None) -> st.SearchStrategy[dict]:
    """{} (torch's default inplace=False) or an explicit inplace flag; a corner picks one."""
    wanted = (corner or {}).get("inplace")
    if wanted == "in place":
        return st.just({"inplace": True})
    if wanted == "out of place":
        return st.sampled_from([{}, {"inplace": False}])
    return st.one_of(st.just({}), st.fixed_dictionaries({"inplace": st.booleans()}))


def inplace_class(hp: dict) -> dict:
    return {"inplace": "in place" if hp.get("inplace") else "out of place"}


def _no_hyperparams(corner: dict | None = None) -> st.SearchStrategy[dict]:
    return st.just({})


def _inplace_flag(hp: dict) -> bool:
    return bool(hp.get("inplace", False))


def _no_arguments(hp: HyperParams) -> dict:
    return {}


def exact(x: Array, *rest: Array) -> Array:
    """Error scale of a map torch computes exactly: the bound is the floor alone."""
    return np.zeros_like(x)


def rejected_kwargs(
    name: str, foreign: tuple[dict, ...], invalid_calls: tuple[InvalidCase, ...] = ()
) -> st.SearchStrategy[InvalidCase]:
    """Constructor arguments the layer does not take (a sibling layer's): TypeError; and
    the layer's own invalid configurations, which its call rejects."""
    rejected = st.sampled_from(foreign).map(
        lambda hp: InvalidCase(hp, None, TypeError, f"{name} takes no {', '.join(hp)} argument")
    )
    if not invalid_calls:
        return rejected
    return st.one_of(rejected, st.sampled_from(invalid_calls))


def elementwise_spec(
    name: str,
    *,
    forward: MapRef,
    vjp: MapVjp,
    forward_scale: MapScale,
    vjp_scale: MapVjpScale,
    foreign_kwargs: tuple[dict, ...],
    inplace: bool = False,
    kinks: tuple[float, ...] = (),
    max_magnitude: float = 1e2,
    vjp_floor_scale: MapVjpScale | None = None,
    exact: tuple = (),
    hyperparams: Callable[..., st.SearchStrategy[dict]] | None = None,
    classes: Mapping[str, tuple[str, ...]] | None = None,
    classify: Callable[[HyperParams, tuple], dict[str, str]] | None = None,
    arguments: Callable[[HyperParams], dict] = _no_arguments,
    invalid_calls: tuple[InvalidCase, ...] = (),
    defaults: Mapping[str, Any] | None = None,
    impossible: Callable[[Mapping[str, str]], bool] | None = None,
    value_classes: tuple[ValueClass, ...] = (),
) -> LayerSpec:
    """The LayerSpec of y = f(x) elementwise, any shape, no parameters, no mode.

    `hyperparams`, `classes` and `classify` replace the inplace flag's (a map with
    arguments of its own draws them, and its inplace flag if it has one);
    `invalid_calls` are configurations the constructor accepts and the call rejects.
    """

    # LayerSpec's references take one Inputs; an elementwise map reads x (and grad_y).
    def forward_ref(inputs: Inputs) -> tuple[Array, dict]:
        return forward(inputs.x, **arguments(inputs.hp)), {}

    def vjp_ref(inputs: Inputs) -> dict:
        return vjp(inputs.x, inputs.g, **arguments(inputs.hp))

    # No reduction behind an element: K = 1.
    def forward_error(inputs: Inputs) -> ErrorScale:
        return forward_scale(inputs.x, **arguments(inputs.hp)), 1

    def vjp_error(inputs: Inputs) -> dict[str, ErrorScale]:
        x, grad_y, options = inputs.x, inputs.g, arguments(inputs.hp)
        if vjp_floor_scale is None:
            return {"input": (vjp_scale(x, grad_y, **options), 1)}
        floor = vjp_floor_scale(x, grad_y, **options)
        return {"input": (vjp_scale(x, grad_y, **options), 1, floor)}

    if defaults is None:
        # torch's documented default of the flag: out of place.
        defaults = {"inplace": False} if inplace else {}
    if hyperparams is None:
        hyperparams = inplace_hyperparams if inplace else _no_hyperparams
    if classes is None:
        classes = {"inplace": INPLACE_CLASSES} if inplace else {}
    if classify is None:
        classify = (lambda hp, shape: inplace_class(hp)) if inplace else LayerSpec.classify
    return LayerSpec(
        name=name,
        hyperparams=hyperparams,
        input_shape=any_shape,
        forward=forward_ref,
        vjp=vjp_ref,
        out_shape=same_shape,
        param_shapes=no_params,
        forward_error=forward_error,
        vjp_error=vjp_error,
        invalid=lambda corner=None: rejected_kwargs(name, foreign_kwargs, invalid_calls),
        kinks=kinks,
        max_magnitude=max_magnitude,
        writes_in_place=_inplace_flag if inplace else LayerSpec.writes_in_place,
        exact=exact,
        classes=classes,
        classify=classify,
        defaults=defaults,
        **({"impossible": impossible} if impossible is not None else {}),
        value_classes=value_classes,
    )
