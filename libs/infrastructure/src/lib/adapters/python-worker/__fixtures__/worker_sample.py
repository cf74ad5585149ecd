"""A module exercising what the executor worker must handle."""

import enum
import os
from dataclasses import dataclass
from typing import List, Optional


class Color(enum.Enum):
    RED = 1
    GREEN = 2


@dataclass
class Point:
    x: int
    y: int = 0


def grade(score: int, strict: bool = False) -> str:
    """Letter grade.

    >>> grade(95)
    'A'
    """
    if score < 0:
        raise ValueError("negative score")
    if score >= 90:
        return "A"
    if strict and score < 60:
        return "F"
    return "B"


def evens(limit: int):
    for i in range(limit):
        if i % 2 == 0:
            yield i


def shout(words: List[str], sep: Optional[str] = None) -> None:
    print((sep or " ").join(w.upper() for w in words))


def spin():
    while True:
        pass


def die():
    os._exit(3)


def touch(name):
    with open(name, "w") as fh:
        fh.write("x")


class Account:
    def __init__(self, owner: str, balance: float = 0.0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount: float) -> float:
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount
        return self.balance
