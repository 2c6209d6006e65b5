"""The parameter and buffer laws: names, order, shapes and counts, from the formulas alone."""

import math

import pytest
from hypothesis import given, strategies as st

from reference.parameter_laws import (
    batch_norm2d_buffer_shapes,
    batch_norm2d_param_shapes,
    conv1d_param_shapes,
    conv2d_param_shapes,
    layer_norm_param_shapes,
    linear_param_shapes,
    param_count,
)

# Sizes small enough to keep each example instant, and including 1, the smallest layer.
sizes = st.integers(1, 64)


@given(sizes, sizes, st.booleans())
def test_linear_shapes_and_count(in_features, out_features, bias):
    shapes = linear_param_shapes(in_features, out_features, bias)
    assert list(shapes) == (["weight", "bias"] if bias else ["weight"])
    assert shapes["weight"] == (out_features, in_features)
    # in * out weights, plus one bias per output.
    assert param_count(shapes) == out_features * (in_features + bias)


@given(st.data(), sizes, sizes, st.integers(1, 7), st.integers(1, 7), st.booleans())
def test_conv2d_shapes_and_count(data, in_per_group, out_per_group, kh, kw, bias):
    groups = data.draw(st.integers(1, 4), label="groups")
    in_channels, out_channels = in_per_group * groups, out_per_group * groups
    shapes = conv2d_param_shapes(in_channels, out_channels, (kh, kw), groups, bias)
    assert list(shapes) == (["weight", "bias"] if bias else ["weight"])
    assert shapes["weight"] == (out_channels, in_per_group, kh, kw)
    # Each output channel holds one kh x kw kernel per input channel of its group.
    expected = out_channels * in_per_group * kh * kw + (out_channels if bias else 0)
    assert param_count(shapes) == expected


@given(st.data(), sizes, sizes, st.integers(1, 7), st.booleans())
def test_conv1d_shapes_and_count(data, in_per_group, out_per_group, k, bias):
    groups = data.draw(st.integers(1, 4), label="groups")
    in_channels, out_channels = in_per_group * groups, out_per_group * groups
    kernel = data.draw(st.sampled_from([k, (k,), [k]]), label="kernel spelling")
    shapes = conv1d_param_shapes(in_channels, out_channels, kernel, groups, bias)
    assert list(shapes) == (["weight", "bias"] if bias else ["weight"])
    assert shapes["weight"] == (out_channels, in_per_group, k)
    # Each output channel holds one length-k kernel per input channel of its group.
    assert param_count(shapes) == out_channels * in_per_group * k + (out_channels if bias else 0)


@pytest.mark.parametrize("kernel_size", [(3, 3), ()])
def test_conv1d_rejects_kernels_of_the_wrong_rank(kernel_size):
    with pytest.raises(ValueError, match="kernel_size"):
        conv1d_param_shapes(3, 4, kernel_size)


@given(sizes, sizes, st.integers(1, 7))
def test_conv2d_int_kernel_is_a_square(in_channels, out_channels, k):
    assert conv2d_param_shapes(in_channels, out_channels, k) == conv2d_param_shapes(
        in_channels, out_channels, (k, k)
    )
    assert conv2d_param_shapes(in_channels, out_channels, [k, k]) == conv2d_param_shapes(
        in_channels, out_channels, (k, k)
    )


@pytest.mark.parametrize(
    ("in_channels", "out_channels", "groups", "message"),
    [
        (4, 4, 0, "groups must be a positive integer"),
        (4, 4, -2, "groups must be a positive integer"),
        (3, 4, 2, "in_channels must be divisible by groups"),
        (4, 3, 2, "out_channels must be divisible by groups"),
    ],
)
def test_conv2d_rejects_bad_groups(in_channels, out_channels, groups, message):
    with pytest.raises(ValueError, match=message):
        conv2d_param_shapes(in_channels, out_channels, 3, groups=groups)


@pytest.mark.parametrize("kernel_size", [(3,), (3, 3, 3)])
def test_conv2d_rejects_kernels_of_the_wrong_rank(kernel_size):
    with pytest.raises(ValueError, match="kernel_size"):
        conv2d_param_shapes(3, 4, kernel_size)


def test_depthwise_conv_has_one_input_channel_per_kernel():
    assert conv2d_param_shapes(8, 16, 3, groups=8)["weight"] == (16, 1, 3, 3)


@given(sizes, st.booleans(), st.booleans())
def test_batch_norm2d_parameters(num_features, affine, bias):
    shapes = batch_norm2d_param_shapes(num_features, affine, bias=bias)
    expected_names = (["weight", "bias"] if bias else ["weight"]) if affine else []
    assert list(shapes) == expected_names
    assert all(shape == (num_features,) for shape in shapes.values())
    assert param_count(shapes) == num_features * len(expected_names)


@given(sizes)
def test_batch_norm2d_buffers(num_features):
    buffers = batch_norm2d_buffer_shapes(num_features)
    assert list(buffers) == ["running_mean", "running_var", "num_batches_tracked"]
    assert buffers["running_mean"] == buffers["running_var"] == (num_features,)
    assert buffers["num_batches_tracked"] == ()
    # Mean and variance per channel, plus one scalar counter.
    assert param_count(buffers) == 2 * num_features + 1
    assert batch_norm2d_buffer_shapes(num_features, track_running_stats=False) == {}


@given(st.lists(st.integers(1, 8), min_size=1, max_size=4), st.booleans(), st.booleans())
def test_layer_norm_parameters(normalized_shape, elementwise_affine, bias):
    shapes = layer_norm_param_shapes(normalized_shape, elementwise_affine, bias)
    expected_names = (["weight", "bias"] if bias else ["weight"]) if elementwise_affine else []
    assert list(shapes) == expected_names
    assert all(shape == tuple(normalized_shape) for shape in shapes.values())
    assert param_count(shapes) == math.prod(normalized_shape) * len(expected_names)


def test_layer_norm_int_shape_is_one_dimension():
    assert layer_norm_param_shapes(7) == {"weight": (7,), "bias": (7,)}


def test_norm_layers_of_the_chapter():
    # nn.BatchNorm2d(num_features=64): a scale and a shift per channel.
    assert param_count(batch_norm2d_param_shapes(64)) == 128
    # nn.LayerNorm([64, 28, 28]): a scale and a shift per normalised element.
    assert param_count(layer_norm_param_shapes([64, 28, 28])) == 2 * 64 * 28 * 28 == 100_352


def test_param_count_of_edge_shapes():
    assert param_count({}) == 0
    assert param_count({"scalar": ()}) == 1
    assert param_count({"empty": (5, 0)}) == 0
    assert param_count({"a": (2, 3), "b": (4,), "c": ()}) == 6 + 4 + 1


@pytest.mark.parametrize(
    "build",
    [
        lambda: linear_param_shapes(-1, 3),
        lambda: conv2d_param_shapes(3, -4, 3),
        lambda: conv2d_param_shapes(3, 4, (3, -1)),
        lambda: conv1d_param_shapes(3, 4, -2),
        lambda: batch_norm2d_param_shapes(-1),
        lambda: layer_norm_param_shapes([4, -2]),
    ],
)
def test_negative_sizes_raise(build):
    with pytest.raises(ValueError, match="non-negative"):
        build()
