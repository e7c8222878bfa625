"""Evaluation of synthetic tables: privacy audit, attacks and quality."""
