"""pytest plugin entry point for the conformance report (filled in by the report work)."""
