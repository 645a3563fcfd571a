"""Account names the server reads otherwise than they are written: mysql_user_limits
(and mysql_server_apply, through the same module_utils/steadydb/accounts.py) must find
the account ALTER USER acts on, and refuse, in check mode too, what it cannot act on."""
import os

import pytest

from conftest import MARIADBD, run_module

pytestmark = pytest.mark.hostile


def caps(server):
    return dict(((user, host), int(cap)) for user, host, cap in server.query(
        "SELECT User, Host, max_user_connections FROM mysql.user"))


def test_host_in_capitals_is_the_account_the_server_stored(fresh_mariadb):
    # The server stores host names in lower case and ALTER USER reads them so; the
    # account used to be reported missing and never got its cap.
    fresh_mariadb.query("CREATE USER 'web'@'LocalHost' IDENTIFIED BY 'x-Pass-123'")
    args = dict(fresh_mariadb.login, on_missing_account="fail",
                accounts=[{"user": "web", "host": "LocalHost", "max_user_connections": 3}])
    checked, _ = run_module("mysql_user_limits", args, check=True)
    assert not checked.get("failed"), checked.get("msg")
    assert checked["changed"] is True and checked["missing"] == []
    result, _ = run_module("mysql_user_limits", args)
    assert not result.get("failed"), result.get("msg")
    assert caps(fresh_mariadb)[("web", "localhost")] == 3
    again, _ = run_module("mysql_user_limits", args)
    assert again["changed"] is False


@pytest.mark.parametrize("user, host", [("app ", "%"), ("app", "% ")])
def test_trailing_space_is_refused_in_check_mode_like_the_real_run(fresh_mariadb, user, host):
    # The account tables drop trailing spaces, so the lookup found 'app'@'%' and check
    # mode promised a change; the real run's ALTER USER then failed (error 1396).
    fresh_mariadb.query("CREATE USER 'app'@'%' IDENTIFIED BY 'x-Pass-123'")
    args = dict(fresh_mariadb.login,
                accounts=[{"user": user, "host": host, "max_user_connections": 4}])
    for check in (True, False):
        result, _ = run_module("mysql_user_limits", args, check=check)
        assert result.get("failed") is True, (check, result)
        assert "trailing space" in result["msg"] and "nothing was changed" in result["msg"]
    assert caps(fresh_mariadb)[("app", "%")] == 0


@pytest.mark.parametrize("second_host", ["%", "LOCALHOST"])
def test_one_account_given_twice_is_refused_before_any_change(fresh_mariadb, second_host):
    # Both entries were applied in turn: the last one won, and every rerun set the
    # first one again (changed on every run, the cap flipping between the two).
    host = "%" if second_host == "%" else "localhost"
    fresh_mariadb.query("CREATE USER 'app'@'%s' IDENTIFIED BY 'x-Pass-123'" % host)
    args = dict(fresh_mariadb.login,
                accounts=[{"user": "app", "host": host, "max_user_connections": 4},
                          {"user": "app", "host": second_host, "max_user_connections": 7}])
    for check in (True, False):
        result, _ = run_module("mysql_user_limits", args, check=check)
        assert result.get("failed") is True, (check, result)
        assert "twice" in result["msg"] and "nothing was changed" in result["msg"]
    assert caps(fresh_mariadb)[("app", host)] == 0


def test_server_apply_refuses_an_account_it_cannot_set_before_the_write(fresh_mariadb,
                                                                        option_tree):
    _, top, confd = option_tree("bind-address = 127.0.0.1")
    fresh_mariadb.query("CREATE USER 'app'@'%' IDENTIFIED BY 'x-Pass-123'")
    args = dict(fresh_mariadb.login, path=str(confd / "99-steadydb.cnf"), defaults_file=top,
                server_binary=MARIADBD, variables={"max_connections": 345},
                accounts=[{"user": "app ", "host": "%", "max_user_connections": 4}])
    for check in (True, False):
        result, _ = run_module("mysql_server_apply", args, check=check)
        assert result.get("failed") is True, (check, result)
        assert "trailing space" in result["msg"]
    assert sorted(os.listdir(str(confd))) == ["50-server.cnf"]
    assert caps(fresh_mariadb)[("app", "%")] == 0


def test_facts_find_an_account_whose_host_is_given_in_capitals(fresh_mariadb):
    # The facts compared host names without case in Python but asked the server for the
    # exact spelling, so 'web@LocalHost' was reported as not existing.
    fresh_mariadb.query("CREATE USER 'web'@'localhost' WITH MAX_USER_CONNECTIONS 5")
    args = dict(fresh_mariadb.login, accounts=["web@LocalHost"], on_missing_account="fail")
    result, _ = run_module("mysql_facts", args)
    assert not result.get("failed"), result.get("msg")
    account = result["ansible_facts"]["mysql"]["accounts"]["web@LocalHost"]
    assert account["exists"] is True and account["max_user_connections"] == 5
