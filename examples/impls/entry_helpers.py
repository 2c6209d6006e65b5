"""What the example implementations' known-failure files share: what a call raised, and the
scope of a strided padding='same' convolution.

Each file's repros stay standalone (a reader pastes one and runs it); these are the pieces
that say what happened and where an entry applies, one copy for every file.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.known_failures.entry import Where


def raised(call: Callable[[], object], expected: type[BaseException] | tuple[()] = ()) -> str:
    """What `call()` raised: the name of `expected`, 'nothing', or the other exception with
    its message."""
    try:
        call()
    except expected:
        return expected.__name__  # type: ignore[union-attr]
    except Exception as error:
        return f"{type(error).__name__} ({error})"
    return "nothing"


def exception_name(call: Callable[[], object]) -> str:
    """The name of the exception `call()` raised, or 'nothing': for comparing several calls
    at once against torch's exceptions."""
    try:
        call()
    except Exception as error:
        return type(error).__name__
    return "nothing"


def strided_same(where: Where) -> bool:
    """padding='same' with a stride above 1, which torch.nn rejects (ValueError)."""
    arguments = where.arguments
    stride = arguments["stride"]
    strides = (stride, stride) if isinstance(stride, int) else tuple(stride)
    return arguments["padding"] == "same" and max(strides) > 1
