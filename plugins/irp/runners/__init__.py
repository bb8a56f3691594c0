"""Job backends for the batch types that run SQL instead of (or before) Moody's calls."""
