"""An implementation that provides nothing at all: no layer, no container, no init."""
