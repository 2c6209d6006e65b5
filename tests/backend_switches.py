"""Backend switches users flip: process-wide torch settings a run can be judged under.

Unlike a CPU kernel set (fixed when torch loads, one worker process each), a switch is set
and restored around each test, so every switch runs in the same process. A switch is a
dimension of the report (interface.Cell.switch), chosen with --switch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

DEFAULT = "default"


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextlib.contextmanager
def _mkldnn_off() -> Iterator[None]:
    # oneDNN (mkldnn) off: convolutions, pooling and norms take ATen's own CPU kernels.
    with torch.backends.mkldnn.flags(enabled=False):
        yield


@contextlib.contextmanager
def _cudnn_off() -> Iterator[None]:
    # cuDNN off: CUDA convolutions, pooling and norms take ATen's own CUDA kernels. On a
    # CPU cell it changes nothing torch runs (the cell is judged as under "default").
    with torch.backends.cudnn.flags(enabled=False):
        yield


@contextlib.contextmanager
def _deterministic() -> Iterator[None]:
    # Deterministic algorithms: an op without one raises, the others pick theirs.
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


@dataclass(frozen=True)
class BackendSwitch:
    name: str
    what: str
    setting: Callable[[], contextlib.AbstractContextManager]

    def active(self) -> contextlib.AbstractContextManager:
        return self.setting()


SWITCHES: dict[str, BackendSwitch] = {
    DEFAULT: BackendSwitch(DEFAULT, "torch as it starts", _nothing),
    "mkldnn-off": BackendSwitch(
        "mkldnn-off", "torch.backends.mkldnn.flags(enabled=False)", _mkldnn_off
    ),
    "cudnn-off": BackendSwitch(
        "cudnn-off", "torch.backends.cudnn.flags(enabled=False)", _cudnn_off
    ),
    "deterministic": BackendSwitch(
        "deterministic", "torch.use_deterministic_algorithms(True)", _deterministic
    ),
}
CHOICES = (*SWITCHES, "all")


def resolve(asked: list[str]) -> list[str]:
    """Switch names for an option value: names, or "all"."""
    if asked == ["all"]:
        return list(SWITCHES)
    for name in asked:
        if name not in SWITCHES:
            raise ValueError(f"unknown backend switch {name!r}; choose from {', '.join(CHOICES)}")
    return asked
