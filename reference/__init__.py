"""Pure-NumPy float64 reference formulas: forward and VJP per op, and the laws (shapes, counts, init)."""
