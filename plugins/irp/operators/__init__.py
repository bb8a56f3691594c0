"""Operators of the cycle DAGs."""
