"""Invalid calls that an accelerator checks inside the kernel, judged in a child process.

On CUDA an index out of range (an Embedding row, a class target) is not checked before
the kernel runs: the kernel traps on a device-side assertion, the call raises
torch.AcceleratorError (a RuntimeError) at the next synchronisation, and the process's
CUDA context is unusable from then on. Judged in the test's own process, one such case
failed every later test of that worker (218 of 308 failures in the first CUDA run), so
these cases run in a fresh interpreter that is allowed to die.
"""

import pickle
import tempfile
from pathlib import Path
from types import ModuleType

import torch

from tests.child import last_line, run_python

# The message of a device-side assertion, in every release that has one.
DEVICE_ASSERT = "device-side assert"


def impl_source(nn: ModuleType) -> str:
    """What tests.impl.load takes to load `nn` again in a child: its dotted name, or the
    file a top-level module came from (an --impl given as a path loads under its stem)."""
    spec = nn.__spec__
    if spec is not None and not spec.parent and spec.origin and Path(spec.origin).is_file():
        return spec.origin
    return nn.__name__


def asserts_on_device(device: str) -> bool:
    """Whether `device` checks indices inside its kernels (CPU and meta check before)."""
    return torch.device(device).type == "cuda"


def call_in_child(
    impl: str, layer: str, hp: dict, device: str, training: bool, x: object, arguments: list
) -> str:
    """Build `layer` from `hp` on `device` in a fresh interpreter, call it on the CPU
    tensors `x` and `arguments` moved there, and wait for the device: the exception
    raised, as child_main prints it, or "" when none was."""
    with tempfile.TemporaryDirectory() as folder:
        case = Path(folder, "case.pickle")
        case.write_bytes(pickle.dumps((impl, layer, hp, device, training, x, arguments)))
        code = f"from tests.device_assert import child_main; child_main({str(case)!r})"
        child = run_python(code)
    if child.returncode != 0:
        return f"ChildFailed: {last_line(child.stderr, f'exit status {child.returncode}')}"
    return last_line(child.stdout, "")


def child_main(case_file: str) -> None:
    """The child's side: print what the call raised (its class and the classes it
    derives from, then its message's first line), or nothing."""
    from spec.registry import layer_named
    from tests.cases import construct
    from tests.impl import load

    impl, layer, hp, device, training, x, arguments = pickle.loads(Path(case_file).read_bytes())
    try:
        # float32, as the errors property builds every module (a class weight is float64).
        module = construct(load(impl), layer_named(layer), hp).to(device, torch.float32)
        module.train(training)
        module(x.to(device), *(a.to(device) for a in arguments))
        torch.cuda.synchronize(device)
    except Exception as error:  # the judged outcome: any exception, named
        first = str(error).strip().splitlines()
        names = "|".join(cls.__name__ for cls in type(error).__mro__)
        print(f"{names}: {first[0] if first else ''}")


def rejected(expected: type[BaseException], raised: str) -> bool:
    """Whether the child's `raised` line is torch rejecting the call: the documented
    exception, or a device-side assertion (CUDA's way to reject an index)."""
    names = raised.split(":", 1)[0].split("|")
    return expected.__name__ in names or (DEVICE_ASSERT in raised and "ChildFailed" not in names)
