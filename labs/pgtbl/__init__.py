"""The page-table lab."""
