"""CPU kernel sets: which instruction-set level torch's CPU kernels run at, and how to force one.

torch picks its CPU kernels per instruction set at run time, in three libraries that
each choose on their own: ATen's vectorised kernels (ATEN_CPU_CAPABILITY), oneDNN's
convolutions and matmuls (ONEDNN_MAX_CPU_ISA) and MKL's BLAS (MKL_ENABLE_INSTRUCTIONS).
Each reads its variable once, when torch loads, so a kernel set is a property of a
process: the suite runs one worker process per set (tests/plugin/kernel_set_workers.py).

A set caps every library at the same level. "native" caps nothing, and a process
running it reports the level the CPU gives it: on an AVX-512 machine "native" is
"avx512" (or "amx"), so reports from two machines compare like with like.
"""

from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass

# The variable a worker started for a kernel set carries, so the process knows its set.
SET_VARIABLE = "NNCONFORM_CPU_ISA"
# The variables that cap each library, read once when torch loads.
ATEN_VARIABLE = "ATEN_CPU_CAPABILITY"
ONEDNN_VARIABLE = "ONEDNN_MAX_CPU_ISA"
MKL_VARIABLE = "MKL_ENABLE_INSTRUCTIONS"


@dataclass(frozen=True)
class KernelSet:
    """One instruction-set level: the variables that cap torch's libraries at it."""

    name: str
    aten: str | None  # ATEN_CPU_CAPABILITY
    onednn: str | None  # ONEDNN_MAX_CPU_ISA
    mkl: str | None  # MKL_ENABLE_INSTRUCTIONS
    # /proc/cpuinfo flags the CPU needs for this level to be real, not a silent fallback.
    cpu_flags: tuple[str, ...]

    def environment(self) -> dict[str, str]:
        """The variables to set before torch loads."""
        caps = {ATEN_VARIABLE: self.aten, ONEDNN_VARIABLE: self.onednn, MKL_VARIABLE: self.mkl}
        return {SET_VARIABLE: self.name} | {k: v for k, v in caps.items() if v is not None}


# From the lowest level up. "avx512" is the best AVX-512 level below AMX (oneDNN's bf16
# instructions included where the CPU has them); "amx" adds the AMX tile units.
KERNEL_SETS: dict[str, KernelSet] = {
    "default": KernelSet("default", "default", "SSE41", "SSE4_2", ()),
    "avx2": KernelSet("avx2", "avx2", "AVX2", "AVX2", ("avx2", "fma")),
    "avx512": KernelSet(
        "avx512",
        "avx512",
        "AVX512_CORE_BF16",
        "AVX512",
        ("avx512f", "avx512bw", "avx512vl", "avx512dq"),
    ),
    "amx": KernelSet(
        "amx",
        "avx512",
        "AVX512_CORE_AMX",
        None,
        ("avx512f", "avx512bw", "avx512vl", "avx512dq", "amx_tile", "amx_bf16"),
    ),
}
NATIVE = "native"
CHOICES = (NATIVE, *KERNEL_SETS, "all")


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux); empty where /proc/cpuinfo cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def supported() -> list[str]:
    """The kernel sets this CPU can run, lowest first ("default" runs anywhere)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return ["default"]
    flags = cpu_flags()
    return [name for name, ks in KERNEL_SETS.items() if set(ks.cpu_flags) <= flags]


def native() -> str:
    """The set an uncapped process runs at: the highest this CPU supports."""
    return supported()[-1]


# The levels the capping variables name, by kernel set: each set's own values, and
# oneDNN's other names for the same levels. MKL_ENABLE_INSTRUCTIONS is left out: it moves
# only BLAS (Linear's matmul), and no known failure depends on it.
_ATEN_LEVELS = {ks.aten: ks.aten for ks in KERNEL_SETS.values() if ks.aten}
_ONEDNN_LEVELS = {ks.onednn.lower(): name for name, ks in KERNEL_SETS.items() if ks.onednn} | {
    "avx": "default",
    "avx2_vnni": "avx2",
    "avx2_vnni_2": "avx2",
    "avx512_core": "avx512",
    "avx512_core_vnni": "avx512",
    "avx512_core_fp16": "avx512",
    "avx512_core_amx_fp16": "amx",
}


def _level(variable: str, levels: dict[str, str], unset: str) -> str:
    value = os.environ.get(variable)
    if not value or value.lower() == "all":
        return unset
    try:
        return levels[value.lower()]
    except KeyError:
        raise ValueError(
            f"{variable}={value} is not a level this suite knows ({', '.join(levels)})"
        ) from None


def by_environment() -> str | None:
    """The set ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA, set by hand, put this process
    in; None when neither is set. Both libraries must land in one set: its known failures
    are scoped by what ATen and oneDNN run, and a mix is no set at all."""
    if not any(os.environ.get(v) for v in (ATEN_VARIABLE, ONEDNN_VARIABLE)):
        return None
    here = native()
    aten = _level(ATEN_VARIABLE, _ATEN_LEVELS, KERNEL_SETS[here].aten or here)
    onednn = _level(ONEDNN_VARIABLE, _ONEDNN_LEVELS, here)
    for name in supported():
        if KERNEL_SETS[name].aten == aten and name == onednn:
            return name
    raise ValueError(
        f"ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA put ATen at {aten} and oneDNN at "
        f"{onednn} on this CPU ({', '.join(supported())}): that is no one kernel set; set "
        "both to one level, or use --cpu-isa"
    )


def started_in() -> str:
    """The set this process was started in: the variables' set, else native."""
    return by_environment() or native()


def resolve(asked: list[str]) -> list[str]:
    """The kernel sets to run for --cpu-isa values, native resolved, unsupported refused."""
    names: list[str] = []
    for name in asked:
        if name == "all":
            names += supported()
        elif name == NATIVE:
            names.append(started_in())
        elif name not in KERNEL_SETS:
            raise ValueError(f"unknown CPU kernel set {name!r}; choose from {', '.join(CHOICES)}")
        elif name not in supported():
            raise ValueError(
                f"this CPU cannot run kernel set {name!r} (it lacks "
                f"{', '.join(sorted(set(KERNEL_SETS[name].cpu_flags) - cpu_flags()))}); "
                f"it supports {', '.join(supported())}"
            )
        else:
            names.append(name)
    return list(dict.fromkeys(names))


def current() -> str:
    """The kernel set this process runs: the one it was started for, else the one its
    variables put it in, else native."""
    return os.environ.get(SET_VARIABLE) or started_in()
