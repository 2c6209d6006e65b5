"""The chapter's networks as data: their stages, parameter laws and a reference forward/VJP.

A model is a chain of stages. A stage is either a child module (named by its path, as
`get_submodule` and `named_parameters` spell it) or a function the model's forward()
calls between children (LeNet5's torch.tanh and x.view). Every stage points at one
reference op below, built from `reference/` alone; the tests hook torch's intermediate
values and compare op by op (see tests/test_models.py for why).

No torch here: the builders that turn a ModelSpec into modules live in tests/models.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from reference.activations import relu_forward, relu_vjp, tanh_forward
from reference.avg_pool2d import avg_pool2d_forward, avg_pool2d_vjp
from reference.conv2d import conv2d_forward, conv2d_vjp
from reference.dropout import dropout_forward, dropout_vjp
from reference.flatten import flatten_forward, flatten_vjp
from reference.linear import linear_forward, linear_vjp
from reference.parameter_laws import Shapes, conv2d_param_shapes, linear_param_shapes, param_count
from spec.inputs import Inputs

Array = np.ndarray
# (scale, K) per element, read by spec/tolerances.py; None: the op is exact (bitwise).
ErrorScale = tuple[Array, Any] | None

# The chapter's sizes (section on nn.Module and the containers).
CHAPTER_MY_NETWORK = {"d_in": 784, "hidden": 256, "d_out": 10, "p": 0.2}
CHAPTER_DYNAMIC_NET = (784, 256, 128, 64, 10)
CHAPTER_SEQUENTIAL_NAMES = ("fc1", "relu1", "dropout", "fc2")
LENET5_INPUT = (1, 28, 28)
LENET5_NUM_CLASSES = 10

# Drawn sizes stay small so an example costs milliseconds; the chapter's own sizes are
# drawn too (a coin flip), at about 10 ms an example.
MAX_FEATURES = 24
MAX_BATCH = 4
MAX_CLASSES = 12
DYNAMIC_DEPTHS = (2, 5)  # layer_sizes has 2..5 entries: 1..4 Linear layers


@dataclass(frozen=True)
class Op:
    """One reference op: forward, VJP, parameter law and the error scales of both.

    Each reads one Inputs (spec/inputs.py); a keep mask travels as its `randomness`.
    """

    forward: Callable[[Inputs], Array]
    vjp: Callable[[Inputs], dict[str, Array]]
    forward_error: Callable[[Inputs], ErrorScale]
    vjp_error: Callable[[Inputs], dict[str, ErrorScale]]
    params: Callable[[dict], Shapes] = lambda hp: {}
    random: bool = False  # a keep mask must be recovered from torch's values in training


# -- Linear: y = x @ W.T + b; errors of a K-term dot product (spec/tolerances.py)


def _linear(inputs: Inputs):
    return linear_forward(inputs.x, inputs.params["weight"], inputs.params.get("bias"))


def _linear_vjp(inputs: Inputs):
    return linear_vjp(inputs.x, inputs.params["weight"], inputs.params.get("bias"), inputs.g)


def _linear_error(inputs: Inputs):
    return _linear(inputs.absolute()), inputs.hp["in_features"]


def _linear_vjp_error(inputs: Inputs):
    hp = inputs.hp
    absolute = _linear_vjp(inputs.absolute())
    rows = max(1, inputs.x.size // hp["in_features"])
    lengths = {"input": hp["out_features"], "weight": rows, "bias": rows}
    return {name: (value, lengths[name]) for name, value in absolute.items()}


def _linear_params(hp: dict):
    return linear_param_shapes(hp["in_features"], hp["out_features"], hp.get("bias", True))


# -- Conv2d (the chapter's use: stride 1, zero padding, no dilation or groups)


def _conv_geometry(hp: dict):
    return hp.get("stride", 1), hp.get("padding", 0), 1, 1, "zeros"


def _conv(inputs: Inputs):
    weight, bias = inputs.params["weight"], inputs.params.get("bias")
    return conv2d_forward(inputs.x, weight, bias, *_conv_geometry(inputs.hp))


def _conv_vjp(inputs: Inputs):
    weight, bias = inputs.params["weight"], inputs.params.get("bias")
    return conv2d_vjp(inputs.x, weight, bias, *_conv_geometry(inputs.hp), inputs.g)


def _taps(hp: dict):
    return hp["kernel_size"] ** 2


def _conv_error(inputs: Inputs):
    hp = inputs.hp
    return _conv(inputs.absolute()), hp["in_channels"] * _taps(hp)


def _conv_vjp_error(inputs: Inputs):
    hp = inputs.hp
    absolute = _conv_vjp(inputs.absolute())
    positions = inputs.g.size // hp["out_channels"]
    lengths = {
        "input": hp["out_channels"] * _taps(hp),
        "weight": positions,
        "bias": positions,
    }
    return {name: (value, lengths[name]) for name, value in absolute.items()}


def _conv_params(hp: dict):
    return conv2d_param_shapes(hp["in_channels"], hp["out_channels"], hp["kernel_size"])


# -- AvgPool2d (kernel k, stride s, no padding): a sum of k*k terms and one division


def _pool_args(hp: dict):
    return hp["kernel_size"], hp.get("stride"), 0, False, True, None


def _pool(inputs: Inputs):
    return avg_pool2d_forward(inputs.x, *_pool_args(inputs.hp))


def _pool_vjp(inputs: Inputs):
    return avg_pool2d_vjp(inputs.x, *_pool_args(inputs.hp), inputs.g)


def _pool_error(inputs: Inputs):
    return _pool(inputs.absolute()), _taps(inputs.hp)


def _pool_vjp_error(inputs: Inputs):
    # An input element collects at most k*k window shares (fewer when s >= k).
    return {"input": (_pool_vjp(inputs.absolute())["input"], _taps(inputs.hp))}


# -- ReLU: a select, exact both ways


def _relu(inputs: Inputs):
    return relu_forward(inputs.x)


def _relu_vjp(inputs: Inputs):
    return relu_vjp(inputs.x, inputs.g)


def _exact(inputs: Inputs):
    return None


def _exact_vjp(inputs: Inputs):
    return {"input": None}


# -- tanh: a few ulps of the output forward; backward uses torch's own rounded output


def _tanh(inputs: Inputs):
    return tanh_forward(inputs.x)


def _tanh_vjp(inputs: Inputs):
    # torch's tanh_backward is grad * (1 - y^2) with y its rounded output; the
    # mathematical value is the same function of the exact y.
    y = tanh_forward(inputs.x)
    return {"input": np.asarray(inputs.g, dtype=np.float64) * (1.0 - y * y)}


def _tanh_error(inputs: Inputs):
    return np.abs(tanh_forward(inputs.x)), 1


def _tanh_vjp_error(inputs: Inputs):
    # y carries a few ulps of |y|, so 1 - y^2 carries a few ulps of 2 y^2 (it cancels
    # for large |x|): the error scales with |grad| * (1 - y^2 + 2 y^2).
    y = tanh_forward(inputs.x)
    return {"input": (np.abs(inputs.g) * (1.0 + y * y), 1)}


# -- Dropout: the identity in eval; x * mask / (1 - p) in training


def _dropout(inputs: Inputs):
    if not inputs.training:
        return np.asarray(inputs.x, dtype=np.float64).copy()
    return dropout_forward(inputs.x, inputs.randomness, inputs.hp["p"])


def _dropout_vjp(inputs: Inputs):
    if not inputs.training:
        return {"input": np.asarray(inputs.g, dtype=np.float64).copy()}
    return dropout_vjp(inputs.randomness, inputs.hp["p"], inputs.g)


def _dropout_error(inputs: Inputs):
    if not inputs.training or inputs.hp["p"] in (0.0, 1.0):
        return None
    # Two roundings: the scale 1/(1-p) in the dtype, then the product.
    return np.abs(_dropout(inputs)), 2


def _dropout_vjp_error(inputs: Inputs):
    if not inputs.training or inputs.hp["p"] in (0.0, 1.0):
        return {"input": None}
    return {"input": (np.abs(_dropout_vjp(inputs)["input"]), 2)}


# -- Flatten / x.view(x.size(0), -1): a relabelling, exact


def _flatten(inputs: Inputs):
    return flatten_forward(inputs.x, 1, -1)


def _flatten_vjp(inputs: Inputs):
    return flatten_vjp(inputs.x, 1, -1, inputs.g)


OPS: dict[str, Op] = {
    "linear": Op(_linear, _linear_vjp, _linear_error, _linear_vjp_error, _linear_params),
    "conv2d": Op(_conv, _conv_vjp, _conv_error, _conv_vjp_error, _conv_params),
    "avg_pool2d": Op(_pool, _pool_vjp, _pool_error, _pool_vjp_error),
    "relu": Op(_relu, _relu_vjp, _exact, _exact_vjp),
    "tanh": Op(_tanh, _tanh_vjp, _tanh_error, _tanh_vjp_error),
    "dropout": Op(_dropout, _dropout_vjp, _dropout_error, _dropout_vjp_error, random=True),
    "flatten": Op(_flatten, _flatten_vjp, _exact, _exact_vjp),
}


@dataclass(frozen=True)
class Stage:
    """One step of a model's forward: a child module (its path) or a function call (None)."""

    child: str | None
    op: str
    hp: dict  # the child's constructor kwargs, or the function's arguments

    @property
    def params(self) -> Shapes:
        """The stage's own parameters, in torch's registration order."""
        return OPS[self.op].params(self.hp)


@dataclass(frozen=True, repr=False)
class ModelSpec:
    """A network of the chapter: how to draw its configuration and what it must compute."""

    name: str  # the report row; tests/models.py builds the network of this name
    config: Callable[[], st.SearchStrategy[dict]]
    stages: Callable[[dict], tuple[Stage, ...]]
    input_shape: Callable[[dict], st.SearchStrategy[tuple]]
    # "module": a custom nn.Module; "sequential", "module_list": the container's own laws
    # (indexing, names, slicing, append/extend) are checked too.
    container: str = "module"
    max_magnitude: float = 10.0

    def __repr__(self) -> str:
        return f"<ModelSpec {self.name}>"


def named_parameter_shapes(stages: tuple[Stage, ...]) -> dict[str, tuple[int, ...]]:
    """named_parameters() as the law says: child path + '.' + parameter, in stage order."""
    return {
        f"{stage.child}.{name}": shape
        for stage in stages
        if stage.child is not None
        for name, shape in stage.params.items()
    }


def model_param_count(stages: tuple[Stage, ...]) -> int:
    """sum(p.numel() for p in model.parameters()) by the closed-form laws."""
    return sum(math.prod(shape) for shape in named_parameter_shapes(stages).values())


def stage_param_count(stage: Stage) -> int:
    """The parameter count of one stage's child."""
    return param_count(stage.params)


# ---- the chapter's networks --------------------------------------------------------------

_dropout_p = st.one_of(st.sampled_from([0.0, 0.2, 0.5, 1.0]), st.floats(0.0, 1.0))


def _feature_sizes(count: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, MAX_FEATURES), min_size=count, max_size=count)


@st.composite
def _mlp_config(draw: st.DrawFn) -> dict:
    """MyNetwork's sizes and p: the chapter's 784-256-10 with p=0.2, or smaller ones."""
    if draw(st.booleans(), label="chapter sizes"):
        return dict(CHAPTER_MY_NETWORK)
    d_in, hidden, d_out = draw(_feature_sizes(3), label="sizes")
    return {"d_in": d_in, "hidden": hidden, "d_out": d_out, "p": draw(_dropout_p, label="p")}


def _mlp_stages(names: tuple[str, ...]) -> Callable[[dict], tuple[Stage, ...]]:
    def stages(config: dict) -> tuple[Stage, ...]:
        fc1, relu, dropout, fc2 = names
        return (
            Stage(fc1, "linear", {"in_features": config["d_in"], "out_features": config["hidden"]}),
            Stage(relu, "relu", {}),
            Stage(dropout, "dropout", {"p": config["p"]}),
            Stage(
                fc2, "linear", {"in_features": config["hidden"], "out_features": config["d_out"]}
            ),
        )

    return stages


def _batch_of(features: str) -> Callable[[dict], st.SearchStrategy[tuple]]:
    return lambda config: st.integers(1, MAX_BATCH).map(lambda n: (n, config[features]))


MY_NETWORK = ModelSpec(
    name="MyNetwork",
    config=_mlp_config,
    stages=_mlp_stages(("fc1", "relu", "dropout", "fc2")),
    input_shape=_batch_of("d_in"),
)


@st.composite
def _sequential_config(draw: st.DrawFn) -> dict:
    """The chapter's Sequential: positional (names '0'..'3') or with OrderedDict names."""
    return {**draw(_mlp_config()), "named": draw(st.booleans(), label="OrderedDict names")}


def _sequential_stages(config: dict) -> tuple[Stage, ...]:
    names = CHAPTER_SEQUENTIAL_NAMES if config["named"] else ("0", "1", "2", "3")
    return _mlp_stages(names)(config)


SEQUENTIAL = ModelSpec(
    name="Sequential",
    config=_sequential_config,
    stages=_sequential_stages,
    input_shape=_batch_of("d_in"),
    container="sequential",
)


@st.composite
def _layer_sizes(draw: st.DrawFn) -> dict:
    if draw(st.booleans(), label="chapter sizes"):
        return {"layer_sizes": list(CHAPTER_DYNAMIC_NET)}
    count = draw(st.integers(*DYNAMIC_DEPTHS), label="len(layer_sizes)")
    return {"layer_sizes": draw(_feature_sizes(count), label="layer_sizes")}


def _dynamic_stages(config: dict) -> tuple[Stage, ...]:
    """Linear at even indices of `layers`, ReLU between, none after the last Linear."""
    sizes = config["layer_sizes"]
    stages: list[Stage] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        stages.append(
            Stage(f"layers.{len(stages)}", "linear", {"in_features": a, "out_features": b})
        )
        if i < len(sizes) - 2:
            stages.append(Stage(f"layers.{len(stages)}", "relu", {}))
    return tuple(stages)


def _first_size(config: dict) -> st.SearchStrategy[tuple]:
    return st.integers(1, MAX_BATCH).map(lambda n: (n, config["layer_sizes"][0]))


DYNAMIC_NET = ModelSpec(
    name="DynamicNet",
    config=_layer_sizes,
    stages=_dynamic_stages,
    input_shape=_first_size,
)


@st.composite
def _module_list_config(draw: st.DrawFn) -> dict:
    """DynamicNet's layers again, but put into the ModuleList by a drawn mix of
    append() and extend() calls: `chunks` are the sizes of successive calls, 0 = append."""
    config = draw(_layer_sizes())
    count = len(_dynamic_stages(config))
    chunks, left = [], count
    while left:
        size = draw(st.integers(0, left), label="extend size (0: append)")
        chunks.append(size)
        left -= max(size, 1)
    return {**config, "chunks": chunks}


MODULE_LIST = ModelSpec(
    name="ModuleList",
    config=_module_list_config,
    stages=_dynamic_stages,
    input_shape=_first_size,
    container="module_list",
)


@st.composite
def _lenet_config(draw: st.DrawFn) -> dict:
    classes = st.one_of(st.just(LENET5_NUM_CLASSES), st.integers(1, MAX_CLASSES))
    return {"num_classes": draw(classes, label="num_classes")}


def _lenet_stages(config: dict) -> tuple[Stage, ...]:
    pool = {"kernel_size": 2, "stride": 2}
    return (
        Stage(
            "c1", "conv2d", {"in_channels": 1, "out_channels": 6, "kernel_size": 5, "padding": 2}
        ),
        Stage(None, "tanh", {}),
        Stage("s2", "avg_pool2d", pool),
        Stage("c3", "conv2d", {"in_channels": 6, "out_channels": 16, "kernel_size": 5}),
        Stage(None, "tanh", {}),
        Stage("s4", "avg_pool2d", pool),
        Stage("c5", "conv2d", {"in_channels": 16, "out_channels": 120, "kernel_size": 5}),
        Stage(None, "tanh", {}),
        Stage(None, "flatten", {}),
        Stage("f6", "linear", {"in_features": 120, "out_features": 84}),
        Stage(None, "tanh", {}),
        Stage("output", "linear", {"in_features": 84, "out_features": config["num_classes"]}),
    )


LENET5 = ModelSpec(
    name="LeNet5",
    config=_lenet_config,
    stages=_lenet_stages,
    input_shape=lambda config: st.integers(1, MAX_BATCH).map(lambda n: (n, *LENET5_INPUT)),
)

MODELS: tuple[ModelSpec, ...] = (MY_NETWORK, SEQUENTIAL, MODULE_LIST, DYNAMIC_NET, LENET5)


def model_named(name: str) -> ModelSpec:
    """The ModelSpec called `name`."""
    for model in MODELS:
        if model.name == name:
            return model
    raise KeyError(name)
