"""Copy-paste repro snippets: torch and the implementation under test alone, no suite code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tests.cases import Case

# Arrays up to this many elements are written into a repro snippet literally; bigger
# ones would drown the message, and shrinking keeps failing cases far below it.
INLINE_REPRO_ELEMENTS = 512


def literal(values: np.ndarray) -> str:
    """A Python list literal that round-trips every float64 exactly (non-finite included)."""
    items = (
        repr(v) if np.isfinite(v) else f"float('{v}')"
        for v in np.asarray(values, dtype=np.float64).ravel().tolist()
    )
    return "[" + ", ".join(items) + "]"


def module_lines(case: Case) -> list[str]:
    """Build the case's module with its parameter and buffer values, and its input x."""
    lines = [
        "import importlib",
        "",
        "import torch",
        "",
        f"nn = importlib.import_module({case.impl!r})",
        f"dtype, device = torch.{case.dtype}, {case.device!r}",
        f"m = nn.{case.spec.name}(**{case.hp!r}).to(device, dtype)",
    ]
    if case.x.size > INLINE_REPRO_ELEMENTS:
        lines.append(f"# input of {case.x.size} elements: draw it again with the printed seed")
        lines.append(f"x = torch.randn({case.input_shape}, dtype=torch.float64)")
    else:
        lines.append(f"x = torch.tensor({literal(case.x)}, dtype=torch.float64)")
        lines.append(f"x = x.reshape({case.input_shape})")
    lines.append("with torch.no_grad():")
    # A body even for layers without parameters or buffers, so the snippet always parses.
    lines.append("    pass")
    for getter, values in (("get_parameter", case.params), ("get_buffer", case.buffers or {})):
        for name, value in values.items():
            tensor = f"torch.tensor({literal(value)}).reshape({value.shape})"
            lines.append(f"    m.{getter}({name!r}).copy_({tensor})")
    lines.append(f"m.train({case.training})")
    lines.append("x = x.to(device, dtype).requires_grad_()")
    return lines


def call_lines(case: Case) -> list[str]:
    """Call the module on x, in the layout the suite fed it."""
    layout = case.extra.get("layout", "contiguous")
    if layout == "channels_last":
        return [
            "m = m.to(memory_format=torch.channels_last)",
            "y = m(x.contiguous(memory_format=torch.channels_last))",
        ]
    return [f"y = m(x)  # the suite fed a {layout} input"]


def repro_snippet(
    case: Case, what: str, index: tuple, expected: float, grad_y: np.ndarray | None
) -> str:
    """A script showing the disagreement at `index` of `what` (output, input or a parameter)."""
    lines = module_lines(case) + call_lines(case)
    if grad_y is not None and grad_y.size <= INLINE_REPRO_ELEMENTS:
        lines.append(
            f"y.backward(torch.tensor({literal(grad_y)}).reshape(y.shape).to(device, dtype))"
        )
        source = "x.grad" if what == "input" else f"m.get_parameter({what!r}).grad"
    else:
        source = "y"
    lines.append(
        f"print({source}[{tuple(int(i) for i in index)}].item(), 'reference:', {expected!r})"
    )
    return "\n".join(lines)


# A crash from memory corruption may need the bad write to repeat before it shows.
CRASH_REPEATS = 100


def crash_snippet(case: Case) -> str:
    """A script that runs the case forward and backward, repeatedly: what a crash replays."""
    loop = [*call_lines(case), "y.backward(torch.ones_like(y))"]
    lines = [*module_lines(case), f"for _ in range({CRASH_REPEATS}):"]
    lines += ["    " + line for line in loop]
    lines.append("print('survived')")
    return "\n".join(lines)


def configuration_snippet(
    impl: str, name: str, hp: dict, shape: tuple, dtype: str, device: str
) -> str:
    """A script that builds a layer and runs it forward and backward on a random input."""
    return "\n".join(
        [
            "import importlib",
            "",
            "import torch",
            "",
            f"nn = importlib.import_module({impl!r})",
            f"m = nn.{name}(**{hp!r}).to({device!r}, torch.{dtype})",
            f"x = torch.randn({tuple(shape)}, dtype=torch.{dtype}, device={device!r})",
            f"for _ in range({CRASH_REPEATS}):",
            "    y = m(x.requires_grad_())",
            "    y.backward(torch.ones_like(y))",
            "print('survived')",
        ]
    )
