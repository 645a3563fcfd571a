"""The server unit's settings, checked once in Python (plan.check_unit_settings).

Before, roles/mysql_systemd/tasks/validate.yml re-checked them in 109 lines of Jinja
asserts, and the role's defaults, its README and the systemd scenario each carried a
copy of RestartPreventExitStatus without exit code 10 ("no pointer to variable"), which
plan.py lists: a hand-written plan relying on the role's fallback would crash-loop on it.
"""
import pytest

from ansible.module_utils.steadydb.plan import (
    PlanError, RESTART_PREVENT_EXIT_STATUS, UNIT_DEFAULTS, build_plan, check_unit_settings)

from test_plan import demand, mariadb_facts


def test_the_plan_output_passes_unchanged():
    plan = build_plan(mariadb_facts(), demand())
    assert check_unit_settings(plan["systemd"]) == {
        key: value for key, value in plan["systemd"].items() if key in UNIT_DEFAULTS}


def test_an_empty_plan_falls_back_to_the_planners_own_values():
    settings = check_unit_settings({})
    assert settings == UNIT_DEFAULTS
    assert "10" in settings["RestartPreventExitStatus"].split()
    assert settings["RestartPreventExitStatus"] == RESTART_PREVENT_EXIT_STATUS
    plan = build_plan(mariadb_facts(), demand())
    for key in ("Restart", "RestartSec", "RestartPreventExitStatus", "StartLimitIntervalSec",
                "StartLimitBurst", "OOMScoreAdjust", "app_OOMScoreAdjust"):
        assert settings[key] == plan["systemd"][key], key


def test_user_fallbacks_then_the_plan_win_over_the_defaults():
    settings = check_unit_settings({"RestartSec": "3"}, {"RestartSec": 4, "LimitNOFILE": 65536})
    assert settings["RestartSec"] == 3 and settings["LimitNOFILE"] == 65536


@pytest.mark.parametrize("value, text", [
    ([1, "2", 7], "1 2 7"), (1, "1"), ("1  2\t3", "1 2 3")])
def test_exit_codes_in_any_shape_become_spaced_text(value, text):
    assert check_unit_settings({"RestartPreventExitStatus": value})[
        "RestartPreventExitStatus"] == text


@pytest.mark.parametrize("settings, message", [
    ({"Restart": "no"}, "Restart is 'no'; use on-failure, on-abnormal, always"),
    ({"RestartSec": 0}, "RestartSec is 0; use 1..600 whole seconds (0 restarts"),
    ({"RestartSec": "2s"}, "RestartSec is '2s'; use 1..600"),
    ({"RestartPreventExitStatus": "1 256"}, "use exit codes 1..255"),
    ({"RestartPreventExitStatus": "1 x"}, "use exit codes 1..255"),
    ({"RestartPreventExitStatus": True}, "use exit codes 1..255"),
    ({"RestartPreventExitStatus": ""}, "is empty with Restart=on-failure"),
    ({"StartLimitBurst": 0}, "StartLimitBurst is 0; use 1..100"),
    ({"StartLimitIntervalSec": 10}, "must be larger than StartLimitBurst x RestartSec = 5 x 2"),
    ({"LimitNOFILE": 512}, "LimitNOFILE is 512; use 1024..1048576"),
    ({"TimeoutStopSec": 5}, "so that InnoDB can shut down cleanly"),
    ({"OOMScoreAdjust": -1000}, "would exempt mysqld from the OOM killer"),
    ({"app_OOMScoreAdjust": 0}, "app_OOMScoreAdjust is 0; use 1..1000"),
    ({"LimitNofile": 4096}, "unknown key(s) LimitNofile"),
])
def test_each_rule_names_the_key_and_the_way_out(settings, message):
    with pytest.raises(PlanError) as err:
        check_unit_settings(settings)
    assert message in str(err.value)


def test_on_abnormal_needs_no_exit_codes():
    assert check_unit_settings({"Restart": "on-abnormal", "RestartPreventExitStatus": ""})[
        "RestartPreventExitStatus"] == ""
