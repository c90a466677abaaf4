"""The labs of xv6py, one directory each: handout, grader, mutants (see xv6py/grading)."""
