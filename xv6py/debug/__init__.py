"""Looking inside a running machine: stepping, breakpoints, page-table views,
the fault explainer, the REPL and the gdb remote stub."""
