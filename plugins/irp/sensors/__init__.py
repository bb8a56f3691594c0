"""Sensors of the cycle DAGs."""
