"""Labs: a reference kernel with marked solution regions, student workspaces made
from it, and graders that run the kernel with a workspace's modules in place of
the reference ones.

    regions.py    the markers, and the starter they give (lab init)
    spec.py       labs/NAME/lab.toml, workspaces, mutants
    worker.py     grades one workspace, in a process of its own
    grade.py      many workspaces at once, results files, the summary table
    selfcheck.py  the reference scores full marks, the starter 0, each mutant
                  loses the points of the test that names its mistake, and a
                  release holds no line of a solution
    release.py    the student edition of a lab (`xv6py lab release`)
    edition.py    which edition this is: the instructor's, or a student's
    gradescope.py an autograder zip for Gradescope (`xv6py lab gradescope`)
    checks.py     helpers for graders: a student's crash is a clear failure
    command.py    `xv6py lab ...`

The labs themselves (handouts, graders, mutants) are in labs/ at the top of the
repository, installed as xv6py.labs; this package is the machinery that grades them.
"""
