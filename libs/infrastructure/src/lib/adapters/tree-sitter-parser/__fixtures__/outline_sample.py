"""Sample module for the outline tests."""

import os
import os.path as osp, sys
from collections import (
    OrderedDict,
    defaultdict as dd,
)
from . import sibling
from ..pkg.sub import thing as other
from .models import *

try:
    import ujson as json
except ImportError:  # pragma: no cover
    import json

if sys.version_info >= (3, 11):
    from tomllib import loads
else:
    loads = None

LIMIT = 10
NAMES, COUNT = ("a", "b"), 2


def plain(x):
    return x + LIMIT


async def fetch(url, *, retries=3):
    await other(url)
    return json.loads(url)


# a comment that belongs to the decorated function
@staticmethod
@dd(
    list,
)
def decorated(a, b):
    return OrderedDict(a=a, b=plain(b))


class Base:
    """A base class."""

    kind = "base"
    registry: dict = {}

    def __init__(self, name, size=LIMIT):
        self.name = name
        self.size = size

    @property
    def label(self):
        return f"{self.name}:{self.size}"

    async def refresh(self):
        return await fetch(self.name)

    class Meta:
        ordering = ["name"]

        def describe(self):
            return NAMES


class Child(Base, metaclass=type):
    def label(self):
        return "child " + super().label


def main():
    print(Child("x").label, osp.sep, os.getcwd())


if __name__ == "__main__":
    main()
