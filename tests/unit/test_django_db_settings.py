"""The django_db_settings role's plugins as pure functions, without ansible-playbook:
the filters (roles/django_db_settings/filter_plugins/steadydb_django.py: quoting, URL,
Python literals, the env block) and the password lookup (lookup_plugins/
steadydb_app_password.py: read as stored, never evaluated). The role itself, run by
ansible-playbook on localhost: tests/integration/test_django_db_settings_role.py.
"""
import os

import pytest

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "roles",
                    "django_db_settings")


import steadydb_django as FILTERS  # noqa: E402  (tests/conftest.py puts the role's plugins on the path)
# Values that break naive quoting (the role test round-trips them through real readers).
TRICKY = ["it's \"quoted\"", "$HOME and ${PATH} $(id)", "# not a comment #", "  lead and trail  ",
          "back\\slash\\n\\\\ end\\", "`id` and \\`", "%41%zz%", "pässwörd€"]


# --- filters ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", TRICKY + ["", "'", '"', "\\", "$", "a'b\"c"])
def test_env_quote_unquote_round_trip(value):
    assert FILTERS.env_unquote(FILTERS.env_quote(value)) == value


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\x00b"])
def test_env_quote_refuses_line_breaks(value):
    with pytest.raises(Exception, match="newlines"):
        FILTERS.env_quote(value)


def test_env_quote_booleans_are_python_words():
    assert FILTERS.env_quote(True) == "'True'" and FILTERS.env_quote(False) == "'False'"


def test_py_literal():
    assert FILTERS.py_literal({"a": 1, "b": True, "c": "it's", "d": None, "e": [1.5]}) == \
        "{'a': 1, 'b': True, 'c': \"it's\", 'd': None, 'e': [1.5]}"


def test_database_url_refuses_conn_max_age():
    with pytest.raises(Exception, match="conn_max_age"):
        FILTERS.database_url("u", "p", "h", 3306, "n", {"conn_max_age": 60})


def test_database_url_socket_and_ipv6_hosts():
    import dj_database_url
    import environ

    url = FILTERS.database_url("u", "p", "/run/mysqld/mysqld.sock", 3306, "n", {})
    assert dj_database_url.parse(url)["HOST"] == "/run/mysqld/mysqld.sock"
    # Documented limit (README): django-environ keeps the socket path percent-encoded.
    assert environ.Env.db_url_config(url)["HOST"] != "/run/mysqld/mysqld.sock"
    url = FILTERS.database_url("u", "p", "::1", 3306, "n", {})
    assert dj_database_url.parse(url)["HOST"] == "::1" == environ.Env.db_url_config(url)["HOST"]


# --- the password lookup (issue 12 item 5): read as stored, never evaluated ---------------

import steadydb_app_password as LOOKUP  # noqa: E402


class Trusted(str):
    """A string as a trusted vars file gives it (ansible-core 2.19 TrustedAsTemplate)."""


def trusted(value):
    return isinstance(value, Trusted)


def no_template(value):
    raise AssertionError("templated: %r" % (value,))


@pytest.mark.parametrize("stored", ["ab{{ 7*7 }}cd", "x{% raw %}y", "{# c #}z", "{{ a }}b", " {{ 7*7 }} x"])
def test_lookup_reads_trusted_jinja_literally(stored):
    assert LOOKUP.resolve_variable("v", {"v": Trusted(stored)}, trusted) == (stored, "v", "")


def test_lookup_follows_a_plain_reference_only():
    variables = {"a": Trusted("{{ b }}"), "b": Trusted("{{- c -}}"), "c": Trusted("pw{{ 1 }}")}
    assert LOOKUP.resolve_variable("a", variables, trusted) == ("pw{{ 1 }}", "c", "")


def test_lookup_untrusted_reference_is_the_password():
    assert LOOKUP.resolve_variable("a", {"a": "{{ b }}"}, trusted) == ("{{ b }}", "a", "")


@pytest.mark.parametrize("stored,expected", [
    ("{{ lookup('x') }}", "holds a Jinja expression"),
    ("{{ a ~ b }}", "holds a Jinja expression"),
    ("{{ missing }}", "'missing' (db_password_var) (via v -> missing) is not defined"),
    ("{{ v }}", "refers back to itself (v -> v)"),
    ("", "is empty"),
    ("two\nline-secret", "contains a newline"),
    ("nul\x00-secret", "contains a NUL byte"),
    ("cr\r-secret", "contains a carriage return"),
])
def test_lookup_problems_name_the_variable_not_the_value(stored, expected):
    value, _, problem = LOOKUP.resolve_variable("v", {"v": Trusted(stored)}, trusted)
    assert value is None and expected in problem and ("'v'" in problem or "via v" in problem)
    assert "secret" not in problem and (not stored or stored not in problem)


def test_lookup_not_a_string_and_undefined():
    assert "is not a string" in LOOKUP.resolve_variable("v", {"v": 1234}, trusted)[2]
    assert "'v' (db_password_var) is not defined" in LOOKUP.resolve_variable("v", {}, trusted)[2]


def test_lookup_reference_chain_is_bounded():
    variables = dict(("v%d" % i, Trusted("{{ v%d }}" % (i + 1))) for i in range(20))
    assert "more than 8 references" in LOOKUP.resolve_variable("v0", variables, trusted)[2]


def test_app_password_by_value_reference_reads_the_target_as_stored():
    apps = [{"name": "web", "db_password": Trusted("{{ vault_web }}")}]
    variables = {"vault_web": Trusted("ab{{ 7*7 }}cd")}
    assert LOOKUP.app_password(apps, 0, variables, no_template, trusted) == ("ab{{ 7*7 }}cd", "vault_web", "")


def test_app_password_by_name_and_other_values():
    apps = [{"name": "a", "db_password_var": Trusted("v")},
            {"name": "b", "db_password": Trusted("{{ x | trim }}")},
            {"name": "c"},
            {"name": "d", "db_password": "plain\nsecret"}]
    variables = {"v": Trusted("p{{ 1 }}")}
    template = {Trusted("v"): "v", Trusted("{{ x | trim }}"): "evaluated"}
    assert LOOKUP.app_password(apps, 0, variables, template.get, trusted) == ("p{{ 1 }}", "v", "")
    assert LOOKUP.app_password(apps, 1, variables, template.get, trusted) == ("evaluated", "", "")
    assert "no password" in LOOKUP.app_password(apps, 2, variables, template.get, trusted)[2]
    value, _, problem = LOOKUP.app_password(apps, 3, variables, lambda v: v, trusted)
    assert value is None and "db_password" in problem and "newline" in problem and "secret" not in problem


def test_env_block_writes_the_role_key_list_in_order():
    app = {"env_prefix": "DB_", "database_url_var": "DATABASE_URL", "db_host": "h", "db_port": 3306,
           "db_name": "n", "db_user": "u", "conn_max_age": 0, "conn_health_checks": False,
           "options": {"connect_timeout": 5, "read_timeout": 6, "write_timeout": 7}, "url_options": {}}
    lines = FILTERS.env_block(app, "p{{ 1 }}'").splitlines()
    assert [line.split("=", 1)[0] for line in lines] == FILTERS.env_keys("DB_", "DATABASE_URL")
    assert lines[4] == 'DB_PASSWORD="p{{ 1 }}\'"'
    assert lines[6] == "DB_CONN_HEALTH_CHECKS='False'"


def test_idle_close_after_and_connect_retry_from_the_plan():
    assert FILTERS.idle_close_after({"effective_idle_timeout": 300, "margin_seconds": 20}, 250) == 280
    assert FILTERS.idle_close_after({"effective_idle_timeout": 2, "margin_seconds": None}, 1) == 1
    assert FILTERS.idle_close_after({"effective_idle_timeout": 1, "margin_seconds": 5}, 0) == 1
    assert FILTERS.idle_close_after({}, 60) == 60 and FILTERS.idle_close_after({}, 0) is None
    assert FILTERS.connect_retry({"restart_sec": 5}, True, 10) == {"web": 15, "worker": 45}
    assert FILTERS.connect_retry({}, True, 3) == {"web": 5, "worker": 15}
    assert FILTERS.connect_retry({"restart_sec": 5}, False, 10) is None


def test_env_readers_and_reason_filters():
    assert FILTERS.env_readers("plain") == list(FILTERS.ENVFILE.READERS)
    assert FILTERS.env_readers("two\x85lines") is None
    assert "line break" in FILTERS.env_reason("two\x85lines")
