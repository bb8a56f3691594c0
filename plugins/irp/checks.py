"""Argument checks shared by the store operations; each error names the argument and value."""

from __future__ import annotations

from irp.exceptions import IrpError


def require_id(value: object, name: str, error: type[IrpError]) -> int:
    """Ids are positive ints (bools are not ids even though ``True == 1``)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise error(f"Invalid {name}: {value!r}. Must be a positive integer.")
    return value


def require_text(value: object, name: str, error: type[IrpError]) -> str:
    if not isinstance(value, str) or not value.strip():
        raise error(f"{name} is required and must be a non-empty string")
    return value
