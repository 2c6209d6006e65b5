"""BatchNorm1d and BatchNorm2d as LayerSpecs: one normalisation, per channel over every other
axis, so one factory; each layer supplies its input shapes and the ranks it accepts.

Batch statistics in training, running statistics in eval (or batch statistics in both
without running stats); the running statistics' update is the mode law (spec/modes.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
from hypothesis import strategies as st

from reference.batch_norm import batch_norm_forward, batch_norm_vjp, reduced_axes
from reference.parameter_laws import batch_norm_buffer_shapes, batch_norm_param_shapes
from spec.default_init import affine_norm_laws
from spec.exact import TINY_EPS, ExactCase, constant_groups
from spec.finite_differences import normalisation_resolves
from spec.input_classes import BATCHED, CHANNELS, channel_count, channels_class
from spec.inputs import Inputs
from spec.layerspec import ErrorScale, InvalidCase, LayerSpec, Shape
from spec.modes import BufferLaw, Mode
from spec.normalization_error import (
    Normalised,
    batch_statistics,
    bias_grad_scale,
    fixed_statistics,
    input_grad_floor_scale,
    input_grad_scale,
    output_floor_scale,
    output_scale,
    weight_grad_floor_scale,
    weight_grad_scale,
)
from spec.strategies import MAX_CHANNELS, from_class
from spec.values import VALUES_DIMENSION, ValueClass, arrays, fill

# Torch's default, the usual alternatives, a large one that dominates small variances
# and a tiny one under which a constant channel divides by ~1e-5.
NAMED_EPS = (1e-5, 1e-3, 0.1, 1e-10)
# num_batches_tracked drives the cumulative average (momentum=None): 1/(k+1).
MAX_TRACKED = 1000
# Regimes for a positive running_var: |values| of those that are never exactly 0.
POSITIVE_REGIMES = ("normal", "log_uniform", "large", "tiny", "offset")
# Running statistics span the same magnitudes as the inputs (LayerSpec.max_magnitude).
BUFFER_TOP = 1e2


MOMENTUM_CLASSES = {
    "0": st.just(0.0),
    "1": st.just(1.0),
    "None (cumulative average)": st.none(),
    "between": st.floats(0.0, 1.0, exclude_min=True, exclude_max=True),
}
STATE_CLASSES = (
    "affine, running stats",
    "affine, no running stats",
    "no affine, running stats",
    "no affine, no running stats",
)
CLASSES = {"momentum": tuple(MOMENTUM_CLASSES), "state": STATE_CLASSES}


# A grad_output of a few float16 steps (spec/values.py "subnormal") over channels of
# small values: each product g * (x - mean) is then below or near float16's smallest
# step, while the law's sum(g * x_hat) (x_hat of order 1) is not. A backward that forms
# those products in the input's dtype loses up to half a step each, absolutely; the
# bound grows with the count of values per channel, so the class asks for few of them,
# normalised by their own deviation (eps at most 1e-5, below most of their variances).
TINY_GRADIENT = ValueClass(
    "tiny gradient over few small values",
    why="products of the gradient with x - mean fall below a half type's smallest step",
    x=("small",),
    grad_output=("subnormal",),
)
VALUE_CLASSES = (TINY_GRADIENT,)
FEW_VALUES = 8
# A channel's values are reduced in vectors: eight float32 lanes fill an AVX2 register,
# and up to eight a kernel runs its tail loop alone (inductor's float16 backward gave NaN
# for a constant channel of more than eight values only: batch_norm1d-inductor-float16-
# tiny-eps-backward). An input class, met by every exact case.
PER_CHANNEL = (
    f"at most {FEW_VALUES} values per channel",
    f"more than {FEW_VALUES} values per channel",
)
SMALL_EPS = st.one_of(st.sampled_from((1e-5, 1e-10)), st.floats(1e-10, 1e-5))


def _value_class_without_batch_statistics(classes: Mapping[str, str]) -> bool:
    # The class is about a channel's batch statistics: eval with running statistics has
    # none (it normalises by the drawn running ones, x - mean of order 1).
    return (
        classes.get(VALUES_DIMENSION) == TINY_GRADIENT.name
        and classes.get("mode") == "eval"
        and classes.get("state", "").endswith(", running stats")
    )


def _few_values_with_many(classes: Mapping[str, str]) -> bool:
    # The tiny-gradient class asks for few values per channel.
    tiny = classes.get(VALUES_DIMENSION) == TINY_GRADIENT.name
    return tiny and classes.get("values per channel") == PER_CHANNEL[1]


def values_per_channel(corner: Mapping[str, str] | None) -> int | None:
    """The most values per channel a corner asks for (its value class or its count
    class); None: no limit."""
    corner = corner or {}
    few = corner.get(VALUES_DIMENSION) == TINY_GRADIENT.name
    return FEW_VALUES if few or corner.get("values per channel") == PER_CHANNEL[0] else None


def least_values_per_channel(corner: Mapping[str, str] | None) -> int:
    """The fewest values per channel a corner asks for: more than FEW_VALUES in the
    class of many, else 2 (batch statistics reject a single value per channel)."""
    return FEW_VALUES + 1 if (corner or {}).get("values per channel") == PER_CHANNEL[1] else 2


def per_channel_class(shape: tuple) -> str:
    """The values-per-channel class of an input (N, C, ...)."""
    count = math.prod(shape) // shape[1]
    return PER_CHANNEL[0] if count <= FEW_VALUES else PER_CHANNEL[1]


def classify(hp: dict, shape: tuple) -> dict:
    momentum = hp["momentum"]
    named = {None: "None (cumulative average)", 0.0: "0", 1.0: "1"}
    affine = "affine" if hp["affine"] else "no affine"
    stats = "running stats" if hp["track_running_stats"] else "no running stats"
    return {
        "momentum": named.get(momentum, "between"),
        "state": f"{affine}, {stats}",
        "batch": BATCHED[0] if shape[0] == 1 else BATCHED[1],
        "channels": channels_class(hp["num_features"]),
        "values per channel": per_channel_class(shape),
    }


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    eps = st.one_of(st.sampled_from(NAMED_EPS), st.floats(1e-10, 1.0))
    if corner.get(VALUES_DIMENSION) == TINY_GRADIENT.name:
        eps = SMALL_EPS
    _, momentum = from_class(draw, corner, "momentum", MOMENTUM_CLASSES)
    state = corner.get("state") or draw(st.sampled_from(STATE_CLASSES), label="state")
    hp = {
        "num_features": channel_count(draw, corner, "num_features"),
        "eps": draw(eps, label="eps"),
        "momentum": momentum,
        "affine": not state.startswith("no affine"),
        "track_running_stats": not state.endswith("no running stats"),
    }
    # Keyword-only since torch 2.x: affine=True, bias=False keeps the scale alone. Older
    # releases lack the argument (their layers have the default, a bias), so half the
    # draws leave it out and run there too.
    if draw(st.booleans(), label="bias given"):
        hp["bias"] = draw(st.booleans(), label="bias")
    return hp


def _positive(shape: tuple) -> st.SearchStrategy[np.ndarray]:
    regimes = st.lists(st.sampled_from(POSITIVE_REGIMES), min_size=1, max_size=3, unique=True)
    return st.builds(
        lambda seed, names: np.abs(fill(shape, seed, tuple(names), BUFFER_TOP)),
        st.integers(0, 2**32 - 1),
        regimes,
    )


def buffer_values(hp: dict) -> st.SearchStrategy[dict]:
    if not hp["track_running_stats"]:
        return st.just({})
    channels = (hp["num_features"],)
    return st.fixed_dictionaries(
        {
            "running_mean": arrays(channels, BUFFER_TOP, "running_mean"),
            "running_var": _positive(channels),
            "num_batches_tracked": st.integers(0, MAX_TRACKED).map(
                lambda k: np.array(k, dtype=np.int64)
            ),
        }
    )


def _uses_batch_stats(hp: dict, training: bool) -> bool:
    return training or not hp["track_running_stats"]


def differences_resolve(x: np.ndarray, hp: dict, training: bool) -> bool:
    # Running statistics are constants: y is affine in x, nothing cancels.
    return not _uses_batch_stats(hp, training) or normalisation_resolves(
        x, reduced_axes(x.ndim), hp["eps"]
    )


def forward(inputs: Inputs) -> tuple[np.ndarray, dict]:
    params, buffers, hp = inputs.params, inputs.buffers, inputs.hp
    tracked = buffers.get("num_batches_tracked")
    y, new_buffers = batch_norm_forward(
        inputs.x,
        params.get("weight"),
        params.get("bias"),
        buffers.get("running_mean"),
        buffers.get("running_var"),
        None if tracked is None else int(tracked),
        momentum=hp["momentum"],
        eps=hp["eps"],
        training=inputs.training,
        track_running_stats=hp["track_running_stats"],
    )
    if "num_batches_tracked" in new_buffers:
        # As module_buffers reads it from torch: a 0-d int64 array.
        new_buffers["num_batches_tracked"] = np.array(
            new_buffers["num_batches_tracked"], dtype=np.int64
        )
    return y, new_buffers


def vjp(inputs: Inputs) -> dict[str, np.ndarray]:
    params, buffers, hp = inputs.params, inputs.buffers, inputs.hp
    return batch_norm_vjp(
        inputs.x,
        params.get("weight"),
        params.get("bias"),
        buffers.get("running_mean"),
        buffers.get("running_var"),
        eps=hp["eps"],
        use_batch_stats=_uses_batch_stats(hp, inputs.training),
        grad_y=inputs.g,
    )


def _per_channel(values: np.ndarray | None, ndim: int) -> np.ndarray | None:
    """A (C,) vector shaped to broadcast against an ndim-D input (channels on axis 1)."""
    return None if values is None else np.asarray(values).reshape(1, -1, *(1,) * (ndim - 2))


def _normalised(inputs: Inputs) -> Normalised:
    hp, x = inputs.hp, inputs.x
    if _uses_batch_stats(hp, inputs.training):
        return batch_statistics(x, reduced_axes(x.ndim), hp["eps"])
    return fixed_statistics(
        x,
        _per_channel(inputs.buffers["running_mean"], x.ndim),
        _per_channel(inputs.buffers["running_var"], x.ndim),
        hp["eps"],
    )


def _count(x: np.ndarray) -> int:
    """Values per channel: the length of every reduction over the non-channel axes."""
    return x.size // x.shape[1]


def forward_error(inputs: Inputs) -> ErrorScale:
    params, x = inputs.params, inputs.x
    n = _normalised(inputs)
    weight = _per_channel(params.get("weight"), x.ndim)
    scale = output_scale(n, weight, _per_channel(params.get("bias"), x.ndim))
    # Running statistics are used as given: nothing is reduced, K = 1.
    k = _count(x) if _uses_batch_stats(inputs.hp, inputs.training) else 1
    return scale, k, output_floor_scale(n, weight)


def vjp_error(inputs: Inputs) -> dict[str, ErrorScale]:
    params, x, grad_y = inputs.params, inputs.x, inputs.g
    axes = reduced_axes(x.ndim)
    n = _normalised(inputs)
    weight = _per_channel(params.get("weight"), x.ndim)
    grad_x_hat = grad_y if weight is None else grad_y * weight
    batch = _uses_batch_stats(inputs.hp, inputs.training)
    errors = {
        "input": (
            input_grad_scale(n, grad_x_hat, axes if batch else None),
            _count(x) if batch else 1,
            input_grad_floor_scale(n, grad_x_hat, axes if batch else None),
        )
    }
    if "weight" in params:
        errors["weight"] = (
            weight_grad_scale(n, grad_y, axes),
            _count(x),
            weight_grad_floor_scale(n, grad_y, axes),
        )
    if "bias" in params:
        errors["bias"] = (bias_grad_scale(grad_y, axes), _count(x))
    return errors


def running_stat_error(inputs: Inputs) -> dict[str, ErrorScale]:
    """Error scales of the updated running statistics, given torch's previous ones.

    new = (1 - m) * old + m * stat. The batch mean of K values (K = values per channel)
    errs by eps * sqrt(K) * mean|x| (a K-term sum); the unbiased variance by eps * sqrt(K)
    * mean(|x - mu| * (|x - mu| + mean|x|)) * K/(K-1): the squares round relative to
    (x - mu)^2, and a mean lagging by up to mean|x| (Welford's running mean, or the
    rounded mean of a two-pass form) shifts each deviation by that much. The update
    rounds relative to (1 - m)|old| + m|stat|, and m itself is rounded to the dtype:
    its error eps * m multiplies |old| + |stat| (this dominates for m near 1 and a
    large old value, where 1 - m is small). K is the reduction length.
    """
    x, buffers, hp = inputs.x, inputs.buffers, inputs.hp
    axes = reduced_axes(x.ndim)
    count = _count(x)
    tracked = int(buffers["num_batches_tracked"])
    m = 1.0 / (tracked + 1) if hp["momentum"] is None else hp["momentum"]
    mean_abs = np.abs(x).mean(axis=axes)
    deviation = np.abs(x - x.mean(axis=axes, keepdims=True))
    var_scale = (deviation * (deviation + _per_channel(mean_abs, x.ndim))).mean(axis=axes)
    var_scale = var_scale * count / (count - 1)

    def mixed(old: np.ndarray, stat: np.ndarray) -> np.ndarray:
        old = np.abs(old)
        return (1 - m) * old + m * stat + m * (old + stat)

    return {
        "running_mean": (mixed(buffers["running_mean"], mean_abs), count),
        "running_var": (mixed(buffers["running_var"], var_scale), count),
    }


# Training normalises by the batch and updates the running statistics; eval uses them.
# Without running statistics both modes normalise by the batch and update nothing.
MODE = Mode(
    same_in_train_and_eval=lambda hp: not hp["track_running_stats"],
    buffers=BufferLaw(error=running_stat_error),
)


def out_shape(hp: dict, shape: tuple) -> tuple:
    return shape


def param_shapes(hp: dict) -> dict:
    return batch_norm_param_shapes(hp["num_features"], hp["affine"], bias=hp.get("bias", True))


def buffer_shapes(hp: dict) -> dict:
    return batch_norm_buffer_shapes(hp["num_features"], hp["track_running_stats"])


def init(hp: dict) -> dict:
    return affine_norm_laws(param_shapes(hp))


def invalid_kinds(ranks: tuple[int, ...]) -> tuple[str, ...]:
    """The kinds of invalid configuration of a batch norm accepting inputs of `ranks`."""
    return (
        "input channels != num_features",
        f"input rank not {' or '.join(map(str, ranks))}",
        "one value per channel with batch statistics",
        "negative num_features",
        "non-positive eps with batch statistics",
    )


# A layer's inputs of channel count c: those of batch n and every other size `size`, in
# each rank it accepts; and shapes of the ranks it refuses.
ValidShapes = Callable[[int, int, int], list[Shape]]
WrongRankShapes = Callable[[int], list[Shape]]


def invalid_cases(
    kinds: tuple[str, ...], valid_shapes: ValidShapes, wrong_ranks: WrongRankShapes
) -> Callable[..., st.SearchStrategy[InvalidCase]]:
    """The `invalid` strategy of a batch norm with these kinds (invalid_kinds) and shapes."""

    @st.composite
    def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
        hp = draw(hyperparams())
        kind = (corner or {}).get("invalid kind") or draw(
            st.sampled_from(kinds), label="invalid kind"
        )
        c = hp["num_features"]

        def shaped(n: int, channels: int, size: int) -> Shape:
            return draw(st.sampled_from(valid_shapes(n, channels, size)), label="shape")

        if kind == kinds[0]:
            # Only a per-channel tensor (weight or running stats) reveals the mismatch:
            # affine=False without running stats normalises any number of channels.
            keep = draw(st.sampled_from(["affine", "track_running_stats"]), label="keeps")
            wrong = c + draw(st.integers(1, 2))
            return InvalidCase({**hp, keep: True}, shaped(2, wrong, 2), RuntimeError, kind)
        if kind == kinds[1]:
            shape = draw(st.sampled_from(wrong_ranks(c)), label="shape")
            return InvalidCase(hp, shape, ValueError, kind)
        if kind == kinds[2]:
            # Without running stats the layer takes batch statistics in train and eval
            # alike; with them, in training alone (where it also counts the batch).
            if not hp["track_running_stats"]:
                return InvalidCase(hp, shaped(1, c, 1), ValueError, kind)
            return InvalidCase(hp, shaped(1, c, 1), ValueError, kind, training=True)
        if kind == kinds[3]:
            # The size is only checked by allocating a per-channel tensor: with affine=False
            # and no running stats, BatchNorm(-1) constructs (and can never be called).
            keep = draw(st.sampled_from(["affine", "track_running_stats"]), label="keeps")
            return InvalidCase({**hp, keep: True, "num_features": -c}, None, RuntimeError, kind)
        eps = draw(st.sampled_from([0.0, -1e-5, -1.0]))
        hp = {**hp, "eps": eps, "track_running_stats": False}
        return InvalidCase(hp, shaped(2, c, 2), ValueError, kind)

    return invalid


def _channel_axes(hp: dict, shape: tuple) -> tuple[int, ...]:
    return reduced_axes(len(shape))


def _momentum_zero_or_one(spec: LayerSpec) -> st.SearchStrategy[dict]:
    """Running statistics kept, with momentum 0 or 1 (None counts as 1 for a first batch)."""
    momentum = st.sampled_from([0.0, 1.0])
    return st.tuples(spec.hyperparams(), momentum).map(
        lambda parts: {**parts[0], "momentum": parts[1], "track_running_stats": True}
    )


def _tiny_eps(spec: LayerSpec) -> st.SearchStrategy[dict]:
    """The spec's configurations with eps below float16's inverse-std range."""
    return spec.hyperparams().map(lambda hp: {**hp, "eps": TINY_EPS})


# A cancelling bias stays inside every dtype's finite range (float16's largest is 65504);
# one the dtype rounds is still the exact answer, as the layer receives it.
MAX_CANCELLING_BIAS = 2.0**15
# Named eps whose 1 / sqrt(eps) is irrational: mean * weight * invstd is then not an
# integer, and a bias of its size cannot cancel it exactly.
CANCELLING_EPS = (1e-5, 1e-3, 0.1)
# Each channel is one more chance: a folded sum loses mean * a's last bit, set in about
# half the channels.
MIN_CANCELLING_CHANNELS = 4


def _affine_with_bias(spec: LayerSpec) -> st.SearchStrategy[dict]:
    """The spec's configurations with a weight, a bias (the bias argument left out: every
    release's default, including those before the argument), a cancelling eps and several
    channels."""
    eps = st.sampled_from(CANCELLING_EPS)
    channels = st.integers(MIN_CANCELLING_CHANNELS, MAX_CHANNELS)
    return st.tuples(spec.hyperparams(), eps, channels).map(
        lambda parts: (
            {k: v for k, v in parts[0].items() if k != "bias"}
            | {"affine": True, "eps": parts[1], "num_features": parts[2]}
        )
    )


def _with_cancelling_bias(inputs: Inputs, hp: Mapping) -> Inputs:
    # Each channel's constant c, normalised with variance 0: the bias -c * w / sqrt(eps),
    # rounded to an integer, has the size of mean * weight * invstd and the other sign. A
    # zero weight (nothing to cancel) becomes 1: any weight keeps the case exact.
    weight = np.where(inputs.params["weight"] == 0, 1.0, inputs.params["weight"])
    x = np.moveaxis(inputs.x, 1, 0).reshape(inputs.x.shape[1], -1)
    scaled = x[:, 0] * weight / np.sqrt(hp["eps"])
    bias = np.clip(-np.round(scaled), -MAX_CANCELLING_BIAS, MAX_CANCELLING_BIAS)
    return inputs.replace(params={**inputs.params, "weight": weight, "bias": bias})


def _cancelling_bias(spec: LayerSpec, hp: Mapping, dtype: str) -> st.SearchStrategy[Inputs]:
    constant = constant_groups(_channel_axes, training=True)(spec, hp, dtype)
    return constant.map(lambda inputs: _with_cancelling_bias(inputs, hp))


_cancelling_bias.training = True  # type: ignore[attr-defined]  # ExactCase.training


EXACT = (
    ExactCase(
        "constant channels",
        why=(
            "a channel of 2^k copies of a small integer c: mean exactly c (an exact sum "
            "times an exact 1/2^k), biased and unbiased variance exactly 0, so the "
            "normalised value is exactly 0, the output exactly "
            "the bias (0 without one), the weight gradient exactly 0 term by term and the "
            "bias gradient an exact integer sum"
        ),
        inputs=constant_groups(_channel_axes, training=True),
        exact=("output", "parameters"),
    ),
    ExactCase(
        "momentum 0 or 1",
        why=(
            "new = (1 - m) * old + m * stat: with m = 0 the running statistics stay "
            "exactly as they were, whatever the batch; with m = 1 they become the batch "
            "statistics, exactly c and 0 for constant channels"
        ),
        inputs=constant_groups(_channel_axes, training=True),
        hyperparams=_momentum_zero_or_one,
        exact=("output", "parameters", "buffers"),
    ),
    ExactCase(
        "constant channels, tiny eps",
        why=(
            "as constant channels, with eps 1e-10: the normalised value is exactly 0 however "
            "large 1/sqrt(var + eps) is (1e5, past float16's largest value), so the output "
            "is exactly the bias and the weight gradient exactly 0"
        ),
        inputs=constant_groups(_channel_axes, training=True),
        hyperparams=_tiny_eps,
        exact=("output", "parameters"),
    ),
    ExactCase(
        "constant channels, cancelling bias",
        why=(
            "as constant channels, with each channel's bias about -mean * weight / sqrt(eps) "
            "(an integer): the output is exactly the bias whatever its size, and a kernel "
            "that folds the bias as x * a + (bias - mean * a) rounds the sum, whose size "
            "is twice mean * a's"
        ),
        inputs=_cancelling_bias,
        hyperparams=_affine_with_bias,
        exact=("output", "parameters"),
    ),
)


def _no_shape_classes(hp: dict, shape: tuple) -> dict[str, str]:
    return {}


def _nothing_impossible(classes: Mapping[str, str]) -> bool:
    return False


# A batch of one sample (statistics over one sample's positions) or of several; the
# channels are num_features; a channel's values few or many (PER_CHANNEL).
INPUT_CLASSES = {"batch": BATCHED, "channels": CHANNELS, "values per channel": PER_CHANNEL}


# torch's documented defaults of the optional arguments (not device=/dtype=).
DEFAULTS = {
    "eps": 1e-05,
    "momentum": 0.1,
    "affine": True,
    "track_running_stats": True,
    "bias": True,
}


def batch_norm_spec(
    name: str,
    *,
    input_shape: Callable[..., st.SearchStrategy[Shape]],
    ranks: tuple[int, ...],
    valid_shapes: ValidShapes,
    wrong_ranks: WrongRankShapes,
    shape_classes: Mapping[str, tuple[str, ...]] | None = None,
    classify_shape: Callable[[dict, tuple], dict[str, str]] = _no_shape_classes,
    impossible: Callable[[Mapping[str, str]], bool] = _nothing_impossible,
    input_ranks: Callable[[Mapping[str, str]], frozenset[int]] | None = None,
) -> LayerSpec:
    """The LayerSpec of a batch norm over inputs of `ranks`, drawn by `input_shape`.

    `shape_classes` are further classes of the input (BatchNorm1d's rank), beside the
    batch and channels every batch norm has; `classify_shape` reads them and
    `input_shape(hp, corner)` honours them all.
    """
    kinds = invalid_kinds(ranks)
    return LayerSpec(
        name=name,
        hyperparams=hyperparams,
        input_shape=input_shape,
        forward=forward,
        vjp=vjp,
        out_shape=out_shape,
        param_shapes=param_shapes,
        forward_error=forward_error,
        vjp_error=vjp_error,
        invalid=invalid_cases(kinds, valid_shapes, wrong_ranks),
        invalid_kinds=kinds,
        buffer_shapes=buffer_shapes,
        init=init,
        mode=MODE,
        buffer_values=buffer_values,
        twice_differentiable=True,
        differences_resolve=differences_resolve,
        exact=EXACT,
        classes=CLASSES,
        input_classes={**INPUT_CLASSES, **(shape_classes or {})},
        # A batch of one reduces each channel over one plane, a larger batch over several,
        # and few values per channel only a vector's tail; the channels are num_features,
        # a hyperparameter, so not named here.
        exact_input_classes=("batch", "values per channel"),
        impossible=lambda classes: (
            impossible(classes)
            or _value_class_without_batch_statistics(classes)
            or _few_values_with_many(classes)
        ),
        input_ranks=input_ranks or (lambda classes: frozenset(ranks)),
        classify=lambda hp, shape: {**classify(hp, shape), **classify_shape(hp, shape)},
        defaults=DEFAULTS,
        value_classes=VALUE_CLASSES,
    )
