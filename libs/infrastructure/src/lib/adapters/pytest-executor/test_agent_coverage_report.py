"""Combines the coverage.py data of one executor run and reports exactly one target file, as JSON on stdout.

Usage: python test_agent_coverage_report.py RCFILE DATA_FILE TARGET PER_TEST

Output: {"file": ..., "measured": bool, "whole": FILE, "contexts": {context: FILE}} where FILE is
{"executed_lines", "missing_lines", "excluded_lines", "executed_branches", "missing_branches", "summary"} taken
from coverage.py's own JSON report, so the figures are exactly coverage.py's. With PER_TEST = 1, "contexts" holds
the coverage of every non-empty dynamic context (one per test node id, set by the executor's pytest plugin). The target is matched by its
resolved full path (never by base name); a target that coverage.py cannot parse gives {"error": ...}.
"""

import json
import os
import re
import sys
import tempfile

import coverage
from coverage.exceptions import CoverageException, NoSource, NotPython


def _report(cov, target, contexts, workdir):
    out = os.path.join(workdir, "report.json")
    cov.json_report(morfs=[target], outfile=out, contexts=contexts, show_contexts=False)
    with open(out, encoding="utf-8") as handle:
        files = json.load(handle)["files"]
    for name, data in files.items():
        if os.path.realpath(os.path.abspath(name)) == target:
            return {key: data[key] for key in (
                "executed_lines", "missing_lines", "excluded_lines", "executed_branches", "missing_branches", "summary",
            )}
    raise LookupError("coverage.py reported %d file(s), none of them %s" % (len(files), target))


def _from_analysis(analysis):
    """The fields of `_report` from an Analysis, computed the way coverage.py's JSON reporter does."""
    def pairs(branch_arcs):
        return [[source, target] for source, targets in branch_arcs.items() for target in targets]

    return {
        "executed_lines": sorted(analysis.executed),
        "missing_lines": sorted(analysis.missing),
        "excluded_lines": sorted(analysis.excluded),
        "executed_branches": pairs(analysis.executed_branch_arcs()),
        "missing_branches": pairs(analysis.missing_branch_arcs()),
    }


def _same(fast, slow):
    keys = ("executed_lines", "missing_lines", "executed_branches", "missing_branches")
    return all(sorted(map(tuple, fast[k])) == sorted(map(tuple, slow[k])) for k in keys[2:]) and all(
        fast[k] == slow[k] for k in keys[:2]
    )


def _per_context(cov, target, contexts, whole, workdir):
    """Coverage per dynamic context. The JSON report parses the source again for every context (about 45 ms for
    a 1,000-line module); the fast path analyses with one file reporter and query contexts, and is used only
    when it reproduces the whole-run report exactly."""
    try:
        reporter = cov._get_file_reporter(target)  # coverage.py 7.16 (pinned): private, hence the check below
        data = cov.get_data()
        data.set_query_contexts(None)
        if not _same(_from_analysis(cov._analyze(target, file_reporter=reporter)), whole):
            raise LookupError("fast path disagrees with the JSON report")
        out = {}
        for context in contexts:
            data.set_query_contexts(["^" + re.escape(context) + "$"])
            out[context] = _from_analysis(cov._analyze(target, file_reporter=reporter))
        data.set_query_contexts(None)
        return out
    except (AttributeError, TypeError, LookupError) as exc:
        sys.stderr.write("per-test coverage: slow path (%s)\n" % exc)
        return {c: _report(cov, target, ["^" + re.escape(c) + "$"], workdir) for c in contexts}


def main(argv):
    rcfile, data_file, target = argv[0], argv[1], os.path.realpath(argv[2])
    per_test = argv[3] == "1"
    cov = coverage.Coverage(data_file=data_file, config_file=rcfile)
    data_dir = os.path.dirname(data_file)
    if any(name.startswith(os.path.basename(data_file) + ".") for name in os.listdir(data_dir)):
        cov.combine(data_paths=[data_dir], strict=False, keep=False)
        cov.save()
    cov.load()
    data = cov.get_data()
    if not data.measured_files() and not data.has_arcs():
        # Nothing was measured (the module was never imported): an empty data file does not know it is about
        # branches, and the report would leave them out. Declare branch data so missing arcs are reported.
        data.add_arcs({})
    contexts = sorted(c for c in data.measured_contexts() if c) if per_test else []
    measured = [f for f in data.measured_files() if os.path.realpath(f) == target]
    result = {"file": target, "measured": bool(measured), "contexts": {}}
    with tempfile.TemporaryDirectory() as workdir:
        try:
            result["whole"] = _report(cov, target, None, workdir)
            result["contexts"] = _per_context(cov, target, contexts, result["whole"], workdir)
        except (NotPython, NoSource) as exc:
            result = {"file": target, "error": str(exc)}
        except CoverageException as exc:
            result = {"file": target, "error": "coverage.py: %s" % exc}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
