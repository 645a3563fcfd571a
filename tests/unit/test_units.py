"""Sizes, booleans and SHOW GLOBAL VARIABLES typing (module_utils/steadydb/units.py)."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible.module_utils.steadydb.units import (
    comparable,
    format_size,
    normalize_variable,
    normalize_variables,
    to_bool,
    to_bytes,
    values_equal,
)


@pytest.mark.parametrize("value, expected", [
    ("134217728", 134217728),
    (134217728, 134217728),
    ("128M", 128 * 1024 ** 2),
    ("128m", 128 * 1024 ** 2),
    ("1G", 1024 ** 3),
    ("1g", 1024 ** 3),
    ("1.5G", 1536 * 1024 ** 2),
    ("16K", 16384),
    ("2T", 2 * 1024 ** 4),
    ("1P", 1024 ** 5),
    ("1E", 1024 ** 6),
    (" 64M ", 64 * 1024 ** 2),
    ("0", 0),
    (0, 0),
    (8.0, 8),
])
def test_to_bytes(value, expected):
    assert to_bytes(value) == expected


@pytest.mark.parametrize("value", [
    "128MB", "1KiB", "12B", "-1", -5, "1.5", "0.3K", "M", "", "ten", True, None, 1.5,
])
def test_to_bytes_rejects(value):
    with pytest.raises(ValueError):
        to_bytes(value)


@pytest.mark.parametrize("num_bytes, text", [
    (0, "0"),
    (1000, "1000"),
    (1024, "1K"),
    (134217728, "128M"),
    (1536 * 1024 ** 2, "1536M"),
    (1024 ** 3, "1G"),
    ("2G", "2G"),
])
def test_format_size(num_bytes, text):
    assert format_size(num_bytes) == text


@given(st.integers(min_value=0, max_value=2 ** 64))
def test_format_size_round_trips(num_bytes):
    assert to_bytes(format_size(num_bytes)) == num_bytes


@given(st.integers(min_value=0, max_value=10 ** 6), st.sampled_from("KMGTPEkmgtpe"))
def test_suffixes_are_powers_of_1024(number, suffix):
    power = "KMGTPE".index(suffix.upper()) + 1
    assert to_bytes("%d%s" % (number, suffix)) == number * 1024 ** power


@pytest.mark.parametrize("value", ["ON", "on", "1", "TRUE", "true", "yes", "YES", True, 1])
def test_to_bool_true(value):
    assert to_bool(value) is True


@pytest.mark.parametrize("value", ["OFF", "off", "0", "FALSE", "no", False, 0])
def test_to_bool_false(value):
    assert to_bool(value) is False


@pytest.mark.parametrize("value", ["", "2", "enabled", "DISABLED", 2, None, 1.0])
def test_to_bool_rejects(value):
    with pytest.raises(ValueError):
        to_bool(value)


@pytest.mark.parametrize("text, expected", [
    ("1.5M", "1536K"), ("1.5G", "1536M"), ("0.5k", "512"), ("2.0G", "2G"), (" 1.25T ", "1280G"),
    # already what the server reads, or not a size at all: unchanged
    ("64M", "64M"), ("1024M", "1024M"), ("0.5", "0.5"), ("10.000000", "10.000000"),
    ("SET NAMES utf8mb4", "SET NAMES utf8mb4"), ("5.7.44", "5.7.44"),
])
def test_option_file_size(text, expected):
    from ansible.module_utils.steadydb.units import option_file_size
    assert option_file_size(text) == expected


@pytest.mark.parametrize("text", ["1.3K", "0.1M", "1.0000001G"])
def test_option_file_size_refuses_fractions_of_a_byte(text):
    from ansible.module_utils.steadydb.units import option_file_size
    with pytest.raises(ValueError, match="whole number of bytes"):
        option_file_size(text)


# --- SHOW GLOBAL VARIABLES typing and the one equality of desired and current values ----

@pytest.mark.parametrize("name, raw, expected", [
    ("max_connections", "151", 151),
    ("wait_timeout", "28800", 28800),
    ("max_binlog_cache_size", "18446744073709547520", 18446744073709547520),
    ("innodb_buffer_pool_size", "33554432", 33554432),
    ("autocommit", "ON", True),
    ("skip_name_resolve", "OFF", False),
    ("sql_mode", "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO", "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO"),
    ("long_query_time", "10.000000", "10.000000"),     # decimals stay str (facts: int/bool/str)
    ("have_ssl", "DISABLED", "DISABLED"),
    ("have_symlink", "YES", "YES"),                     # only ON/OFF become bool
    ("version", "10.11.19-MariaDB-0+deb12u1", "10.11.19-MariaDB-0+deb12u1"),
    ("hostname", "1234", "1234"),                       # free text, even when all digits
    ("auto_increment_offset", "-1", -1),
    ("log_bin_basename", "", ""),
    ("init_connect", None, ""),
    ("character_set_server", b"utf8mb4", "utf8mb4"),
    ("innodb_flush_log_at_trx_commit", "1", 1),         # numeric, not a boolean
])
def test_normalize_variable(name, raw, expected):
    value = normalize_variable(name, raw)
    assert value == expected
    assert type(value) is type(expected)


def test_normalize_variables_lowercases_names():
    assert normalize_variables([("Max_Connections", "10"), ("autocommit", "ON")]) == {
        "max_connections": 10, "autocommit": True}


@pytest.mark.parametrize("name, current, desired", [
    ("innodb_buffer_pool_size", 134217728, "128M"),
    ("innodb_buffer_pool_size", "134217728", "128m"),
    ("innodb_buffer_pool_size", 1610612736, "1.5G"),
    ("autocommit", True, "ON"),
    ("autocommit", True, "true"),
    ("autocommit", False, 0),
    ("autocommit", True, 1),
    ("long_query_time", "10.000000", 10),
    ("long_query_time", "0.500000", "0.5"),
    ("long_query_time", "0.500000", 0.5),
    # the server shows a decimal with 6 places: 0.0000001 reads back 0.000000
    ("long_query_time", "0.000000", "0.0000001"),
    ("long_query_time", "0.000000", 0.0000001),
    ("long_query_time", "2.000001", "2.0000006"),
    ("max_connections", 151, "151"),
    ("sql_mode", "STRICT_TRANS_TABLES", " STRICT_TRANS_TABLES "),
])
def test_values_equal(name, current, desired):
    assert values_equal(name, current, desired)


@pytest.mark.parametrize("name, current, desired", [
    ("innodb_buffer_pool_size", 134217728, "128K"),
    ("autocommit", True, "OFF"),
    ("max_connections", 151, 150),
    ("long_query_time", "10.000000", "10.5"),
    ("long_query_time", "0.000000", "0.000001"),
    ("long_query_time", "0.000001", "0.0000004"),
    ("sql_mode", "STRICT_TRANS_TABLES", "TRADITIONAL"),
    ("max_connections", 151, "lots"),
])
def test_values_differ(name, current, desired):
    assert not values_equal(name, current, desired)


def test_comparable_types():
    assert comparable("1") == 1 and type(comparable("1")) is int
    assert comparable("ON") is True
    assert comparable("64M") == 64 * 1024 ** 2
    assert comparable("0.25") == Decimal("0.25")
    assert comparable(" text ") == "text"


def test_a_decimal_against_a_number_too_large_for_a_double_differs():
    # The decimal rule prints the wanted value as a double: float(10 ** 400) raised
    # OverflowError, a traceback instead of "different" (an option file holding
    # long_query_time = 0.5 and a desired value of 400 digits).
    assert not values_equal("long_query_time", "0.500000", 10 ** 400)
