"""pytest entry point: options, Hypothesis profiles, the seed, and the layer/device/dtype matrix."""

from __future__ import annotations

import importlib
import os
import random
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from spec.registry import LAYERS
from spec.tolerances import TOLERANCES

# --- Hypothesis profiles ---------------------------------------------------------------
# Example counts are per test (one test = one layer x property x device x dtype cell).
# No deadlines: timing varies with load and must never fail a run.
PROFILE_EXAMPLES = {"dev": 10, "ci": 30, "thorough": 300}
_COMMON = {
    "deadline": None,
    "print_blob": True,
    # Our strategies draw small shapes but the examples are whole tensors; size and
    # filtering are bounded by construction, so these health checks only add noise.
    # The conformance record is function-scoped on purpose: it accumulates over all
    # examples of a test (examples run, the last failure).
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}
settings.register_profile("dev", max_examples=PROFILE_EXAMPLES["dev"], **_COMMON)
# CI runs are reproduced from the printed seed, not from a local example database.
settings.register_profile("ci", max_examples=PROFILE_EXAMPLES["ci"], database=None, **_COMMON)
settings.register_profile(
    "thorough", max_examples=PROFILE_EXAMPLES["thorough"], database=None, **_COMMON
)

DTYPES = ("float32", "float64", "float16", "bfloat16")
DEFAULT_IMPL = "torch.nn"


class OptionError(pytest.UsageError):
    """A bad option of ours: pytest prints its one line and stops."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nnconform")
    group.addoption(
        "--device",
        dest="nnconform_device",
        default="all",
        help="comma-separated devices (cpu, cuda, cuda:N, meta) or 'all' (default: every "
        "device present; absent CUDA is reported as not present)",
    )
    group.addoption(
        "--dtype",
        dest="nnconform_dtype",
        default="float32",
        help=f"comma-separated dtypes from {', '.join(DTYPES)} (default float32)",
    )
    group.addoption(
        "--impl",
        dest="nnconform_impl",
        default=DEFAULT_IMPL,
        help="module exposing the torch.nn layer classes and an `init` namespace "
        "(default torch.nn)",
    )


def _profile_name(config: pytest.Config) -> str:
    chosen = config.getoption("hypothesis_profile", default=None)
    if chosen is None:
        chosen = "ci" if os.environ.get("CI") else "dev"
        config.option.hypothesis_profile = chosen
    if chosen not in PROFILE_EXAMPLES:
        raise OptionError(
            f"unknown Hypothesis profile {chosen!r}; choose one of {', '.join(PROFILE_EXAMPLES)}"
        )
    return chosen


def _run_seed(config: pytest.Config) -> int:
    """One seed for the whole run, shared with xdist workers, printed so a run replays."""
    given = config.getoption("hypothesis_seed", default=None)
    if given is None and hasattr(config, "workerinput"):
        given = config.workerinput["nnconform_seed"]
    if given is None:
        given = random.SystemRandom().randrange(2**32)
    try:
        seed = int(given)
    except ValueError:
        raise OptionError(f"--hypothesis-seed must be an integer, not {given!r}") from None
    config.option.hypothesis_seed = seed
    return seed


def _devices(config: pytest.Config) -> list[str]:
    import torch

    asked = [d.strip() for d in config.getoption("nnconform_device").split(",") if d.strip()]
    if asked == ["all"]:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return ["cpu"] + ([f"cuda:{i}" for i in range(count)] if count else ["cuda"])
    for device in asked:
        kind, _, index = device.partition(":")
        if kind not in ("cpu", "cuda", "meta") or (index and not index.isdigit()):
            raise OptionError(f"unknown device {device!r}; use cpu, cuda, cuda:N, meta or all")
    return asked


def _dtypes(config: pytest.Config) -> list[str]:
    asked = [d.strip() for d in config.getoption("nnconform_dtype").split(",") if d.strip()]
    for dtype in asked:
        if dtype not in DTYPES:
            raise OptionError(f"unknown dtype {dtype!r}; choose from {', '.join(DTYPES)}")
    return asked


def _import_impl(name: str) -> ModuleType:
    try:
        impl = importlib.import_module(name)
    except ImportError as error:
        raise OptionError(f"--impl {name!r} cannot be imported: {error}") from None
    if not hasattr(impl, "init"):
        raise OptionError(f"--impl {name!r} has no `init` namespace (see README: --impl contract)")
    return impl


def _turn_off_tf32() -> None:
    # float32 comparisons assume IEEE float32 products; TF32 keeps only 10 mantissa bits.
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # tryfirst: the profile and seed must be settled before Hypothesis' own plugin reads them.
    profile = _profile_name(config)
    seed = _run_seed(config)
    impl_name = config.getoption("nnconform_impl")
    config.nnconform_impl = _import_impl(impl_name)
    config.nnconform_run = {
        "devices": _devices(config),
        "dtypes": _dtypes(config),
        "impl": impl_name,
        "profile": profile,
        "seed": seed,
        "examples_per_test": PROFILE_EXAMPLES[profile],
        "tf32": False,
        # The report prints the tolerance table the run was judged by.
        "tolerances": {
            name: {"c": row.c, "eps": row.eps, "floor": row.floor}
            for name, row in TOLERANCES.items()
        },
    }
    _turn_off_tf32()
    # Examples are tiny tensors: intra-op threads only add OpenMP barrier waits, and
    # under xdist (one process per core) they oversubscribe the cores, turning a
    # 0.1 ms conv into a 30 ms one. One thread per process is the fast setting.
    import torch

    torch.set_num_threads(1)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_ShareSeedWithWorkers(seed), "nnconform-xdist-seed")


class _ShareSeedWithWorkers:
    def __init__(self, seed: int) -> None:
        self.seed = seed

    def pytest_configure_node(self, node: object) -> None:
        node.workerinput["nnconform_seed"] = self.seed  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> list[str]:
    import torch

    run = config.nnconform_run
    return [
        f"nnconform: impl={run['impl']} torch={torch.__version__} "
        f"devices={','.join(run['devices'])} dtypes={','.join(run['dtypes'])}",
        f"nnconform: profile={run['profile']} seed={run['seed']} (replay with "
        f"--hypothesis-profile={run['profile']} --hypothesis-seed={run['seed']}); TF32 off",
    ]


def _device_param(device: str) -> object:
    import torch

    kind, _, index = device.partition(":")
    if kind == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        wanted = int(index) if index else 0
        if wanted >= count:
            reason = f"not present: {device} (torch.cuda.device_count() == {count})"
            return pytest.param(device, marks=pytest.mark.skip(reason=reason), id=device)
    return pytest.param(device, id=device)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = metafunc.config.nnconform_run
    if "layer" in metafunc.fixturenames:
        specs = getattr(metafunc.module, "SPECS", LAYERS)
        metafunc.parametrize("layer", list(specs), ids=[s.name for s in specs])
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", [_device_param(d) for d in run["devices"]])
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", run["dtypes"])


@pytest.fixture(scope="session")
def nn(pytestconfig: pytest.Config) -> ModuleType:
    """The implementation under test (torch.nn unless --impl says otherwise)."""
    return pytestconfig.nnconform_impl


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Repeated at the end (and under -q, which hides the header) so a failure replays.
    # The profile is part of the replay: Hypothesis' draws depend on max_examples too.
    run = terminalreporter.config.nnconform_run
    terminalreporter.write_line(
        f"nnconform: profile={run['profile']} seed={run['seed']} (replay with "
        f"--hypothesis-profile={run['profile']} --hypothesis-seed={run['seed']})"
    )
