"""Methods for large instances: Lagrangian bounds, local search, cover search."""
