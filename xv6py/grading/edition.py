"""Which edition of xv6py this is.

The source tree, and whatever is installed from it, is the instructor's
edition: the reference kernel, every lab's solutions, graders and mutants.
`xv6py lab release LAB OUT` writes a student edition and rewrites this file in
it: there STUDENT is true, the kernel's files hold LAB's stubs where its
solutions were, and `xv6py lab` has no --reference, selfcheck, release or
gradescope (they need what a student edition does not have).
"""

STUDENT = False                 # a student edition?
LAB: str | None = None          # the lab it was released for
KEPT: tuple[str, ...] = ()      # other labs whose solutions it keeps (the kernel needs them)
