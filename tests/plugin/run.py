"""The run: settled and declared to the report once, before any test; the implementation
under test; the header and closing lines that say how to replay the run."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

from report import interface
from spec import statistics
from spec.tolerances import TOLERANCES
from tests import flight_recorder, impl, known_failures
from tests.known_failures import register
from tests.plugin import options, profiles

IMPL = pytest.StashKey[ModuleType]()


def _turn_off_tf32() -> None:
    # float32 comparisons assume IEEE float32 products; TF32 keeps only 10 mantissa bits.
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")


def _torch_layers(module: ModuleType) -> frozenset[str]:
    """The registry's layers an implementation answers with torch.nn's own class."""
    import torch

    from spec.registry import LAYERS

    return frozenset(
        spec.name
        for spec in LAYERS
        if getattr(torch.nn, spec.name, None) is not None
        and getattr(module, spec.name, None) is getattr(torch.nn, spec.name)
    )


def _honour_known_failures(config: pytest.Config, impl_name: str, module: ModuleType) -> None:
    """Whose recorded failures carve cases out and xfail in this run: torch's, the
    implementation's own (--impl-known), or none; under --impl, torch's still carve on the
    layers the implementation leaves to torch.nn's own classes."""
    own = config.getoption("nnconform_impl_known")
    torch_layers = frozenset() if impl_name == options.DEFAULT_IMPL else _torch_layers(module)
    if config.getoption("nnconform_ignore_known_failures"):
        known_failures.honour(False, "known failures ignored (--ignore-known-failures)")
    elif forgotten := options.listed(config, "nnconform_forget_known_failures"):
        unknown = [entry for entry in forgotten if entry not in register.BY_ID]
        if unknown:
            raise options.OptionError(
                f"--forget-known-failure: no known failure {', '.join(unknown)} "
                "(python -m tests.known_failures lists them)"
            )
        kept = tuple(k for k in register.KNOWN_FAILURES if k.id not in forgotten)
        known_failures.honour(True, entries=kept)
    elif own:
        try:
            entries = register.load_entries(own)
        except Exception as error:
            raise options.OptionError(f"--impl-known {own}: {error}") from None
        # A repro run in a child process finds the file through the environment.
        os.environ[register.IMPL_KNOWN_VARIABLE] = str(Path(own).resolve())
        known_failures.honour(True, entries=entries, torch_layers=torch_layers)
    elif impl_name != options.DEFAULT_IMPL:
        known_failures.honour(
            False,
            f"torch's known failures judge torch.nn, not the implementation {impl_name}",
            torch_layers=torch_layers,
        )
    else:
        known_failures.honour(True)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # tryfirst: the profile and seed must be settled before Hypothesis' own plugin reads them.
    profile = profiles.profile_name(config)
    example_db = profiles.example_db(config)
    # With a shared example database the run is unseeded, so that the database is used.
    seed = None if example_db else profiles.run_seed(config)
    if example_db:
        profiles.use_example_db(profile, example_db)
    # Parsed once: a bad budget is one line now, not an error per test.
    config.stash[options.SHRINK_BUDGET_S] = options.shrink_budget(config)
    impl_name = config.getoption("nnconform_impl")
    module = config.stash[IMPL] = options.import_impl(impl_name)
    described = impl.describe(impl_name, module, config.rootpath)
    _honour_known_failures(config, impl_name, module)
    config.addinivalue_line("markers", "row(name): the report row of a test with no layer")
    import torch

    interface.declare_run(
        config,
        devices=options.devices(config),
        dtypes=options.dtypes(config),
        isas=options.chosen_kernel_sets(config),
        paths=options.paths(config),
        switches=options.switches(config),
        impl=impl_name,
        impl_details=described.as_dict(),
        profile=profile,
        seed=seed,
        example_db=example_db,
        examples_per_test=profiles.PROFILE_EXAMPLES[profile],
        known_failures_ignored=config.getoption("nnconform_ignore_known_failures"),
        known_failures_forgotten=options.listed(config, "nnconform_forget_known_failures"),
        impl_known=config.getoption("nnconform_impl_known"),
        # Every statistical assertion spends alpha of it (spec/statistics.py).
        false_alarm_budget={"alpha": statistics.ALPHA, "budget": statistics.RUN_FALSE_ALARM},
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
        config.pluginmanager.register(profiles.ShareSeedWithWorkers(seed), "nnconform-xdist-seed")
    if not hasattr(config, "workerinput"):
        # Before workers start: they inherit the variable naming the recorder's directory.
        flight_recorder.open_recorder()


def pytest_unconfigure(config: pytest.Config) -> None:
    # The controller made the recorder's directory; with the run over it has no reader.
    if not hasattr(config, "workerinput"):
        flight_recorder.close_recorder()


@pytest.fixture(scope="session")
def nn(pytestconfig: pytest.Config) -> impl.Provided:
    """The implementation under test (torch.nn unless --impl says otherwise); a name it
    lacks ends the cell that asks for it "not provided"."""
    return impl.Provided(pytestconfig.stash[IMPL])


def draws_line(run: dict) -> str:
    """Where the run's examples come from, said so that it replays."""
    profile = f"--hypothesis-profile={run['profile']}"
    if run["example_db"]:
        source = f"--example-db={run['example_db']}"
        return f"nnconform: profile={run['profile']} unseeded (replay with {profile} {source})"
    seed = f"--hypothesis-seed={run['seed']}"
    return f"nnconform: profile={run['profile']} seed={run['seed']} (replay with {profile} {seed})"


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = interface.declared_run(config)
    ignored = "; known failures ignored" if run["known_failures_ignored"] else ""
    if run.get("known_failures_forgotten"):
        ignored += f"; known failures forgotten: {', '.join(run['known_failures_forgotten'])}"
    return [
        f"nnconform: impl={run['impl']} torch={run['torch']} devices={','.join(run['devices'])} "
        f"dtypes={','.join(run['dtypes'])} paths={','.join(run['paths'])} "
        f"cpu kernel sets={','.join(run['isas'])}",
        f"{draws_line(run)}; TF32 off{ignored}",
    ]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Repeated at the end (and under -q, which hides the header) so a failure replays.
    # The profile is part of the replay: Hypothesis' draws depend on max_examples too.
    terminalreporter.write_line(draws_line(interface.declared_run(terminalreporter.config)))
