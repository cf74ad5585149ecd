"""What a plan's code sees of the process: a stdin like pytest's captured one, captured stdout/stderr, and the time
limit (``CallTimeout`` raised from ``SIGALRM``)."""

import io


class CallTimeout(BaseException):
    """Raised inside a call that exceeded its time limit (a BaseException so user code cannot swallow it)."""


class NoStdin(io.TextIOBase):
    """Behaves like pytest's captured stdin, so outcomes match what the emitted tests will see."""

    def read(self, *args):
        raise OSError("pytest: reading from stdin while output is captured!  Consider using `-s`.")

    readline = read
    readlines = read

    def __iter__(self):
        return self

    def __next__(self):
        self.read()

    def fileno(self):
        raise io.UnsupportedOperation("redirected stdin is pseudofile, has no fileno()")

    def readable(self):
        return False

    @property
    def buffer(self):
        # pytest's stands for its own binary stream too: ``sys.stdin.buffer.read()`` fails the same way.
        return self


class CaptureIO(io.TextIOWrapper):
    """Like pytest's captured stdout/stderr: text over a byte buffer, so code writing to ``sys.stdout.buffer``
    behaves as it will under the emitted tests; ``getvalue`` decodes both kinds of writes."""

    def __init__(self):
        super().__init__(io.BytesIO(), encoding="UTF-8", newline="", write_through=True)

    def getvalue(self):
        return self.buffer.getvalue().decode("UTF-8", errors="replace")


def on_alarm(signum, frame):
    raise CallTimeout()
