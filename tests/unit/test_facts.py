"""The read's pure helpers (module_utils/steadydb/facts.py): versions, accounts, meminfo."""
import pytest

from ansible.module_utils.steadydb import facts


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
