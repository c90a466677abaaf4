"""The grader of the page-table lab: a pytest suite (run it with `xv6py lab grade DIR`)."""
