"""Typing of SHOW GLOBAL VARIABLES values and comparison of desired vs current values."""
from decimal import Decimal

import pytest

from ansible.module_utils.steadydb.units import (
    comparable,
    normalize_variable,
    normalize_variables,
    values_equal,
)


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


# --- the read's helpers (module_utils/steadydb/facts.py) ---------------------------------

from ansible.module_utils.steadydb import facts  # noqa: E402


@pytest.mark.parametrize("full, comment, flavor, string, numbers", [
    ("10.11.6-MariaDB-0+deb12u1", "Debian 12", "mariadb", "10.11.6", [10, 11, 6]),
    ("11.8.6-MariaDB-log", "", "mariadb", "11.8.6", [11, 8, 6]),
    ("8.0.36-0ubuntu0.22.04.1", "(Ubuntu)", "mysql", "8.0.36", [8, 0, 36]),
    ("8.0.36-28", "Percona Server (GPL), Release 28", "mysql", "8.0.36", [8, 0, 36]),
    ("10.5.23", "MariaDB Server", "mariadb", "10.5.23", [10, 5, 23]),
])
def test_parse_version(full, comment, flavor, string, numbers):
    assert facts.parse_version(full, comment) == (
        flavor, {"full": full, "string": string, "tuple": numbers})


@pytest.mark.parametrize("spec, user, host", [
    ("web@%", "web", "%"),
    ("web@10.0.0.%", "web", "10.0.0.%"),
    ("web", "web", "%"),
    ("'web'@'localhost'", "web", "localhost"),
    ("odd@name@host", "odd@name", "host"),
])
def test_parse_account(spec, user, host):
    assert facts.parse_account(spec) == (user, host)


def test_parse_meminfo():
    text = ("MemTotal:        1003360 kB\nMemFree:          10000 kB\n"
            "MemAvailable:     510932 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n")
    assert facts.parse_meminfo(text) == {
        "mem_total_bytes": 1003360 * 1024, "mem_available_bytes": 510932 * 1024,
        "swap_total_bytes": 0, "swap_free_bytes": 0}
    assert facts.parse_meminfo("") == {
        "mem_total_bytes": None, "mem_available_bytes": None,
        "swap_total_bytes": None, "swap_free_bytes": None}


def test_status_counters_cover_the_contract():
    contract = {"Uptime", "Threads_connected", "Max_used_connections", "Aborted_clients",
                "Aborted_connects", "Connection_errors_max_connections", "Open_files",
                "Threads_created", "Connections"}
    assert contract <= set(facts.STATUS_COUNTERS)
