"""Probes of the CUDA findings docs/cuda.md leaves open, for a session with a GPU.

Each prints what torch does beside what the law says, so that the finding can be shrunk
and checked by hand on the machine and recorded (tests/known_failures/) or dismissed. Run
by tools/gpu_run.sh; `python tools/cuda_probes.py` alone works too.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable

import numpy as np
import torch

from tests.tensors import to_torch

DEVICE = "cuda"


def fused_adam_empty_parameter() -> None:
    """Fused Adam/AdamW with a (0, 1) parameter: which variant raises 'must have same
    dtype, device, and layout'? (the second run's maximize-mirrors cells: amsgrad on, no
    gradient at the first step, the parameter and gradients built by tests.tensors)."""
    for cls in (torch.optim.Adam, torch.optim.AdamW):
        for amsgrad in (False, True):
            for built in ("zeros", "to_torch", "autograd"):
                for late in (False, True):
                    if built == "zeros":
                        p = torch.zeros((0, 1), device=DEVICE, requires_grad=True)
                    else:
                        p = to_torch(np.zeros((0, 1)), "float32", DEVICE, requires_grad=True)
                    try:
                        optimizer = cls([p], lr=0.1, amsgrad=amsgrad, fused=True)
                        if late:
                            optimizer.step()
                        if built == "autograd":
                            (p * to_torch(np.zeros((0, 1)), "float32", DEVICE)).sum().backward()
                        else:
                            p.grad = to_torch(np.zeros((0, 1)), "float32", DEVICE)
                        strides = (p.stride(), p.grad.stride())
                        optimizer.step()
                        state = {k: v.stride() for k, v in optimizer.state[p].items() if v.dim()}
                        outcome = f"steps; strides {strides}, state {state}"
                    except RuntimeError as error:
                        outcome = f"RuntimeError: {str(error)[:100]}"
                    print(cls.__name__, f"amsgrad={amsgrad}", built, "late" * late, outcome)


def batch_norm1d_half_tiny_values() -> None:
    """float16 BatchNorm1d backward on (N, C, L) inputs of tiny values (x ~ +-0.002,
    grad_output ~ -6e-6, subnormal in float16): CUDA against the law and the CPU."""
    rng = np.random.default_rng(1)
    for shape in ((2, 1, 3), (1, 2, 3), (2, 2, 2), (4, 3, 5), (2, 16, 7), (8, 3)):
        axes = (0,) if len(shape) == 2 else (0, 2)
        x = rng.choice([-1.0, 1.0], shape) * 0.002 + rng.standard_normal(shape) * 1e-4
        g = -6e-6 * (1 + rng.random(shape))
        x16, g16 = torch.tensor(x, dtype=torch.float16), torch.tensor(g, dtype=torch.float16)
        x64, g64 = x16.double().numpy(), g16.double().numpy()
        invstd = 1 / np.sqrt(x64.var(axis=axes, keepdims=True) + 1e-5)
        xhat = (x64 - x64.mean(axis=axes, keepdims=True)) * invstd
        law = invstd * (
            g64
            - g64.mean(axis=axes, keepdims=True)
            - xhat * (g64 * xhat).mean(axis=axes, keepdims=True)
        )
        errors = {}
        for device in (DEVICE, "cpu"):
            norm = torch.nn.BatchNorm1d(shape[1], device=device, dtype=torch.float16)
            xt = x16.to(device).clone().requires_grad_()
            norm(xt).backward(g16.to(device))
            errors[device] = float(np.abs(xt.grad.double().cpu().numpy() - law).max())
        print(shape, f"largest |law| {np.abs(law).max():.2e}", errors)


def fused_sgd_bfloat16_maximize() -> None:
    """Fused SGD, maximize, bfloat16 (the first run saw check_fast_path_restrictions
    raise there; the second run's probe did not)."""
    for momentum in (0.0, 0.9):
        for late in (False, True):
            p = torch.tensor([1.0, -2.0, 3.0], device=DEVICE, dtype=torch.bfloat16)
            p.requires_grad_()
            optimizer = torch.optim.SGD([p], lr=0.5, momentum=momentum, maximize=True, fused=True)
            try:
                if late:
                    optimizer.step()
                p.grad = torch.tensor([0.5, 0.25, -1.0], device=DEVICE, dtype=torch.bfloat16)
                optimizer.step()
                outcome = f"steps to {p.tolist()}"
            except RuntimeError as error:
                outcome = f"RuntimeError: {str(error)[:100]}"
            print(f"momentum={momentum}", "late" * late, outcome)


PROBES: tuple[Callable[[], None], ...] = (
    fused_adam_empty_parameter,
    batch_norm1d_half_tiny_values,
    fused_sgd_bfloat16_maximize,
)

if __name__ == "__main__":
    print(
        "torch",
        torch.__version__,
        torch.cuda.get_device_name() if torch.cuda.is_available() else "",
    )
    for probe in PROBES:
        print(f"\n=== {probe.__name__}: {(probe.__doc__ or '').splitlines()[0]}", flush=True)
        try:
            probe()
        except Exception:  # a probe that breaks must not hide the others
            traceback.print_exc(limit=3)
