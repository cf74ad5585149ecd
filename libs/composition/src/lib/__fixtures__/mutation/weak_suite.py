# Covers every line of shipping.py but checks almost nothing: most mutants survive it.
from shipping import shipping_cost


def test_standard():
    assert shipping_cost(3) > 0


def test_express():
    assert shipping_cost(3, express=True) is not None


def test_zero_weight():
    try:
        shipping_cost(0)
    except ValueError:
        pass
