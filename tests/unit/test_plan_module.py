"""library/mysql_plan.py and roles/steadydb_plan agree with each other and with plan.py.

The module's DOCUMENTATION must describe exactly its argument_spec (names, types,
defaults, suboptions); the role must document every default and pass every demand and
policy variable to the module.
"""
import os

import yaml

import mysql_plan
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.steadydb.connection import login_argument_spec
from ansible.module_utils.steadydb.plan import (APP_DEFAULTS, DEMAND_DEFAULTS, POLICY_DEFAULTS,
                                                WEB_KEYS, _size, normalize_policy)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(REPO, "roles", "steadydb_plan")


def load(*parts):
    with open(os.path.join(*parts)) as f:
        return yaml.safe_load(f)


def compare_options(doc_options, spec, where):
    assert set(doc_options) == set(spec), where
    for name, doc in doc_options.items():
        arg = spec[name]
        assert doc.get("type", "str") == arg.get("type", "str"), (where, name)
        assert doc.get("required", False) == arg.get("required", False), (where, name)
        assert doc.get("default") == arg.get("default"), (where, name)
        assert doc.get("elements") == arg.get("elements"), (where, name)
        assert doc.get("description"), (where, name)
        if "options" in arg:
            compare_options(doc["suboptions"], arg["options"], where + "." + name)


def test_documentation_matches_argument_spec():
    doc = yaml.safe_load(mysql_plan.DOCUMENTATION)
    login = login_argument_spec()
    own = dict((k, v) for k, v in mysql_plan.argument_spec().items() if k not in login)
    compare_options(doc["options"], own, "mysql_plan")
    # the login options are documented by the shared fragment
    assert "steadydb_login" in doc["extends_documentation_fragment"]
    yaml.safe_load(mysql_plan.EXAMPLES)
    yaml.safe_load(mysql_plan.RETURN)


def test_module_covers_every_plan_input():
    spec = mysql_plan.argument_spec()
    inputs = set(DEMAND_DEFAULTS) | set(mysql_plan.OPTION_NAMES.get(k, k) for k in POLICY_DEFAULTS)
    # the login options and unit_candidates are the read's (mysql_facts' own)
    assert set(spec) == inputs | set(login_argument_spec()) | {
        "facts", "extra_variables", "plan", "mode", "accept_cap_overrun", "unit_candidates"}
    assert set(spec["apps"]["options"]) == set(APP_DEFAULTS) | {"name"}
    for key, default in APP_DEFAULTS.items():
        if key in WEB_KEYS:
            # "absent" must reach plan.py (only background_workers given: worker-only app)
            assert "default" not in spec["apps"]["options"][key], key
        elif default is not None:
            assert spec["apps"]["options"][key]["default"] == default, key
    for key in ("admin_reserve", "headroom_percent", "db_host_shared", "upstream_idle_timeout"):
        assert spec[key]["default"] == DEMAND_DEFAULTS[key], key
    # Every policy default is plan.py's own value, sizes included (no respelling).
    for key, default in POLICY_DEFAULTS.items():
        assert spec[mysql_plan.OPTION_NAMES.get(key, key)]["default"] == default, key
    assert spec["client_connect_timeout"]["default"] == POLICY_DEFAULTS["connect_timeout"]


def test_sizes_take_bytes_or_a_size_string():
    validator = ArgumentSpecValidator(mysql_plan.argument_spec())
    for key, forms in (("min_buffer_pool_size", (33554432, "33554432", "32M", "32m")),
                       ("mem_total_bytes", (2 * 1024 ** 3, "2G", "2048M"))):
        for value in forms:
            result = validator.validate({"apps": [{"name": "web"}], key: value})
            assert result.error_messages == [], (key, value)
            policy = normalize_policy({key: result.validated_parameters[key]})
            assert policy[key] == _size(forms[0], key), (key, value)
    # the role's default spelling is the module's default
    role_default = load(ROLE, "defaults", "main.yml")["steadydb_min_buffer_pool_size"]
    assert _size(role_default, "role") == POLICY_DEFAULTS["min_buffer_pool_size"]


def test_role_documents_and_passes_every_variable():
    defaults = load(ROLE, "defaults", "main.yml")
    specs = load(ROLE, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(defaults) == set(specs)
    for name, spec in specs.items():
        assert spec.get("description"), name
        assert str(spec.get("default")) == str(defaults[name]), name
    tasks = load(ROLE, "tasks", "main.yml")
    plan_args = next(t["mysql_plan"] for t in tasks if "mysql_plan" in t)
    module_spec = mysql_plan.argument_spec()
    # plan: the recheck of a plan made earlier (mysql_tuning alone); facts: the module reads
    # them itself (one round trip); unit_candidates: mysql_facts' default
    login = set(login_argument_spec())
    assert set(plan_args) - login == set(module_spec) - login - {"plan", "facts", "unit_candidates"}
    for option, value in plan_args.items():
        if option in login:
            assert "steadydb_login_" in value or "steadydb_config_file" in value, option
            continue
        plan_key = next((k for k, o in mysql_plan.OPTION_NAMES.items() if o == option), option)
        assert value == "{{ steadydb_%s }}" % plan_key, option
        assert "steadydb_" + plan_key in defaults, option
    app_spec = specs["steadydb_apps"]["options"]
    assert set(app_spec) == set(module_spec["apps"]["options"])
