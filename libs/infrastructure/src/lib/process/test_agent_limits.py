"""Sets resource limits, then replaces itself with the command after ``--`` (same process, same group).

Usage: python test_agent_limits.py CPU_SECONDS ADDRESS_SPACE_BYTES FILE_SIZE_BYTES -- COMMAND...

* RLIMIT_CPU: CPU seconds of the process (SIGXCPU past the soft limit, SIGKILL past soft + 5 s);
* RLIMIT_AS: address space in bytes (allocations past it raise MemoryError); 0 leaves it unlimited;
* RLIMIT_FSIZE: largest file the process may write, in bytes (SIGXFSZ past it); 0 leaves it unlimited;
* RLIMIT_CORE: 0, so a crashing test leaves no core file behind.

Limits can only be lowered: a value above the current hard limit is clamped to it, and the hard limit is set
to the soft one (CPU: soft + 5 s), so the process cannot lift them again.
"""

import os
import resource
import sys


def _limit(kind, soft):
    """Sets the soft limit and lowers the hard one too, so the code under test cannot raise the limit again
    (CPU keeps 5 s between them: SIGXCPU at the soft limit, SIGKILL at the hard one)."""
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    new_hard = soft + 5 if kind == resource.RLIMIT_CPU else soft
    if hard != resource.RLIM_INFINITY:
        new_hard = min(new_hard, hard)
    resource.setrlimit(kind, (soft, new_hard))


def main(argv):
    if len(argv) < 5 or argv[3] != "--":
        sys.stderr.write("usage: test_agent_limits.py CPU_SECONDS AS_BYTES FSIZE_BYTES -- COMMAND...\n")
        return 2
    cpu, address_space, file_size = (int(v) for v in argv[:3])
    command = argv[4:]
    if cpu > 0:
        _limit(resource.RLIMIT_CPU, cpu)
    if address_space > 0:
        _limit(resource.RLIMIT_AS, address_space)
    if file_size > 0:
        _limit(resource.RLIMIT_FSIZE, file_size)
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    os.execv(command[0], command)
    return 127  # not reached: execv replaces the process or raises


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
