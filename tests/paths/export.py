"""export:strict and export:nonstrict: torch.export.export, then the exported program's module.

A program is exported per input signature and mode (export specialises on both) and its
`.module()` (a GraphModule: the exported graph, none of the layer's Python) is what
runs. Each call hands it the module's current parameters and buffers
(torch.func.functional_call), so gradients land in the module's own Parameters and
running statistics update the module's own buffers, as they would eagerly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import torch
from torch.func import functional_call

from tests.paths import ExecutionPath, Need
from tests.paths.routing import as_built


@dataclass(frozen=True)
class Exported(ExecutionPath):
    strict: bool = False

    def missing(self) -> str | None:
        absent = super().missing()
        if absent is None and "strict" not in inspect.signature(torch.export.export).parameters:
            # Both paths name their tracer; a release without the choice has neither.
            return f"torch {torch.__version__}'s torch.export.export takes no strict="
        return absent

    def runner(self, base: type) -> Callable[..., object]:
        return ExportedCall(self.strict)


def signature(module: torch.nn.Module, args: tuple) -> Hashable:
    """What an exported program is specialised to: the inputs' metadata and the modes."""
    tensors = tuple(
        (tuple(a.shape), a.stride(), a.dtype, a.device, a.requires_grad)
        if isinstance(a, torch.Tensor)
        else repr(a)
        for a in args
    )
    return (module.training, torch.is_grad_enabled(), torch.is_inference_mode_enabled(), tensors)


class ExportedCall:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.programs: dict[Hashable, torch.nn.Module] = {}

    def __call__(self, module: torch.nn.Module, *args: object) -> object:
        key = signature(module, args)
        program = self.programs.get(key)
        if program is None:
            with as_built(module):
                exported = torch.export.export(module, tuple(args), strict=self.strict)
            program = self.programs[key] = exported.module()
            assert isinstance(program, torch.fx.GraphModule), type(program)
        state = {**dict(module.named_parameters()), **dict(module.named_buffers())}
        return functional_call(program, state, tuple(args))


# Strict export traces with dynamo, which wraps a layer's exceptions in its own; the
# non-strict tracer runs the layer's Python and lets them through. No functional_call:
# export requires a module's parameters to be Parameters, and substituted ones are not.
_PROVIDES = frozenset(
    {Need.AUTOGRAD, Need.PARAMETERS, Need.TRAIN_MODE, Need.IN_PLACE, Need.SECOND_ORDER}
)

PLAIN = """
def on_path(path, module):
    # torch.export per input signature, then the exported program's module
    programs = {}

    def run(*args):
        key = tuple((a.shape, a.stride(), a.dtype, a.requires_grad) for a in args)
        if key not in programs:
            strict = path == "export:strict"
            programs[key] = torch.export.export(module, args, strict=strict).module()
        return programs[key](*args)

    return run
"""

# An export is 0.1 s to 0.3 s, a call of the exported program milliseconds.
JUDGEMENTS = 4

PATHS = (
    Exported("export:strict", _PROVIDES, plain=PLAIN, judgements=JUDGEMENTS, strict=True),
    Exported(
        "export:nonstrict",
        _PROVIDES | {Need.EXCEPTIONS},
        plain=PLAIN,
        judgements=JUDGEMENTS,
        strict=False,
    ),
)
