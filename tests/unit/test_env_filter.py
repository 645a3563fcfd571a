"""The audit reads back only what steadydb wrote into an env file (issue 12 item 13):
the non-secret keys of the app's managed block, read like a shell would. The deploy's
own keys and secrets, inside or outside the block, never come out."""
import os
import subprocess

import pytest

import steadydb_django
from steadydb_env import ALLOWED_SUFFIXES, env_audit_targets, env_settings

from ansible.errors import AnsibleFilterError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


FOREIGN = {"REDIS_PASS": "redis-secret", "SENTRY_DSN": "https://key@sentry/1",
           "STRIPE_API_KEY": "sk_live_x", "MY_TOKEN": "tok", "OTHER": "a b"}

TEXT = """# deploy's own
REDIS_PASS='redis-secret'
export SENTRY_DSN="https://key@sentry/1"
DB_CONN_MAX_AGE='1'
# BEGIN steadydb django_db_settings app=web
DB_HOST='127.0.0.1'
DB_PORT='3306'
DB_PASSWORD="p\\$ 'q\\" #x"
DB_CONN_MAX_AGE='240'
DB_CONN_HEALTH_CHECKS='True'
STRIPE_API_KEY='sk_live_x'
export OTHER="a b"   # hand edit inside the block
DATABASE_URL='mysql://u:p@h/db'
# END steadydb django_db_settings app=web
MY_TOKEN=tok
not even an assignment
"""


def test_keeps_only_the_non_secret_keys_of_the_apps_block():
    assert env_settings(TEXT, "web") == {"DB_HOST": "127.0.0.1", "DB_PORT": "3306", "DB_CONN_MAX_AGE": "240",
                                         "DB_CONN_HEALTH_CHECKS": "True"}


def test_no_foreign_value_and_no_password_comes_out():
    out = repr(env_settings(TEXT, "web"))
    for value in list(FOREIGN.values()) + ["p\\$", "mysql://"]:
        assert value not in out


def test_allow_list_is_the_role_key_list_minus_secrets():
    role = steadydb_django
    assert set(ALLOWED_SUFFIXES) == set(role.ENV_KEY_SUFFIXES) - {"PASSWORD"}
    assert "PASSWORD" in role.ENV_KEY_SUFFIXES


def test_reads_every_key_the_role_writes():
    """Writer and reader share one definition: a block written by env_block reads back
    with every non-secret key."""
    role = steadydb_django
    app = {"env_prefix": "APP_DB_", "database_url_var": "APP_URL", "db_host": "db", "db_port": 3307,
           "db_name": "n", "db_user": "u", "conn_max_age": 60, "conn_health_checks": True,
           "options": {"connect_timeout": 5, "read_timeout": 90, "write_timeout": 91},
           "url_options": {"charset": "utf8mb4"}}
    markers = role.env_markers("web")
    text = "\n".join([markers["begin"], role.env_block(app, "s3cret pw"), markers["end"]]) + "\n"
    settings = env_settings(text, "web", "APP_DB_", "APP_URL")
    assert sorted(settings) == sorted("DB_" + s for s in ALLOWED_SUFFIXES)
    assert settings["DB_PORT"] == "3307" and settings["DB_CONN_MAX_AGE"] == "60"
    assert "s3cret" not in repr(settings)


def test_other_apps_block_is_not_read():
    assert env_settings(TEXT, "shop") is None


@pytest.mark.parametrize("text", ["", "DB_HOST='x'\n",
                                  "# BEGIN steadydb django_db_settings app=web\nDB_HOST='x'\n",
                                  "# END steadydb django_db_settings app=web\n"
                                  "# BEGIN steadydb django_db_settings app=web\n"])
def test_no_complete_block_is_none(text):
    assert env_settings(text, "web") is None


def test_reads_values_as_a_posix_shell_does(tmp_path):
    env = tmp_path / "app.env"
    env.write_text(TEXT.replace("not even an assignment\n", ""))
    shell = subprocess.run(["sh", "-c", 'set -a; . "$1"; printf %s "$DB_HOST|$DB_CONN_MAX_AGE"', "sh", str(env)],
                           capture_output=True, text=True, check=True).stdout
    parsed = env_settings(TEXT, "web")
    assert shell == "%s|%s" % (parsed["DB_HOST"], parsed["DB_CONN_MAX_AGE"])


def test_a_broken_quote_in_the_block_names_app_line_and_key_not_the_value():
    text = "# BEGIN steadydb django_db_settings app=web\nDB_HOST='unterminated-value\n" \
           "# END steadydb django_db_settings app=web\n"
    with pytest.raises(AnsibleFilterError, match="app web: env file block line 1 \\(DB_HOST\\)") as info:
        env_settings(text, "web")
    assert "unterminated-value" not in str(info.value)


def test_audit_targets_never_carry_the_password():
    apps = [{"name": "web", "env_file": "/e", "db_password": "pw", "db_password_var": "v", "owner": "o"},
            {"name": "jobs", "env_file": "/j", "env_prefix": "J_", "database_url_var": "J_URL"}]
    assert env_audit_targets(apps) == [
        {"name": "web", "env_file": "/e", "env_prefix": "DB_", "database_url_var": "DATABASE_URL"},
        {"name": "jobs", "env_file": "/j", "env_prefix": "J_", "database_url_var": "J_URL"}]


def test_audit_targets_refuse_a_non_list():
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        env_audit_targets("web")


def test_env_audit_settings_reads_each_slurp_result():
    import base64
    from steadydb_env import env_audit_settings
    text = ("# BEGIN steadydb django_db_settings app=web\nDB_HOST='db1'\nDB_PASSWORD='s3cret'\n"
            "# END steadydb django_db_settings app=web\n")
    results = [
        {"item": {"name": "web", "env_prefix": "DB_", "database_url_var": "DATABASE_URL"},
         "content": base64.b64encode(text.encode()).decode()},
        {"item": {"name": "gone", "env_prefix": "DB_", "database_url_var": "DATABASE_URL"},
         "failed": True},
    ]
    assert env_audit_settings(results) == {"web": {"DB_HOST": "db1"}, "gone": None}
    with pytest.raises(AnsibleFilterError):
        env_audit_settings([{"content": "x"}])


def test_app_settings_for_merges_only_the_app_hosts_of_this_db_host():
    from steadydb_env import app_settings_for
    hosts = [{"steadydb_audit_db_host": "db1", "steadydb_audit_app_settings": {"web": {"a": 1}}},
             {"steadydb_audit_db_host": "db2", "steadydb_audit_app_settings": {"other": {}}},
             {"steadydb_audit_db_host": "db1", "steadydb_audit_app_settings": {"api": None}},
             {}]
    assert app_settings_for(hosts, "db1") == {"web": {"a": 1}, "api": None}
    assert app_settings_for([], "db1") == {}
