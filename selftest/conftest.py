"""Shared setup for the suite's own tests."""

# pytester runs small pytest sessions in-process: the report plugin's selftests need it.
pytest_plugins = ["pytester"]

# The selftests that run a nested suite take 10-50 s each. Collected last (their files sort
# late), they ran at the end of a two-worker session, one worker idle beside them; first,
# xdist hands them out round robin while the short tests fill the other worker's gaps.
NESTED_SUITE_FILES = frozenset(
    {
        "test_coverage.py",
        "test_crash.py",
        "test_impl_runs.py",
        "test_student_impl.py",
        "test_xdist_parity.py",
    }
)


def pytest_collection_modifyitems(items: list) -> None:
    items.sort(key=lambda item: item.path.name not in NESTED_SUITE_FILES)
