"""reference.batch_norm against finite differences, hand values and properties; no torch here."""

import math

import numpy as np
import pytest
from hypothesis import given, note, strategies as st
from hypothesis.extra import numpy as hnp

from reference.batch_norm import (
    batch_norm1d_forward,
    batch_norm1d_vjp,
    batch_norm2d_forward,
    batch_norm2d_vjp,
    reduced_axes,
)
from selftest.finite_differences import assert_vjp_matches_finite_differences, normalisation_atol

MAGNITUDE = 3.0
ELEMENTS = st.floats(-MAGNITUDE, MAGNITUDE, allow_nan=False, allow_subnormal=False)
# eps bounds 1 / sqrt(var + eps), hence the curvature central differences must resolve:
# 1e-3 keeps their truncation error near 1e-8 even for a constant channel.
FD_EPS = st.sampled_from([1e-3, 1e-1, 1.0])
MOMENTA = st.sampled_from([None, 0.0, 0.1, 0.5, 1.0])
# A few ulps times a small factor for the handful of operations between input and output.
ULPS = 16 * 2.0**-52
DEFAULT_EPS = 1e-5


@st.composite
def batch_norm_cases(draw):
    """x (N, C, H, W) with N*H*W >= 2, parameters (either may be absent), buffers, grad_y."""
    n, c, h, w = (draw(st.integers(1, 3), label=axis) for axis in "NCHW")
    if n * h * w == 1:
        n = 2  # a training batch needs two values per channel
    x = draw(hnp.arrays(np.float64, (n, c, h, w), elements=ELEMENTS), label="x")
    channel = hnp.arrays(np.float64, (c,), elements=ELEMENTS)
    weight = draw(st.none() | channel, label="weight")
    bias = draw(st.none() | channel, label="bias")
    running_mean = draw(channel, label="running_mean")
    positive = st.floats(0.1, 4.0)
    running_var = draw(hnp.arrays(np.float64, (c,), elements=positive), label="running_var")
    grad_y = draw(hnp.arrays(np.float64, x.shape, elements=ELEMENTS), label="grad_y")
    eps = draw(FD_EPS, label="eps")
    note(f"x {x.shape}, affine weight={weight is not None} bias={bias is not None}, eps {eps}")
    return x, weight, bias, running_mean, running_var, grad_y, eps


def forward(x, weight=None, bias=None, buffers=(None, None, None), **options):
    """batch_norm2d_forward with BatchNorm2d's defaults: training, tracking, momentum 0.1."""
    options = {"momentum": 0.1, "eps": DEFAULT_EPS, "training": True} | options
    options.setdefault("track_running_stats", buffers[0] is not None)
    return batch_norm2d_forward(x, weight, bias, *buffers, **options)


def fd_atol(x, weight, grad_y, running_mean, running_var, eps, use_batch_stats):
    """The finite-difference allowance for this case: batch or stored statistics."""
    if use_batch_stats:
        variance, shift = float(np.min(x.var(axis=reduced_axes(x.ndim)))), 0.0
    else:
        variance, shift = float(np.min(running_var)), float(np.max(np.abs(running_mean)))
    return normalisation_atol(x, weight, grad_y, variance, eps, shift)


def channel_stats(x):
    return x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))


# --- VJPs against central differences ----------------------------------------------------


@given(batch_norm_cases(), st.booleans())
def test_vjp_matches_finite_differences(case, use_batch_stats):
    x, weight, bias, running_mean, running_var, grad_y, eps = case
    # use_batch_stats is training mode; otherwise eval with the running stats as constants.
    buffers = (running_mean, running_var, 0)

    def output(x_, weight_=weight, bias_=bias):
        return forward(x_, weight_, bias_, buffers, eps=eps, training=use_batch_stats)[0]

    running_stats = (running_mean, running_var)
    grads = batch_norm2d_vjp(
        x, weight, bias, *running_stats, eps=eps, use_batch_stats=use_batch_stats, grad_y=grad_y
    )
    present = {"input"} | {k for k, v in (("weight", weight), ("bias", bias)) if v is not None}
    assert set(grads) == present
    atol = fd_atol(x, weight, grad_y, running_mean, running_var, eps, use_batch_stats)
    assert_vjp_matches_finite_differences(output, x, grad_y, grads["input"], atol=atol)
    if weight is not None:
        assert_vjp_matches_finite_differences(
            lambda w_: output(x, weight_=w_), weight, grad_y, grads["weight"], atol=atol
        )
    if bias is not None:
        assert_vjp_matches_finite_differences(
            lambda b_: output(x, bias_=b_), bias, grad_y, grads["bias"], atol=atol
        )


@given(batch_norm_cases(), st.booleans())
def test_without_running_stats_the_batch_statistics_are_used(case, training):
    x, weight, bias, *_, eps = case
    y, buffers = forward(x, weight, bias, eps=eps, training=training)
    assert buffers == {}
    channels = x.shape[1]
    reference, _ = forward(x, weight, bias, (np.zeros(channels), np.ones(channels), 0), eps=eps)
    np.testing.assert_array_equal(y, reference)


# --- hand-computed values ----------------------------------------------------------------


def test_channel_one_to_four_by_hand():
    # mean 2.5, biased var (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 2)
    y, _ = forward(x, buffers=(np.zeros(1), np.ones(1), 0))
    expected = np.array([-1.5, -0.5, 0.5, 1.5]) / math.sqrt(1.25 + DEFAULT_EPS)
    np.testing.assert_allclose(y.reshape(-1), expected, rtol=ULPS)


def test_one_momentum_step_uses_the_unbiased_variance():
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 2)
    _, buffers = forward(x, np.ones(1), np.zeros(1), (np.zeros(1), np.ones(1), 0), momentum=0.1)
    # Unbiased var 5/3 = 1.25 * 4/3; 0.9 * 0 + 0.1 * 2.5 and 0.9 * 1 + 0.1 * 5/3.
    np.testing.assert_allclose(buffers["running_mean"], [0.25], rtol=ULPS)
    np.testing.assert_allclose(buffers["running_var"], [0.9 + 0.1 * 5 / 3], rtol=ULPS)
    assert buffers["num_batches_tracked"] == 1


@given(
    st.lists(hnp.arrays(np.float64, (2, 2, 2, 1), elements=ELEMENTS), min_size=1, max_size=5),
    hnp.arrays(np.float64, (2,), elements=ELEMENTS),
    hnp.arrays(np.float64, (2,), elements=st.floats(0.1, 4.0)),
)
def test_momentum_none_is_the_cumulative_average(batches, start_mean, start_var):
    # With momentum None the k-th step weighs its batch 1/k, so the first step replaces the
    # starting buffers and every later one keeps the plain mean of the batch statistics.
    running_mean, running_var, steps = start_mean, start_var, 0
    for x in batches:
        _, buffers = forward(x, buffers=(running_mean, running_var, steps), momentum=None)
        running_mean, running_var = buffers["running_mean"], buffers["running_var"]
        steps = buffers["num_batches_tracked"]
    means = [x.mean(axis=(0, 2, 3)) for x in batches]
    unbiased = [x.var(axis=(0, 2, 3), ddof=1) for x in batches]
    assert steps == len(batches)
    np.testing.assert_allclose(running_mean, np.mean(means, axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(running_var, np.mean(unbiased, axis=0), rtol=1e-12, atol=1e-15)


@given(batch_norm_cases(), MOMENTA)
def test_eval_mode_normalises_with_running_stats_and_leaves_them(case, momentum):
    x, weight, bias, running_mean, running_var, _, eps = case
    running = (running_mean, running_var, 7)
    y, buffers = forward(x, weight, bias, running, momentum=momentum, eps=eps, training=False)
    scale = 1.0 if weight is None else weight[:, None, None]
    shift = 0.0 if bias is None else bias[:, None, None]
    expected = (x - running_mean[:, None, None]) / np.sqrt(running_var[:, None, None] + eps)
    np.testing.assert_allclose(y, expected * scale + shift, rtol=ULPS, atol=ULPS)
    np.testing.assert_array_equal(buffers["running_mean"], running_mean)
    np.testing.assert_array_equal(buffers["running_var"], running_var)
    assert buffers["num_batches_tracked"] == 7


@given(batch_norm_cases(), MOMENTA)
def test_training_step_blends_buffers_with_the_batch(case, momentum):
    x, _, _, running_mean, running_var, _, eps = case
    _, buffers = forward(x, buffers=(running_mean, running_var, 3), momentum=momentum, eps=eps)
    factor = 1 / 4 if momentum is None else momentum
    batch_mean, batch_var = channel_stats(x)
    count = x.size // x.shape[1]
    expected_var = (1 - factor) * running_var + factor * batch_var * count / (count - 1)
    np.testing.assert_allclose(
        buffers["running_mean"], (1 - factor) * running_mean + factor * batch_mean, atol=ULPS
    )
    np.testing.assert_allclose(buffers["running_var"], expected_var, rtol=ULPS, atol=ULPS)
    assert buffers["num_batches_tracked"] == 4


def test_training_with_one_value_per_channel_is_refused():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        forward(np.ones((1, 3, 1, 1)), buffers=(np.zeros(3), np.ones(3), 0))


def test_only_four_dimensional_input_is_accepted():
    with pytest.raises(ValueError, match="4D"):
        forward(np.ones((3, 2, 2)))


# --- properties --------------------------------------------------------------------------


@given(batch_norm_cases())
def test_training_output_has_zero_mean_and_shrunk_unit_variance(case):
    x, _, _, running_mean, running_var, _, eps = case
    y, _ = forward(x, buffers=(running_mean, running_var, 0), eps=eps)
    _, var = channel_stats(x)
    y_mean, y_var = channel_stats(y)
    np.testing.assert_allclose(y_mean, 0.0, atol=1e-12)
    # Normalising by sqrt(var + eps) leaves a biased variance of var / (var + eps).
    np.testing.assert_allclose(y_var, var / (var + eps), rtol=1e-12, atol=1e-15)


# --- BatchNorm1d: (N, C) and (N, C, L) ---------------------------------------------------


@st.composite
def batch_norm1d_cases(draw):
    """x (N, C) or (N, C, L) with at least two values per channel, and the rest as above."""
    rank = draw(st.sampled_from([2, 3]), label="rank")
    n, c = draw(st.integers(1, 4), label="N"), draw(st.integers(1, 3), label="C")
    length = draw(st.integers(1, 4), label="L") if rank == 3 else 1
    if n * length == 1:
        n = 2  # a training batch needs two values per channel
    shape = (n, c) if rank == 2 else (n, c, length)
    x = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS), label="x")
    channel = hnp.arrays(np.float64, (c,), elements=ELEMENTS)
    weight = draw(st.none() | channel, label="weight")
    bias = draw(st.none() | channel, label="bias")
    running_mean = draw(channel, label="running_mean")
    running_var = draw(hnp.arrays(np.float64, (c,), elements=st.floats(0.1, 4.0)), label="var")
    grad_y = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS), label="grad_y")
    eps = draw(FD_EPS, label="eps")
    note(f"x {shape}, affine weight={weight is not None} bias={bias is not None}, eps {eps}")
    return x, weight, bias, running_mean, running_var, grad_y, eps


@given(batch_norm1d_cases(), st.booleans())
def test_batch_norm1d_vjp_matches_finite_differences(case, use_batch_stats):
    x, weight, bias, running_mean, running_var, grad_y, eps = case
    options = {"momentum": 0.1, "eps": eps, "training": use_batch_stats}

    def output(x_, weight_=weight, bias_=bias):
        running = (running_mean, running_var, 0)
        return batch_norm1d_forward(
            x_, weight_, bias_, *running, track_running_stats=True, **options
        )[0]

    grads = batch_norm1d_vjp(
        x, weight, bias, running_mean, running_var, eps=eps,
        use_batch_stats=use_batch_stats, grad_y=grad_y,
    )  # fmt: skip
    atol = fd_atol(x, weight, grad_y, running_mean, running_var, eps, use_batch_stats)
    assert_vjp_matches_finite_differences(output, x, grad_y, grads["input"], atol=atol)
    if weight is not None:
        assert_vjp_matches_finite_differences(
            lambda w_: output(x, weight_=w_), weight, grad_y, grads["weight"], atol=atol
        )
    if bias is not None:
        assert_vjp_matches_finite_differences(
            lambda b_: output(x, bias_=b_), bias, grad_y, grads["bias"], atol=atol
        )


@given(batch_norm1d_cases(), MOMENTA, st.booleans())
def test_batch_norm1d_of_a_signal_is_batch_norm2d_of_a_row_high_image(case, momentum, training):
    # Both normalise each channel over every other axis: (N, C, L) as (N, C, 1, L).
    x, weight, bias, running_mean, running_var, grad_y, eps = case
    if x.ndim == 2:
        x, grad_y = x[:, :, None], grad_y[:, :, None]
    running = (running_mean, running_var, 3)
    options = {"momentum": momentum, "eps": eps, "training": training}
    one_d = batch_norm1d_forward(x, weight, bias, *running, track_running_stats=True, **options)
    two_d = batch_norm2d_forward(
        x[:, :, None, :], weight, bias, *running, track_running_stats=True, **options
    )
    np.testing.assert_array_equal(one_d[0], two_d[0][:, :, 0, :])
    for name, value in one_d[1].items():
        np.testing.assert_array_equal(value, two_d[1][name])
    stats = {"eps": eps, "use_batch_stats": training, "grad_y": grad_y}
    grads_1d = batch_norm1d_vjp(x, weight, bias, running_mean, running_var, **stats)
    stats["grad_y"] = grad_y[:, :, None, :]
    grads_2d = batch_norm2d_vjp(x[:, :, None, :], weight, bias, running_mean, running_var, **stats)
    np.testing.assert_array_equal(grads_1d["input"], grads_2d["input"][:, :, 0, :])


def test_batch_norm1d_of_a_batch_of_features_by_hand():
    # (N, C) = 4 samples of 2 features: each feature normalised over the 4 samples.
    x = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 30.0], [4.0, 30.0]])
    y, buffers = batch_norm1d_forward(
        x, None, None, np.zeros(2), np.ones(2), 0, momentum=1.0, eps=DEFAULT_EPS,
        training=True, track_running_stats=True,
    )  # fmt: skip
    # Feature 0: mean 2.5, var 1.25; feature 1: mean 20, var 100.
    expected_0 = np.array([-1.5, -0.5, 0.5, 1.5]) / math.sqrt(1.25 + DEFAULT_EPS)
    expected_1 = np.array([-10.0, -10.0, 10.0, 10.0]) / math.sqrt(100 + DEFAULT_EPS)
    np.testing.assert_allclose(y[:, 0], expected_0, rtol=ULPS)
    np.testing.assert_allclose(y[:, 1], expected_1, rtol=ULPS)
    # Momentum 1: the running statistics become the batch's, the variance unbiased (4/3).
    np.testing.assert_array_equal(buffers["running_mean"], [2.5, 20.0])
    np.testing.assert_allclose(buffers["running_var"], [5 / 3, 400 / 3], rtol=ULPS)


def test_reduced_axes_are_every_axis_but_the_channels():
    assert reduced_axes(2) == (0,)
    assert reduced_axes(3) == (0, 2)
    assert reduced_axes(4) == (0, 2, 3)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 2, 2)])
def test_batch_norm1d_accepts_only_two_or_three_dimensional_input(shape):
    with pytest.raises(ValueError, match="2D or 3D"):
        batch_norm1d_forward(np.ones(shape), None, None, None, None, None,
            momentum=0.1, eps=DEFAULT_EPS, training=False, track_running_stats=False)  # fmt: skip
