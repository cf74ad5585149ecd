"""A module for the mutant generator's spec: one site of each kind, and what is never mutated."""

__all__ = ["clamp", "describe"]
LIMIT: int = 10


def clamp(value, low=0, high=2.5):
    if value < low:
        return low
    elif not value <= high:
        return high
    return value


def describe(items, flag=True):
    total = 0
    while total is not None and total in items:
        total += 1
    label = "many" if len(items) > 1 else b''
    return label * 2  # pragma: no mutate
