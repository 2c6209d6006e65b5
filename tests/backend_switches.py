"""Backend switches users flip: process-wide torch settings a run can be judged under.

Unlike a CPU kernel set (fixed when torch loads, one worker process each), a switch is set
and restored around each test, so every switch runs in the same process. A switch is a
dimension of the report (interface.Cell.switch), chosen with --switch. A switch that lets
torch round float32 products' inputs to a narrower format (fp32-bf16, tf32) names the
format and the layers it reaches; their float32 comparisons allow that rounding
(tests/assertions.py: tolerance_bound), and every other comparison keeps float32's.
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch

DEFAULT = "default"

# The narrower format torch may round float32 products' inputs to while a cell it reaches
# runs under a switch (a name spec.dtypes.product_format knows); None: float32 products
# are float32's. The tolerance of float32 comparisons follows it (tests/assertions.py).
narrowed_products: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "narrowed_products", default=None
)
# The switch a cell runs under, as known failures scope themselves by it (a recorded bug
# seen under one switch: tests/known_failures/entry.py Where.switch).
_active: contextvars.ContextVar[str] = contextvars.ContextVar("switch", default=DEFAULT)


def current() -> str:
    """The name of the backend switch set now."""
    return _active.get()


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


def _lacks_onednn_fp32_precision() -> str | None:
    # torch.backends.mkldnn.matmul.fp32_precision arrived in torch 2.9.
    matmul = getattr(torch.backends.mkldnn, "matmul", None)
    if matmul is None or not hasattr(matmul, "fp32_precision"):
        return f"oneDNN's fp32_precision (torch >= 2.9; this is {torch.__version__})"
    return None


@contextlib.contextmanager
def _float32_products_in_bfloat16() -> Iterator[None]:
    # oneDNN may run float32 matmuls and convolutions on bfloat16-rounded inputs,
    # accumulating in float32; a CPU without bfloat16 arithmetic keeps float32.
    mkldnn = torch.backends.mkldnn
    before = (mkldnn.matmul.fp32_precision, mkldnn.conv.fp32_precision)
    mkldnn.matmul.fp32_precision = "bf16"
    mkldnn.conv.fp32_precision = "bf16"
    try:
        yield
    finally:
        mkldnn.matmul.fp32_precision, mkldnn.conv.fp32_precision = before


@contextlib.contextmanager
def _tf32() -> Iterator[None]:
    # CUDA may round the inputs of float32 matmuls (cuBLAS) and convolutions (cuDNN) to
    # TF32 on GPUs from Ampere on, accumulating in float32. The suite turns both off when
    # a session starts (tests/plugin/run.py); this turns them on. The CPU is unchanged.
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    with warnings.catch_warnings():
        # Newer torch deprecates these two for fp32_precision; the suite sets them alike.
        warnings.simplefilter("ignore")
        before = (matmul.allow_tf32, cudnn.allow_tf32)
        matmul.allow_tf32, cudnn.allow_tf32 = True, True
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matmul.allow_tf32, cudnn.allow_tf32 = before


def _always_there() -> str | None:
    return None


@dataclass(frozen=True)
class BackendSwitch:
    name: str
    what: str
    setting: Callable[[], contextlib.AbstractContextManager]
    # What this torch lacks to set the switch, or None.
    missing: Callable[[], str | None] = _always_there
    # The narrower format float32 products' inputs may take under the switch
    # (spec.dtypes.product_format), and the layers whose kernels do that (measured:
    # docs/backend-switches.md); a model, a training step or a fused pair holds such
    # layers, so it is reached too.
    float32_products: str | None = None
    reaches: frozenset[str] = frozenset()
    # The device types whose kernels narrow them (a cell elsewhere runs as under default).
    narrows_on: tuple[str, ...] = ("cpu",)
    # The statements that set it in plain torch, for repros (tests/repro.py).
    plain: tuple[str, ...] = ()

    def repro_lines(self) -> list[str]:
        """A repro's lines that set the switch (none for the default)."""
        return [f"# --switch {self.name}", *self.plain] if self.plain else []

    def reaches_test(self, params: Mapping[str, Any]) -> bool:
        """Whether a test of these parameters runs a layer whose float32 products narrow."""
        layer = params.get("layer")
        name = getattr(layer, "name", None)
        device = str(params.get("device", "cpu")).partition(":")[0]
        return (
            self.float32_products is not None
            and device in self.narrows_on
            and (name is None or name in self.reaches)
        )

    @contextlib.contextmanager
    def active(self, reached: bool = True) -> Iterator[None]:
        """The switch set; float32 comparisons allow its narrower products where `reached`."""
        narrower = self.float32_products if reached else None
        token = narrowed_products.set(narrower)
        named = _active.set(self.name)
        try:
            with self.setting():
                yield
        finally:
            _active.reset(named)
            narrowed_products.reset(token)


SWITCHES: dict[str, BackendSwitch] = {
    DEFAULT: BackendSwitch(DEFAULT, "torch as it starts", _nothing),
    "mkldnn-off": BackendSwitch(
        "mkldnn-off",
        "torch.backends.mkldnn.flags(enabled=False)",
        _mkldnn_off,
        plain=("torch.backends.mkldnn.enabled = False",),
    ),
    "cudnn-off": BackendSwitch(
        "cudnn-off",
        "torch.backends.cudnn.flags(enabled=False)",
        _cudnn_off,
        plain=("torch.backends.cudnn.enabled = False",),
    ),
    "deterministic": BackendSwitch(
        "deterministic",
        "torch.use_deterministic_algorithms(True)",
        _deterministic,
        plain=("torch.use_deterministic_algorithms(True)",),
    ),
    "fp32-bf16": BackendSwitch(
        "fp32-bf16",
        'torch.backends.mkldnn.{matmul,conv}.fp32_precision = "bf16"',
        _float32_products_in_bfloat16,
        missing=_lacks_onednn_fp32_precision,
        float32_products="bfloat16",
        reaches=frozenset({"Linear", "Conv1d", "Conv2d"}),
        plain=(
            'torch.backends.mkldnn.matmul.fp32_precision = "bf16"',
            'torch.backends.mkldnn.conv.fp32_precision = "bf16"',
        ),
    ),
    "tf32": BackendSwitch(
        "tf32",
        "torch.backends.{cuda.matmul,cudnn}.allow_tf32 = True",
        _tf32,
        float32_products="tf32",
        # cuBLAS and cuDNN: the layers whose float32 CUDA kernels are matmuls and
        # convolutions (the CUDA twin of fp32-bf16's measured reach).
        reaches=frozenset({"Linear", "Conv1d", "Conv2d"}),
        narrows_on=("cuda",),
        plain=(
            "torch.backends.cuda.matmul.allow_tf32 = True",
            "torch.backends.cudnn.allow_tf32 = True",
        ),
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
