"""A decoy with the same base name as the target: its coverage must never be reported for shop/pricing.py."""


def classify(n):
    return "legacy"


def helper():
    return 1
