"""Appends Test Agent's tooling folder (pytest, coverage.py, pytest-timeout) to ``sys.path`` after the
interpreter's own packages, so the project's own pytest and plugins win when it has them, then runs a module or a
script the way ``python -m NAME ...`` or ``python SCRIPT ...`` would.

Usage: python test_agent_tooling.py TOOLING_DIR (-m MODULE | SCRIPT) ARGS...
"""

import os
import runpy
import sys


def main(argv):
    if len(argv) < 2 or (argv[1] == "-m" and len(argv) < 3):
        sys.stderr.write("usage: test_agent_tooling.py TOOLING_DIR (-m MODULE | SCRIPT) ARGS...\n")
        return 2
    tooling, rest = argv[0], argv[1:]
    if tooling not in sys.path:
        sys.path.append(tooling)
    if rest[0] == "-m":
        sys.argv = [rest[1], *rest[2:]]
        sys.path[0] = os.getcwd()
        runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = rest
        sys.path[0] = os.path.dirname(os.path.abspath(rest[0]))
        runpy.run_path(rest[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
