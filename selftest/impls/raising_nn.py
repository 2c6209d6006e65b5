"""An implementation whose own import fails with something other than ImportError."""

raise RuntimeError("this implementation needs a GPU it cannot find")
