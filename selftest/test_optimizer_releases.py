"""The optimizer harness on releases whose optimizers differ from today's.

Found by a torch 2.1.2 run: its SGD has no default lr (2.2 added lr=1e-3), the harness
probed and built SGD without one, and every SGD cell of that release ended "not-provided":
SGD was never judged there. And 2.1.2's Adam has no float16 kernel on the CPU while its
fused Adam is offered on accelerators only, which read "not-provided" too, for a dtype
the release lacks. Both are emulated here, so these hold on any release.
"""

from __future__ import annotations

import pytest
import torch

from report.interface import NotRun
from spec.registry import optimizer_named
from tests.optimizers import in_release, offered


class SGDWithoutDefaultLr(torch.optim.SGD):
    """torch 2.1's SGD signature: lr is required."""

    def __init__(self, params, lr, **kwargs) -> None:
        super().__init__(params, lr, **kwargs)


class AdamWithoutHalfKernel(torch.optim.Adam):
    """torch 2.1's CPU Adam in float16: no kernel; fused: accelerators only."""

    def __init__(self, params, **kwargs) -> None:
        if kwargs.get("fused"):
            raise RuntimeError("`fused=True` requires all the params to be on ['cuda']")
        super().__init__(params, **kwargs)

    def step(self, closure=None):
        raise RuntimeError("\"addcdiv_cpu_out\" not implemented for 'Half'")


def test_a_default_the_release_lacks_is_passed_as_the_law_has_it():
    spec = optimizer_named("SGD")
    kwargs = in_release(SGDWithoutDefaultLr, spec, {"momentum": 0.5}, torch.nn)
    assert kwargs == {"momentum": 0.5, "lr": spec.defaults["lr"]}
    # And today's SGD, whose default is the law's, is given nothing it was not drawn with.
    assert in_release(torch.optim.SGD, spec, {"momentum": 0.5}, torch.nn) == {"momentum": 0.5}


def test_an_optimizer_whose_lr_has_no_default_is_offered():
    spec = optimizer_named("SGD")
    assert set(offered(SGDWithoutDefaultLr, spec, "cpu", "float32")) >= {"for-loop", "foreach"}


def test_a_dtype_no_implementation_has_a_kernel_for_is_unsupported_not_missing():
    with pytest.raises(NotRun) as raised:
        offered(AdamWithoutHalfKernel, optimizer_named("Adam"), "cpu", "float16")
    assert raised.value.outcome == "unsupported", raised.value
