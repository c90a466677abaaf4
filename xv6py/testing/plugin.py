"""The xv6py pytest plugin: a fresh machine per test, runs of user programs with an
instruction budget, points, reruns under scheduling seeds, Gradescope output.

    import pytest

    @pytest.mark.points(2)
    @pytest.mark.budget(1_000_000)
    def test_hello(xv6_run):
        assert xv6_run("hello").output == "hello, world\\n"

Fixtures
    xv6_machine     a freshly booted Machine for the test (quantum, seed and budget
                    from the options and the test's markers)
    xv6_run         xv6_run(prog, *args, stdin=None) -> RunResult, on that machine;
                    fails the test with a clear message when the program runs out of
                    its instruction budget or the kernel panics
    xv6_syscaller   a kcall.Syscaller on that machine (system calls from Python)

Markers
    points(n, visibility="visible")   n points if the test passes, 0 otherwise
    budget(n)                         instructions each run of the test may use

Options (pytest --help, group "xv6py")
    --xv6py-budget N  --xv6py-quantum N  --xv6py-seed S    the machines' settings
    --xv6py-seeds N        rerun every test that uses a machine under seeds 1..N
    --gradescope-json PATH results.json in Gradescope's autograder format
    --xv6py-progress auto|on|off   the progress bar (auto: long runs on a terminal)

The budget is the machine's own max_instructions: a run stops itself, so no
signal or timer is needed to end a program that loops forever (DESIGN.md §4).

The plugin is loaded through the pytest11 entry point (`-p no:xv6py` turns it
off). Importing it costs next to nothing: the machine (and unicorn) is imported
by the fixtures, rich only when there is a table or a bar to draw.
"""

import os
import sys
import time

import pytest

__all__ = ["DEFAULT_BUDGET", "VISIBILITIES"]

# Instructions of virtual time per run -- user instructions and the kernel work
# charged for them (xv6py/vtime.py): about half a second of a runaway loop, and a
# few seconds at most of anything else.
DEFAULT_BUDGET = 50_000_000
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")   # Gradescope's
MACHINE_FIXTURES = ("xv6_machine", "xv6_make", "xv6_run", "xv6_syscaller")

_SEED = pytest.StashKey[int]()          # on an item: the seed of the current rerun


# ---- options and markers -----------------------------------------------------------------

def _count(text: str) -> int:
    """A count written as 50000000, 50_000_000, 50,000,000 or 5e7."""
    text = text.replace("_", "").replace(",", "")
    try:
        value = int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise
        value = int(number)
    if value < 0:
        raise ValueError("a count cannot be negative")
    return value


def pytest_addoption(parser) -> None:
    g = parser.getgroup("xv6py", "xv6py machines, points and grading")
    g.addoption("--xv6py-budget", type=_count, default=DEFAULT_BUDGET, metavar="N",
                help=f"instructions each run may use, unless a budget marker says "
                f"(default {DEFAULT_BUDGET:,})")
    g.addoption("--xv6py-quantum", type=_count, default=None, metavar="N",
                help="user instructions per timer tick on the test machines (default: the kernel's)")
    g.addoption("--xv6py-seed", type=int, default=None, metavar="S",
                help="scheduling seed of the test machines (default: none, fixed quanta)")
    g.addoption("--xv6py-seeds", type=int, default=0, metavar="N",
                help="also run each test that uses a machine under seeds 1..N; report the first that fails")
    g.addoption("--xv6py-check", action="store_true",
                help="check the kernel's invariants after every trap on every machine the tests "
                "make (XV6PY_CHECK=1; about twice as slow)")
    g.addoption("--gradescope-json", default=None, metavar="PATH",
                help="write the results in Gradescope's autograder format (results.json) to PATH")
    g.addoption("--gradescope-visibility", choices=VISIBILITIES, default=None,
                help="top-level visibility of the results on Gradescope")
    g.addoption("--gradescope-stdout-visibility", choices=VISIBILITIES, default=None,
                help="visibility of the autograder's stdout on Gradescope")
    g.addoption("--xv6py-progress", choices=("auto", "on", "off"), default="auto",
                help="progress bar below pytest's line: auto (long runs on a terminal), on, off")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "points(n, visibility='visible'): n points if the test passes "
                            "(visibility: " + ", ".join(VISIBILITIES) + ")")
    config.addinivalue_line("markers", "budget(n): instructions each run of an xv6py machine in "
                            "the test may use")
    config.pluginmanager.register(Session(config), "xv6py-session")
    if config.getoption("xv6py_check", False):
        os.environ["XV6PY_CHECK"] = "1"     # every Machine() made from here on (machine.py)


def _budget(item) -> int:
    """The instruction budget of each run in this test: its marker, or the option."""
    marker = item.get_closest_marker("budget")
    if marker is None:
        return item.config.getoption("xv6py_budget")
    n = marker.args[0] if len(marker.args) == 1 else None
    if isinstance(n, float) and n.is_integer():
        n = int(n)                          # budget(1e6)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise pytest.UsageError(f"{item.nodeid}: the budget marker takes one positive count, "
                                f"not {marker.args}")
    return n


def _points(item) -> tuple[float, str] | None:
    """(points, visibility) from the test's points marker, or None."""
    marker = item.get_closest_marker("points")
    if marker is None:
        return None
    n = marker.args[0] if len(marker.args) == 1 else None
    vis = marker.kwargs.get("visibility", "visible")
    if isinstance(n, bool) or not isinstance(n, (int, float)) or n < 0 or set(marker.kwargs) - {"visibility"}:
        raise pytest.UsageError(f"{item.nodeid}: use @pytest.mark.points(n, visibility=...) "
                                f"with a number n >= 0, not {marker.args} {marker.kwargs}")
    if vis not in VISIBILITIES:
        raise pytest.UsageError(f"{item.nodeid}: points visibility {vis!r} is not one of {VISIBILITIES}")
    return n, vis


# ---- fixtures ----------------------------------------------------------------------------

# Where a test's machines come from, when not from Machine: a grader's worker
# puts here a factory of machines in a kernel process (grading/remote.py).
MACHINE_FACTORY = pytest.StashKey()


@pytest.fixture
def xv6_make(request):
    """xv6_make(**options) -> a freshly booted machine for this test, with its budget,
    seed and quantum unless options say otherwise (a small one: phystop=...)."""
    cfg = request.config
    defaults = {"seed": request.node.stash.get(_SEED, cfg.getoption("xv6py_seed")),
                "max_instructions": _budget(request.node)}
    if cfg.getoption("xv6py_quantum") is not None:
        defaults["quantum"] = cfg.getoption("xv6py_quantum")

    def make(**options):
        factory = cfg.stash.get(MACHINE_FACTORY, None)
        if factory is None:
            from ..machine import Machine
            factory = Machine
        return factory(**{**defaults, **options})
    return make


@pytest.fixture
def xv6_machine(xv6_make):
    """A freshly booted xv6py Machine for this test."""
    return xv6_make()


@pytest.fixture
def xv6_run(xv6_machine):
    """xv6_run(prog, *args, stdin=None) -> RunResult: run prog on this test's machine.
    stdin (str or bytes) is this run's console input; None: no input (a read
    returns 0). Each run starts on a freshly booted kernel. The test
    fails if the run exhausts its instruction budget or the kernel panics."""
    from .runs import run_with_stdin, trouble

    def run(prog, *args, stdin=None):
        r = run_with_stdin(xv6_machine, prog, args, stdin=stdin)
        problem = trouble(r, xv6_machine.max_instructions)
        if problem is not None:
            pytest.fail(problem, pytrace=False)
        return r
    return run


@pytest.fixture
def xv6_syscaller(xv6_machine):
    """A kcall.Syscaller on this test's machine: spawn processes, make system calls."""
    from .kcall import syscaller
    return syscaller(xv6_machine)


# ---- the session: collection, reruns under seeds, results ----------------------------------

def _uses_machine(item) -> bool:
    return any(name in MACHINE_FIXTURES for name in getattr(item, "fixturenames", ()))


class Session:
    """What one pytest run collected and how each test ended. Registered as a plugin
    of that run, so that its hooks see this run's state (pytester nests runs)."""

    def __init__(self, config):
        self.config = config
        self.start = time.time()
        self.items: list = []                                  # the tests to run, in order
        self.points: dict[str, tuple[float, str]] = {}         # nodeid -> (points, visibility)
        self.results: dict[str, tuple[str, str]] = {}          # nodeid -> (outcome, message)
        self.seed_failures: dict[str, tuple[int, str]] = {}    # nodeid -> (seed, command)
        self.seeded: set[str] = set()                          # tests rerun under seeds
        self.collect_errors: list[str] = []
        self.durations: dict[str, float] = {}                  # nodeid -> seconds, all phases
        self.progress = None                                   # the progress bar, if drawn
        self.recording = True                                  # keep each test's outcome?

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            from .report import short_message
            self.collect_errors.append(f"{report.nodeid or 'collection'}: {short_message(report)}")

    def pytest_collection_finish(self, session) -> None:
        self.items = list(session.items)
        for item in session.items:
            _budget(item)                  # a bad budget marker is a usage error now, not later
            pts = _points(item)
            if pts is not None:
                self.points[item.nodeid] = pts
        seeds = self.config.getoption("xv6py_seeds")
        # A run with no points, no results.json and no seeds records nothing.
        self.recording = bool(self.points or seeds or self.config.getoption("gradescope_json"))
        mode = self.config.getoption("xv6py_progress")
        if mode == "on" or mode == "auto" and sys.stdout.isatty():
            from .progress import maybe_progress
            runs = sum(1 + seeds * _uses_machine(item) for item in self.items)
            self.progress = maybe_progress(self.config, runs)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        seeds = self.config.getoption("xv6py_seeds")
        if seeds <= 0 or not _uses_machine(item):
            return None
        self.seeded.add(item.nodeid)
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for rep in self._run_seeds(item, nextitem, seeds):
            item.ihook.pytest_runtest_logreport(report=rep)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def _run_seeds(self, item, nextitem, seeds: int) -> list:
        """Run the test as usual, then under seeds 1..N until one fails. Returns the
        reports to show: the failing seed's run, or the usual run. Every run gets
        fresh function-scoped fixtures (so a fresh machine with that seed).
        runtestprotocol is pytest's own run of one item; pytest-rerunfailures uses it too."""
        from _pytest.runner import runtestprotocol
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        if not all(r.passed for r in reports):
            if self.progress is not None:
                self.progress.skip(seeds)
            return reports                             # the usual run failed, or skipped
        for seed in range(1, seeds + 1):
            if self.progress is not None:
                self.progress.step(f"{item.name}: seed {seed}/{seeds}")
            item.stash[_SEED] = seed
            again = runtestprotocol(item, nextitem=nextitem, log=False)
            del item.stash[_SEED]
            if any(r.failed for r in again):
                command = repro_command(item, seed)
                self.seed_failures[item.nodeid] = (seed, command)
                _annotate(again, seed, command)
                if self.progress is not None:
                    self.progress.skip(seeds - seed)
                return again
        return reports

    def pytest_runtest_logreport(self, report) -> None:
        """Fold one phase's report into the test's outcome: the first failure wins."""
        if not self.recording:
            return
        from .report import outcome_of
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        old = self.results.get(report.nodeid)
        new = outcome_of(report, self.seed_failures.get(report.nodeid))
        if new is not None and (old is None or old[0] == "passed"):
            self.results[report.nodeid] = new

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        if self.progress is not None:
            self.progress.close()
        path = self.config.getoption("gradescope_json")
        if path:
            from .report import write_gradescope
            write_gradescope(self, path, time.time() - self.start)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.points or self.seed_failures:
            from .report import terminal_summary
            terminal_summary(self, terminalreporter)


def _annotate(reports, seed: int, command: str) -> None:
    """Say, in each failed report of a seeded run, which seed and how to rerun it."""
    passed = " and seeds 1..%d" % (seed - 1) if seed > 1 else ""
    text = (f"fails under --xv6py-seed {seed} (passed with the usual scheduling{passed})\n"
            f"reproduce with: {command}")
    for rep in reports:
        if rep.failed:
            rep.sections.append(("xv6py seed", text))


def repro_command(item, seed: int) -> str:
    """The one-line command that runs just this test under this seed, from where
    pytest was started, with the machine options this run used."""
    cfg = item.config
    path = os.path.relpath(item.path, cfg.invocation_params.dir)
    target = path + ("::" + item.nodeid.split("::", 1)[1] if "::" in item.nodeid else "")
    parts = ["python", "-m", "pytest", "'" + target.replace("'", "'\"'\"'") + "'",
             "--xv6py-seed", str(seed)]
    if cfg.getoption("xv6py_quantum") is not None:
        parts += ["--xv6py-quantum", str(cfg.getoption("xv6py_quantum"))]
    if cfg.getoption("xv6py_budget") != DEFAULT_BUDGET:
        parts += ["--xv6py-budget", str(cfg.getoption("xv6py_budget"))]
    return " ".join(parts)
