"""What the run was made of: library versions, CUDA devices and TF32 switches, the host."""

from __future__ import annotations

import importlib.metadata
import platform
import socket
import warnings
from typing import Any


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _torch() -> dict[str, Any]:
    """torch's build and the state of the switches that change float32 results on CUDA."""
    try:
        import torch
    except ImportError:
        return {"torch": None, "torch_cuda": None, "cuda_available": False, "cuda_devices": []}
    available = torch.cuda.is_available()
    names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    with warnings.catch_warnings():
        # Newer torch deprecates the allow_tf32 switches; the report still wants their state.
        warnings.simplefilter("ignore")
        tf32 = {
            "matmul_allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
            "cudnn_allow_tf32": bool(torch.backends.cudnn.allow_tf32),
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
        }
    return {
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cuda_available": available,
        "cuda_devices": names if available else [],
        "tf32": tf32,
    }


def collect() -> dict[str, Any]:
    """The environment section of a report, for the machine this runs on."""
    return {
        **_torch(),
        "numpy": _version("numpy"),
        "hypothesis": _version("hypothesis"),
        "pytest": _version("pytest"),
        "pytest_xdist": _version("pytest-xdist"),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "hostname": socket.gethostname(),
    }
