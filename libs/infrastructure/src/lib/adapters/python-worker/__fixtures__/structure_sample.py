"""Each way a statement can be kept from running (the worker's ``structure``; the report's "why not covered")."""
import sys


def kind(value, strict=False):
    if isinstance(value, bytes):
        return "bytes"
    elif value is None:
        return "none"
    for ch in str(value):
        if ch == "x":
            break
    else:
        strict = True
    try:
        number = int(value)
    except ValueError:
        return "text"
    else:
        number += 1
    return "number" if strict else "other"


def stop(code):
    sys.exit(code)
    print("unreachable")


def outer(x):
    def helper(y):
        return y * 2

    return x + 1


def short(n): return n


class Box:
    size = 1

    def grow(self, by):
        while by > 0:
            by -= 1
            if by == 3: return by
        return by


if __name__ == "__main__":
    print(kind(sys.argv[1]))
