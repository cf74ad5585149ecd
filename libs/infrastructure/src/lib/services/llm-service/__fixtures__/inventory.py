"""A small inventory module: the prompt body for token-accuracy tests."""
from __future__ import annotations

from dataclasses import dataclass, field


class OutOfStock(Exception):
    """Raised when more items are taken than the inventory holds."""


@dataclass
class Item:
    sku: str
    name: str
    price_cents: int
    quantity: int = 0


@dataclass
class Inventory:
    items: dict[str, Item] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        if item.price_cents < 0:
            raise ValueError(f"negative price for {item.sku}")
        existing = self.items.get(item.sku)
        if existing is None:
            self.items[item.sku] = item
        else:
            existing.quantity += item.quantity

    def take(self, sku: str, count: int = 1) -> Item:
        item = self.items[sku]
        if count > item.quantity:
            raise OutOfStock(f"{sku}: wanted {count}, have {item.quantity}")
        item.quantity -= count
        return item

    def value_cents(self) -> int:
        return sum(i.price_cents * i.quantity for i in self.items.values())

    def low_stock(self, threshold: int = 3) -> list[str]:
        return sorted(sku for sku, i in self.items.items() if i.quantity <= threshold)
