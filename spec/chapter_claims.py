"""Every concrete claim of the chapter (seed/nn-module-chapter.txt), as data.

Each claim: an id, the claim in our own words, the value the chapter states, how it
is checked, and the test of tests/test_chapter_claims.py that checks it against the
implementation under test. The report lists every claim with its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the chapter."""

    id: str
    claim: str
    value: Any
    how: str
    check: str  # the test function in tests/test_chapter_claims.py


LENET5_PER_LAYER = {"c1": 156, "c3": 2_416, "c5": 48_120, "f6": 10_164, "output": 850}
LENET5_TOTAL = 61_706
LINEAR_TOTAL = 200_960
CONV_TOTAL = 2_432

CLAIMS: tuple[Claim, ...] = (
    # -- nn.Linear(784, 256)
    Claim(
        "linear.shapes",
        "Linear(784, 256) stores its weight as (256, 784) and its bias as (256,)",
        {"weight": (256, 784), "bias": (256,)},
        "the parameters' shapes",
        "test_linear_claims",
    ),
    Claim(
        "linear.output_shape",
        "Linear(784, 256) maps a (64, 784) batch to (64, 256)",
        (64, 256),
        "the output shape of a forward pass",
        "test_linear_claims",
    ),
    Claim(
        "linear.formula",
        "Linear computes y = x @ W^T + b",
        "x @ W.T + b",
        "the output against reference.linear within the tolerance table",
        "test_linear_claims",
    ),
    Claim(
        "linear.param_count",
        "Linear(784, 256) has 784*256 = 200,704 weights plus 256 biases = 200,960 parameters",
        {"weight": 200_704, "bias": 256, "total": LINEAR_TOTAL},
        "numel() of each parameter and their sum",
        "test_linear_claims",
    ),
    # -- nn.Conv2d(3, 32, 5)
    Claim(
        "conv2d.shapes",
        "Conv2d(3, 32, kernel_size=5) stores its kernels as (32, 3, 5, 5) and its bias as (32,)",
        {"weight": (32, 3, 5, 5), "bias": (32,)},
        "the parameters' shapes",
        "test_conv2d_claims",
    ),
    Claim(
        "conv2d.output_shape",
        "Conv2d(3, 32, 5, stride=1, padding=0) maps (64, 3, 32, 32) to (64, 32, 28, 28)",
        (64, 32, 28, 28),
        "the output shape of a forward pass",
        "test_conv2d_claims",
    ),
    Claim(
        "conv2d.size_formula",
        "the output side is (32 - 5 + 2*0) / 1 + 1 = 28",
        28,
        "the formula against the measured output side",
        "test_conv2d_claims",
    ),
    Claim(
        "conv2d.formula",
        "the convolution slides one shared kernel over the input (a cross-correlation)",
        "conv2d",
        "the output against reference.conv2d within the tolerance table",
        "test_conv2d_claims",
    ),
    Claim(
        "conv2d.param_count",
        "Conv2d(3, 32, 5) has 32*3*5*5 = 2,400 weights plus 32 biases = 2,432 parameters",
        {"weight": 2_400, "bias": 32, "total": CONV_TOTAL},
        "numel() of each parameter and their sum",
        "test_conv2d_claims",
    ),
    Claim(
        "conv2d.fewer_than_linear",
        "the conv layer has 82 times fewer parameters than the linear one (exactly "
        "200,960 / 2,432 = 82.63: the chapter truncates; rounded it would be 83)",
        82,
        "floor of the measured count ratio is 82",
        "test_conv2d_claims",
    ),
    # -- nn.Module, MyNetwork
    Claim(
        "module.registers_parameters",
        "assigning layers as attributes of an nn.Module registers their parameters",
        4,
        "MyNetwork lists fc1.weight, fc1.bias, fc2.weight, fc2.bias, nothing else",
        "test_my_network_claims",
    ),
    Claim(
        "my_network.print",
        "print(MyNetwork()) shows fc1 Linear(784->256), relu, dropout p=0.2, fc2 Linear(256->10)",
        ["fc1", "relu", "dropout", "fc2"],
        "the printed lines, in order, name each child with its configuration",
        "test_my_network_claims",
    ),
    Claim(
        "module.to_device",
        "model.to(device) moves the model's parameters (and buffers) to the device",
        "device",
        "every parameter and buffer of LeNet5 + BatchNorm2d is on the device afterwards",
        "test_my_network_claims",
    ),
    # -- LeNet-5
    Claim(
        "lenet5.per_layer_counts",
        "LeNet5's layers hold 156 (c1), 2,416 (c3), 48,120 (c5), 10,164 (f6), 850 (output)",
        LENET5_PER_LAYER,
        "sum of numel() per child",
        "test_lenet5_claims",
    ),
    Claim(
        "lenet5.total",
        "LeNet5 has 61,706 parameters in total, as in the paper",
        LENET5_TOTAL,
        "sum(p.numel() for p in model.parameters())",
        "test_lenet5_claims",
    ),
    Claim(
        "lenet5.stage_shapes",
        "a (N, 1, 28, 28) input becomes 6x28x28, 6x14x14, 16x10x10, 16x5x5, 120x1x1, 120, 84, 10",
        [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1), (120,), (84,), (10,)],
        "forward hooks record each stage's output shape",
        "test_lenet5_claims",
    ),
    Claim(
        "lenet5.named_parameters",
        "named_parameters() starts c1.weight (6,1,5,5) 150, c1.bias (6,) 6, c3.weight "
        "(16,6,5,5) 2400",
        [
            ("c1.weight", (6, 1, 5, 5), 150),
            ("c1.bias", (6,), 6),
            ("c3.weight", (16, 6, 5, 5), 2400),
        ],
        "the first three entries: name, shape, numel",
        "test_lenet5_claims",
    ),
    Claim(
        "lenet5.freeze_c1_c3",
        "freezing c1 and c3 leaves 61,706 - 156 - 2,416 = 59,134 trainable parameters",
        59_134,
        "requires_grad=False on c1 and c3, then the sum over requires_grad parameters",
        "test_lenet5_claims",
    ),
    Claim(
        "lenet5.initialize_weights",
        "model.apply(initialize_weights) zeroes every bias, Xavier-uniform for Linear "
        "weights, Kaiming-normal (fan_out, relu) for Conv2d weights",
        0.0,
        "every bias exactly 0; every Linear weight inside the Xavier bound; conv weights moved",
        "test_lenet5_claims",
    ),
    Claim(
        "dimension_tracking.example",
        "conv 5x5 then 2x2 pooling then conv 5x5 tracks [64,3,32,32] -> [64,32,28,28] -> "
        "[64,32,14,14] -> [64,64,10,10] (layers as the comments imply)",
        [(64, 32, 28, 28), (64, 32, 14, 14), (64, 64, 10, 10)],
        "Conv2d(3,32,5), AvgPool2d(2,2), Conv2d(32,64,5) output shapes",
        "test_lenet5_claims",
    ),
    # -- containers
    Claim(
        "sequential.positional",
        "nn.Sequential(Linear, ReLU, Dropout(0.2), Linear) runs its layers in order",
        ["0", "1", "2", "3"],
        "children named 0..3 and the output equals the layers applied one after another",
        "test_container_claims",
    ),
    Claim(
        "sequential.named",
        "with an OrderedDict, layers are reachable by name: model.fc1 is model[0]",
        "model.fc1 is model[0]",
        "identity of the attribute and the index for every name",
        "test_container_claims",
    ),
    Claim(
        "dynamic_net.structure",
        "DynamicNet([784, 256, 128, 64, 10]) holds 4 Linear layers with a ReLU between "
        "consecutive ones and none after the last",
        ["Linear", "ReLU", "Linear", "ReLU", "Linear", "ReLU", "Linear"],
        "the class names of the ModuleList's entries, in order",
        "test_container_claims",
    ),
    # -- common layers
    Claim(
        "relu.formula",
        "ReLU computes max(0, x)",
        "max(0, x)",
        "bitwise against the reference on drawn values incl. zeros, ties, +-0 (either zero "
        "at x = +-0)",
        "test_common_layer_claims",
    ),
    Claim(
        "sigmoid.formula",
        "Sigmoid computes 1 / (1 + exp(-x))",
        "1 / (1 + exp(-x))",
        "against the reference within the elementwise tolerance, |x| up to 1e3",
        "test_common_layer_claims",
    ),
    Claim(
        "softmax.rows_sum_to_one",
        "Softmax(dim=1) gives each row a probability distribution over the classes",
        1.0,
        "entries in [0, 1] and every row sums to 1 within K-term rounding",
        "test_common_layer_claims",
    ),
    Claim(
        "batch_norm.per_channel",
        "BatchNorm2d(64) normalises each of the 64 channels separately",
        64,
        "per-channel mean 0 / variance 1 in training; changing one channel moves no other",
        "test_common_layer_claims",
    ),
    Claim(
        "layer_norm.param_count",
        "LayerNorm([64, 28, 28]) has a weight and a bias of shape (64, 28, 28): "
        "2 * 64 * 28 * 28 = 100,352 parameters",
        100_352,
        "the parameters' shapes and numel()",
        "test_common_layer_claims",
    ),
    Claim(
        "dropout.p_half",
        "Dropout(p=0.5) drops each element with probability 50%",
        0.5,
        "binomial test on the kept count (false alarm 1e-12, power 0.999 vs 10% off)",
        "test_dropout_claims",
    ),
    Claim(
        "dropout.eval_off",
        "after model.eval() dropout is off: MyNetwork's output is deterministic and equals "
        "the forward without dropout",
        "fc2(relu(fc1(x)))",
        "two eval calls bitwise equal, and equal to the chain with the dropout skipped",
        "test_dropout_claims",
    ),
    Claim(
        "dropout.train_on",
        "in training mode dropout is active: outputs differ from the no-dropout forward",
        "random",
        "a train-mode forward differs from the eval one and zeroes hidden units",
        "test_dropout_claims",
    ),
)


def claims_checked_by(test_name: str) -> list[Claim]:
    """The claims one test of tests/test_chapter_claims.py is responsible for."""
    return [claim for claim in CLAIMS if claim.check == test_name]


def claim_named(claim_id: str) -> Claim:
    """The claim with this id."""
    for claim in CLAIMS:
        if claim.id == claim_id:
            return claim
    raise KeyError(claim_id)
