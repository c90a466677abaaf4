"""The grader of the shared-memory lab: a pytest suite (run it with `xv6py lab grade DIR`)."""
