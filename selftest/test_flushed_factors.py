"""The allowance for products a dot-product kernel drops when it reads a factor below the
smallest normal as zero (spec/flushed_factors.py): by hand, against a loop over single
products, and on the bfloat16 Linear weight gradient torch gave on an avx512_bf16 CPU."""

import itertools

import numpy as np
import pytest

from spec.flushed_factors import READ_AS_ZERO_BELOW, dropped_products_floor
from spec.inputs import Inputs
from spec.registry import layer_named
from tests.assertions import tolerance_bound

T = READ_AS_ZERO_BELOW


def _dot(first, second):
    return np.atleast_1d(first @ second)


def test_the_allowance_is_every_dropped_product_in_floors_by_hand():
    """x = [T/2, 3], w = [4, T/4]: x0 * w0 = 2T (x0 flushable) and x1 * w1 = 0.75T
    (w1 flushable) may be dropped, 2.75 floors over the result's own one."""
    floor = dropped_products_floor(_dot, np.array([T / 2, 3.0]), np.array([4.0, T / 4]))
    assert floor == pytest.approx([3.75], rel=1e-12)


def test_without_a_flushable_factor_the_floor_is_the_table_s_own():
    """Normal factors and exact zeros change nothing: the bound stays as sharp as it was."""
    assert dropped_products_floor(_dot, np.array([0.0, 1.0, -T]), np.array([5.0, 0.0, 2.0])) == 1.0


def _loop_dropped(product, first, second):
    """Each pair of elements alone, counted where either factor is flushable."""
    total = 0.0
    for i, j in itertools.product(np.ndindex(first.shape), np.ndindex(second.shape)):
        if abs(first[i]) < T or abs(second[j]) < T:
            one_first, one_second = np.zeros(first.shape), np.zeros(second.shape)
            one_first[i], one_second[j] = abs(first[i]), abs(second[j])
            total = total + product(one_first, one_second)
    return total


@pytest.mark.parametrize("name", ["Linear", "Conv1d", "Conv2d"])
def test_each_product_of_a_layer_is_counted_once_as_a_loop_counts_it(name):
    """The forward's and both gradients' allowances of a layer whose factors mix
    flushable, normal and zero elements equal a loop over single products."""
    spec = layer_named(name)
    rng = np.random.default_rng(7)

    def mixed(shape):
        kinds = rng.integers(0, 3, shape)
        values = np.where(kinds == 0, rng.uniform(0.1, 0.9, shape) * T, rng.normal(size=shape))
        return np.where(kinds == 2, 0.0, values)

    if name == "Linear":
        hp, x_shape, w_shape, y_shape = (
            {"in_features": 3, "out_features": 2},
            (2, 3),
            (2, 3),
            (2, 2),
        )
    else:
        dims = 1 if name == "Conv1d" else 2
        hp = {"in_channels": 2, "out_channels": 2, "kernel_size": 2, "stride": 1, "padding": 0,
              "dilation": 1, "groups": 1, "padding_mode": "zeros"}  # fmt: skip
        x_shape, w_shape, y_shape = (1, 2, *[3] * dims), (2, 2, *[2] * dims), (1, 2, *[2] * dims)
    x, w, g = mixed(x_shape), mixed(w_shape), mixed(y_shape)
    inputs = Inputs(x, hp, {"weight": w}, grad_y=g)
    forward = spec.forward_error(inputs)[2]

    def forward_product(a, b):
        return spec.forward(inputs.replace(x=a, params={"weight": b}))[0]

    def input_product(a, b):
        return spec.vjp(inputs.replace(grad_y=a, params={"weight": b}))["input"]

    def weight_product(a, b):
        return spec.vjp(inputs.replace(x=a, grad_y=b))["weight"]

    np.testing.assert_allclose(forward, 1 + _loop_dropped(forward_product, x, w) / T, rtol=1e-12)
    scales = spec.vjp_error(inputs)
    input_floor, weight_floor = scales["input"][2], scales["weight"][2]
    np.testing.assert_allclose(input_floor, 1 + _loop_dropped(input_product, g, w) / T, rtol=1e-12)
    np.testing.assert_allclose(
        weight_floor, 1 + _loop_dropped(weight_product, x, g) / T, rtol=1e-12
    )


def test_a_bfloat16_weight_gradient_may_drop_a_subnormal_output_gradient():
    """torch 2.13.0 on an avx512_bf16 CPU: Linear(256, 10) in bfloat16, whose output
    gradient holds 8.265e-39 against an input of 13.625, gives a weight gradient of 0,
    where AVX2 kernels keep the product 1.126e-37. Both must pass; a wrong product of
    normal values must not."""
    spec = layer_named("Linear")
    x = np.zeros((2, 256))
    x[0, 143] = 13.625
    g = np.zeros((2, 10))
    g[0, 4], g[0, 0], g[1, 0] = 8.265194654219209e-39, -0.5, 0.5
    inputs = Inputs(x, {"in_features": 256, "out_features": 10}, {"weight": np.ones((10, 256))})
    inputs = inputs.with_grad(g)
    reference = spec.vjp(inputs)["weight"][4, 143]
    bound = tolerance_bound("bfloat16", spec.vjp_error(inputs)["weight"])[4, 143]
    assert abs(0.0 - reference) <= bound
    assert abs(1.1240664729738124e-37 - reference) <= bound
    # The allowance is the dropped product and the floor, nothing more.
    assert bound < 1.001 * reference + 2 * T
