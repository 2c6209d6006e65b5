"""Implementations for `--impl examples.impls.<name>`, each with its own known failures.

- timm_nn: torch.nn names backed by timm's drop-in layers (the rest is torch.nn's own);
  its findings are in timm_known_failures.py.
- learner_nn: a learner's partial torch.nn written from the textbook formulas with tensor
  ops; its findings are in learner_known_failures.py.
"""
