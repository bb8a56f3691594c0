"""Moody's Risk Modeler: the seam the store calls (``protocol``) and its implementation."""
