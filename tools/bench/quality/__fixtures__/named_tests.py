# Tests whose names a reviewer would check against their bodies: five tell the truth, six claim what they do not show.
import json

import pytest


def test_parse_raises_illegal_month_error_bad_month():
    with pytest.raises(IllegalMonthError):
        parse(13)


def test_parse_returns_none_with_zero_day():
    assert parse(0) is None


def test_show_prints_output_for_empty_text(capsys):
    show('')
    assert capsys.readouterr().out == '\n'


def test_parse_returns_negative_number_with_flag_true():
    assert parse(1, flag=True) == -1


def test_parse_raises_value_error():
    with pytest.raises(KeyError):
        parse('x')


def test_parse_returns_none():
    assert parse(1) == 2


def test_parse_returns_true_with_zero_day():
    assert parse(3) is True


def test_show_prints_output():
    show('a')
    assert True


def test_parse_returns_zero_with_strict_true():
    assert parse(2, strict=False) == 0


@pytest.mark.xfail(strict=True, raises=json.decoder.JSONDecodeError, reason="suspected defect")
def test_load_raises_json_decode_error_suspected_defect():
    load("{")


@pytest.mark.xfail(raises=ValueError, reason="not strict: it may pass")
def test_parse_raises_value_error_with_zero_day():
    parse(0)
