"""The chapter's networks as data: their stages, parameter laws and a reference forward/VJP.

A model is a chain of stages. A stage is either a child module (named by its path, as
`get_submodule` and `named_parameters` spell it) or a function the model's forward()
calls between children (LeNet5's torch.tanh and x.view). Every stage names the layer spec
of the registry that computes it, whose reference, parameter law and error scales it
uses; the tests hook torch's intermediate values and compare op by op (see
tests/test_models.py for why).

No torch here: the builders that turn a ModelSpec into modules live in tests/models.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from reference.parameter_laws import Shapes, param_count
from spec.layerspec import LayerSpec
from spec.registry import layer_named

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
class Stage:
    """One step of a model's forward: a child module (its path) or a function call (None).

    Either way the step computes what one layer of the registry computes (a function such
    as torch.tanh or x.view(n, -1) names the layer computing the same: Tanh, Flatten), so
    its reference, parameter law and error scales are that layer spec's, one definition
    for layers and models alike.
    """

    child: str | None
    layer: str  # the torch.nn class name of the layer spec computing this step
    hp: dict  # the child's constructor kwargs, or the function's arguments

    @property
    def spec(self) -> LayerSpec:
        return layer_named(self.layer)

    @property
    def arguments(self) -> dict:
        """Every constructor argument: the given ones over the spec's documented defaults."""
        return {**self.spec.defaults, **self.hp}

    @property
    def params(self) -> Shapes:
        """The stage's own parameters, in torch's registration order."""
        return self.spec.param_shapes(self.arguments)


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
            Stage(fc1, "Linear", {"in_features": config["d_in"], "out_features": config["hidden"]}),
            Stage(relu, "ReLU", {}),
            Stage(dropout, "Dropout", {"p": config["p"]}),
            Stage(
                fc2, "Linear", {"in_features": config["hidden"], "out_features": config["d_out"]}
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
            Stage(f"layers.{len(stages)}", "Linear", {"in_features": a, "out_features": b})
        )
        if i < len(sizes) - 2:
            stages.append(Stage(f"layers.{len(stages)}", "ReLU", {}))
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
            "c1", "Conv2d", {"in_channels": 1, "out_channels": 6, "kernel_size": 5, "padding": 2}
        ),
        Stage(None, "Tanh", {}),
        Stage("s2", "AvgPool2d", pool),
        Stage("c3", "Conv2d", {"in_channels": 6, "out_channels": 16, "kernel_size": 5}),
        Stage(None, "Tanh", {}),
        Stage("s4", "AvgPool2d", pool),
        Stage("c5", "Conv2d", {"in_channels": 16, "out_channels": 120, "kernel_size": 5}),
        Stage(None, "Tanh", {}),
        Stage(None, "Flatten", {}),
        Stage("f6", "Linear", {"in_features": 120, "out_features": 84}),
        Stage(None, "Tanh", {}),
        Stage("output", "Linear", {"in_features": 84, "out_features": config["num_classes"]}),
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
