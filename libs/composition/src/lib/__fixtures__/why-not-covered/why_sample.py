"""A module whose uncovered code has one known reason each (the report's "why not covered")."""
import sys

LOG = "/nonexistent-test-agent-why/log.txt"


def clamp(n: int) -> int:
    if n > 10:
        n = 10
    if n > 10:
        raise AssertionError("still too big")
    return n


def spin(n: int) -> int:
    if n > 0:
        while n != 0:
            n += 1
    return n


def log(message: str) -> int:
    with open(LOG, "a") as fh:
        fh.write(message)
    return len(message)


def stop(code: int) -> None:
    sys.exit(code)
    print("not reached")


if __name__ == "__main__":
    print(clamp(int(sys.argv[1])))
