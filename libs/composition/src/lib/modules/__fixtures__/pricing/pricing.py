"""Prices with discounts: a small module for the end-to-end generation test."""

from enum import Enum


class Tier(Enum):
    BASIC = "basic"
    GOLD = "gold"


class PricingError(Exception):
    pass


def discount_rate(tier: Tier, years: int) -> float:
    if years < 0:
        raise PricingError("years cannot be negative")
    rate = 0.1 if tier is Tier.GOLD else 0.0
    if years >= 5:
        rate += 0.05
    return rate


def final_price(price: float, tier: Tier = Tier.BASIC, years: int = 0) -> float:
    if price <= 0:
        raise PricingError("price must be positive")
    return round(price * (1 - discount_rate(tier, years)), 2)


class Basket:
    def __init__(self, tier: Tier = Tier.BASIC):
        self.tier = tier
        self.items = []

    def add(self, name: str, price: float) -> int:
        if not name:
            raise PricingError("an item needs a name")
        self.items.append((name, price))
        return len(self.items)

    def total(self) -> float:
        return sum(final_price(p, self.tier) for _, p in self.items)
