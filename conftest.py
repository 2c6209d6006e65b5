"""pytest entry point: options, Hypothesis profiles, the seed, the cells of the matrix.

Each conformance test item fills one cell of the report: layer x property x device x
dtype x path x CPU kernel set. The property is the test file's (tests/test_<property>.py),
the layer is the `layer` (or `model`) parameter or a `row` marker, the device, dtype and
execution path are the parameters of those names, and the kernel set is the process's. This file
declares every cell to the report through report/interface.py, and nothing else does.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from report import interface
from spec.layerspec import LayerSpec
from spec.models import MODELS
from spec.registry import LAYERS
from spec.tolerances import TOLERANCES
from tests import cases, corners, flight_recorder, kernel_sets, known_failures
from tests.paths import Need, by_name as path_named, describe as describe_needs, resolve_paths

# --- The same draws whatever is collected ----------------------------------------------
# Hypothesis mixes the literals of the local, non-test modules loaded when it draws into
# what it draws (numbers written in spec/ and reference/), so one cell replayed alone
# (its replay line collects one test file, which imports fewer of them) drew other
# examples than the full run and missed its failure. Every module of these packages is
# loaded here, before anything draws: a seed means the same examples in every run.
SAME_CONSTANTS_PACKAGES = ("spec", "reference", "report")


def modules_of(package_name: str) -> list[str]:
    """Every module of a package, by name (not its __main__, which runs a command)."""
    package = importlib.import_module(package_name)
    found = pkgutil.walk_packages(package.__path__, f"{package_name}.")
    return [info.name for info in found if not info.name.endswith("__main__")]


for _package in SAME_CONSTANTS_PACKAGES:
    for _module in modules_of(_package):
        importlib.import_module(_module)

# --- Hypothesis profiles ---------------------------------------------------------------
# Example counts are per test (one test = one cell of the matrix).
# `compile` is for the paths that compile or export each example (seconds apiece);
# `smoke` is CI's look at every layer on those paths: one example, no corner pass.
PROFILE_EXAMPLES = {"dev": 10, "ci": 30, "thorough": 300, "compile": 3, "smoke": 1}
# Every profile derives from Hypothesis' "default" profile, never from the one in effect:
# where a CI variable is set (CI, GITHUB_ACTIONS, ...), Hypothesis makes its own "ci"
# profile the default, and it derandomizes: each test then draws from its own source
# text, the run's seed is ignored, and the printed replay line replays nothing on a
# machine without that variable. The environment must not choose the examples.
_PARENT = settings.get_profile("default")
_COMMON = {
    "parent": _PARENT,
    "derandomize": False,
    # No deadlines: timing varies with load and must never fail a run.
    "deadline": None,
    "print_blob": True,
    # No explain phase: it line-traces every shrink step to say which part of an example
    # matters, multiplying the time a failing run takes to report; the shrunk example
    # and the repro already say it.
    "phases": [p for p in Phase if p is not Phase.explain],
    # Our strategies draw small shapes but the examples are whole tensors; size and
    # filtering are bounded by construction, so these health checks only add noise.
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
# No shrinking on the compiling paths: every shrink step compiles anew (seconds), and a
# failure's first example, with its repro, is reported in minutes instead of hours.
_NO_SHRINK = _COMMON | {"phases": [p for p in _COMMON["phases"] if p is not Phase.shrink]}
for _name in ("compile", "smoke"):
    settings.register_profile(
        _name, max_examples=PROFILE_EXAMPLES[_name], database=None, **_NO_SHRINK
    )

DTYPES = ("float32", "float64", "float16", "bfloat16")
# The environment's way to give --example-db (a CI job sets it once for every command).
EXAMPLE_DB_VARIABLE = "NNCONFORM_EXAMPLE_DB"
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
        default="all",
        help=f"comma-separated dtypes from {', '.join(DTYPES)}, or 'all' (the default)",
    )
    group.addoption(
        "--impl",
        dest="nnconform_impl",
        default=DEFAULT_IMPL,
        help="module exposing the torch.nn layer classes and an `init` namespace "
        f"(default {DEFAULT_IMPL})",
    )
    group.addoption(
        "--path",
        dest="nnconform_path",
        default="eager",
        help="comma-separated execution paths: eager (the default), compile:inductor, "
        "compile:aot_eager, export:strict, export:nonstrict, onnxruntime; a family name "
        "(compile, export) for all its paths, or 'all'",
    )
    group.addoption(
        "--cpu-isa",
        dest="nnconform_cpu_isa",
        default=kernel_sets.NATIVE,
        help="comma-separated CPU kernel sets to run under, one worker process each: "
        f"{', '.join(kernel_sets.CHOICES)} (default native: whatever torch picks)",
    )
    group.addoption(
        # Used as --example-db=DIR (one word): pytest reads paths out of the arguments
        # before this option exists, and a separate folder argument would move its rootdir.
        "--example-db",
        dest="nnconform_example_db",
        default=os.environ.get(EXAMPLE_DB_VARIABLE) or None,
        help="a Hypothesis example database folder shared between machines: failures found "
        f"by one replay first on all; the run is then unseeded (default ${EXAMPLE_DB_VARIABLE})",
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


def _example_db(config: pytest.Config) -> str | None:
    """The shared example database's folder, or None; it and a seed refuse each other."""
    path = config.getoption("nnconform_example_db")
    if path and config.getoption("hypothesis_seed", default=None) is not None:
        # Hypothesis neither reads nor writes a database under a fixed seed: a seeded run
        # would silently never replay another machine's failure.
        raise OptionError(
            "--example-db and --hypothesis-seed exclude each other: Hypothesis uses no "
            "example database under a fixed seed"
        )
    return path


def _use_example_db(profile: str, path: str) -> None:
    # Hypothesis' own folder database: content-addressed files written by rename, so
    # several machines may share one folder (README: runs that span machines).
    database = DirectoryBasedExampleDatabase(path)
    settings.register_profile(profile, settings.get_profile(profile), database=database)


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


def _listed(config: pytest.Config, option: str) -> list[str]:
    return [v.strip() for v in config.getoption(option).split(",") if v.strip()]


def _devices(config: pytest.Config) -> list[str]:
    import torch

    asked = _listed(config, "nnconform_device")
    if asked == ["all"]:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return ["cpu"] + ([f"cuda:{i}" for i in range(count)] if count else ["cuda"])
    for device in asked:
        kind, _, index = device.partition(":")
        if kind not in ("cpu", "cuda", "meta") or (index and not index.isdigit()):
            raise OptionError(f"unknown device {device!r}; use cpu, cuda, cuda:N, meta or all")
    return asked


def _dtypes(config: pytest.Config) -> list[str]:
    asked = _listed(config, "nnconform_dtype")
    if asked == ["all"]:
        return list(DTYPES)
    for dtype in asked:
        if dtype not in DTYPES:
            raise OptionError(f"unknown dtype {dtype!r}; choose from {', '.join(DTYPES)} or all")
    return asked


def _paths(config: pytest.Config) -> list[str]:
    asked = _listed(config, "nnconform_path")
    try:
        names = resolve_paths(asked)
    except ValueError as error:
        raise OptionError(f"--path: {error}") from None
    if asked != ["all"]:
        # Named on purpose: a path that cannot run here is a setup error, said at once.
        for name in names:
            missing = path_named(name).missing()
            if missing:
                raise OptionError(f"--path {name}: {missing}")
    return names


def _kernel_sets(config: pytest.Config) -> list[str]:
    try:
        return kernel_sets.resolve(_listed(config, "nnconform_cpu_isa"))
    except ValueError as error:
        raise OptionError(f"--cpu-isa: {error}") from None


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
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Start one worker process per CPU kernel set: its variables must precede torch."""
    if hasattr(config, "workerinput"):
        return
    names = _kernel_sets(config)
    if names == [kernel_sets.started_in()] and not os.environ.get(kernel_sets.SET_VARIABLE):
        return  # the set this process is in already: no variable to set
    environments = [kernel_sets.KERNEL_SETS[name].environment() for name in names]
    workers = config.getoption("numprocesses", default=None)
    if len(names) == 1 and not workers:
        if "torch" in sys.modules:
            raise OptionError("--cpu-isa: torch was imported before the kernel set could be set")
        os.environ.update(environments[0])
        return
    if not config.pluginmanager.hasplugin("xdist"):
        raise OptionError("--cpu-isa with several kernel sets needs pytest-xdist (one worker each)")
    specs = ["popen" + "".join(f"//env:{k}={v}" for k, v in env.items()) for env in environments]
    if len(names) == 1:
        count = workers if isinstance(workers, int) else os.cpu_count() or 1
        config.option.tx, config.option.dist = specs * max(1, count), "load"
    else:
        # Every test once per kernel set: xdist's "each" sends every test to every worker.
        config.option.tx, config.option.dist = specs, "each"
    config.option.numprocesses = None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # tryfirst: the profile and seed must be settled before Hypothesis' own plugin reads them.
    profile = _profile_name(config)
    example_db = _example_db(config)
    # With a shared example database the run is unseeded, so that the database is used.
    seed = None if example_db else _run_seed(config)
    if example_db:
        _use_example_db(profile, example_db)
    impl_name = config.getoption("nnconform_impl")
    config.stash[IMPL] = _import_impl(impl_name)
    config.addinivalue_line("markers", "row(name): the report row of a test with no layer")
    import torch

    interface.declare_run(
        config,
        devices=_devices(config),
        dtypes=_dtypes(config),
        isas=_kernel_sets(config),
        paths=_paths(config),
        impl=impl_name,
        profile=profile,
        seed=seed,
        example_db=example_db,
        examples_per_test=PROFILE_EXAMPLES[profile],
        tf32=False,
        torch=torch.__version__,
        # The report prints the tolerance table the run was judged by.
        tolerances={
            name: {"c": row.c, "eps": row.eps, "floor": row.floor}
            for name, row in TOLERANCES.items()
        },
    )
    _turn_off_tf32()
    # Examples are tiny tensors: intra-op threads only add OpenMP barrier waits, and
    # under xdist (one process per core) they oversubscribe the cores, turning a
    # 0.1 ms conv into a 30 ms one. One thread per process is the fast setting.
    torch.set_num_threads(1)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_ShareSeedWithWorkers(seed), "nnconform-xdist-seed")
    if not hasattr(config, "workerinput"):
        # Before workers start: they inherit the variable naming the recorder's directory.
        flight_recorder.open_recorder()


IMPL = pytest.StashKey[ModuleType]()


class _ShareSeedWithWorkers:
    def __init__(self, seed: int) -> None:
        self.seed = seed

    def pytest_configure_node(self, node: object) -> None:
        node.workerinput["nnconform_seed"] = self.seed  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = interface.declared_run(config)
    return [
        f"nnconform: impl={run['impl']} torch={run['torch']} devices={','.join(run['devices'])} "
        f"dtypes={','.join(run['dtypes'])} paths={','.join(run['paths'])} "
        f"cpu kernel sets={','.join(run['isas'])}",
        f"{_draws_line(run)}; TF32 off",
    ]


def _draws_line(run: dict) -> str:
    """Where the run's examples come from, said so that it replays."""
    profile = f"--hypothesis-profile={run['profile']}"
    if run["example_db"]:
        source = f"--example-db={run['example_db']}"
        return f"nnconform: profile={run['profile']} unseeded (replay with {profile} {source})"
    seed = f"--hypothesis-seed={run['seed']}"
    return f"nnconform: profile={run['profile']} seed={run['seed']} (replay with {profile} {seed})"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = interface.declared_run(metafunc.config)
    if "layer" in metafunc.fixturenames:
        specs = getattr(metafunc.module, "SPECS", LAYERS)
        metafunc.parametrize("layer", list(specs), ids=[s.name for s in specs])
    if "model" in metafunc.fixturenames:
        metafunc.parametrize("model", list(MODELS), ids=[m.name for m in MODELS])
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", run["devices"])
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", run["dtypes"])
    if "path" in metafunc.fixturenames and not _parametrized_by_test(metafunc, "path"):
        # Indirect: the `path` fixture makes the path the active one for the test.
        metafunc.parametrize("path", run["paths"], indirect=True)


def _parametrized_by_test(metafunc: pytest.Metafunc, name: str) -> bool:
    """Whether the test's own parametrize marks already give `name` (known failures do)."""
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        listed = names.split(",") if isinstance(names, str) else list(names)
        if name in (n.strip() for n in listed):
            return True
    return False


@pytest.fixture
def path(request: pytest.FixtureRequest) -> object:
    """The execution path under test (tests/paths/), active for the test's duration."""
    # Imported here, not at the top: routing loads torch, and a CPU kernel set must be
    # chosen before torch loads (tests.paths itself loads no torch; its plugins do).
    from tests.paths.routing import active

    with active(path_named(request.param)) as chosen:
        yield chosen


def _absent(device: str) -> interface.NotRun | None:
    import torch

    kind, _, index = device.partition(":")
    if kind != "cuda":
        return None
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if (int(index) if index else 0) < count:
        return None
    return interface.NotRun("not-present", f"{device} (torch.cuda.device_count() == {count})")


def _cell(item: pytest.Item) -> interface.Cell | None:
    """The cell a conformance test fills, or None for a test that is not one."""
    module = getattr(item, "module", None)
    stem = (getattr(module, "__name__", "") or "").rpartition(".")[2]
    if not (stem.startswith("test_") and module.__name__.startswith("tests.")):
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    subject = params.get("layer") or params.get("model")
    path = params.get("path", "eager")
    marker = item.get_closest_marker("row")
    row = subject.name if subject is not None else (marker.args[0] if marker else None)
    if row is None:
        return None
    device = params.get("device", interface.NONE)
    isa = kernel_sets.current() if device in ("cpu", interface.NONE) else interface.NONE
    return interface.Cell(
        layer=row,
        property=stem.removeprefix("test_"),
        device=device,
        dtype=params.get("dtype", interface.NONE),
        path=getattr(path, "name", path),
        isa=isa,
    )


# What a property needs from a path when its file does not say: every need, so a new
# property runs on the paths that leave modules alone until it declares less.
EVERY_NEED = frozenset(Need)


def _off_path(item: pytest.Item, params: dict) -> interface.NotRun | None:
    """Why the item's execution path cannot run its cell, or None."""
    name = params.get("path")
    if not isinstance(name, str):
        return None
    chosen = path_named(name)
    missing = chosen.missing()
    if missing:
        return interface.NotRun("not-applicable", f"{name}: {missing}")
    # What the property needs first: a cell that cannot apply is not judged by its dtype.
    needs = getattr(getattr(item, "module", None), "NEEDS", EVERY_NEED)
    lacking = frozenset(needs) - chosen.provides
    if lacking:
        return interface.NotRun(
            "not-applicable", f"{name} does not provide {describe_needs(lacking)}"
        )
    if "device" in params and chosen.lacks_device(params["device"]):
        return interface.NotRun("not-applicable", chosen.lacks_device(params["device"]))
    if "dtype" in params and chosen.lacks_dtype(params["dtype"]):
        return interface.NotRun("unsupported", chosen.lacks_dtype(params["dtype"]))
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        absent = _absent(params["device"]) if "device" in params else None
        absent = absent or _off_path(item, params)
        cell = _cell(item)
        if cell is not None:
            interface.declare_cell(item, cell, absent)
        if absent is not None:
            item.add_marker(pytest.mark.skip(reason=str(absent)))


# trylast: inside the report plugin's own wrapper, so the corner pass's examples and
# coverage count for the item.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    """The corner pass after a property's Hypothesis run; a cell whose every drawn case a
    known failure covers ends as that known failure, one whose every case needs an argument
    the torch release lacks as "not-in-release"."""
    known_failures.carved.clear()
    cases.missing_in_release.clear()
    try:
        result = yield
        _corner_pass(item)
        return result
    except (FailedHealthCheck, Unsatisfiable) as error:
        if not known_failures.carved and cases.missing_in_release:
            missing = ", ".join(sorted(cases.missing_in_release))
            interface.not_run(
                "not-in-release",
                f"every case drawn here needs {missing}, which this torch release lacks",
            )
        if not known_failures.carved:
            raise
        ids = ", ".join(sorted(known_failures.carved))
        reason = f"every case drawn here is inside known torch failure {ids}"
        interface.known_failure(reason, interface.Failure(reason, example=str(error)[:500]))


def _corner_pass(item: pytest.Item) -> None:
    """Every class of every hyperparameter (or every invalid kind), once each."""
    spec = getattr(getattr(item, "callspec", None), "params", {}).get("layer")
    test = getattr(item, "obj", None)
    kind = getattr(getattr(item, "module", None), "CORNERS", "classes")
    if not isinstance(spec, LayerSpec) or not hasattr(test, "hypothesis") or not kind:
        return
    run = interface.declared_run(item.config)
    if run.get("profile") == "smoke":
        return  # one example per cell is what a smoke run asks for; corners are for full runs
    arguments = {name: item.funcargs[name] for name in item.funcargs if name != "data"}
    inner = test.hypothesis.inner_test
    corner_list = corners.CORNER_KINDS[kind](spec)
    for unreached in corners.run(inner, arguments, corner_list, int(run["seed"] or 0)):
        item.add_report_section("call", "corners", f"not reachable here: {unreached}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    cell = interface.declared(item).cell
    kernel_set = kernel_sets.KERNEL_SETS.get(kernel_sets.current())
    environment = kernel_set.environment() if os.environ.get(kernel_sets.SET_VARIABLE) else {}
    flight_recorder.start_test(item.nodeid, cell.as_dict() if cell else None, environment)


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem: str, report: pytest.TestReport, sched: object) -> None:
    """A worker died running `crashitem`: report its cell as crashed, with the example."""
    worker = getattr(getattr(getattr(report, "node", None), "gateway", None), "id", None)
    recorded = flight_recorder.last_recorded(worker) if worker else None
    if not recorded or recorded.get("nodeid") != crashitem or not recorded.get("cell"):
        return  # nothing recorded for this test: xdist's own "worker crashed" stands
    repro = recorded.get("repro") or ""
    replayed = (
        flight_recorder.replay(repro, recorded.get("environment") or {}, Path(__file__).parent)
        if repro
        else "no repro recorded"
    )
    message = f"the process died running this example ({report.longreprtext}); {replayed}"
    failure = interface.Failure(message=message, example=recorded.get("example", ""), repro=repro)
    interface.mark_crashed(report, interface.Cell(**recorded["cell"]), message, failure)


@pytest.fixture(scope="session")
def nn(pytestconfig: pytest.Config) -> ModuleType:
    """The implementation under test (torch.nn unless --impl says otherwise)."""
    return pytestconfig.stash[IMPL]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Repeated at the end (and under -q, which hides the header) so a failure replays.
    # The profile is part of the replay: Hypothesis' draws depend on max_examples too.
    terminalreporter.write_line(_draws_line(interface.declared_run(terminalreporter.config)))


def pytest_unconfigure(config: pytest.Config) -> None:
    # The controller made the recorder's directory; with the run over it has no reader.
    if not hasattr(config, "workerinput"):
        flight_recorder.close_recorder()
