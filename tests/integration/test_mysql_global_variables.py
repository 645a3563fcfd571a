"""mysql_global_variables against a real MariaDB, run through the ansible CLI."""
import pytest

from conftest import run_module

SECRET = "S3cret-sst-Passw0rd-91ab"


def globals_of(server, *names):
    rows = server.query("SHOW GLOBAL VARIABLES")
    values = dict((name.lower(), value) for name, value in rows)
    return dict((name, values[name]) for name in names)


def run(server, variables, **kw):
    args = dict(server.login, variables=variables)
    args.update(kw.pop("extra", {}))
    return run_module("mysql_global_variables", args, **kw)


def test_sets_many_then_rerun_is_unchanged(fresh_mariadb):
    wanted = {"max_connections": 321, "wait_timeout": "600", "thread_cache_size": 17,
              "max-connect-errors": 99999, "net_read_timeout": 45,
              "max_allowed_packet": "32M", "slow_query_log": True, "long_query_time": 2.5,
              "innodb_flush_log_at_trx_commit": 2, "sql_mode": "strict_trans_tables,no_engine_substitution"}
    result, _ = run(fresh_mariadb, wanted)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert len(result["applied"]) == 10
    assert result["restart_required"] is False
    live = globals_of(fresh_mariadb, "max_connections", "wait_timeout", "thread_cache_size",
                      "max_connect_errors", "max_allowed_packet", "slow_query_log",
                      "long_query_time", "sql_mode")
    assert live == {"max_connections": "321", "wait_timeout": "600", "thread_cache_size": "17",
                    "max_connect_errors": "99999", "max_allowed_packet": str(32 * 1024 * 1024),
                    "slow_query_log": "ON", "long_query_time": "2.500000",
                    "sql_mode": "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION"}
    assert result["values"]["max_connections"] == 321
    assert result["values"]["slow_query_log"] is True

    again, _ = run(fresh_mariadb, wanted)
    assert not again.get("failed"), again.get("msg")
    assert again["changed"] is False
    assert again["applied"] == []
    # different spellings of the same values are still the same
    same, _ = run(fresh_mariadb, {"max_allowed_packet": 33554432, "slow_query_log": "on",
                                  "sql_mode": "NO_ENGINE_SUBSTITUTION,STRICT_TRANS_TABLES",
                                  "long_query_time": "2.5"})
    assert same["changed"] is False, same


def test_check_mode_changes_nothing_and_diff_shows_values(fresh_mariadb):
    before = globals_of(fresh_mariadb, "max_connections", "wait_timeout")
    result, _ = run(fresh_mariadb, {"max_connections": 222, "wait_timeout": before["wait_timeout"]},
                    check=True, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["applied"] == ["max_connections"]
    assert globals_of(fresh_mariadb, "max_connections", "wait_timeout") == before
    diff = result["diff"]
    assert diff["before"] == "max_connections = %s\n" % before["max_connections"]
    assert diff["after"] == "max_connections = 222\n"


def test_read_only_variable_reports_restart_required(fresh_mariadb):
    before = globals_of(fresh_mariadb, "back_log", "wait_timeout")
    wanted_back_log = int(before["back_log"]) + 7
    result, _ = run(fresh_mariadb, {"back_log": wanted_back_log, "wait_timeout": 1234}, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["restart_required"] is True
    assert result["pending_restart"] == {"back_log": {"current": before["back_log"],
                                                      "desired": wanted_back_log}}
    assert result["applied"] == ["wait_timeout"]
    assert "needs a restart" in result["diff"]["after"]
    assert globals_of(fresh_mariadb, "back_log")["back_log"] == before["back_log"]


@pytest.mark.parametrize("variables, words", [
    ({"max_connections": 10, "no_such_variable_xyz": 1}, ["no variable named no_such_variable_xyz"]),
    ({"max_connections": 10, "wait_timeout": "soon"}, ["wait_timeout takes a whole number"]),
    ({"max_connections": 10, "thread_cache_size": 99999999}, ["thread_cache_size", "outside the range",
                                                             "0 to 16384"]),
    ({"max_connections": 10, "slow_query_log": "maybe"}, ["slow_query_log takes ON or OFF"]),
    ({"max_connections": 10, "innodb_flush_method": "fsync"}, []),  # read-only enum: ok below
    ({"max_connections": 10, "binlog_format": "SOMETIMES"}, ["binlog_format takes one of"]),
    ({"max_connections": 10, "max_connections; DROP TABLE x": 1}, ["not a server variable name"]),
])
def test_bad_input_fails_before_anything_is_set(mariadb, variables, words):
    before = globals_of(mariadb, "max_connections")
    result, _ = run(mariadb, variables, check=not words)
    if not words:
        assert not result.get("failed"), result.get("msg")
        return
    assert result.get("failed") is True
    assert "nothing was changed" in result["msg"]
    for word in words:
        assert word in result["msg"]
    assert globals_of(mariadb, "max_connections") == before


def test_persist_on_mariadb_is_refused(mariadb):
    result, _ = run(mariadb, {"max_connections": 10}, extra={"persist": True})
    assert result.get("failed") is True
    assert "SET PERSIST" in result["msg"]


def test_secret_values_never_printed(fresh_mariadb):
    result, out = run(fresh_mariadb, {"wsrep_sst_auth": "root:" + SECRET, "max_connections": 77},
                      diff=True, verbosity=3)
    assert not result.get("failed"), result.get("msg")
    assert SECRET not in out
    assert result["values"]["wsrep_sst_auth"] == "********"
    again, out = run(fresh_mariadb, {"wsrep_sst_auth": "root:" + SECRET}, verbosity=3, diff=True)
    assert not again.get("failed"), again.get("msg")
    assert SECRET not in out


def test_value_the_server_masks_is_not_changed_on_every_run(fresh_mariadb):
    # MariaDB shows a set wsrep_sst_auth as ********: the read-back cannot be compared.
    # Before the fix every run set it again and reported changed (and warned that the
    # server "adjusted" it to ********).
    first, _ = run(fresh_mariadb, {"wsrep_sst_auth": "root:" + SECRET})
    assert not first.get("failed"), first.get("msg")
    assert first["changed"] is True and first["applied"] == ["wsrep_sst_auth"]
    assert first["adjusted"] == {}
    assert not first.get("warnings")
    assert globals_of(fresh_mariadb, "wsrep_sst_auth") == {"wsrep_sst_auth": "********"}

    again, out = run(fresh_mariadb, {"wsrep_sst_auth": "root:" + SECRET}, diff=True)
    assert not again.get("failed"), again.get("msg")
    assert again["changed"] is False and again["applied"] == []
    assert again["unverified"] == ["wsrep_sst_auth"]
    assert SECRET not in out

    # A new value cannot be told from the old one either: it needs update_masked=always.
    forced, out = run(fresh_mariadb, {"wsrep_sst_auth": "root:other-" + SECRET},
                      extra={"update_masked": "always"})
    assert not forced.get("failed"), forced.get("msg")
    assert forced["changed"] is True and forced["applied"] == ["wsrep_sst_auth"]
    assert SECRET not in out

    # Emptying it is visible (the server shows an empty value unmasked), and idempotent.
    cleared, _ = run(fresh_mariadb, {"wsrep_sst_auth": ""})
    assert cleared["changed"] is True, cleared
    assert globals_of(fresh_mariadb, "wsrep_sst_auth") == {"wsrep_sst_auth": ""}
    cleared_again, _ = run(fresh_mariadb, {"wsrep_sst_auth": ""})
    assert cleared_again["changed"] is False, cleared_again


def test_failed_set_is_rolled_back(fresh_mariadb):
    # slow_query_log_file to a directory that does not exist: the server refuses at SET time
    # (the type check passes), after max_connections was already set in this task.
    before = globals_of(fresh_mariadb, "max_connections")
    result, _ = run(fresh_mariadb, {"max_connections": 444,
                                    "slow_query_log_file": "/nonexistent-dir-xyz/slow.log"})
    assert result.get("failed") is True
    assert "slow_query_log_file" in result["msg"]
    assert "set back" in result["msg"]
    assert globals_of(fresh_mariadb, "max_connections") == before


def test_value_rounded_by_the_server_is_reported_as_adjusted(fresh_mariadb):
    # max_allowed_packet is kept in multiples of 1024: the server rounds, in range.
    result, _ = run(fresh_mariadb, {"max_allowed_packet": 33554433})
    assert not result.get("failed"), result.get("msg")
    assert result["adjusted"] == {"max_allowed_packet": {"desired": 33554433, "current": "33554432"}}
    assert any("max_allowed_packet" in w for w in result["warnings"])
    assert globals_of(fresh_mariadb, "max_allowed_packet") == {"max_allowed_packet": "33554432"}


def test_a_double_finer_than_the_server_shows_is_unchanged_on_the_rerun(fresh_mariadb):
    # The server shows long_query_time with 6 decimals: 0.0000001 reads back 0.000000.
    # Compared digit for digit, every rerun said "changed" and set it again.
    first, _ = run(fresh_mariadb, {"long_query_time": "0.0000001"})
    assert not first.get("failed"), first.get("msg")
    assert first["changed"] is True and not first.get("adjusted")
    assert globals_of(fresh_mariadb, "long_query_time") == {"long_query_time": "0.000000"}
    again, _ = run(fresh_mariadb, {"long_query_time": "0.0000001"})
    assert again["changed"] is False and again["applied"] == []
