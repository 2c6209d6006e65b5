"""Copy-paste repro snippets: torch and the implementation under test alone, no suite code."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from spec.arguments import is_index
from tests import backend_switches

if TYPE_CHECKING:
    from spec.layerspec import LayerSpec
    from tests.cases import Case

# Arrays up to this many elements are written into a repro snippet literally; bigger
# ones would drown the message, and shrinking keeps failing cases far below it.
INLINE_REPRO_ELEMENTS = 512


def literal(values: np.ndarray) -> str:
    """A Python list literal that round-trips every float64 exactly (non-finite included),
    or every integer of an index array."""
    if is_index(values):
        return "[" + ", ".join(str(int(v)) for v in np.asarray(values).ravel()) + "]"
    items = (
        repr(v) if math.isfinite(v) else f"float('{v}')"
        for v in np.asarray(values, dtype=np.float64).ravel().tolist()
    )
    return "[" + ", ".join(items) + "]"


def tensor_lines(name: str, values: np.ndarray) -> list[str]:
    """`name` = the values as a tensor: float64 (cast to the dtype later) or int64 indices."""
    shape = tuple(np.shape(values))
    kind = "int64" if is_index(values) else "float64"
    if np.size(values) > INLINE_REPRO_ELEMENTS:
        kind_draw = "zeros" if is_index(values) else "randn"
        return [
            f"# {name}: {np.size(values)} elements, draw it again with the printed seed",
            f"{name} = torch.{kind_draw}({shape}, dtype=torch.{kind})",
        ]
    return [
        f"{name} = torch.tensor({literal(values)}, dtype=torch.{kind})",
        f"{name} = {name}.reshape({shape})",
    ]


def argument_names(case: Case) -> list[str]:
    """The variable names of the call's further arguments (a loss's target)."""
    return list(getattr(case.spec, "argument_names", ()))[: len(case.arguments)]


def switch_lines() -> list[str]:
    """The lines that set the backend switch the running cell is under (none by default)."""
    return backend_switches.SWITCHES[backend_switches.current()].repro_lines()


def module_lines(case: Case) -> list[str]:
    """Build the case's module with its parameter and buffer values, its input x and the
    call's further arguments, under the cell's backend switch."""
    lines = [
        "import importlib",
        "",
        "import torch",
        "",
        *switch_lines(),
        f"nn = importlib.import_module({case.impl!r})",
        f"dtype, device = torch.{case.dtype}, {case.device!r}",
        f"m = nn.{case.spec.name}(**{case.hp!r}).to(device, dtype)",
    ]
    lines += tensor_lines("x", case.x)
    for name, values in zip(argument_names(case), case.arguments, strict=True):
        lines += tensor_lines(name, values)
    lines.append("with torch.no_grad():")
    # A body even for layers without parameters or buffers, so the snippet always parses.
    lines.append("    pass")
    for getter, values in (("get_parameter", case.params), ("get_buffer", case.buffers or {})):
        for name, value in values.items():
            tensor = f"torch.tensor({literal(value)}).reshape({value.shape})"
            lines.append(f"    m.{getter}({name!r}).copy_({tensor})")
    lines.append(f"m.train({case.training})")
    for name, values in [("x", case.x), *zip(argument_names(case), case.arguments, strict=True)]:
        if is_index(values):
            lines.append(f"{name} = {name}.to(device)")
        else:
            lines.append(f"{name} = {name}.to(device, dtype).requires_grad_()")
    return lines


def call(case: Case, x: str = "x") -> str:
    """The call expression: m(x) or m(x, target, ...)."""
    return f"m({', '.join([x, *argument_names(case)])})"


def call_lines(case: Case) -> list[str]:
    """Call the module on x, in the layout the suite fed it."""
    layout = case.extra.get("layout", "contiguous")
    if layout == "channels_last":
        return [
            "m = m.to(memory_format=torch.channels_last)",
            f"y = {call(case, 'x.contiguous(memory_format=torch.channels_last)')}",
        ]
    return [f"y = {call(case)}  # the suite fed a {layout} input"]


def repro_snippet(
    case: Case, what: str, index: tuple, expected: float, grad_y: np.ndarray | None
) -> str:
    """A script showing the disagreement at `index` of `what` (output, input or a parameter)."""
    lines = module_lines(case) + call_lines(case)
    if grad_y is not None and grad_y.size <= INLINE_REPRO_ELEMENTS:
        lines.append(
            f"y.backward(torch.tensor({literal(grad_y)}).reshape(y.shape).to(device, dtype))"
        )
        if what == "input" or what in argument_names(case):
            source = f"{'x' if what == 'input' else what}.grad"
        else:
            source = f"m.get_parameter({what!r}).grad"
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
    impl: str,
    spec: LayerSpec,
    hp: dict,
    shape: tuple,
    arguments: tuple[np.ndarray, ...],
    dtype: str,
    device: str,
) -> str:
    """A script that builds a layer and runs it forward and backward on a random input
    (index 0 throughout, for an index input) with the call's drawn further arguments."""
    lines = [
        "import importlib",
        "",
        "import torch",
        "",
        *switch_lines(),
        f"nn = importlib.import_module({impl!r})",
        f"m = nn.{spec.name}(**{hp!r}).to({device!r}, torch.{dtype})",
    ]
    if spec.takes_indices:
        lines.append(f"x = torch.zeros({tuple(shape)}, dtype=torch.int64, device={device!r})")
    else:
        lines.append(f"x = torch.randn({tuple(shape)}, dtype=torch.{dtype}, device={device!r})")
        lines.append("x.requires_grad_()")
    names = list(spec.argument_names)
    for name, values in zip(names, arguments, strict=True):
        lines += tensor_lines(name, values)
        cast = f"{device!r}" if is_index(values) else f"{device!r}, torch.{dtype}"
        lines.append(f"{name} = {name}.to({cast})")
    lines += [
        f"for _ in range({CRASH_REPEATS}):",
        f"    y = m({', '.join(['x', *names])})",
        "    y.backward(torch.ones_like(y))",
        "print('survived')",
    ]
    return "\n".join(lines)
