"""A module that, at import, ignores SIGALRM and tries to write outside the worker's folder (quietly)."""

import os
import signal

signal.signal(signal.SIGALRM, signal.SIG_IGN)

try:
    with open("/nonexistent-test-agent-probe/created.txt", "w", encoding="utf-8") as fh:
        fh.write("x")
except OSError:
    pass

# An existing folder: `makedirs(exist_ok=True)` does nothing, so nothing is reported.
os.makedirs(os.path.dirname(os.path.abspath(__file__)), exist_ok=True)


def spin():
    while True:
        pass


def double(n):
    return n * 2
