"""Evidence about a synthetic table: privacy audit, attack simulations, quality and their statistics."""
