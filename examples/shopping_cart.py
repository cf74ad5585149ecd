"""A small shopping cart with discounts and tax, as a web shop's backend might have."""

from dataclasses import dataclass, field
from decimal import Decimal, ROUND_HALF_UP
from enum import Enum
from typing import Dict, List, Optional


class Category(Enum):
    FOOD = "food"
    BOOKS = "books"
    ELECTRONICS = "electronics"


TAX_RATES = {Category.FOOD: Decimal("0.07"), Category.BOOKS: Decimal("0.0"), Category.ELECTRONICS: Decimal("0.19")}
MAX_QUANTITY = 99


class CartError(ValueError):
    """Raised when a cart operation is not allowed."""


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Decimal
    category: Category = Category.FOOD

    def __post_init__(self) -> None:
        if not self.sku:
            raise CartError("sku must not be empty")
        if self.price < 0:
            raise CartError("price must not be negative")


@dataclass
class Cart:
    items: Dict[str, int] = field(default_factory=dict)
    products: Dict[str, Product] = field(default_factory=dict)
    coupon: Optional[str] = None

    def add(self, product: Product, quantity: int = 1) -> int:
        """Adds `quantity` of `product`; returns the new quantity of that product."""
        if quantity <= 0:
            raise CartError("quantity must be positive")
        new_quantity = self.items.get(product.sku, 0) + quantity
        if new_quantity > MAX_QUANTITY:
            raise CartError(f"at most {MAX_QUANTITY} of one product")
        self.items[product.sku] = new_quantity
        self.products[product.sku] = product
        return new_quantity

    def remove(self, sku: str, quantity: Optional[int] = None) -> None:
        if sku not in self.items:
            raise CartError(f"{sku} is not in the cart")
        if quantity is None or quantity >= self.items[sku]:
            del self.items[sku]
            del self.products[sku]
        else:
            self.items[sku] -= quantity

    def apply_coupon(self, code: str) -> bool:
        if code.upper() in ("SAVE10", "BOOKWORM"):
            self.coupon = code.upper()
            return True
        return False

    def subtotal(self) -> Decimal:
        return sum((self.products[s].price * q for s, q in self.items.items()), Decimal("0"))

    def discount(self) -> Decimal:
        if self.coupon == "SAVE10":
            return (self.subtotal() * Decimal("0.10")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if self.coupon == "BOOKWORM":
            books = sum(
                (self.products[s].price * q for s, q in self.items.items() if self.products[s].category is Category.BOOKS),
                Decimal("0"),
            )
            return (books * Decimal("0.20")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return Decimal("0.00")

    def tax(self) -> Decimal:
        total = Decimal("0")
        for sku, quantity in self.items.items():
            product = self.products[sku]
            total += product.price * quantity * TAX_RATES[product.category]
        return total.quantize(Decimal("0.01"), ROUND_HALF_UP)

    def total(self) -> Decimal:
        return (self.subtotal() - self.discount() + self.tax()).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def receipt(self) -> List[str]:
        lines = [f"{self.products[s].name} x{q}: {self.products[s].price * q:.2f}" for s, q in sorted(self.items.items())]
        if self.coupon:
            lines.append(f"coupon {self.coupon}: -{self.discount():.2f}")
        lines.append(f"total: {self.total():.2f}")
        return lines
