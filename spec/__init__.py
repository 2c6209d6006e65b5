"""WHAT must hold: one LayerSpec per layer, strategies, tolerances, chapter claims."""
