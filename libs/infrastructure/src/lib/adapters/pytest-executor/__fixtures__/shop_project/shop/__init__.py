"""A package, so tests import `shop.pricing` the way its users do."""
