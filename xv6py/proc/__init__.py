"""Processes: the process table and scheduler (proc.py), exec and its ELF loader
(exec.py), and the first process's code (initcode.py)."""
