"""Every parameter count the chapter states, recomputed from the closed-form laws alone."""

import itertools

from reference.parameter_laws import Shapes, conv2d_param_shapes, linear_param_shapes, param_count

# The chapter's numbers, as it prints them (section on nn.Linear, nn.Conv2d, LeNet-5).
CHAPTER_LINEAR_WEIGHTS = 200_704
CHAPTER_LINEAR_TOTAL = 200_960
CHAPTER_CONV_WEIGHTS = 2_400
CHAPTER_CONV_TOTAL = 2_432
# "the conv layer has 82 times fewer parameters" than the linear one.
CHAPTER_FEWER_FACTOR = 82
CHAPTER_LENET5_PER_LAYER = {"c1": 156, "c3": 2_416, "c5": 48_120, "f6": 10_164, "output": 850}
CHAPTER_LENET5_TOTAL = 61_706
# Its named_parameters() printout for LeNet5 (the first three lines).
CHAPTER_LENET5_FIRST_PARAMS = [
    ("c1.weight", (6, 1, 5, 5), 150),
    ("c1.bias", (6,), 6),
    ("c3.weight", (16, 6, 5, 5), 2_400),
]


def named(modules: dict[str, Shapes]) -> Shapes:
    """A model's parameters as named_parameters() lists them: 'child.param' in order."""
    return {
        f"{child}.{param}": shape
        for child, shapes in modules.items()
        for param, shape in shapes.items()
    }


def lenet5(num_classes: int = 10) -> dict[str, Shapes]:
    """LeNet5's parametrised children; the pools s2 and s4 and tanh hold no parameters."""
    return {
        "c1": conv2d_param_shapes(1, 6, 5),  # padding=2 changes the output, not the weight
        "c3": conv2d_param_shapes(6, 16, 5),
        "c5": conv2d_param_shapes(16, 120, 5),
        "f6": linear_param_shapes(120, 84),
        "output": linear_param_shapes(84, num_classes),
    }


def dynamic_net(layer_sizes: list[int]) -> dict[str, Shapes]:
    """DynamicNet's ModuleList: Linear layers at even indices, a ReLU between each pair."""
    linears = itertools.pairwise(layer_sizes)
    return {f"layers.{2 * i}": linear_param_shapes(a, b) for i, (a, b) in enumerate(linears)}


def test_linear_784_to_256():
    shapes = linear_param_shapes(784, 256)
    assert shapes == {"weight": (256, 784), "bias": (256,)}
    assert param_count({"weight": shapes["weight"]}) == CHAPTER_LINEAR_WEIGHTS
    assert param_count(shapes) == CHAPTER_LINEAR_TOTAL == 200_704 + 256


def test_conv2d_3_to_32_kernel_5():
    shapes = conv2d_param_shapes(3, 32, 5)
    assert shapes == {"weight": (32, 3, 5, 5), "bias": (32,)}
    assert param_count({"weight": shapes["weight"]}) == CHAPTER_CONV_WEIGHTS
    assert param_count(shapes) == CHAPTER_CONV_TOTAL == 2_400 + 32


def test_conv_has_82_times_fewer_parameters_than_linear():
    linear = param_count(linear_param_shapes(784, 256))
    conv = param_count(conv2d_param_shapes(3, 32, 5))
    # 200,960 / 2,432 = 82.63...: the chapter's 82 is the truncated quotient; rounding
    # would say 83, so the claim holds as "at least 82 times", not "about 82 times".
    assert linear // conv == CHAPTER_FEWER_FACTOR
    assert round(linear / conv) == CHAPTER_FEWER_FACTOR + 1
    assert 82.63 < linear / conv < 82.64


def test_lenet5_per_layer_counts():
    per_layer = {name: param_count(shapes) for name, shapes in lenet5().items()}
    assert per_layer == CHAPTER_LENET5_PER_LAYER


def test_lenet5_per_layer_formulas_as_the_chapter_writes_them():
    # out x in x k x k + out for the convolutions, in x out + out for the linear layers.
    assert CHAPTER_LENET5_PER_LAYER == {
        "c1": 6 * 1 * 5 * 5 + 6,
        "c3": 16 * 6 * 5 * 5 + 16,
        "c5": 120 * 16 * 5 * 5 + 120,
        "f6": 120 * 84 + 84,
        "output": 84 * 10 + 10,
    }


def test_lenet5_total_is_61706():
    assert param_count(named(lenet5())) == CHAPTER_LENET5_TOTAL


def test_lenet5_named_parameters_printout():
    params = named(lenet5())
    assert list(params) == [
        "c1.weight",
        "c1.bias",
        "c3.weight",
        "c3.bias",
        "c5.weight",
        "c5.bias",
        "f6.weight",
        "f6.bias",
        "output.weight",
        "output.bias",
    ]
    for name, shape, count in CHAPTER_LENET5_FIRST_PARAMS:
        assert params[name] == shape
        assert param_count({name: shape}) == count


def test_my_network_count():
    # fc1 Linear(784, 256), ReLU, Dropout(0.2), fc2 Linear(256, 10); only the Linears count.
    params = named({"fc1": linear_param_shapes(784, 256), "fc2": linear_param_shapes(256, 10)})
    assert list(params) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    # 784 * 256 + 256 + 256 * 10 + 10 = 200,960 + 2,570
    assert param_count(params) == 203_530


def test_sequential_versions_share_the_count_under_different_names():
    positional = named({"0": linear_param_shapes(784, 256), "3": linear_param_shapes(256, 10)})
    by_name = named({"fc1": linear_param_shapes(784, 256), "fc2": linear_param_shapes(256, 10)})
    # Positional Sequential names a child by its index: ReLU is 1 and Dropout 2.
    assert list(positional) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert list(positional.values()) == list(by_name.values())
    assert param_count(positional) == param_count(by_name) == 203_530


def test_dynamic_net_count():
    params = named(dynamic_net([784, 256, 128, 64, 10]))
    assert list(params) == [f"layers.{i}.{p}" for i in (0, 2, 4, 6) for p in ("weight", "bias")]
    # 200,960 + (256 * 128 + 128) + (128 * 64 + 64) + (64 * 10 + 10)
    assert param_count(params) == 200_960 + 32_896 + 8_256 + 650 == 242_762
