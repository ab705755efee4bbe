"""``fake_terminal()``: stderr that claims to be a TTY, so progress bars draw into it.

A context manager rather than a fixture: pytest's output capture puts its own ``sys.stderr``
back after fixture setup, so the swap has to happen inside the test body.
"""
import contextlib
import io


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@contextlib.contextmanager
def fake_terminal():
    stream = FakeTerminal()
    with contextlib.redirect_stderr(stream):
        yield stream
