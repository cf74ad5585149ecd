"""Finds the rootdir and the configuration file pytest would use for some test paths, with pytest's own code.

Usage: python test_agent_pytest_setup.py INVOCATION_DIR PATH...

Output (JSON on stdout): {"rootdir": ..., "inifile": ... or null}, or {"error": ...} when pytest rejects the
configuration (invalid TOML, a [pytest] section in setup.cfg). INVOCATION_DIR stands for the folder pytest is
started in; it only matters when no configuration file and no setup.py is found above the test paths.
"""

import json
import sys
from pathlib import Path


def main(argv):
    invocation_dir = Path(argv[0])
    args = argv[1:]
    try:
        from _pytest.config.findpaths import determine_setup  # pytest 9.1 (pinned): private, hence the fallback

        try:
            rootdir, inipath = determine_setup(
                inifile=None, override_ini=None, args=args, rootdir_cmd_arg=None, invocation_dir=invocation_dir
            )[:2]
        except TypeError:  # another signature: the documented algorithm, config files only
            from _pytest.config.findpaths import get_common_ancestor, locate_config

            ancestor = get_common_ancestor(invocation_dir, [Path(a) for a in args])
            rootdir, inipath = locate_config(invocation_dir, [ancestor])[:2]
            rootdir = rootdir or ancestor
    except Exception as exc:  # UsageError, pytest's `fail` (an outcome, not an Exception subclass, is below)
        sys.stdout.write(json.dumps({"error": "%s: %s" % (type(exc).__name__, exc)}))
        return 0
    except BaseException as exc:  # _pytest.outcomes.Failed derives from BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        sys.stdout.write(json.dumps({"error": str(exc)}))
        return 0
    sys.stdout.write(json.dumps({"rootdir": str(rootdir), "inifile": str(inipath) if inipath else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
