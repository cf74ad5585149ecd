"""Values of this machine's environment (variables, HOME, the scratch folder), and the filter that keeps them out of
results, so no test pins them."""

import os


LAUNCHER_VARIABLES = frozenset({"PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE", "PYTHONIOENCODING", "NO_COLOR"})
PLAIN_WORDS = frozenset({"true", "false", "none", "null", "yes"})


def machine_values(cwd):
    """Texts that tell this machine and this run apart: the environment's values (4 characters or more; not the
    variables the launcher sets itself, not plain numbers or booleans), each folder of a path list, the scratch
    folder, HOME and TMPDIR (real paths too). A result that shows one of them would not hold elsewhere."""
    found = set()

    def add(value):
        if value and len(value) >= 4 and not value.isdigit() and value.lower() not in PLAIN_WORDS:
            found.add(value)

    for name, value in os.environ.items():
        if name in LAUNCHER_VARIABLES:
            continue
        add(value)
        if os.pathsep in value:
            for part in value.split(os.pathsep):
                if part.startswith(os.sep):
                    add(part)
    for folder in (cwd, os.environ.get("HOME"), os.environ.get("TMPDIR")):
        if folder:
            add(folder)
            add(os.path.realpath(folder))
    return sorted(found, key=len, reverse=True)


def filter_machine_values(result, values):
    """Removes what shows one of `values`: an attribute alone when only it does (a calendar's ``locale`` holding
    ``LANG``), else the value, output and message with ``machineDependent`` set; the types stay assertable."""
    shows = lambda text: bool(text) and any(v in text for v in values)  # noqa: E731
    if "receiverAttrs" in result:
        result["receiverAttrs"] = [a for a in result["receiverAttrs"] if not shows(a["expr"])]
    if "changedArgs" in result:
        result["changedArgs"] = [a for a in result["changedArgs"] if not shows(a["expr"])]
    value = result.get("value")
    if value:
        value = {**value, "attrs": [a for a in value.get("attrs", []) if not shows(a["expr"])],
                 "parts": [p for p in value.get("parts", []) if not shows(p)]}
        result["value"] = value
    exception = result.get("exception")
    whole = [result.get("stdout") or "", (exception or {}).get("message") or ""]
    if value:
        whole += [value.get("repr") or "", value.get("expr") or "", value.get("canon") or "", str(value.get("summary") or "")]
    if not any(shows(t) for t in whole):
        return
    result["machineDependent"] = True
    if value:
        result["value"] = {**value, "repr": "", "expr": None, "canon": "<machine-dependent>", "float": False,
                           "approx": False, "nan": False, "len": None, "attrs": [], "parts": [], "summary": None}
    if "receiverAttrs" in result:
        result["receiverAttrs"] = []
    if "changedArgs" in result:
        result["changedArgs"] = []
    if exception:
        result["exception"] = {**exception, "message": ""}
    result["stdout"] = ""
