"""Products whose factor a dot-product kernel may read as zero: the floor scale it needs.

x86's bfloat16 dot-product instructions (AVX512_BF16's VDPBF16PS, AMX's TDPBF16PS)
treat every input below the smallest normal as zero, by their definition: they do not
consult MXCSR. oneDNN's bfloat16 matmul and convolution use them wherever the CPU has
them, so a product with a subnormal factor is dropped from the sum, and the element is
off by that product, up to the floor times the other factor: far past the rounding
bound when the other factor is large.

Seen on torch 2.13.0 (AMD EPYC, avx512_bf16): Linear(256, 10) in bfloat16, batch 2,
whose output gradient holds 8.265e-39 (a softmax probability that underflowed) where the
input is 13.625: the weight gradient is 0, the product 1.126e-37 (brg_matmul:
avx512_core_bf16). The same call at 64 features, or capped at AVX2, keeps it.

float32 shares the threshold, its own smallest normal, and a run under
torch.set_flush_denormal(True) reads its subnormals as zero too; float64's threshold
sits far above its smallest normal, where the allowance is some 1e-270 of the product;
float16 holds no value below it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from spec.dtypes import format_of
from spec.inputs import Array, Inputs

# Inputs below this may be read as zero: bfloat16's and float32's smallest normal.
READ_AS_ZERO_BELOW = format_of("bfloat16").smallest_normal

Product = Callable[[Array, Array], Array]


def _below(values: Array) -> Array:
    """|values| where they lie below the threshold, else 0."""
    magnitudes = np.abs(np.asarray(values, dtype=np.float64))
    return np.where(magnitudes < READ_AS_ZERO_BELOW, magnitudes, 0.0)


def _has_flushable(*factors: Array) -> bool:
    return any(np.any(_below(factor)) for factor in factors)


def dropped_products_floor(product: Product, first: Array, second: Array) -> Array | float:
    """The floor scale of a sum of products first_i * second_j when a kernel may read
    either factor as zero below the threshold: one floor for the result's own rounding,
    plus every product such a read drops, in floors.

    `product` is the op on two nonnegative arrays with nothing added (no bias): each
    dropped product is counted once, those with a flushable first factor, then those
    with a normal first and a flushable second.
    """
    if not _has_flushable(first, second):
        return 1.0
    low_first, low_second = _below(first), _below(second)
    normal_first = np.abs(first) - low_first
    dropped = product(low_first, np.abs(second)) + product(normal_first, low_second)
    return 1.0 + dropped / READ_AS_ZERO_BELOW


def forward_floor(forward: Callable[[Inputs], tuple], inputs: Inputs) -> Array | float:
    """The floor scale of a layer y = x * weight (+ bias): its products are x by weight."""

    def product(x: Array, weight: Array) -> Array:
        # The weight alone: a bias adds to the output, it is no factor of a product.
        return forward(inputs.replace(x=x, params={"weight": weight}))[0]

    return dropped_products_floor(product, inputs.x, inputs.params["weight"])


def vjp_floors(vjp: Callable[[Inputs], dict], inputs: Inputs) -> dict[str, Array | float]:
    """The floor scales of the input gradient (products of grad_y by weight) and the
    weight gradient (x by grad_y) of a layer y = x * weight (+ bias)."""
    weight = inputs.params["weight"]
    if not _has_flushable(inputs.x, weight, inputs.g):
        return {"input": 1.0, "weight": 1.0}
    # The weight alone: a bias adds to the output, it is no factor of a product.
    shaped = inputs.absolute()
    shaped = shaped.replace(params={"weight": shaped.params["weight"]})

    def into_input(grad_y: Array, weight: Array) -> Array:
        return vjp(shaped.replace(params={"weight": weight}, grad_y=grad_y))["input"]

    def into_weight(x: Array, grad_y: Array) -> Array:
        return vjp(shaped.replace(x=x, grad_y=grad_y))["weight"]

    return {
        "input": dropped_products_floor(into_input, inputs.g, weight),
        "weight": dropped_products_floor(into_weight, inputs.x, inputs.g),
    }
