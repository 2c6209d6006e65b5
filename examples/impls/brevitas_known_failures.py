"""brevitas_nn's known failures: where brevitas' layers with quantization off are not torch.nn's.

Found by the suite under `--impl examples.impls.brevitas_nn` (dev profile, seed 1, every
dtype, CPU; brevitas 0.13.4, torch 2.13.0), each shrunk and checked by hand against the
mathematics and against torch.nn (the numbers in each summary). Two kinds:

- brevitas' own: every brevitas layer takes `**kwargs` after its own arguments and hands
  on only the ones it knows, so an argument it does not know is dropped without a word
  (AvgPool2d's padding: a silently wrong output), and an argument torch.nn rejects is
  accepted; QuantConv2d resolves padding='same' itself, for any stride.
- inherited: QuantConv1d calls torch's convolution, so torch's own failure is brevitas'
  too; it names the entry of tests/known_failures/layers/ it repeats.

CONTAINER_FINDINGS are what the parameters, devices and chapter-claim properties found:
those take no known failures, so they are (id, summary, repro) here, their repros held
to failing too (selftest/test_example_impls.py), and their cells stay red in the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch

from examples.impls.entry_helpers import (
    fx_fuse_skip_entries,
    raised,
    strided_same,
)
from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.known_failures.layers import conv1d, conv2d, embedding

BREVITAS = "brevitas 0.13.4"
OBSERVED = Observed(since="2.13.0", by=f"this project's runs, {BREVITAS}")


# ---- AvgPool2d: brevitas.nn.TruncAvgPool2d ------------------------------------------------


def _padded(where: Where) -> bool:
    padding = where.hp.get("padding", 0)
    return any(padding) if isinstance(padding, tuple | list) else bool(padding)


def avg_pool2d_padding_ignored() -> None:
    from examples.impls import brevitas_nn

    # torch: AvgPool2d(2, padding=1) on a 4x4 input gives 3x3, the corner the mean of the
    # one element in its window (count_include_pad=True: 0 / 4).
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    y = brevitas_nn.AvgPool2d(2, padding=1)(x)
    assert y.shape == (1, 1, 3, 3), f"AvgPool2d(2, padding=1) on 4x4: {tuple(y.shape)}, not 3x3"


AVG_POOL2D_PADDING_IGNORED = KnownFailure(
    id="brevitas-avg_pool2d-padding-ignored",
    layer="AvgPool2d",
    breaks=frozenset(
        {
            Check.SHAPE,
            Check.VALUES,
            Check.GRADIENTS,
            Check.SECOND_ORDER,
            Check.EXACT,
            Check.RAISES,
            Check.META_DEVICE,
        }
    ),
    covers=_padded,
    devices=("cpu", "meta"),
    repro=avg_pool2d_padding_ignored,
    observed=OBSERVED,
    summary=(
        "brevitas' TruncAvgPool2d takes no padding argument, and its **kwargs swallow "
        "torch's: AvgPool2d(2, padding=1) builds with padding 0, without a word, and maps "
        "a 4x4 input to 2x2 where torch gives 3x3; an input too small for the unpadded "
        "window raises ('Output size is too small'), and padding above half the kernel, "
        "which torch rejects, is accepted"
    ),
    upstream=f"not filed ({BREVITAS}: TruncAvgPool2d(kernel_size, stride, ceil_mode, ...))",
)


# ---- Conv2d: brevitas.nn.QuantConv2d ------------------------------------------------------


def conv2d_strided_same_accepted() -> None:
    from examples.impls import brevitas_nn

    seen = raised(lambda: brevitas_nn.Conv2d(1, 1, 2, stride=2, padding="same"), ValueError)
    assert seen == "ValueError", f"Conv2d(stride=2, padding='same') raised {seen}"


CONV2D_STRIDED_SAME_ACCEPTED = KnownFailure(
    id="brevitas-conv2d-strided-same-accepted",
    layer="Conv2d",
    breaks=Check.RAISES,
    covers=strided_same,
    repro=conv2d_strided_same_accepted,
    observed=OBSERVED,
    summary=(
        "brevitas' QuantConv2d resolves padding='same' itself and accepts it with "
        "stride > 1: Conv2d(1, 1, 2, stride=2, padding='same') maps a 4x4 input to 2x2; "
        "torch raises ValueError ('padding='same' is not supported for strided "
        "convolutions'). At stride 1 its 'same' output is torch's"
    ),
    upstream=f"not filed ({BREVITAS})",
)


# ---- ReLU, Sigmoid, Tanh: brevitas.nn.QuantReLU, QuantSigmoid, QuantTanh -----------------


def _foreign_argument(name: str) -> Callable[[Where], bool]:
    """Configurations passing an argument torch.nn.<name> does not take (the errors
    property's 'takes no ... argument' cases)."""
    own = {"ReLU": {"inplace"}}.get(name, set())
    return lambda where: bool(set(where.hp) - own)


def _takes_anything(name: str, argument: str) -> Callable[[], None]:
    def repro() -> None:
        from examples.impls import brevitas_nn

        seen = raised(lambda: getattr(brevitas_nn, name)(**{argument: True}), TypeError)
        assert seen == "TypeError", f"{name}({argument}=True) raised {seen}"

    repro.__name__ = f"{name.lower()}_takes_{argument}"
    return repro


def _takes_anything_entry(name: str, argument: str) -> KnownFailure:
    return KnownFailure(
        id=f"brevitas-{name.lower()}-unknown-arguments-accepted",
        layer=name,
        breaks=Check.RAISES,
        covers=_foreign_argument(name),
        repro=_takes_anything(name, argument),
        observed=OBSERVED,
        summary=(
            f"brevitas' Quant{name} hands unknown keyword arguments on to its quantizer "
            f"injector, which ignores them: {name}({argument}=True) builds and computes "
            f"torch's {name.lower()}, where torch.nn.{name} raises TypeError for an "
            "argument it does not take"
        ),
        upstream=f"by design ({BREVITAS}: quantizer options are passed as **kwargs)",
    )


RELU_UNKNOWN_ARGUMENTS_ACCEPTED = _takes_anything_entry("ReLU", "negative_slope")
SIGMOID_UNKNOWN_ARGUMENTS_ACCEPTED = _takes_anything_entry("Sigmoid", "inplace")
TANH_UNKNOWN_ARGUMENTS_ACCEPTED = _takes_anything_entry("Tanh", "inplace")


# ---- Conv1d: inherited from torch ---------------------------------------------------------


def conv1d_negative_padding_crops() -> None:
    from examples.impls import brevitas_nn

    conv = brevitas_nn.Conv1d(1, 1, 1, padding=-1, padding_mode="reflect")
    try:
        shape = conv(torch.ones(1, 1, 4)).shape
    except RuntimeError:
        return
    raise AssertionError(f"negative padding accepted: output {tuple(shape)} (cropped input)")


CONV1D_NEGATIVE_PADDING_CROPS = KnownFailure(
    id="brevitas-conv1d-negative-padding-crops",
    layer="Conv1d",
    breaks=conv1d.NEGATIVE_PADDING_CROPS.breaks,
    covers=conv1d.NEGATIVE_PADDING_CROPS.covers,
    repro=conv1d_negative_padding_crops,
    observed=OBSERVED,
    summary=(
        "inherited from torch (conv1d-negative-padding-crops): QuantConv1d convolves with "
        "torch's kernel, which with padding_mode='reflect' crops the input for a negative "
        "padding instead of rejecting it (length 4 to length 2)"
    ),
    upstream=conv1d.NEGATIVE_PADDING_CROPS.upstream,
)


def embedding_scaled_double_backward() -> None:
    from examples.impls import brevitas_nn

    lookup = brevitas_nn.Embedding(1, 1, scale_grad_by_freq=True).double()
    grad_y = torch.ones(2, 1, dtype=torch.float64, requires_grad=True)
    y = lookup(torch.tensor([0, 0]))
    (grad_weight,) = torch.autograd.grad(y, lookup.weight, grad_y, create_graph=True)
    # dW[0] = (g0 + g1) / 2 (two lookups of row 0): d dW[0] / dg = [1/2, 1/2].
    (second,) = torch.autograd.grad(grad_weight.sum(), grad_y)
    assert torch.equal(second, torch.full_like(second, 0.5)), second.flatten().tolist()


EMBEDDING_SCALED_DOUBLE_BACKWARD = dataclasses.replace(
    embedding.SCALED_DOUBLE_BACKWARD,
    id="brevitas-embedding-scale-grad-by-freq-double-backward",
    repro=embedding_scaled_double_backward,
    observed=OBSERVED,
    summary=(
        "inherited from torch (embedding-scale-grad-by-freq-double-backward): "
        "QuantEmbedding looks up with F.embedding, whose double backward ignores the "
        "frequency scaling: for index [0, 0] the weight gradient's gradient with respect "
        "to grad_output is [1, 1], where (g0 + g1) / 2 gives [1/2, 1/2]"
    ),
)


# ---- Fusion: torch.fx.experimental.optimization.fuse on brevitas layers ----------------


def _fx_fuse_summary(layer: str) -> str:
    return (
        "torch.fx.experimental.optimization.fuse folds a BatchNorm only into a module "
        f"whose type is exactly torch.nn.{layer}; brevitas' Quant{layer} subclasses "
        "it, so fuse leaves every BatchNorm after it in place (the values stay the "
        "model's, unfolded). fuse_conv_bn_eval / fuse_linear_bn_eval fold it, with "
        "torch's own fold failures (linear-fusion-batch-norm-without-affine, "
        "conv2d-fusion-bias-intermediate-overflow), which this entry's cases include"
    )


LINEAR_FX_FUSE_SKIPS, CONV1D_FX_FUSE_SKIPS, CONV2D_FX_FUSE_SKIPS = fx_fuse_skip_entries(
    "brevitas",
    "brevitas_nn",
    _fx_fuse_summary,
    f"by design (torch's fx fuse matches module types exactly; {BREVITAS})",
    OBSERVED,
)


def conv2d_negative_padding_crops() -> None:
    from examples.impls import brevitas_nn

    conv = brevitas_nn.Conv2d(1, 1, 1, padding=-1, padding_mode="reflect")
    try:
        shape = conv(torch.ones(1, 1, 4, 4)).shape
    except RuntimeError:
        return
    raise AssertionError(f"negative padding accepted: output {tuple(shape)} (cropped input)")


CONV2D_NEGATIVE_PADDING_CROPS = dataclasses.replace(
    conv2d.NEGATIVE_PADDING_CROPS,
    id="brevitas-conv2d-negative-padding-crops",
    repro=conv2d_negative_padding_crops,
    observed=OBSERVED,
    summary=(
        "inherited from torch (conv2d-negative-padding-crops): QuantConv2d convolves with "
        "torch's kernel, which with padding_mode='reflect' crops the input for a negative "
        "padding instead of rejecting it (4x4 to 2x2)"
    ),
)


ENTRIES = (
    AVG_POOL2D_PADDING_IGNORED,
    CONV2D_STRIDED_SAME_ACCEPTED,
    RELU_UNKNOWN_ARGUMENTS_ACCEPTED,
    SIGMOID_UNKNOWN_ARGUMENTS_ACCEPTED,
    TANH_UNKNOWN_ARGUMENTS_ACCEPTED,
    CONV1D_NEGATIVE_PADDING_CROPS,
    CONV2D_NEGATIVE_PADDING_CROPS,
    EMBEDDING_SCALED_DOUBLE_BACKWARD,
    LINEAR_FX_FUSE_SKIPS,
    CONV1D_FX_FUSE_SKIPS,
    CONV2D_FX_FUSE_SKIPS,
)


# ---- What the properties without known failures found -------------------------------------


def buffers_are_torch_s() -> None:
    from examples.impls import brevitas_nn

    buffers = [name for name, _ in brevitas_nn.Linear(2, 3).named_buffers()]
    assert buffers == [], f"Linear(2, 3) holds buffers {buffers}; torch.nn.Linear holds none"


def factory_dtype_reaches_every_tensor() -> None:
    from examples.impls import brevitas_nn

    linear = brevitas_nn.Linear(2, 3, dtype=torch.float64)
    other = {n: b.dtype for n, b in linear.named_buffers() if b.dtype != torch.float64}
    assert not other, f"Linear(2, 3, dtype=torch.float64) holds {other}"


def modules_are_torch_s() -> None:
    from examples.impls import brevitas_nn

    model = torch.nn.Sequential(brevitas_nn.Linear(2, 2), brevitas_nn.ReLU())
    leaves = [name for name, m in model.named_modules() if not list(m.children())]
    assert leaves == ["0", "1"], f"leaf modules {leaves}, where torch's are ['0', '1']"


def repr_is_torch_s() -> None:
    from examples.impls import brevitas_nn

    text = repr(brevitas_nn.Linear(784, 256))
    wanted = "Linear(in_features=784, out_features=256, bias=True)"
    assert text == wanted, f"repr is {text.splitlines()[:2]}..., not {wanted}"


CONTAINER_FINDINGS: tuple[tuple[str, str, Callable[[], None]], ...] = (
    (
        "brevitas-quantizer-sentinel-buffers",
        "every brevitas layer holds a 0-d buffer per quantizer slot, quantizer off or not "
        "(Linear: input_quant._zero_hw_sentinel.value and three more; not in state_dict): "
        "named_buffers() and buffers() list tensors torch.nn.Linear does not have "
        "(parameters property, every mapped layer)",
        buffers_are_torch_s,
    ),
    (
        "brevitas-factory-dtype-skips-sentinels",
        "built with dtype=torch.float64 (or float16, bfloat16), a brevitas layer's weight "
        "and bias take the dtype and its sentinel buffers stay float32 (devices property: "
        "every floating tensor of a module built with dtype= has that dtype)",
        factory_dtype_reaches_every_tensor,
    ),
    (
        "brevitas-quantizer-submodules",
        "every brevitas layer holds its quantizer proxies as submodules, quantizers off or "
        "not: Sequential(Linear(2, 2), ReLU()) has 11 leaf modules "
        "('0.input_quant._zero_hw_sentinel', ..., "
        "'1.act_quant.fused_activation_quant_proxy.activation_impl', ...), where torch's "
        "has '0' and '1' (models property: a network's leaves are the layers the chapter "
        "wrote; model.modules() and apply() visit the proxies too)",
        modules_are_torch_s,
    ),
    (
        "brevitas-repr-lists-quantizers",
        "a brevitas layer's repr lists its quantizer proxies under torch's header: "
        "print(MyNetwork()) shows 'Linear(\\n  in_features=784, out_features=256, "
        "bias=True\\n  (input_quant): ActQuantProxyFromInjector(...' where the chapter "
        "shows 'Linear(in_features=784, out_features=256, bias=True)' (chapter claims)",
        repr_is_torch_s,
    ),
)
