"""The conformance report: a pytest plugin writing JSON, Markdown and HTML, and merging shards."""
