"""One module per layer (or nn.init): its known torch failures, each entry's repro, predicate
and data together. A module defines `ENTRIES`; tests/known_failures/register.py finds it."""
