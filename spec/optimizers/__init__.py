"""One module per torch.optim optimizer, each defining SPEC (spec/registry.py discovers them)."""
