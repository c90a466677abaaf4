"""Files: the root directory, open files, pipes."""
