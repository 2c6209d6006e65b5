"""Shared setup for the suite's own tests."""

# pytester runs small pytest sessions in-process: the report plugin's selftests need it.
pytest_plugins = ["pytester"]
