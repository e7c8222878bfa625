"""Evidence about a synthetic table: privacy audit, attack simulations and their statistics."""
