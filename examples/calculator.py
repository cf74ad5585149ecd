"""A calculator for arithmetic expressions in reverse Polish notation, with error paths."""

import math
from typing import List, Union

Number = Union[int, float]


class CalculatorError(Exception):
    """Raised for malformed expressions and invalid operations."""


def add(a: Number, b: Number) -> Number:
    return a + b


def divide(a: Number, b: Number) -> float:
    if b == 0:
        raise CalculatorError("division by zero")
    return a / b


def power(base: Number, exponent: int) -> Number:
    if exponent < 0 and base == 0:
        raise CalculatorError("zero cannot be raised to a negative power")
    return base**exponent


def square_root(x: Number) -> float:
    if x < 0:
        raise CalculatorError("square root of a negative number")
    return math.sqrt(x)


def factorial(n: int) -> int:
    """Returns n!.

    >>> factorial(5)
    120
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise CalculatorError("factorial needs an integer")
    if n < 0:
        raise CalculatorError("factorial of a negative number")
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result


def tokenize(expression: str) -> List[str]:
    tokens = expression.split()
    if not tokens:
        raise CalculatorError("empty expression")
    return tokens


def evaluate_rpn(expression: str) -> Number:
    """Evaluates an RPN expression such as "3 4 + 2 *".

    >>> evaluate_rpn("3 4 + 2 *")
    14
    """
    stack: List[Number] = []
    for token in tokenize(expression):
        if token in ("+", "-", "*", "/", "^"):
            if len(stack) < 2:
                raise CalculatorError(f"not enough operands for {token}")
            b = stack.pop()
            a = stack.pop()
            if token == "+":
                stack.append(add(a, b))
            elif token == "-":
                stack.append(a - b)
            elif token == "*":
                stack.append(a * b)
            elif token == "/":
                stack.append(divide(a, b))
            else:
                stack.append(power(a, int(b)))
        elif token == "sqrt":
            if not stack:
                raise CalculatorError("not enough operands for sqrt")
            stack.append(square_root(stack.pop()))
        else:
            try:
                stack.append(int(token))
            except ValueError:
                try:
                    stack.append(float(token))
                except ValueError:
                    raise CalculatorError(f"unknown token {token!r}") from None
    if len(stack) != 1:
        raise CalculatorError("malformed expression")
    return stack[0]


class Memory:
    """A calculator memory register."""

    def __init__(self) -> None:
        self.value: Number = 0
        self.history: List[Number] = []

    def store(self, value: Number) -> None:
        self.history.append(self.value)
        self.value = value

    def recall(self) -> Number:
        return self.value

    def undo(self) -> Number:
        if not self.history:
            raise CalculatorError("nothing to undo")
        self.value = self.history.pop()
        return self.value

    def clear(self) -> None:
        self.value = 0
        self.history.clear()
