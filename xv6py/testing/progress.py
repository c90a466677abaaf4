"""A progress bar for long pytest runs, drawn on the terminal line just below the
one pytest is writing, so that pytest's own output stays exactly as it would be.

Every time pytest is about to write (a test starts, reports, finishes), the bar
is erased; once pytest has written, it is drawn again below the current line and
the cursor goes back to where pytest left it. Only relative cursor moves are used
(down, up, to a column), so a terminal that scrolls keeps it in place. The bar is
drawn from the hooks of the run -- there is no thread writing behind pytest's back.

Shown (option --xv6py-progress auto) when standard output is a terminal, output
is captured (no -s), no live logging or --setup-show writes during tests, and
the run has lasted AUTO_DELAY seconds: short runs never see it. "on" draws it
from the start wherever output goes; "off" never.
"""

import io
import os
import sys
import time

import pytest

__all__ = ["ProgressBar", "maybe_progress", "AUTO_DELAY"]

AUTO_DELAY = 2.0        # seconds before a run counts as long
RENDER_EVERY = 0.1      # seconds between two renderings (the same line is redrawn in between)

UP, DOWN, ERASE_LINE = "\x1b[1A", "\x1b[1B", "\x1b[2K"


def _column(n: int) -> str:
    return f"\x1b[{n + 1}G"         # CHA counts columns from 1


def maybe_progress(config, runs: int) -> "ProgressBar | None":
    """The progress bar for this run, registered as a plugin, or None."""
    mode = config.getoption("xv6py_progress")
    if mode == "off" or runs == 0 or config.pluginmanager.get_plugin("terminalreporter") is None:
        return None
    if mode == "auto" and not _terminal_allows(config):
        return None
    bar = ProgressBar(config.get_terminal_writer(), runs, 0.0 if mode == "on" else AUTO_DELAY)
    config.pluginmanager.register(bar, "xv6py-progress")
    return bar


def _terminal_allows(config) -> bool:
    """Is pytest writing to a terminal, and nothing else writing during tests?"""
    return (sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
            and config.getoption("capture") != "no"
            and not config.getoption("setupshow", False)
            and not (config.getini("log_cli") or config.getoption("log_cli_level", None)))


class ProgressBar:
    """The bar: runs done out of runs planned (a test under --xv6py-seeds N counts
    N+1), the time so far, and what runs now."""

    def __init__(self, tw, total: int, delay: float):
        self.tw = tw                 # pytest's terminal writer (tracks pytest's current line)
        self.total = total
        self.done = 0
        self.label = ""
        self.failed = 0              # failed phases so far: the bar turns red
        self.delay = delay
        self.start = time.monotonic()
        self.shown = False           # is the bar on the screen, on the line below pytest's?
        self.closed = False
        self._line, self._rendered = "", 0.0
        self._console = None

    # ---- what the plugin tells it --------------------------------------------------------

    def step(self, label: str) -> None:
        """One run is done; the next one is `label`."""
        self.done += 1
        self.label = label
        self.redraw()

    def skip(self, n: int) -> None:
        """n planned runs will not happen (a seed failed, so the rest are not tried)."""
        self.done += n

    def close(self) -> None:
        self.erase()
        self.closed = True

    # ---- pytest's writes: erase before, draw after ---------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_logstart(self, nodeid, location):
        self.erase()
        yield
        self.label = nodeid
        self.draw()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_logreport(self, report):
        self.erase()
        yield
        self.failed += report.failed
        self.draw()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_logfinish(self, nodeid, location):
        self.erase()
        yield
        self.done += 1
        self.draw()

    @pytest.hookimpl(tryfirst=True)
    def pytest_keyboard_interrupt(self, excinfo):
        self.close()

    @pytest.hookimpl(tryfirst=True)
    def pytest_exception_interact(self, node, call, report):
        self.erase()                 # a debugger is about to talk to the user

    # ---- the screen ----------------------------------------------------------------------

    def redraw(self) -> None:
        self.erase()
        self.draw()

    def draw(self) -> None:
        """Draw the bar on the line below pytest's and put the cursor back."""
        if self.closed or time.monotonic() - self.start < self.delay:
            return
        col, width = self.tw.width_of_current_line, self.tw.fullwidth - 1
        if col >= width:
            return
        # A newline moves to the line below, or makes one by scrolling at the bottom.
        self.tw.write_raw("\n" + _column(0) + ERASE_LINE + self._render(width) + UP + _column(col),
                          flush=True)
        self.shown = True

    def erase(self) -> None:
        if self.shown:
            col = self.tw.width_of_current_line
            self.tw.write_raw(DOWN + ERASE_LINE + UP + _column(col), flush=True)
            self.shown = False

    def _render(self, width: int) -> str:
        """The bar as one line of at most width columns (rendered with rich)."""
        now = time.monotonic()
        if self._line and now - self._rendered < RENDER_EVERY:
            return self._line
        from rich.console import Console
        from rich.progress_bar import ProgressBar as Bar
        from rich.table import Table
        from rich.text import Text
        if self._console is None:
            markup = self.tw.hasmarkup
            self._console = Console(file=io.StringIO(), width=width, force_terminal=markup,
                                    no_color=not markup, color_system="standard" if markup else None,
                                    highlight=False, emoji=False)
        grid = Table.grid(padding=(0, 1))
        colour = "red" if self.failed else "green"
        bar = Bar(total=self.total, completed=min(self.done, self.total), width=24,
                  complete_style=colour, finished_style=colour)
        grid.add_row(bar, f"{self.done}/{self.total}", _clock(now - self.start),
                     Text(self.label, no_wrap=True, overflow="ellipsis"))
        with self._console.capture() as cap:
            self._console.print(grid, end="", crop=True)
        self._line, self._rendered = cap.get().split("\n", 1)[0], now
        return self._line


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"
