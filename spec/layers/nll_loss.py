"""nn.NLLLoss: -w[t] x[t] per position over class-index targets; weight, ignore_index, every
reduction, inputs (C,), (N, C) and (N, C, d1, ...).

Targets are drawn as int64 class indices; torch also accepts uint8 ones (not drawn), and
rejects int32 and floating-point ones (invalid calls).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

from reference.nll_loss import (
    Targets,
    classes_back,
    classes_last,
    nll_loss_forward,
    nll_loss_vjp,
)
from reference.reduction import per_position_gradient
from spec import class_targets
from spec.arguments import TensorValue, indices
from spec.exact import (
    HALF_OVERFLOWING_LOSSES,
    ExactCase,
    largest_power_of_two,
    several_positions,
    sums_exact,
)
from spec.inputs import Inputs
from spec.layerspec import LayerSpec
from spec.tolerances import rounded_terms_floor

# NLLLoss's 0-d input: "Expected 1 or more dimensions (got 0)".
ZERO_D_ERROR = ValueError


def hyperparams(corner: dict | None = None) -> st.SearchStrategy[dict]:
    return class_targets.loss_hyperparams(corner)


def classify(hp: dict, shape: tuple) -> dict:
    return class_targets.classify_loss(hp, shape)


def weight_of(inputs: Inputs) -> np.ndarray | None:
    """The class weight the module holds (its buffer, in the dtype), else hp's."""
    if "weight" in inputs.buffers:
        return np.asarray(inputs.buffers["weight"], dtype=np.float64)
    return class_targets.class_weight(inputs.hp)


def _targets(inputs: Inputs) -> Targets:
    classes = classes_last(inputs.x).shape[-1]
    return Targets(
        inputs.arguments[0], classes, weight_of(inputs), class_targets.ignore_index(inputs.hp)
    )


def _reduction(inputs: Inputs) -> str:
    return inputs.hp.get("reduction", "mean")


def forward(inputs):
    hp = inputs.hp
    loss = nll_loss_forward(
        inputs.x,
        inputs.arguments[0],
        weight_of(inputs),
        class_targets.ignore_index(hp),
        _reduction(inputs),
    )
    return loss, {}


def vjp(inputs):
    hp = inputs.hp
    return nll_loss_vjp(
        inputs.x,
        inputs.arguments[0],
        weight_of(inputs),
        class_targets.ignore_index(hp),
        _reduction(inputs),
        inputs.g,
    )


def forward_error(inputs):
    # Each position is one product w * x; the sum adds a K-term sum; the mean divides by
    # the total weight, itself a K-term sum whose rounding scales the whole mean.
    targets = _targets(inputs)
    picked = np.abs(targets.weight * targets.pick(classes_last(inputs.x)))
    picked = np.where(targets.ignored, 0.0, picked)
    count = max(1, picked.size)
    reduction = _reduction(inputs)
    if reduction == "none":
        return picked, 1
    # torch materialises each w * x in the dtype before the sum: among the subnormals
    # that rounding is absolute, and the mean divides it by the total weight.
    if reduction == "sum":
        return picked.sum(), count, rounded_terms_floor(picked)
    # The mean's sum reaches the sum of the terms, past the accumulator's range for a mean
    # that fits.
    reach = picked.sum()
    mean_scale = 2 * reach / targets.total if targets.total > 0 else 0.0
    return mean_scale, count, rounded_terms_floor(picked, targets.total), reach


def vjp_error(inputs):
    # -w G at each target, one or two roundings; the mean's G = g / W carries W's sum.
    targets = _targets(inputs)
    reduction = _reduction(inputs)
    g = per_position_gradient(inputs.g, targets.index.shape, reduction, targets.total)
    scale = np.nan_to_num(np.abs(targets.weight * g), nan=0.0)
    scale = targets.scatter(np.where(targets.ignored, 0.0, scale), classes_last(inputs.x).shape[-1])
    grad_scale = np.moveaxis(scale, -1, 0 if inputs.x.ndim == 1 else 1)
    return {"input": (grad_scale, targets.index.size if reduction == "mean" else 1)}


def out_shape(hp: dict, shape: tuple) -> tuple:
    return class_targets.positions(shape) if hp.get("reduction", "mean") == "none" else ()


def buffer_shapes(hp: dict) -> dict:
    weight = hp.get("weight")
    return {} if weight is None else {"weight": weight.shape}


def no_params(hp: dict) -> dict:
    return {}


def input_shape(hp: dict, corner: dict | None = None) -> st.SearchStrategy[tuple]:
    return class_targets.input_shape(hp, corner)


def arguments(hp: dict, shape: tuple, corner: dict) -> st.SearchStrategy:
    return class_targets.class_index_arguments(hp, shape, corner)


def invalid(corner: dict | None = None):
    return class_targets.invalid_call(corner, hyperparams, ZERO_D_ERROR)


# ---- exact cases ------------------------------------------------------------------------

# Powers of two a constant class weight takes in the exact cases.
WEIGHT_EXPONENTS = (-1, 0, 1)
MAX_INTEGER = 2
DENSITIES = (1.0, 0.5, 0.25, 0.1, 0.0)


def power_of_two_weights(spec):
    """The spec's hyperparameters with the weight, if any, a constant power of two (so the
    total weight of 2^k counted targets is a power of two) of at least two classes."""

    @st.composite
    def build(draw):
        hp = draw(spec.hyperparams(), label="hp")
        if hp.get("weight") is not None:
            classes = max(2, len(hp["weight"]))
            value = 2.0 ** draw(st.sampled_from(WEIGHT_EXPONENTS), label="weight exponent")
            hp["weight"] = TensorValue.of(np.full(classes, value))
        return hp

    return build()


def counted_targets(
    rng: np.random.Generator, hp: dict, shape: tuple, ignored_too: bool = True
) -> np.ndarray:
    """Class indices with a power-of-two number of positions counted, the rest ignored."""
    classes = shape[0 if len(shape) == 1 else 1]
    where = class_targets.positions(shape)
    ignored = class_targets.ignore_index(hp)
    counted = [c for c in range(classes) if c != ignored]
    target = indices(rng.choice(counted, size=where))
    size = int(np.prod(where, dtype=np.int64))
    keep = largest_power_of_two(size)
    if ignored_too:
        flat = target.reshape(-1)
        flat[rng.permutation(size)[keep:]] = ignored
    return target


def at_least_two_classes(hp: dict, shape: tuple) -> tuple:
    """Two classes at least when the weight leaves the choice, so one is never ignored."""
    axis = 0 if len(shape) == 1 else 1
    if hp.get("weight") is None and shape[axis] < 2:
        shape = (*shape[:axis], 2, *shape[axis + 1 :])
    return shape


def _small_integers(spec, hp, dtype):
    @st.composite
    def build(draw):
        shape = at_least_two_classes(hp, tuple(draw(spec.input_shape(hp), label="input_shape")))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        target = counted_targets(rng, hp, shape)
        buffers = {} if hp.get("weight") is None else {"weight": hp["weight"].array()}
        out = out_shape(hp, shape)
        grad_y = rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, out).astype(np.float64)
        for density in DENSITIES:
            x = rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, shape) * (rng.random(shape) < density)
            inputs = Inputs(x.astype(np.float64), hp, {}, buffers, False, None, grad_y, (target,))
            terms = _targets(inputs).weight * _targets(inputs).pick(classes_last(inputs.x))
            if sums_exact(terms, dtype):
                return inputs
        raise AssertionError("unreachable: density 0 gives zeros")

    return build()


def _every_target_ignored(spec, hp, dtype):
    @st.composite
    def build(draw):
        shape = tuple(draw(spec.input_shape(hp), label="input_shape"))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        target = indices(np.full(class_targets.positions(shape), class_targets.ignore_index(hp)))
        x = rng.standard_normal(shape)
        grad_y = rng.standard_normal(out_shape(hp, shape))
        return Inputs(x, hp, {}, {}, False, None, grad_y, (target,))

    return build()


def half_overflowing_mean(
    logits: Callable[[np.random.Generator, tuple, np.ndarray, float], np.ndarray],
) -> Callable:
    """Inputs of "a mean of losses past float16's range": 2^k counted positions (two at
    least), no target ignored, each position's loss one value L; `logits(rng, shape,
    target, L)` makes the input that gives it."""

    def inputs(spec, hp, dtype):
        @st.composite
        def build(draw):
            shape = tuple(draw(spec.input_shape(hp), label="input_shape"))
            shape = several_positions(at_least_two_classes(hp, shape))
            rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
            loss = draw(st.sampled_from(HALF_OVERFLOWING_LOSSES), label="per-position loss")
            target = counted_targets(rng, hp, shape, ignored_too=False)
            grad_y = rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, out_shape(hp, shape))
            x = logits(rng, shape, target, loss)
            return Inputs(x, hp, {}, {}, False, None, grad_y.astype(np.float64), (target,))

        return build()

    return inputs


def _minus_loss_at_target(
    rng: np.random.Generator, shape: tuple, target: np.ndarray, loss: float
) -> np.ndarray:
    """Small integers, and -L at each position's target: -x[t] is L."""
    x_last = classes_last(rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, shape).astype(float))
    np.put_along_axis(x_last, np.asarray(target)[..., None], -loss, axis=-1)
    return classes_back(x_last, len(shape))


def sum_or_none(spec):
    """The spec's hyperparameters with a reduction whose result over no target is 0."""
    reductions = st.sampled_from([{"reduction": "sum"}, {"reduction": "none"}])
    return st.tuples(spec.hyperparams(), reductions).map(lambda parts: {**parts[0], **parts[1]})


EXACT = (
    ExactCase(
        "small integers",
        why=(
            "-w[t] x[t] with small-integer x and a weight of one power of two: every product "
            "is exact and every partial sum an integer multiple of the weight inside the "
            "exact range (x is thinned until it is); the mean divides by the total weight "
            "of 2^k counted targets, a power of two, and the gradient -w g / W is a small "
            "integer times powers of two"
        ),
        inputs=_small_integers,
        hyperparams=power_of_two_weights,
    ),
    ExactCase(
        "every target ignored",
        why=(
            "no position counts: every per-position loss is exactly 0, their sum is 0, and "
            "the gradient is exactly 0 everywhere (the mean would be 0/0, NaN: the forward "
            "property judges that)"
        ),
        inputs=_every_target_ignored,
        hyperparams=sum_or_none,
    ),
    ExactCase(
        "a mean of losses past float16's range",
        why=(
            "every counted position's loss -x[t] is one value L of at most 8 significant "
            "bits (32768 to 65280), so the mean over 2^k positions, no weight, is exactly L; "
            "their sum passes 65504, float16's largest, but every partial sum is exact in "
            "float32, where half sums accumulate (spec/tolerances.py); the gradient -g / 2^k "
            "at each target is exact"
        ),
        inputs=half_overflowing_mean(_minus_loss_at_target),
        hyperparams=class_targets.unweighted_mean,
    ),
)


SPEC = LayerSpec(
    name="NLLLoss",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={
        "weight": None,
        "size_average": None,
        "ignore_index": -100,
        "reduce": None,
        "reduction": "mean",
    },
    hyperparams=hyperparams,
    input_shape=input_shape,
    forward=forward,
    vjp=vjp,
    out_shape=out_shape,
    param_shapes=no_params,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=invalid,
    invalid_kinds=class_targets.INVALID_KINDS,
    buffer_shapes=buffer_shapes,
    exact=EXACT,
    classes=class_targets.CLASSES,
    input_ranks=class_targets.input_ranks,
    impossible=class_targets.impossible,
    classify=classify,
    shape_classes=("input rank",),
    argument_names=("target",),
    arguments=arguments,
    argument_classes=("targets",),
    factory_kwargs=False,
    # The loss is linear in x: its VJP's own derivative is 0, which gradgradcheck checks.
    twice_differentiable=True,
    out_of_scope={
        "size_average": "deprecated in favour of reduction (torch maps it onto reduction)",
        "reduce": "deprecated in favour of reduction (torch maps it onto reduction)",
    },
    # torch.use_deterministic_algorithms documents torch.nn.NLLLoss on CUDA as
    # nondeterministic (its sums use atomic adds): repeats may differ in the last bits.
    nondeterministic_on=("cuda",),
)
