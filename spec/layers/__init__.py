"""One module per layer, each exporting SPEC."""
