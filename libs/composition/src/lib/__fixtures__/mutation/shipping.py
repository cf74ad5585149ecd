"""Shipping costs: the module of the mutation spec (16 mutants, every line covered by both suites)."""


def shipping_cost(weight, express=False):
    if weight <= 0:
        raise ValueError("weight must be positive")
    cost = 5 + weight * 2
    if express:
        cost = cost * 2
    return cost
