"""What the example implementations' known-failure files share: what a call raised, the
scope of a strided padding='same' convolution, and fx fuse's blindness to subclasses (its
three entries, one per layer the fusion property folds a BatchNorm into).

Each file's repros stay standalone (a reader pastes one and runs it); these are the pieces
that say what happened and where an entry applies, one copy for every file.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import torch

from tests.known_failures.entry import Check, KnownFailure, Observed, Where


def raised(call: Callable[[], object], expected: type[BaseException] | tuple[()] = ()) -> str:
    """What `call()` raised: the name of `expected`, 'nothing', or the other exception with
    its message."""
    try:
        call()
    except expected:
        return expected.__name__  # type: ignore[union-attr]
    except Exception as error:
        return f"{type(error).__name__} ({error})"
    return "nothing"


def exception_name(call: Callable[[], object]) -> str:
    """The name of the exception `call()` raised, or 'nothing': for comparing several calls
    at once against torch's exceptions."""
    try:
        call()
    except Exception as error:
        return type(error).__name__
    return "nothing"


def strided_same(where: Where) -> bool:
    """padding='same' with a stride above 1, which torch.nn rejects (ValueError)."""
    arguments = where.arguments
    stride = arguments["stride"]
    strides = (stride, stride) if isinstance(stride, int) else tuple(stride)
    return arguments["padding"] == "same" and max(strides) > 1


def folded_by_the_fusion_property(where: Where) -> bool:
    """A case of the fusion property, the only one that scopes a case with the BatchNorm's
    arguments under "norm"."""
    return "norm" in where.hp


def fx_fuse_skips(impl: str, layer: str, norm: str) -> Callable[[], None]:
    """A repro: torch.fx's fuse folds the BatchNorm after examples.impls.<impl>'s `layer`.
    fuse matches module types exactly, so it fails for a subclass of torch's layer."""

    def repro() -> None:
        import torch.fx.experimental.optimization as fx_optimization

        nn = importlib.import_module(f"examples.impls.{impl}")
        first = getattr(nn, layer)(*((2, 2) if layer == "Linear" else (2, 2, 1)))
        model = torch.nn.Sequential(first, getattr(torch.nn, norm)(2)).eval()
        fused = fx_optimization.fuse(model)
        left = [type(m).__name__ for m in fused.modules() if type(m).__name__ == norm]
        assert not left, f"fx fuse left {left} after {impl}'s {layer}"

    repro.__name__ = f"fx_fuse_skips_{impl}_{layer.lower()}"
    return repro


# The layers the fusion property folds a BatchNorm into, with that BatchNorm.
FX_FUSE_PAIRS = (("Linear", "BatchNorm1d"), ("Conv1d", "BatchNorm1d"), ("Conv2d", "BatchNorm2d"))


def fx_fuse_skip_entries(
    prefix: str, impl: str, summary: Callable[[str], str], upstream: str, observed: Observed
) -> tuple[KnownFailure, ...]:
    """One entry per pair of FX_FUSE_PAIRS for an implementation whose layers subclass
    torch's: `<prefix>-<layer>-fx-fuse-skips`, found by the fusion property, with
    `summary(layer)` saying why in that implementation's words."""
    return tuple(
        KnownFailure(
            id=f"{prefix}-{layer.lower()}-fx-fuse-skips",
            layer=layer,
            breaks=Check.VALUES,
            covers=folded_by_the_fusion_property,
            found_by="fusion",
            repro=fx_fuse_skips(impl, layer, norm),
            observed=observed,
            summary=summary(layer),
            upstream=upstream,
        )
        for layer, norm in FX_FUSE_PAIRS
    )
