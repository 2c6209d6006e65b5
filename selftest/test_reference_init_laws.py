"""The init laws against values worked out by hand; torch stays out so the oracle is independent."""

import dataclasses
import math

import pytest
from hypothesis import given, strategies as st

from reference.init_laws import (
    NONLINEARITIES,
    InitLaw,
    calculate_gain,
    constant_law,
    default_bias_bound,
    default_weight_bound,
    fan_in_and_fan_out,
    kaiming_fan,
    kaiming_normal_std,
    kaiming_uniform_bound,
    law_mean,
    law_variance,
    normal_law,
    uniform_law,
    xavier_normal_std,
    xavier_uniform_bound,
)

# The laws are a handful of float64 operations, so a few ulps of relative error
# separate two routes to the same number; anything larger is a wrong formula.
ULPS = 4 * 2.0**-52

# Every nonlinearity torch.nn.init.calculate_gain knows, with its gain derived by hand:
# the linear family and sigmoid 1, tanh 5/3, relu sqrt(2), selu torch's empirical 3/4, and
# leaky_relu at the default slope 0.01: sqrt(2 / (1 + 0.0001)) = 1.41414285699783...
HAND_GAINS = {
    "linear": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 1.6666666666666667,
    "relu": 1.4142135623730951,
    "leaky_relu": 1.4141428569978354,
    "selu": 0.75,
}

# The chapter's layers: nn.Linear(784, 256) and nn.Conv2d(3, 32, 5).
LINEAR_WEIGHT = (256, 784)
CONV_WEIGHT = (32, 3, 5, 5)

# Weight shapes of any rank torch's fan rule accepts; sizes stay positive because a
# zero-sized weight has no elements to follow a law.
weight_shapes = st.lists(st.integers(1, 512), min_size=2, max_size=5).map(tuple)


def test_nonlinearities_lists_every_gain():
    assert set(NONLINEARITIES) == set(HAND_GAINS)
    assert len(NONLINEARITIES) == len(set(NONLINEARITIES))


@pytest.mark.parametrize("nonlinearity", sorted(HAND_GAINS))
def test_gain_equals_the_hand_value(nonlinearity):
    assert calculate_gain(nonlinearity) == pytest.approx(HAND_GAINS[nonlinearity], rel=ULPS)


@pytest.mark.parametrize(
    ("slope", "gain"),
    [
        (0, math.sqrt(2.0)),  # slope 0 is relu
        (1, 1.0),  # slope 1 is the identity: sqrt(2 / 2)
        (-1.0, 1.0),  # only slope^2 matters
        (0.2, 1.3867504905630728),  # sqrt(2 / 1.04)
        (math.sqrt(5.0), math.sqrt(1 / 3)),  # nn.Linear's default: sqrt(2 / 6)
    ],
)
def test_leaky_relu_gain_follows_its_slope(slope, gain):
    assert calculate_gain("leaky_relu", slope) == pytest.approx(gain, rel=ULPS)


def test_param_is_ignored_outside_leaky_relu():
    assert calculate_gain("tanh", 0.3) == calculate_gain("tanh")
    assert calculate_gain("relu", True) == calculate_gain("relu")


@pytest.mark.parametrize("bad_name", ["Tanh", "gelu", "identity", ""])
def test_unknown_nonlinearity_raises(bad_name):
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        calculate_gain(bad_name)


@pytest.mark.parametrize("bad_slope", [True, False, "0.1", [0.1]])
def test_leaky_relu_rejects_non_numbers_and_bools(bad_slope):
    with pytest.raises(ValueError, match="not a valid number"):
        calculate_gain("leaky_relu", bad_slope)


def test_fans_of_the_chapter_layers():
    assert fan_in_and_fan_out(LINEAR_WEIGHT) == (784, 256)
    # Receptive field 5 * 5 = 25: fan_in 3 * 25, fan_out 32 * 25.
    assert fan_in_and_fan_out(CONV_WEIGHT) == (75, 800)


@given(weight_shapes)
def test_fans_scale_channels_by_the_receptive_field(shape):
    receptive_field = math.prod(shape[2:])
    assert fan_in_and_fan_out(shape) == (shape[1] * receptive_field, shape[0] * receptive_field)


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dimensions(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        fan_in_and_fan_out(shape)


def test_kaiming_fan_picks_the_mode_case_insensitively():
    assert kaiming_fan(CONV_WEIGHT, "fan_in") == 75
    assert kaiming_fan(CONV_WEIGHT, "fan_out") == 800
    assert kaiming_fan(CONV_WEIGHT, "FAN_OUT") == 800


@pytest.mark.parametrize("bad_mode", ["fan_avg", "in", ""])
def test_kaiming_fan_rejects_other_modes(bad_mode):
    with pytest.raises(ValueError, match="not supported"):
        kaiming_fan(CONV_WEIGHT, bad_mode)
    with pytest.raises(ValueError, match="not supported"):
        kaiming_normal_std(CONV_WEIGHT, mode=bad_mode)


def test_xavier_bound_of_the_chapter_linear_weight():
    # sqrt(6 / (784 + 256)) = sqrt(6 / 1040)
    assert xavier_uniform_bound(LINEAR_WEIGHT) == pytest.approx(0.075955452531275, rel=ULPS)
    assert xavier_normal_std(LINEAR_WEIGHT) == pytest.approx(math.sqrt(2 / 1040), rel=ULPS)


@given(weight_shapes, st.floats(0.1, 10.0))
def test_xavier_bound_is_gain_sqrt_6_over_fan_sum(shape, gain):
    fan_in, fan_out = fan_in_and_fan_out(shape)
    expected = gain * math.sqrt(6 / (fan_in + fan_out))
    assert xavier_uniform_bound(shape, gain) == pytest.approx(expected, rel=ULPS)


def test_kaiming_std_fan_out_relu_of_the_chapter_conv():
    # The chapter's He init: sqrt(2) / sqrt(32 * 25) = sqrt(1 / 400) = 1 / 20.
    std = kaiming_normal_std(CONV_WEIGHT, mode="fan_out", nonlinearity="relu")
    assert std == pytest.approx(math.sqrt(2) / math.sqrt(32 * 25), rel=ULPS)
    assert std == pytest.approx(0.05, rel=ULPS)


def test_kaiming_default_is_leaky_relu_with_a_as_slope():
    assert kaiming_normal_std(CONV_WEIGHT) == pytest.approx(
        calculate_gain("leaky_relu", 0) / math.sqrt(75), rel=ULPS
    )
    assert kaiming_normal_std(CONV_WEIGHT, a=0.2) == pytest.approx(
        1.3867504905630728 / math.sqrt(75), rel=ULPS
    )


@given(weight_shapes, st.sampled_from(["fan_in", "fan_out"]), st.sampled_from(NONLINEARITIES))
def test_kaiming_uniform_has_the_normal_std(shape, mode, nonlinearity):
    bound = kaiming_uniform_bound(shape, mode=mode, nonlinearity=nonlinearity)
    std = kaiming_normal_std(shape, mode=mode, nonlinearity=nonlinearity)
    # U(-b, b) has variance b^2 / 3: the two kaiming inits share one variance.
    assert law_variance(uniform_law(-bound, bound)) == pytest.approx(std**2, rel=ULPS)


def test_kaiming_has_no_law_for_a_zero_fan():
    with pytest.raises(ValueError, match="fan is 0"):
        kaiming_normal_std((3, 0))
    with pytest.raises(ValueError, match="fan is 0"):
        kaiming_uniform_bound((0, 3), mode="fan_out")


@given(weight_shapes)
def test_default_weight_bound_is_one_over_sqrt_fan_in(shape):
    fan_in, _ = fan_in_and_fan_out(shape)
    assert default_weight_bound(shape) == pytest.approx(1 / math.sqrt(fan_in), rel=ULPS)


@given(weight_shapes)
def test_default_bias_bound_matches_the_weight_bound(shape):
    assert default_bias_bound(shape) == pytest.approx(default_weight_bound(shape), rel=ULPS)


def test_default_bounds_of_the_chapter_layers():
    assert default_weight_bound(LINEAR_WEIGHT) == pytest.approx(1 / 28, rel=ULPS)  # sqrt(784)
    assert default_bias_bound(CONV_WEIGHT) == pytest.approx(1 / math.sqrt(75), rel=ULPS)


def test_default_bias_bound_is_zero_without_inputs():
    assert default_bias_bound((5, 0)) == 0.0
    assert default_bias_bound((5, 0, 3, 3)) == 0.0


@pytest.mark.parametrize(
    ("law", "mean", "variance"),
    [
        (uniform_law(-3.0, 3.0), 0.0, 3.0),  # (b - a)^2 / 12 = 36 / 12
        (uniform_law(1, 2), 1.5, 1 / 12),
        (normal_law(0.5, 2.0), 0.5, 4.0),
        (constant_law(0), 0.0, 0.0),  # zeros_
        (constant_law(1), 1.0, 0.0),  # ones_
    ],
)
def test_law_moments(law, mean, variance):
    assert law_mean(law) == pytest.approx(mean, rel=ULPS)
    assert law_variance(law) == pytest.approx(variance, rel=ULPS)


def test_constructors_fill_only_their_kind():
    assert uniform_law(-1, 1) == InitLaw("uniform", low=-1.0, high=1.0)
    assert normal_law(0, 1) == InitLaw("normal", mean=0.0, std=1.0)
    assert constant_law(0) == InitLaw("constant", value=0.0)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "beta"},
        {"kind": "uniform", "low": 0.0},
        {"kind": "uniform", "low": 1.0, "high": 0.0},
        {"kind": "normal", "mean": 0.0, "std": -1.0},
        {"kind": "constant", "value": 0.0, "std": 1.0},
    ],
)
def test_malformed_laws_raise(fields):
    with pytest.raises(ValueError):
        InitLaw(**fields)


def test_laws_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        uniform_law(-1, 1).low = 0.0
