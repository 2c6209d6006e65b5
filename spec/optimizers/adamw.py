"""torch.optim.AdamW: Adam with weight decay applied to the parameter (spec/adam_law.py)."""

from __future__ import annotations

from spec import adam_law
from spec.optimizerspec import OptimizerSpec

DEFAULTS = {
    "lr": 1e-3,
    "betas": (0.9, 0.999),
    "eps": 1e-8,
    "weight_decay": 1e-2,
    "amsgrad": False,
    "maximize": False,
}

SPEC = OptimizerSpec(
    name="AdamW",
    hyperparams=adam_law.hyperparams_for(decoupled_choice=False),
    step=adam_law.step_for(decoupled=True),
    step_error=adam_law.step_error_for(decoupled_always=True),
    state_names=adam_law.state_names,
    classes=adam_law.CLASSES,
    classify=adam_law.classify,
    corners=adam_law.CORNERS,
    defaults=DEFAULTS,
    out_of_scope={
        "lr, betas as Tensors": "1-element tensors carry the same law; the spec draws floats",
        "capturable": "steps kept on the accelerator for graph capture; no law of its own",
        "differentiable": "autograd through the step is a property of its own",
    },
)
