"""Notifications sent to people (Microsoft Teams)."""
