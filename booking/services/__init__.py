"""Use cases: each one transaction over the models, calling the pure engine for every rule."""
