"""Exceptions raised by the irp package; messages name the id and what is wrong."""

from __future__ import annotations


class IrpError(Exception):
    """Base class of every error raised by irp."""


class StoreError(IrpError):
    """The batch/job store is unreachable, not migrated, or a migration is inconsistent."""


class ConfigurationError(IrpError):
    """A cycle's configuration (workbook) is missing, invalid or unusable."""


class BatchError(IrpError):
    """A batch operation was refused or failed."""


class JobError(IrpError):
    """A job operation was refused or failed."""
