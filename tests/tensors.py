"""Between NumPy float64 and torch: dtypes by name, conversions that never alias, seeding."""

from __future__ import annotations

import numpy as np
import torch

from spec.arguments import is_index
from spec.dtypes import DTYPES

TORCH_DTYPES = {name: getattr(torch, name) for name in DTYPES}

# Bitwise comparison: a float tensor viewed as the integer type of its width.
_BITS = {8: torch.int64, 4: torch.int32, 2: torch.int16}


def torch_dtype(name: str) -> torch.dtype:
    """The torch dtype named `name`."""
    return TORCH_DTYPES[name]


def as_received(values: np.ndarray, dtype: str) -> np.ndarray:
    """The float64 values torch actually receives once `values` is cast to `dtype`.

    Indices (an integer array) are received as they are: they are never cast.
    """
    if is_index(values):
        return np.array(values)
    rounded = torch.tensor(np.asarray(values, dtype=np.float64)).to(torch_dtype(dtype))
    return rounded.to(torch.float64).numpy()


def to_torch(
    values: np.ndarray, dtype: str, device: str, requires_grad: bool = False
) -> torch.Tensor:
    """A new tensor holding `values` in `dtype` on `device`.

    Always a copy: torch.from_numpy would share memory with `values`, and an in-place
    layer (inplace=True) would then overwrite the very array the reference reads.
    An integer array is an index tensor: its own integer type, never cast to `dtype`,
    never requiring grad (autograd has no gradient for an index).
    """
    if is_index(values):
        return torch.tensor(np.array(values), device=device)
    tensor = torch.tensor(np.asarray(values, dtype=np.float64))
    tensor = tensor.to(device=device, dtype=torch_dtype(dtype))
    return tensor.requires_grad_(requires_grad)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """Float64 NumPy copy of a tensor from any device and dtype (never a view of it)."""
    # .to() returns the tensor itself when it already is float64 on CPU: copy explicitly.
    return tensor.detach().to(device="cpu", dtype=torch.float64).numpy().copy()


def bits(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor's bit patterns as integers: equal iff bitwise equal, NaNs included."""
    return tensor.detach().view(_BITS[tensor.element_size()])


def seed_torch(seed: int, device: str = "cpu") -> None:
    """Seed the generator that `device` draws from, and only that one.

    torch.manual_seed also queues a seed for every CUDA device it has not initialised,
    building a formatted stack trace each time: milliseconds per call, which shrinking
    pays thousands of times over. A CPU run needs the CPU generator alone.
    """
    torch.default_generator.manual_seed(seed)
    if device.startswith("cuda"):
        torch.cuda.manual_seed(seed)


def module_buffers(module: torch.nn.Module) -> dict[str, np.ndarray]:
    """Buffers as float64 (or int64) NumPy arrays: copies, never views of live buffers."""
    return {
        name: (b.detach().cpu().numpy().copy() if not b.is_floating_point() else to_numpy(b))
        for name, b in module.named_buffers()
    }
