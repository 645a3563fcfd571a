"""Issue 12, items 5 and 13: secrets through the real ansible-playbook CLI.

5.  A password in an Ansible Vault file (the whole file encrypted, the usual practice)
    is a *trusted* string for ansible-core 2.19: reading it the ordinary way evaluates
    any Jinja inside it (``ab{{ 7*7 }}cd`` became ``ab49cd``, ``{% raw %}`` stopped the
    run). The password must reach the env file byte for byte; a newline or NUL byte is
    refused with the app and the variable named, never the value.
13. ``audit-db.yml -vvv`` printed the deploy's own secrets from the app's env file
    (REDIS_PASS, SENTRY_DSN, STRIPE_API_KEY): the audit keeps only the keys steadydb
    writes, from its managed block.
"""
import grp
import json
import os
import pwd
import subprocess
import sys
import urllib.parse

import pytest

pytestmark = pytest.mark.hostile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.dirname(sys.executable)
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
VAULT_PASS = "hostile-vault-pass"

# Every character class an env file reader or a template engine might interpret.
HOSTILE = "ab{{ 7*7 }}cd{% raw %}x{# not a comment #}$HOME ${PATH} $(id) `id` 'sq' \"dq\" \\ \\n %41 end\\"
# The same, without the unbalanced {% raw %} (for the db_password: "{{ var }}" form, which
# Ansible's argument-spec validation reads before the role starts).
HOSTILE_VALID_JINJA = "ab{{ 7*7 }}cd{# c #}$HOME `id` 'q' \"q\" \\ %41"


def app_plan(name):
    return {"db_user": name, "db_user_host": "%", "db_name": name + "_db",
            "django": {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True,
                       "OPTIONS": {"connect_timeout": 5, "read_timeout": 90, "write_timeout": 91}},
            "sqlalchemy": {"pool_recycle": 60, "pool_pre_ping": True, "connect_args": {}}}


def app_entry(tmp_path, name, **extra):
    (tmp_path / name / "proj").mkdir(parents=True, exist_ok=True)
    (tmp_path / name / "etc").mkdir(parents=True, exist_ok=True)
    entry = {"name": name, "settings_dir": str(tmp_path / name / "proj"),
             "env_file": str(tmp_path / name / "etc" / "app.env"),
             "owner": OWNER, "group": GROUP, "db_host": "127.0.0.1", "db_port": 3306,
             "driver": "pymysql"}
    entry.update(extra)
    return entry


def ansible_env():
    return dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                ANSIBLE_FORCE_COLOR="0", PATH=BIN + os.pathsep + os.environ["PATH"])


def encrypted_vars_file(tmp_path, variables):
    """A vars file encrypted whole with ansible-vault (its values are trusted templates)."""
    (tmp_path / "vault-pass").write_text(VAULT_PASS)
    path = tmp_path / "vault.yml"
    path.write_text(json.dumps(variables))
    subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt", "--vault-password-file",
                    str(tmp_path / "vault-pass"), str(path)],
                   check=True, capture_output=True, env=ansible_env(), timeout=60)
    assert path.read_text().startswith("$ANSIBLE_VAULT")
    return path


def run_role(tmp_path, apps, plan_apps, secrets, verbosity=0):
    (tmp_path / "vars.yml").write_text(json.dumps(
        {"steadydb_plan": {"apps": plan_apps}, "django_db_settings_apps": apps}))
    vault = encrypted_vars_file(tmp_path, secrets)
    (tmp_path / "play.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [%s, %s]\n"
        "  roles: [django_db_settings]\n" % (tmp_path / "vars.yml", vault))
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
           str(tmp_path / "play.yml"), "--vault-password-file", str(tmp_path / "vault-pass"),
           "-e", "ansible_python_interpreter=" + sys.executable]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    proc = subprocess.run(cmd, cwd=REPO, env=ansible_env(), capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def shell_read(env_file, *names):
    """The values as a POSIX shell sees them after `set -a; . FILE`, as bytes."""
    script = 'set -a; . "$1"; shift; for n; do eval "printf \'%s\\0\' \\"\\$$n\\""; done'
    out = subprocess.run(["sh", "-c", script, "sh", env_file] + list(names),
                         capture_output=True, check=True, timeout=30).stdout
    return out.split(b"\0")[:-1]


def assert_byte_for_byte(env_file, password):
    db_password, url = shell_read(env_file, "DB_PASSWORD", "DATABASE_URL")
    assert db_password == password.encode("utf-8")
    netloc = urllib.parse.urlsplit(url.decode()).netloc
    assert urllib.parse.unquote(netloc.rsplit("@", 1)[0].split(":", 1)[1]) == password


# --- item 5: the password reaches the env file byte for byte --------------------------------

def test_vault_password_by_name_is_not_evaluated(tmp_path):
    """Before the fix: rc 2, "Syntax error in template: Missing end of raw directive"
    (and without the {% raw %}: DB_PASSWORD="ab49cd...")."""
    apps = [app_entry(tmp_path, "web", db_password_var="vault_web_db_password")]
    rc, out = run_role(tmp_path, apps, {"web": app_plan("web")}, {"vault_web_db_password": HOSTILE},
                       verbosity=3)
    assert rc == 0, out
    assert_byte_for_byte(apps[0]["env_file"], HOSTILE)
    assert "7*7" not in out and "not a comment" not in out


def test_vault_password_followed_through_a_plain_reference(tmp_path):
    """group_vars: web_db_password: "{{ vault_web_db_password }}" (the Vault best practice),
    db_password_var: web_db_password -> the vault value, not evaluated."""
    apps = [app_entry(tmp_path, "web", db_password_var="web_db_password")]
    rc, out = run_role(tmp_path, apps, {"web": app_plan("web")},
                       {"vault_web_db_password": HOSTILE, "web_db_password": "{{ vault_web_db_password }}"})
    assert rc == 0, out
    assert_byte_for_byte(apps[0]["env_file"], HOSTILE)


def test_vault_password_by_value_reference_is_not_evaluated(tmp_path):
    """db_password: "{{ vault_web_db_password }}" (the documented form).
    Before the fix: DB_PASSWORD="ab49cd$HOME ..."."""
    apps = [app_entry(tmp_path, "web", db_password="{{ vault_web_db_password }}")]
    rc, out = run_role(tmp_path, apps, {"web": app_plan("web")},
                       {"vault_web_db_password": HOSTILE_VALID_JINJA})
    assert rc == 0, out
    assert_byte_for_byte(apps[0]["env_file"], HOSTILE_VALID_JINJA)


def test_expression_behind_db_password_var_is_refused(tmp_path):
    """A variable named by db_password_var whose whole value is an expression other than a
    plain reference: the role cannot know whether it is the password or a template, so it
    stops (naming app and variable) instead of guessing."""
    apps = [app_entry(tmp_path, "web", db_password_var="web_db_password")]
    rc, out = run_role(tmp_path, apps, {"web": app_plan("web")},
                       {"web_db_password": "{{ 'secret-' ~ 'x' | upper }}"})
    assert rc != 0
    assert "app 'web'" in out and "web_db_password" in out and "expression" in out
    assert not os.path.exists(apps[0]["env_file"])


BAD_PASSWORDS = {"newline": "first\nsecond-line-secret", "nul": "nul\x00byte-secret",
                 "cr": "cr\rreturn-secret"}


def test_password_with_line_break_or_nul_refused_without_the_value(tmp_path):
    """One run, one app per bad password: every app and variable named, no value shown
    (-vvv), nothing written. Before the fix the message named the app only."""
    apps = [app_entry(tmp_path, name, db_password_var="vault_%s_db_password" % name) for name in BAD_PASSWORDS]
    rc, out = run_role(tmp_path, apps, dict((name, app_plan(name)) for name in BAD_PASSWORDS),
                       dict(("vault_%s_db_password" % name, bad) for name, bad in BAD_PASSWORDS.items()),
                       verbosity=3)
    assert rc != 0
    for name, label in (("newline", "a newline"), ("nul", "a NUL byte"), ("cr", "a carriage return")):
        assert "app '%s': the password variable 'vault_%s_db_password' (db_password_var) contains %s" % (
            name, name, label) in out, out
    assert "-secret" not in out
    assert not any(os.path.exists(app["env_file"]) for app in apps)


# --- item 13: the audit keeps only steadydb's keys -------------------------------------------

FOREIGN = {
    "REDIS_PASS": "redis-pass-foreign-1",
    "SENTRY_DSN": "https://sentry-key-foreign-2@o1.ingest.example/3",
    "STRIPE_API_KEY": "sk_live_foreign_3",
    "AWS_ACCESS_KEY_ID": "AKIAFOREIGN4",
}
DB_SECRET = "db-pass-steadydb-5"


def env_text(prefix="DB_", url_var="DATABASE_URL"):
    lines = ["# the deploy's own lines",
             "REDIS_PASS='%s'" % FOREIGN["REDIS_PASS"],
             "export SENTRY_DSN=\"%s\"" % FOREIGN["SENTRY_DSN"],
             "# BEGIN steadydb django_db_settings app=shop",
             "%sHOST='127.0.0.1'" % prefix,
             "%sPORT='3306'" % prefix,
             "%sNAME='shop'" % prefix,
             "%sUSER='shop'" % prefix,
             "%sPASSWORD='%s'" % (prefix, DB_SECRET),
             "%sCONN_MAX_AGE='60'" % prefix,
             "%sCONN_HEALTH_CHECKS='True'" % prefix,
             "%sCONNECT_TIMEOUT='5'" % prefix,
             "%sREAD_TIMEOUT='90'" % prefix,
             "%sWRITE_TIMEOUT='91'" % prefix,
             # someone edited the block by hand: not a key steadydb writes
             "STRIPE_API_KEY='%s'" % FOREIGN["STRIPE_API_KEY"],
             "%s='mysql://shop:%s@127.0.0.1:3306/shop'" % (url_var, DB_SECRET),
             "# END steadydb django_db_settings app=shop",
             "AWS_ACCESS_KEY_ID=%s" % FOREIGN["AWS_ACCESS_KEY_ID"]]
    return "\n".join(lines) + "\n"


def test_audit_vvv_prints_no_secret_of_the_env_file(mariadb, tmp_path):
    """Before the fix: REDIS_PASS, SENTRY_DSN, STRIPE_API_KEY and AWS_ACCESS_KEY_ID values
    in the -vvv output (module args of mysql_audit, the set_fact result)."""
    env_file = tmp_path / "shop.env"
    env_file.write_text(env_text())
    env_file.chmod(0o600)
    report = tmp_path / "report.json"
    inventory = {"all": {
        "hosts": {"box": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
        "children": {"db": {"hosts": {"box": {}}}, "app": {"hosts": {"box": {}}}},
        "vars": {
            "steadydb_login_host": mariadb.host, "steadydb_login_port": mariadb.port,
            "steadydb_login_user": mariadb.user, "steadydb_config_file": "",
            "steadydb_apps": [{"name": "shop", "db_user": "shop", "db_name": "shop",
                               "processes_per_host": 2, "longest_request_seconds": 30}],
            "django_db_settings_apps": [{"name": "shop", "settings_dir": str(tmp_path),
                                         "env_file": str(env_file), "owner": OWNER, "group": GROUP,
                                         "db_password_var": "vault_shop_db_password"}],
        }}}
    (tmp_path / "hosts.yml").write_text(json.dumps(inventory))
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"),
         os.path.join(REPO, "playbooks", "audit-db.yml"), "-vvv",
         "-e", "steadydb_audit_report=%s" % report],
        cwd=REPO, env=ansible_env(), capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert "TASK [Audit server, unit and apps against the plan]" in out, out
    assert "mysql_audit" in out
    leaked = [key for key, value in FOREIGN.items() if value in out]
    assert leaked == [], "foreign secrets in the -vvv output: %s" % leaked
    assert DB_SECRET not in out
    # the audit still sees steadydb's own settings
    data = json.loads(report.read_text())
    assert all(value not in json.dumps(data) for value in FOREIGN.values())
    assert "app_settings_missing" not in [f["code"] for f in data["findings"]], data
