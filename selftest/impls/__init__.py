"""Small implementations the --impl selftests run the suite on (selftest/test_impl_runs.py)."""
