"""The one policy rule (module_utils/steadydb/policy.py) and the modules that use it."""
import pytest

import mysql_facts
import mysql_option_file
import mysql_server_apply
import mysql_user_limits
from ansible.module_utils.steadydb.policy import POLICIES, act_on, policy_option


@pytest.mark.parametrize("policy, expected", [("fail", ["fail: m"]), ("warn", ["warn: m"]),
                                              ("ignore", [])])
def test_act_on(policy, expected):
    calls = []
    act_on(policy, "m", lambda msg: calls.append("fail: " + msg),
           lambda msg: calls.append("warn: " + msg))
    assert calls == expected


def test_policy_option():
    assert policy_option("warn") == {"type": "str", "default": "warn", "choices": list(POLICIES)}
    assert policy_option("fail", ["old"])["aliases"] == ["old"]


def _spec(module):
    """The argument_spec a module builds in main(), captured without running it."""
    captured = {}

    class Stop(Exception):
        pass

    def fake(argument_spec, **_kw):
        captured.update(argument_spec)
        raise Stop()

    original = module.AnsibleModule
    module.AnsibleModule = fake
    try:
        module.main()
    except Stop:
        pass
    finally:
        module.AnsibleModule = original
    return captured


@pytest.mark.parametrize("module, option", [
    (mysql_facts, "on_missing_account"),
    (mysql_user_limits, "on_missing_account"),
    (mysql_server_apply, "on_missing_account"),
    (mysql_option_file, "on_override"),
    (mysql_server_apply, "on_override"),
])
def test_every_policy_option_is_spelled_on_x_with_the_same_choices(module, option):
    spec = _spec(module)
    assert spec[option]["choices"] == list(POLICIES)
    # no policy under another name
    others = [name for name, opt in spec.items()
              if opt.get("choices") == list(POLICIES) and not name.startswith("on_")]
    assert others == []


@pytest.mark.parametrize("module, option, old", [
    (mysql_user_limits, "on_missing_account", "on_missing"),
    (mysql_server_apply, "on_missing_account", "on_missing"),
    (mysql_option_file, "on_override", "check_overrides"),
    (mysql_server_apply, "on_override", "check_overrides"),
])
def test_the_old_spellings_still_work(module, option, old):
    assert old in _spec(module)[option].get("aliases", [])
