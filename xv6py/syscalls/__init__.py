"""System calls: argument fetching (args.py), the table and dispatch (syscall.py),
and the calls themselves, one module per family (sysproc.py, sysfile.py, shm.py)."""
