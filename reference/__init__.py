"""Pure-NumPy float64 reference formulas: forward and VJP per op, and the laws they obey."""
