"""Helpers for tests and graders: kcall.Syscaller makes system calls from Python
on behalf of processes, through the kernel's real system call path."""
