"""Worked examples: third-party implementations run through the suite with `--impl`."""
