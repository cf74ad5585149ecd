"""Test Agent's executor worker, the script the adapter (``python-worker-execution-sandbox.adapter.ts``) starts:
it runs the request loop of the ``test_agent_worker`` package beside it (see that package for the protocol).

The package is found through this script's own folder, put first on ``sys.path`` here, so it is found however
the interpreter was started (``-I``/``-P`` leave the script's folder out; Test Agent's tooling shim runs scripts
with ``runpy``).
"""

import os
import sys

_HERE = os.path.dirname(os.path.realpath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from test_agent_worker.protocol import main  # noqa: E402 - needs the folder on sys.path

if __name__ == "__main__":
    main()
