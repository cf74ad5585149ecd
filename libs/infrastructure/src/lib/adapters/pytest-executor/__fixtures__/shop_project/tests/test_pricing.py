from shop.legacy.pricing import classify as legacy_classify
from shop.pricing import classify, total


def test_classify_negative():
    assert classify(-1) == "negative"


def test_classify_zero():
    assert classify(0) == "zero"


def test_total_mixes_small_and_large_items():
    assert total([1, 20]) == 61


def test_legacy_decoy():
    assert legacy_classify(5) == "legacy"
