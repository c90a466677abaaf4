"""System V IPC: shared memory, semaphores, message queues (see ipc.py)."""
