"""The app list checked against the plan, in Python (steadydb_django.check_apps).

It was 158 lines of Jinja emitting JSON (checked.json.j2), testable only by running a
playbook; these tests need no ansible-playbook.
"""

import pytest

import steadydb_django as F  # tests/conftest.py puts the role's plugins on the path

DEFAULTS = {"driver": "mysqlclient", "engine": "steadydb", "init_command": "SET x=1",
            "charset": "utf8mb4", "connect_retry": "True", "server_start_seconds": "10"}
PLAN = {"apps": {"web": {
    "db_user": "web", "db_name": "webdb", "db_user_host": "10.0.0.%", "max_user_connections": 13,
    "demand": 10, "effective_idle_timeout": 300, "margin_seconds": 60,
    "django": {"CONN_MAX_AGE": 240, "CONN_HEALTH_CHECKS": True,
               "OPTIONS": {"connect_timeout": 5, "read_timeout": 60, "write_timeout": 60}},
    "sqlalchemy": {"pool_recycle": 240, "pool_pre_ping": True, "connect_args": {"x": 1}}}},
    "systemd": {"RestartSec": 2}}
PASSWORD = {"value": "pw'1", "variable": "vault_web", "problem": ""}


def app(**extra):
    entry = {"name": "web", "settings_dir": "/srv/web/proj/", "env_file": "/etc/web/app.env",
             "owner": "web", "group": "web", "db_port": "3307"}
    entry.update(extra)
    return entry


def test_a_good_entry_is_normalised_and_its_password_kept_apart():
    out = F.check_apps([app()], PLAN, DEFAULTS, [PASSWORD])
    assert out["problems"] == []
    assert out["secrets"] == {"web": "pw'1"}
    entry = out["apps"][0]
    assert entry["settings_dir"] == "/srv/web/proj" and entry["env_dir"] == "/etc/web"
    assert entry["db_port"] == 3307 and entry["db_user_host"] == "10.0.0.%"
    assert entry["options"] == {"connect_timeout": 5, "read_timeout": 60, "write_timeout": 60,
                                "init_command": "SET x=1", "charset": "utf8mb4"}
    assert entry["sqlalchemy"]["connect_args"] == {"x": 1, "charset": "utf8mb4"}
    assert entry["limits"]["restart_sec"] == 2 and entry["connect_retry"] is True
    assert entry["server_start_seconds"] == 10
    assert entry["env_keys"][-1] == "DATABASE_URL"
    assert "pw'1" not in repr(entry)


@pytest.mark.parametrize("extra, problem", [
    ({"name": "shop"}, "app 'shop': not in steadydb_plan.apps (the plan has: web)"),
    ({"driver": "odbc"}, "driver must be mysqlclient or pymysql, not 'odbc'"),
    ({"engine": "x"}, "engine must be steadydb or django, not 'x'"),
    ({"ssl_mode": "REQUIRED", "driver": "pymysql"}, "ssl_mode is a mysqlclient option"),
    ({"ssl_mode": "YES"}, "ssl_mode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY"),
    ({"env_file": "app.env"}, "env_file must be an absolute path, not 'app.env'"),
    ({"owner": ""}, "owner is required"),
    ({"env_prefix": "1DB"}, "env_prefix and database_url_var must be valid variable names"),
    ({"db_port": "x"}, "db_port must be a port number"),
])
def test_each_rule_names_the_app(extra, problem):
    out = F.check_apps([app(**extra)], PLAN, DEFAULTS, [PASSWORD])
    assert any(problem in p for p in out["problems"]), out["problems"]


def test_the_plans_values_are_checked():
    plan = {"apps": {"web": dict(PLAN["apps"]["web"], django={"CONN_MAX_AGE": -1})}}
    problems = F.check_apps([app()], plan, DEFAULTS, [PASSWORD])["problems"]
    assert "app 'web': steadydb_plan.apps.web.django.CONN_MAX_AGE must be an integer >= 0" in problems
    assert any("OPTIONS.connect_timeout must be an integer >= 1" in p for p in problems)


def test_duplicates_and_shapes():
    out = F.check_apps([app(), app(), "x"], PLAN, DEFAULTS, [PASSWORD] * 3)
    assert "app 'web': listed twice" in out["problems"]
    assert any("settings_dir '/srv/web/proj/' is used by another app" in p for p in out["problems"])
    assert any(p.startswith("entry 3 of django_db_settings_apps: must be a mapping")
               for p in out["problems"])
    assert F.check_apps("web", PLAN, DEFAULTS, [])["problems"] == [
        "django_db_settings_apps must be a list of app entries"]


def test_a_password_problem_keeps_the_password_out():
    bad = {"value": None, "variable": "vault_web", "problem": "the password variable 'vault_web' is not defined"}
    out = F.check_apps([app()], PLAN, DEFAULTS, [bad])
    assert out["secrets"] == {} and "app 'web': the password variable 'vault_web' is not defined" in out["problems"]
    line_break = dict(PASSWORD, value="a\u2028b")
    out = F.check_apps([app()], PLAN, DEFAULTS, [line_break])
    assert out["secrets"] == {} and any("line break character" in p for p in out["problems"])


@pytest.mark.parametrize("value, expected", [
    (None, True), ("", False), ("yes", True), (" off ", False), (False, False), ("1", True)])
def test_flags_read_as_ansible_reads_bool(value, expected):
    entry = F.check_apps([app(load_env_file=value)], PLAN, DEFAULTS, [PASSWORD])["apps"][0]
    assert entry["load_env_file"] is expected


def test_a_flag_that_is_no_boolean_is_a_problem():
    problems = F.check_apps([app(connect_retry="maybe")], PLAN, DEFAULTS, [PASSWORD])["problems"]
    assert any("load_env_file and connect_retry must be true or false" in p for p in problems)


def test_warning_for_a_password_some_readers_read_differently_names_readers_not_the_value():
    odd = {"value": " it's a \"p@ss\" $HOME #1 \\ `x` ", "variable": "vault_web", "problem": ""}
    out = F.check_apps([app()], PLAN, DEFAULTS, [odd])
    assert out["warnings"] == [
        "WARNING: app web: DB_PASSWORD is right for %s only: %s. Readers without steadydb_db.py read "
        "DATABASE_URL instead (percent-encoded, right for every reader), or choose a password without "
        "those characters." % (", ".join(out["apps"][0]["password_readers"]), out["apps"][0]["password_note"])]
    assert "p@ss" not in repr(out["warnings"])
    assert F.check_apps([app()], PLAN, DEFAULTS, [PASSWORD])["warnings"] == []
