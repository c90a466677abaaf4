"""The shared-memory lab."""
