"""A module whose interface and calls give every kind of protocol message field (``protocol-messages.json``)."""

import enum
import os
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Dict, List, Literal, Optional, Tuple, Union

VERSION_RE = re.compile(r"^v(\d+)\.(\d+)$")
LIMIT = 10
GREETING = "hello"
MAGIC = b"\x89PNG"

try:
    from binascii import crc32
except ImportError:
    crc32 = None

try:
    # Blocked by the worker's guard (and the folder does not exist): reported as an import effect.
    open("/nonexistent-test-agent-probe/protocol.txt", "w")
except OSError:
    pass


class Shade(enum.Enum):
    LIGHT = 1
    DARK = 2


class Refused(Exception):
    pass


@dataclass
class Pair:
    left: int
    right: int = 0


class Counter:
    """Counts up."""

    def __init__(self, start: int = 0):
        self.count = start
        self.label = "counter"

    def bump(self, by: int = 1) -> int:
        self.count += by
        return self.count

    @staticmethod
    def zero() -> int:
        return 0

    @classmethod
    def fresh(cls) -> "Counter":
        return cls()

    @property
    def doubled(self) -> int:
        return self.count * 2

    def __iter__(self):
        return iter(range(self.count))


class Tally(Counter):
    pass


class Stubborn(list):
    def __len__(self):
        raise RuntimeError("no length")


def describe(
    size: int,
    ratio: float,
    name: str,
    flag: bool,
    data: bytes,
    items: List[int],
    table: Dict[str, float],
    pair: Tuple[int, str],
    many: Tuple[int, ...],
    either: Union[int, str],
    mode: Literal["fast", "slow"],
    shade: Shade,
    counter: Counter,
    callback: Callable[[int], int],
    amount: Decimal,
    nothing: None = None,
    maybe: Optional[int] = None,
    *rest,
    strict: bool = False,
    **options,
) -> str:
    """Sums up its arguments.

    >>> describe(1, 0.5, 'a', True, b'x', [1], {}, (1, 'a'), (1,), 1, 'fast', Shade.LIGHT, Counter(), abs, Decimal(1))
    'a:1'
    """
    if size > LIMIT and ratio < 0.5:
        return name * 2
    return f"{name}:{size}"


def version(text, /):
    match = VERSION_RE.match(text)
    if match is None:
        raise ValueError(f"not a version: {text!r}")
    return int(match.group(1)), int(match.group(2))


def version_parts(match):
    major, minor = match.groups()
    return int(major), int(minor)


def named_part(match):
    return match.group("major")


def evens(limit: int):
    for i in range(limit):
        if i % 2 == 0:
            yield i


def scale(values, factor=2.5):
    return [v * factor for v in values]


def shout(word: str) -> str:
    print(word.upper())
    return word.upper() + "!"


def spin():
    while True:
        pass


def save(name, text):
    with open(name, "w") as fh:
        fh.write(text)
    return len(text)


def home():
    return os.environ.get("HOME", "")


def stubborn():
    return Stubborn([1, 2])


async def later():
    return 1


def tally(stream, totals):
    for line in stream.readlines():
        totals[line.strip()] = totals.get("seen", 0) + 1
    return totals["seen"]


def tag(items: list, label: str = "seen") -> None:
    """Changes its argument in place (the reply's ``changedArgs``)."""
    items.append(label)


def report(rows: int) -> str:
    """A text too long to write out in a test (the reply's value ``summary``)."""
    return "\n".join(f"row {i}" for i in range(rows))


def checksum(data: bytes) -> int:
    """Runs its own code where ``crc32`` is missing (the interface's ``optionalImports``, a plan's ``patches``)."""
    if crc32 is not None:
        return crc32(data)
    return sum(data) % 256


def program():
    """The command line it was run with (the interface's ``argvReaders``, a plan's ``argv``)."""
    return sys.argv[1:]
