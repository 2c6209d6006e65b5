"""Inference rewrites: a BatchNorm in eval mode folded into the layer before it.

In eval mode with running statistics, a BatchNorm is an affine map per channel c,

    BN(z)_c = s_c * (z_c - mean_c) + beta_c,    s_c = gamma_c / sqrt(var_c + eps),

so after a layer linear in its input (a convolution, a Linear) it folds into that layer's
parameters: w'_c = s_c * w_c (each output channel's filter) and b'_c = s_c * (b_c -
mean_c) + beta_c. torch does it for a pair of modules
(torch.nn.utils.fusion.fuse_conv_bn_eval, fuse_linear_bn_eval) and for every pair it
finds in a traced model (torch.fx.experimental.optimization.fuse). Which pairs fold is
data here: `PAIRS`. What the folded layer computes is the composition of the two layers'
own references (their specs in spec/layers/), never a new formula.

The bound. The folded layer computes y' = fl(conv(x, fl(w'), fl(b'))). Against the exact
composition R = s * (conv(x, w, b) - mean) + beta it errs by
  1. the layer's own rounding on the folded parameters, c*u*sqrt(K) * conv(|x|, |w'|, |b'|)
     as the layer's spec says, and conv(|x|, |w'|, |b'|) <= S below;
  2. the folding itself: w' is rounded once more (v + eps, the reciprocal square root,
     the product with gamma, the product with w: at most about 5 units of roundoff,
     relative, per element of w'), b' through (b - mean), s, gamma and + beta (about 6):
     at most about 6u * S, no sqrt(K) (a relative error per term, not a sum's growth);
where S = |s| * (conv(|x|, |w|, |b|) + |mean|) + |beta|, the composition on absolute
values (the BatchNorm reference run on the layer's absolute output, with -|mean| and
|gamma|, |beta|). With the table's c (8 in float32/float64, 16 in the half types >= 6),
    c * u * (sqrt(K) + 1) * S
covers both: the ErrorScale (S * (1 + 1/sqrt(K)), K). No spec/tolerances.py change.
  3. in float16, s, w' and b' may be subnormal (a tiny gamma), where a rounding errs by
     up to half the subnormal spacing, absolute, not relative: an error in s reaches y
     times T = conv(|x|, |w|, |b|) + |mean|, one in w' times conv(|x|, 1), and b' and
     its sum with beta round twice more. Half a spacing is an eighth of float16's floor
     (four subnormals), so the floor scale is 1 + (T + conv(|x|, 1) + 3) / 8. Measured:
     gamma -3.6e-7 over var 1.27 gives s = -2.98e-7 for -3.18e-7 in float16 (5
     subnormals for 5.33), and with b - mean = -48.6 the folded output is 9.6e-7 off,
     16 subnormals (torch 2.6.0 and 2.13.0 alike: the correct rounding of the
     documented algorithm, not a torch fault).

No torch here (spec/ never imports it): the functions are named as torch spells them,
resolved by tests/test_fusion.py from the implementation under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from spec.dtypes import format_of
from spec.inputs import Inputs
from spec.layerspec import ErrorScale, LayerSpec
from spec.registry import layer_named
from spec.strategies import MAX_BATCH
from spec.tolerances import SUBNORMAL_ROUNDING_IN_FLOORS

# Layers that may follow the pair, as in the chapter's LeNet5 (a conv, then an
# activation): shape-preserving maps, each checked against its own spec.
TAIL_LAYERS = ("ReLU", "Tanh", "Sigmoid", "LeakyReLU")
MAX_TAIL = 2
# The containers a user writes the network in: nn.Sequential, or a Module whose forward
# calls its children (tests/test_fusion.py builds both).
CONTAINERS = ("sequential", "module")
# Input classes of a Linear followed by BatchNorm1d. BatchNorm1d normalises axis 1:
# a 2-D input's features (= out_features), or a 3-D input's channels, whose count may
# equal out_features, be 1, or neither.
LINEAR_INPUT_CLASSES = ("(N, F)", "(N, C, F), C == out_features", "(N, C, F), C == 1", "(N, C, F)")
MAX_CHANNELS = 6


@dataclass(frozen=True)
class FusablePair:
    """A layer, then a BatchNorm that torch folds into it in eval mode."""

    first: str  # the layer spec's torch.nn class name
    norm: str
    # The function of torch.nn.utils.fusion that folds a pair of modules.
    fuser: str
    # The input shape for the first layer's hyperparameters (batched: a BatchNorm needs N).
    input_shape: Callable[[dict], st.SearchStrategy[tuple]]
    # The channels the BatchNorm sees, from the first layer's hp and the input shape.
    channels: Callable[[dict, tuple], int]
    # Whether a fold into the first layer is the composition for this input shape: the
    # BatchNorm's channel axis (1) is the layer's output-feature axis.
    folds: Callable[[dict, tuple], bool]
    # The first torch release whose torch.fx.experimental.optimization.fuse has the pair's
    # pattern (None: every release the suite runs on). Before it, fuse keeps the pair
    # unfolded, as documented for a pattern it lacks, and each module is judged alone.
    fx_pattern_since: str | None = None

    @property
    def name(self) -> str:
        """The report row: "Conv2d+BatchNorm2d"."""
        return f"{self.first}+{self.norm}"

    @property
    def first_spec(self) -> LayerSpec:
        return layer_named(self.first)

    @property
    def norm_spec(self) -> LayerSpec:
        return layer_named(self.norm)

    def __repr__(self) -> str:
        return f"<FusablePair {self.name}>"


def _batched_conv_input(first: str, rank: int) -> Callable[[dict], st.SearchStrategy[tuple]]:
    def shapes(hp: dict) -> st.SearchStrategy[tuple]:
        # The conv spec's own shapes, batched ones only (a BatchNorm needs the batch axis).
        return layer_named(first).input_shape(hp).filter(lambda shape: len(shape) == rank)

    return shapes


@st.composite
def _linear_input(draw: st.DrawFn, hp: dict) -> tuple:
    n = draw(st.integers(1, MAX_BATCH), label="N")
    chosen = draw(st.sampled_from(LINEAR_INPUT_CLASSES), label="input class")
    if chosen == LINEAR_INPUT_CLASSES[0]:
        return (n, hp["in_features"])
    channels = {
        LINEAR_INPUT_CLASSES[1]: st.just(hp["out_features"]),
        LINEAR_INPUT_CLASSES[2]: st.just(1),
        LINEAR_INPUT_CLASSES[3]: st.integers(1, MAX_CHANNELS),
    }[chosen]
    return (n, draw(channels, label="C"), hp["in_features"])


def _conv_channels(hp: dict, shape: tuple) -> int:
    return hp["out_channels"]


def _linear_channels(hp: dict, shape: tuple) -> int:
    return hp["out_features"] if len(shape) == 2 else shape[1]


def _always(hp: dict, shape: tuple) -> bool:
    return True


def _linear_folds(hp: dict, shape: tuple) -> bool:
    # A 3-D input's channel axis is not the Linear's feature axis: one channel's scale
    # is a scalar (it folds), several channels' scales are not a per-feature one.
    return len(shape) == 2 or shape[1] == 1


PAIRS = (
    FusablePair(
        "Conv2d", "BatchNorm2d", "fuse_conv_bn_eval", _batched_conv_input("Conv2d", 4),
        _conv_channels, _always,
    ),
    FusablePair(
        "Conv1d", "BatchNorm1d", "fuse_conv_bn_eval", _batched_conv_input("Conv1d", 3),
        _conv_channels, _always,
    ),
    FusablePair(
        "Linear", "BatchNorm1d", "fuse_linear_bn_eval", _linear_input,
        _linear_channels, _linear_folds,
        # torch PR 141585 added the pattern to fx fuse (2.6.0 has it, 2.1.2 does not).
        fx_pattern_since="2.6",
    ),
)  # fmt: skip


def has_running_statistics(norm_hp: dict) -> bool:
    """Whether the BatchNorm keeps running statistics: only then is it a constant affine
    map in eval mode (without, it normalises by each batch's statistics: nothing folds)."""
    return bool(norm_hp["track_running_stats"])


def norm_hyperparams(
    pair: FusablePair, channels: int, corner: dict | None = None
) -> st.SearchStrategy[dict]:
    """The BatchNorm's constructor kwargs as its spec draws them (inside `corner`'s
    classes, if given), on `channels` channels."""
    drawn = pair.norm_spec.hyperparams(corner) if corner else pair.norm_spec.hyperparams()
    return drawn.map(lambda hp: {**hp, "num_features": channels})


# The BatchNorm's statistics as a corner pass class: as its spec draws them, or a fold
# whose intermediate (b - mean) / sqrt(var + eps) passes float16's largest value while
# the pair's output stays in range. A fold may compute that quotient before multiplying
# gamma in (conv2d-fusion-bias-intermediate-overflow); the spec's draws meet it almost
# never (a mean near 100 over a deviation below 1.5e-3: eps and var both tiny).
STATISTICS_CLASSES = ("as drawn", "a fold's intermediate past float16's range")
HALF_LARGEST = format_of("float16").largest
# eps for that class: small beside every var it draws (var >= 3.6e-8).
PAST_HALF_EPS = 1e-10


def norm_state_corners(pair: FusablePair) -> list[dict[str, str]]:
    """One corner per state class of the pair's BatchNorm (affine or not, running
    statistics or not), and one whose statistics take the fold past float16's range:
    the 30 draws of a cell are correlated, and a fold without a weight came once in none
    of them at some seeds."""
    states = [{"state": state} for state in pair.norm_spec.classes["state"]]
    past = {"state": "affine, running stats", "statistics": STATISTICS_CLASSES[1]}
    return [*states, past]


@st.composite
def statistics_past_half_range(draw: st.DrawFn, channels: int) -> dict[str, np.ndarray]:
    """running_mean, running_var and weight whose fold intermediate is k * 65504 (k in
    [1.25, 4]), with gamma = g / k (g in [1/8, 1/2]): the pair maps a layer output z to
    g * 65504 * (z - mean) / |mean| + beta, in range wherever |z - mean| < |mean| / g."""
    mean = draw(st.floats(48.0, 100.0), label="|mean|")
    ratio = draw(st.floats(1.25, 4.0), label="intermediate / 65504")
    g = draw(st.floats(0.125, 0.5), label="gamma * ratio")
    signs = draw(st.lists(st.sampled_from((-1.0, 1.0)), min_size=2, max_size=2), label="signs")
    deviation = mean / (ratio * HALF_LARGEST)
    full = np.ones(channels)
    return {
        "running_mean": signs[0] * mean * full,
        "running_var": (deviation**2 - PAST_HALF_EPS) * full,
        "weight": signs[1] * g / ratio * full,
    }


def composition(pair: FusablePair, first: Inputs, norm: Inputs) -> np.ndarray:
    """What the pair computes in eval mode: the BatchNorm's reference on the layer's."""
    z = pair.first_spec.forward(first)[0]
    return pair.norm_spec.forward(norm.replace(x=z, training=False))[0]


def folded_error(pair: FusablePair, first: Inputs, norm: Inputs) -> ErrorScale:
    """The error scale of the folded layer against the composition (the module docstring)."""
    k = pair.first_spec.forward_error(first)[1]
    absolute = norm.replace(
        x=pair.first_spec.forward(first.absolute())[0],
        params={name: np.abs(value) for name, value in norm.params.items()},
        buffers={
            **norm.buffers,
            "running_mean": -np.abs(norm.buffers["running_mean"]),
        },
        training=False,
    )
    scale = pair.norm_spec.forward(absolute)[0]
    k = np.maximum(np.asarray(k, dtype=np.float64), 1.0)
    # The layer's own scale on the folded parameters is at most `scale`: both terms are
    # carried by S * (1 + 1/sqrt(K)) at the layer's K.
    return scale * (1.0 + 1.0 / np.sqrt(k)), k, _subnormal_floors(pair, first, norm)


def _subnormal_floors(pair: FusablePair, first: Inputs, norm: Inputs) -> np.ndarray:
    """The floor scale of the fold's roundings into subnormals (item 3 above)."""
    layer = pair.first_spec.forward(first.absolute())[0]
    mean = np.abs(norm.buffers["running_mean"])
    t = layer + np.reshape(mean, (1, -1) + (1,) * (layer.ndim - 2))
    unit = {
        name: np.ones_like(value) if name == "weight" else np.zeros_like(value)
        for name, value in first.params.items()
    }
    reach = pair.first_spec.forward(first.absolute().replace(params=unit))[0]
    return 1.0 + (t + reach + 3.0) * SUBNORMAL_ROUNDING_IN_FLOORS


def pair_named(name: str) -> FusablePair:
    """The pair whose report row is `name`."""
    for pair in PAIRS:
        if pair.name == name:
            return pair
    raise KeyError(name)
