"""Exact cases: inputs whose answer every correct algorithm reproduces bit for bit.

A tolerance is a worst-case bound over every floating-point algorithm a layer could
use; a bug smaller than the bound hides in it. Some inputs leave no room at all: every
partial sum of a linear op on small integers is an integer a float holds exactly, so any
summation order gives the same, exact, answer; a constant row has mean exactly its value
and variance exactly 0, so its normalised value is exactly 0; equal logits give softmax
exactly 1/K for K a power of two. On such inputs the exact-cases property demands the
reference's answer with no tolerance, on every dtype, float16 and bfloat16 included.

Each layer declares its cases (`LayerSpec.exact`), each with the reason it is exact.
An `ExactCase` draws the inputs (x, parameters, buffers, mode, grad_y) and names the
quantities that must be exact; a `Symmetry` relates two of torch's own results (tanh is
odd: tanh(-x) is -tanh(x) bit for bit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from hypothesis import strategies as st

from spec.dtypes import format_of
from spec.inputs import Inputs

if TYPE_CHECKING:
    from spec.layerspec import LayerSpec

HyperParams = Mapping[str, Any]


# Small integers: the entries of x, parameters and grad_y in the integer cases.
MAX_INTEGER = 2
# Fractions of nonzero entries tried, densest first: sparser draws keep the sums of a large
# reduction (a weight gradient summed over every output position) inside the exact range.
DENSITIES = (1.0, 0.5, 0.25, 0.1)


def exact_range(dtype: str) -> float:
    """The largest magnitude up to which every integer is exact in `dtype`."""
    # Every integer of magnitude up to 2**bits (the implicit bit included) is exact in the
    # format, and so is every sum of such integers that stays in that range.
    return float(2 ** format_of(dtype).significand_bits)


def round_to(values: np.ndarray, dtype: str) -> np.ndarray:
    """Values rounded to `dtype`'s significand (to nearest, ties to even).

    The magnitudes used here stay far inside every format's normal range, where the
    significand is the only rounding; infinities stay as they are.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    mantissa, exponent = np.frexp(np.where(finite, values, 0.0))
    bits = format_of(dtype).significand_bits
    rounded = np.ldexp(np.round(np.ldexp(mantissa, bits)), exponent - bits)
    return np.where(finite, rounded, values)


def representable(values: np.ndarray, dtype: str) -> bool:
    """Whether every value (float64) is exactly a `dtype` value: no NaN, no rounding."""
    values = np.asarray(values, dtype=np.float64)
    return not np.isnan(values).any() and bool((round_to(values, dtype) == values).all())


@dataclass(frozen=True)
class ExactCase:
    """Inputs on which the named quantities have exactly the reference's value."""

    name: str
    why: str
    # (spec, hp, dtype) -> strategy of Inputs (grad_y set) meeting the case's conditions.
    inputs: Callable[[LayerSpec, HyperParams, str], st.SearchStrategy[Inputs]]
    # Hyperparameters for which the case holds (a strategy, from the spec's own if None).
    hyperparams: Callable[[LayerSpec], st.SearchStrategy[dict]] | None = None
    # Quantities that must be exact: "output", "input", parameter names, "buffers",
    # argument names (a target's gradient), and "written": the parameters a forward call
    # rewrites (LayerSpec.forward_writes), as they are after the call.
    exact: tuple[str, ...] = ("output", "input", "parameters")
    # Device types whose kernels the claim covers (None: all). A claim that relies on the
    # algorithm summing products as they are (no Winograd or FFT transform) names them.
    devices: tuple[str, ...] | None = None

    @property
    def training(self) -> bool | None:
        """The mode the case's inputs fix, where they fix one (None: either), as the
        inputs' strategy says (constant_groups' `training`)."""
        return getattr(self.inputs, "training", None)


@dataclass(frozen=True)
class Symmetry:
    """torch's result at a transformed input is a transform of its result at x, exactly."""

    name: str
    why: str
    inputs: Callable[[LayerSpec, HyperParams, str], st.SearchStrategy[Inputs]]
    transform_x: Callable[[np.ndarray], np.ndarray]
    transform_y: Callable[[np.ndarray], np.ndarray]
    # How the input gradient at the transformed x relates to the one at x (same grad_y).
    transform_grad: Callable[[np.ndarray], np.ndarray] | None = None
    hyperparams: Callable[[LayerSpec], st.SearchStrategy[dict]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sweep:
    """Many small configurations in one example, each on small integers (integer_values).

    A CPU kernel's bugs sit in narrow regions of the geometry, where its blocking meets
    the shape (an output one column wide and five to eight rows high; a 1x1 kernel whose
    every column reads padding), too narrow for one drawn configuration per example to
    reach. On integers a configuration's answer is exact, so one example can judge
    hundreds of them, bit for bit, in every layout, for the cost of the calls alone; the
    scans that found such bugs (docs/rediscovery-log.md) ran this way. Configurations come
    from a NumPy generator, not from Hypothesis draws, so that hundreds fit one example;
    the example draws the generator's seed.
    """

    name: str
    why: str
    # A random configuration (hyperparameters, input shape) over the spec's domain.
    configuration: Callable[[np.random.Generator], tuple[dict, tuple]]
    # Configurations per example at the `ci` profile (others scale it by their example
    # budget: tests/test_exact.py sweep_count).
    count: int
    exact: tuple[str, ...] = ("output", "input", "parameters")
    devices: tuple[str, ...] | None = None


# A convolution sweep draws a pointwise kernel (1 or 1x1: oneDNN keeps its own kernels
# for it) one time in four; otherwise each side 1 to the spec's largest.
POINTWISE_SHARE = 0.25
# The share of a convolution sweep's draws whose input is sized, where the window allows,
# so that every output position along one axis reads only padding (windows that see only
# padding: oneDNN's kernels have crashed there, docs/rediscovery-log.md).
PADDING_ONLY_SHARE = 0.25
# The share of a convolution sweep's other draws whose input is as short as the window
# allows along one axis (the smallest size, or one more): the taps at a window's ends then
# read only padding, where AMX and AVX-512 kernels have left their weight gradient
# unwritten (docs/rediscovery-log.md).
SMALLEST_INPUT_SHARE = 0.25
# A sweep's batches: none, one, or a few (counts grow with the batch, and a sum of counts
# must stay inside bfloat16's exact range).
SWEEP_BATCHES = ((), (1,), (2,), (3,))


def pick(rng: np.random.Generator, choices: tuple) -> Any:
    """One of `choices`, uniformly, for a sweep's configuration function."""
    return choices[int(rng.integers(len(choices)))]


def _integer_array(rng: np.random.Generator, shape: tuple, density: float) -> np.ndarray:
    values = rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, shape).astype(np.float64)
    return values * (rng.random(shape) < density)


def _largest(scales: Any) -> float:
    """The largest error scale among a spec's (scale, K[, floor]) tuples, or dict of them."""
    if isinstance(scales, dict):
        return max((_largest(s) for s in scales.values()), default=0.0)
    scale = np.asarray(scales[0], dtype=np.float64)
    return float(scale.max()) if scale.size else 0.0


def integer_values(
    spec: LayerSpec,
    hp: HyperParams,
    shape: tuple,
    dtype: str,
    rng: np.random.Generator,
    training: bool = False,
    buffers: Mapping[str, np.ndarray] | None = None,
    quantum: float = 1.0,
) -> Inputs:
    """Small-integer x, parameters and grad_y for one configuration, every partial sum
    exact in the dtype (integer_inputs' values, from a NumPy generator).

    For an op linear in each argument the spec's error scale is the op on absolute values:
    the largest |partial sum| any summation order can reach. Results are multiples of
    `quantum` (1, or 1/d for a power-of-two divisor d), so they are exact when the scale,
    counted in quanta, stays within the dtype's exact range. Sparser values are tried
    until it does; all zeros, where even the sparsest overflows.
    """
    buffers = dict(buffers or {})
    limit = exact_range(dtype) * quantum
    grad_shape = spec.out_shape(hp, shape)
    for density in DENSITIES:
        x = _integer_array(rng, shape, density)
        params = {
            name: _integer_array(rng, p_shape, density)
            for name, p_shape in spec.param_shapes(hp).items()
        }
        grad_y = _integer_array(rng, grad_shape, density)
        inputs = Inputs(x, hp, params, buffers, training, grad_y=grad_y)
        scale = max(_largest(spec.forward_error(inputs)), _largest(spec.vjp_error(inputs)))
        if scale <= limit:
            return inputs
    zeros = {name: np.zeros(s) for name, s in spec.param_shapes(hp).items()}
    return Inputs(np.zeros(shape), hp, zeros, buffers, training, grad_y=np.zeros(grad_shape))


def integer_inputs(
    quantum: Callable[[HyperParams], float] = lambda hp: 1.0,
    training: bool | None = None,
) -> Callable[[LayerSpec, HyperParams, str], st.SearchStrategy[Inputs]]:
    """Small-integer x, parameters and grad_y whose every partial sum is exact in the
    dtype (integer_values), at a drawn input shape and mode."""

    def draw(spec: LayerSpec, hp: HyperParams, dtype: str) -> st.SearchStrategy[Inputs]:
        @st.composite
        def build(draw_: st.DrawFn) -> Inputs:
            shape = tuple(draw_(spec.input_shape(hp), label="input_shape"))
            mode = draw_(st.booleans(), label="training") if training is None else training
            rng = np.random.default_rng(draw_(st.integers(0, 2**32 - 1), label="values seed"))
            buffers = {}
            if spec.buffer_values is not None:
                buffers = draw_(spec.buffer_values(hp), label="buffers")
            return integer_values(spec, hp, shape, dtype, rng, mode, buffers, quantum(hp))

        return build()

    return draw


# Per-position losses exact in float16 and bfloat16 (at most 8 significant bits) and equal
# to their mean, whose sum over two positions passes float16's largest (65504): a mean of
# them is exact where half sums accumulate in float32 (the accumulator rule of
# spec/tolerances.py), and inf only where a kernel holds the sum in float16 itself.
HALF_OVERFLOWING_LOSSES = (32768.0, 40960.0, 49152.0, 61440.0, 65280.0)


def several_positions(shape: tuple) -> tuple:
    """A class-target loss's input shape made (N, C, ...) with a batch of 2 at least, and
    every dim but the class axis cut to a power of two: a mean over the positions divides
    by a power of two, and a sum over them has two terms at least."""
    if len(shape) == 1:
        shape = (2, *shape)
    shape = (max(2, shape[0]), *shape[1:])
    return tuple(n if i == 1 else largest_power_of_two(n) for i, n in enumerate(shape))


def largest_power_of_two(n: int) -> int:
    """The largest power of two <= n (n >= 1)."""
    return 1 << (int(n).bit_length() - 1)


def powers_of_two(low: int, high: int) -> st.SearchStrategy[int]:
    """2**k for k in [low, high]."""
    return st.integers(low, high).map(lambda k: 2**k)


# Constants of a constant row: integers, so the row's sum and its square sum are exact.
MAX_CONSTANT = 8
# The odd constants whose product with an irrational rstd rounds (not +-1), within
# MAX_CONSTANT; the odd gradients within MAX_INTEGER.
ODD_CONSTANTS = (3, 5, 7)
ODD_GRADIENTS = (1,)
# Below 65504**-2 = 2.3e-10, 1/sqrt(var + eps) of a constant group (BatchNorm's channel,
# LayerNorm's row) passes float16's largest value: the exact normalised 0 must not become
# 0 * inf.
TINY_EPS = 1e-10


def constant_groups(
    reduced_axes: Callable[[HyperParams, tuple], tuple[int, ...]],
    training: bool | None = None,
    odd: bool = False,
    zero_params: tuple[str, ...] = (),
) -> Callable[[LayerSpec, HyperParams, str], st.SearchStrategy[Inputs]]:
    """x (and grad_y) constant over the axes a normalisation reduces, parameters constant
    over those axes too, and 2^k values in each group: mean exactly the constant, variance
    exactly 0, x - mean exactly 0. `odd`: every constant an odd integer of magnitude 3 or
    more (so c * rstd needs more bits than the dtype holds: an algorithm that never centres
    x rounds it; 1 * rstd is exact), grad_y an odd integer and every parameter nonzero.
    `zero_params`: these parameters 0 (a zero bias leaves a residue of the normalised 0
    in the output, where a bias of 1 would absorb it in float16).

    A group of 2^k values because a mean may be computed as the sum times a rounded 1/n,
    which is exact only for n a power of two (3 * fl(1/3) is not 1). Then the normalised
    value is 0, the output exactly the bias (0 without one), the weight gradient
    sum(g * x_hat) exactly 0 (every term is), the bias gradient an exact integer sum.
    The input gradient rstd * (h - mean(h) - ...) is 0 too, but not exactly for every
    algorithm: one that scales h by rstd before averaging sums inexact values.
    """

    def draw(spec: LayerSpec, hp: HyperParams, dtype: str) -> st.SearchStrategy[Inputs]:
        @st.composite
        def build(draw_: st.DrawFn) -> Inputs:
            shape = tuple(draw_(spec.input_shape(hp), label="input_shape"))
            mode = draw_(st.booleans(), label="training") if training is None else training
            rng = np.random.default_rng(draw_(st.integers(0, 2**32 - 1), label="values seed"))
            axes = reduced_axes(hp, shape)
            # Each reduced size down to a power of two (hyperparameters that fix a reduced
            # size, LayerNorm's normalized_shape, are drawn as powers of two already).
            shape = tuple(largest_power_of_two(n) if i in axes else n for i, n in enumerate(shape))
            group_shape = tuple(1 if i in axes else n for i, n in enumerate(shape))

            def grouped(high: int, odd_values: tuple[int, ...] = ()) -> np.ndarray:
                if odd_values:
                    magnitudes = rng.choice(odd_values, group_shape)
                    values = magnitudes * rng.choice([-1.0, 1.0], group_shape)
                else:
                    values = rng.integers(-high, high + 1, group_shape).astype(np.float64)
                return np.broadcast_to(values, shape).copy()

            params = {}
            for name, p_shape in spec.param_shapes(hp).items():
                # One value per parameter (LayerNorm's elementwise weight included): the
                # products h = grad_y * weight stay constant within every group.
                if name in zero_params:
                    value = 0.0
                elif odd:
                    value = float(rng.choice([-MAX_INTEGER, -1, 1, MAX_INTEGER]))
                else:
                    value = float(rng.integers(-MAX_INTEGER, MAX_INTEGER + 1))
                params[name] = np.full(p_shape, value)
            buffers = {}
            if spec.buffer_values is not None:
                buffers = draw_(spec.buffer_values(hp), label="buffers")
            x = grouped(MAX_CONSTANT, ODD_CONSTANTS if odd else ())
            grad_y = grouped(MAX_INTEGER, ODD_GRADIENTS if odd else ())
            return Inputs(x, hp, params, buffers, mode, grad_y=grad_y)

        return build()

    # The mode the inputs fix, read by ExactCase.training.
    draw.training = training  # type: ignore[attr-defined]
    return draw


def zero_input(training: bool | None = None) -> Callable:
    """x exactly 0, parameters and grad_y anything finite: every product with x is 0."""

    def draw(spec: LayerSpec, hp: HyperParams, dtype: str) -> st.SearchStrategy[Inputs]:
        @st.composite
        def build(draw_: st.DrawFn) -> Inputs:
            shape = tuple(draw_(spec.input_shape(hp), label="input_shape"))
            mode = draw_(st.booleans(), label="training") if training is None else training
            rng = np.random.default_rng(draw_(st.integers(0, 2**32 - 1), label="values seed"))
            params = {
                name: rng.standard_normal(p_shape)
                for name, p_shape in spec.param_shapes(hp).items()
            }
            grad_y = rng.standard_normal(spec.out_shape(hp, shape))
            return Inputs(np.zeros(shape), hp, params, {}, mode, grad_y=grad_y)

        return build()

    return draw


def filled(value: float, training: bool | None = None) -> Callable:
    """x filled with one value (0 for sigmoid and tanh), small-integer grad_y."""

    def draw(spec: LayerSpec, hp: HyperParams, dtype: str) -> st.SearchStrategy[Inputs]:
        @st.composite
        def build(draw_: st.DrawFn) -> Inputs:
            shape = tuple(draw_(spec.input_shape(hp), label="input_shape"))
            mode = draw_(st.booleans(), label="training") if training is None else training
            rng = np.random.default_rng(draw_(st.integers(0, 2**32 - 1), label="values seed"))
            grad_y = _integer_array(rng, spec.out_shape(hp, shape), 1.0)
            return Inputs(np.full(shape, value), hp, {}, {}, mode, grad_y=grad_y)

        return build()

    return draw


def dyadic_unit(values: np.ndarray) -> float:
    """The largest power of two every value is an integer multiple of (1 for all zeros)."""
    flat = np.abs(np.asarray(values, dtype=np.float64).ravel())
    flat = flat[flat != 0]
    if not flat.size:
        return 1.0
    mantissa, exponent = np.frexp(flat)
    integers = (mantissa * 2.0**53).astype(np.int64)
    lowest = [(int(m) & -int(m)).bit_length() - 1 for m in integers]
    return float(2.0 ** int(min(e - 53 + b for e, b in zip(exponent, lowest, strict=True))))


def sums_exact(terms: np.ndarray, dtype: str) -> bool:
    """Whether every partial sum of `terms`, in any order, is exact in `dtype`: each term
    a multiple of one power of two u, and the sum of their magnitudes at most u * 2^p."""
    terms = np.asarray(terms, dtype=np.float64)
    return float(np.sum(np.abs(terms))) <= dyadic_unit(terms) * exact_range(dtype)
