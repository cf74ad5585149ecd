"""Test Agent's search worker: a long-lived process that imports one module under test and runs call plans.

``executor_worker.py`` beside this package is the script the adapter starts; its modules, in the order a request
meets them:
  protocol        JSON lines over private copies of fds 0/1, request checks, the request loop
  execution       ``Worker``: imports the module (``load``), runs plans and doctests (``execute``)
  streams         what a plan's code sees: pytest-like stdin/stdout, the time limit (``CallTimeout``)
  tracing         the arc tracer and coverage.py's static view of the file (coverage of each plan)
  inspection      the module's interface: callables, parameters, type hints, class fields, doctests
  literals        constants harvested from the source; ``raise``/``assert`` lines
  hints           parameter types suggested by how each function uses its parameters
  outside_inputs  what a call reads besides its arguments: optional imports (patched to fail), ``sys.argv``
  patterns        regular expressions the module matches input against, with ``regex_strings``' strings
  regex_strings   strings that match a pattern, and near misses, from its parse tree
  values          value descriptions: repr, a rebuilding expression, canonical text, attributes
  guard           the audit hook that blocks and records effects outside the scratch folder
  machine_values  values of this machine's environment, filtered out of results
  structure       where each statement sits (function, deciding condition, statement before, dead code), for the
                  report's "why not covered"

While the module is imported and while each plan or doctest runs, the guard blocks and records what the code does
outside the worker's scratch folder (its cwd, also HOME and TMPDIR): writes, deletes, network, processes,
signals. A result that shows a value of this machine's environment is reported without it (``machineDependent``),
so no test pins it.

Coverage is measured with a line/arc tracer (``sys.settrace``) restricted to the target file, recording arcs the
way coverage.py's Python tracer does, then translated with coverage.py's own static analysis of the file
(``PythonFileReporter``), so the statements, branch arcs and executed sets use coverage.py's numbering.
"""
