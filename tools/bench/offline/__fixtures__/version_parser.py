"""A version-string parser written for a spec: its only function matches a module-level compiled pattern and
branches on the groups, so only strings that match the pattern (and a few that almost do) cover it."""

import re

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:-(alpha|beta|rc)(\d+))?$")


def parse_version(text):
    match = _VERSION_RE.match(text)
    if match is None:
        raise ValueError(f"not a version: {text!r}")
    major, minor, patch, stage, number = match.groups()
    release = (int(major), int(minor), int(patch) if patch is not None else 0)
    if stage is None:
        return release + ("final", 0)
    if stage == "alpha":
        kind = "a"
    elif stage == "beta":
        kind = "b"
    else:
        kind = "rc"
    if int(number) == 0:
        raise ValueError("pre-release numbers start at 1")
    return release + (kind, int(number))
