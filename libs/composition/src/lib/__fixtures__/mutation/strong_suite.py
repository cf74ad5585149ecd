# The same calls with exact values, the boundary and the message checked: every mutant is killed.
import pytest

from shipping import shipping_cost


def test_standard():
    assert shipping_cost(3) == 11


def test_express():
    assert shipping_cost(3, express=True) == 22


def test_smallest_weight():
    assert shipping_cost(1) == 7


def test_zero_weight_is_refused():
    with pytest.raises(ValueError, match="weight must be positive"):
        shipping_cost(0)
