"""roles/django_db_settings rendered by a real ansible-playbook run on localhost into a
temporary directory, then the rendered files used the way apps use them.

- the settings snippet imported with environment variables (and without them);
- passwords with quotes, $, #, spaces, backslashes, backquotes and percent signs
  round-tripped through the env file as read by a POSIX shell (set -a; . FILE),
  django-environ's read_env, the snippet's own reader, and DATABASE_URL as parsed by
  dj-database-url and django-environ (conn_max_age never in OPTIONS);
  systemd's EnvironmentFile= is proved in molecule/django (no systemd on this host);
- the SQLAlchemy snippet and the worker helper;
- code ships as code: the package files/steadydb_app is copied byte for byte, the two
  rendered files hold only data (tests/unit/test_steadydb_app_*.py test the package
  itself without Ansible);
- bad input: clear error, nothing written; the env-file merge rule.
"""
import grp
import json
import os
import pwd
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(REPO, "roles", "django_db_settings")
PY = sys.executable
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name

PASSWORDS = {
    "quotes": "it's \"quoted\"",
    "dollar": "$HOME and ${PATH} $(id)",
    "hash": "# not a comment #",
    "spaces": "  lead and trail  ",
    "backslash": "back\\slash\\n\\\\ end\\",
    "backquote": "`id` and \\`",
    "percent": "%41%zz%",
    "wrapped": "\"wrapped in double quotes\"",
    "url": "a=b&c?d@e:f/g+h",
    "unicode": "pässwörd€",
    "all": " it's a \"p@ss\" $HOME #1 \\ `x` %41 ",
}


# Rendered through the role (one app each; a role run costs about 0.6 s per file on a
# small machine). Every entry of PASSWORDS also goes through the same quoting filter
# into one env file read by the same consumers (test_every_password_*).
ROLE_KEYS = ["all", "wrapped", "unicode"]


import steadydb_django as FILTERS  # noqa: E402  (tests/conftest.py puts the role's plugins on the path)


def app_plan(name, conn_max_age=28740, health=True, db_user=None):
    return {
        "db_user": name if db_user is None else db_user,
        "db_user_host": "%",
        "db_name": name + "_db",
        "demand": 10,
        "max_user_connections": 13,
        "effective_idle_timeout": 28800,
        "django": {"CONN_MAX_AGE": conn_max_age, "CONN_HEALTH_CHECKS": health,
                   "OPTIONS": {"connect_timeout": 5, "read_timeout": 90, "write_timeout": 91}},
        "sqlalchemy": {"pool_recycle": conn_max_age, "pool_pre_ping": True,
                       "connect_args": {"connect_timeout": 5, "read_timeout": 90, "write_timeout": 91}},
    }


def run_role(tmp_path, apps, plan_apps, extra_vars=None, check=False):
    """Run the role on localhost; returns (returncode, output)."""
    variables = {"steadydb_plan": {"apps": plan_apps}, "django_db_settings_apps": apps}
    variables.update(extra_vars or {})
    vars_file = tmp_path / ("vars-%d.yml" % len(list(tmp_path.glob("vars-*.yml"))))
    vars_file.write_text(json.dumps(variables))
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [%s]\n"
        "  roles: [django_db_settings]\n" % vars_file)
    cmd = [os.path.join(os.path.dirname(PY), "ansible-playbook"), "-i", "localhost,", "-c", "local",
           str(playbook), "-e", "ansible_python_interpreter=" + PY]
    if check:
        cmd += ["--check", "--diff"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    return proc.returncode, proc.stdout + proc.stderr


def app_entry(tmp_path, name, password_var=None, **extra):
    settings_dir = tmp_path / name / "proj"
    env_dir = tmp_path / name / "etc"
    settings_dir.mkdir(parents=True, exist_ok=True)
    env_dir.mkdir(parents=True, exist_ok=True)
    entry = {"name": name, "settings_dir": str(settings_dir), "env_file": str(env_dir / "app.env"),
             "owner": OWNER, "group": GROUP, "db_host": "db.internal", "db_port": 3307,
             "driver": "pymysql"}
    if password_var:
        entry["db_password"] = "{{ %s }}" % password_var
    entry.update(extra)
    return entry


def py(code, settings_dir, env=None, clear_env=True):
    """Run Python code in a fresh interpreter with settings_dir importable."""
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(settings_dir)}
    if not clear_env:
        base = dict(os.environ, PYTHONPATH=str(settings_dir))
        for key in list(base):
            if key.startswith("DB_") or key == "DATABASE_URL":
                del base[key]
    base.update(env or {})
    return subprocess.run([PY, "-c", code], env=base, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One role run: an app per password, plus 'nofile' without the env-file fallback."""
    tmp_path = tmp_path_factory.mktemp("django_db_settings")
    apps, plan, extra = [], {}, {}
    for key in ROLE_KEYS:
        password = PASSWORDS[key]
        apps.append(app_entry(tmp_path, key, password_var="vault_%s_db_password" % key))
        plan[key] = app_plan(key)
        extra["vault_%s_db_password" % key] = password
    apps.append(app_entry(tmp_path, "nofile", password_var="vault_nofile", load_env_file=False,
                          driver="mysqlclient", ssl_mode="REQUIRED", env_prefix="APP_DB_",
                          database_url_var="APP_DATABASE_URL", engine="django", connect_retry=False))
    plan["nofile"] = app_plan("nofile", conn_max_age=0, health=False)
    extra["vault_nofile"] = "nofile-pw"
    rc, out = run_role(tmp_path, apps, plan, extra)
    assert rc == 0, out
    return {"tmp": tmp_path, "apps": {a["name"]: a for a in apps}, "out": out}


def files_of(app):
    return {"settings_dir": app["settings_dir"], "env_file": app["env_file"]}


# --- the rendered files -------------------------------------------------------------------

def test_files_and_modes(rendered):
    app = rendered["apps"]["all"]
    for name in ("steadydb_db.py", "steadydb_worker.py", "steadydb_sqlalchemy.py",
                 "steadydb_app/__init__.py", "steadydb_app/worker.py"):
        path = os.path.join(app["settings_dir"], name)
        assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert oct(os.stat(os.path.join(app["settings_dir"], "steadydb_app")).st_mode & 0o777) == "0o755"
    assert oct(os.stat(app["env_file"]).st_mode & 0o777) == "0o600"


def shipped_files():
    root = os.path.join(ROLE, "files")
    found = []
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found += [os.path.relpath(os.path.join(base, f), root) for f in files if f.endswith(".py")]
    return sorted(found)


def test_code_is_shipped_byte_for_byte(rendered):
    app = rendered["apps"]["all"]
    files = shipped_files()
    assert "steadydb_app/envfile.py" in files and "steadydb_worker.py" in files
    for name in files:
        with open(os.path.join(ROLE, "files", name), "rb") as src, \
                open(os.path.join(app["settings_dir"], name), "rb") as dst:
            assert src.read() == dst.read(), name


@pytest.mark.parametrize("name", ["steadydb_db.py", "steadydb_sqlalchemy.py"])
def test_rendered_files_hold_only_data(rendered, name):
    """Only assignments of literals, the import of the package and calls into it."""
    import ast

    text = open(os.path.join(rendered["apps"]["nofile"]["settings_dir"], name)).read()
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            # one-line delegations to the package (the SQLAlchemy snippet's API)
            assert len(node.body) == 2 and isinstance(node.body[1], ast.Return), ast.dump(node)
        else:
            assert isinstance(node, (ast.Expr, ast.If, ast.Assign)), ast.dump(node)
    steadydb = [n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "STEADYDB"][0]
    data = ast.literal_eval(steadydb.value)
    assert data["app"] == "nofile" and data["env_prefix"] == "APP_DB_" and data["CONN_MAX_AGE"] == 0
    assert data["limits"] == {"max_user_connections": 13, "demand": 10, "effective_idle_timeout": 28800,
                              "margin_seconds": None, "restart_sec": None}
    # engine django and connect_retry false for this app; the idle limit is the plan's
    # effective idle timeout minus its margin (1 s when the plan has none).
    assert data["engine"] == "django" and data["connect_retry"] is None
    assert data["idle_close_after"] == 28799


def test_engine_and_connect_retry_defaults(rendered):
    import ast

    text = open(os.path.join(rendered["apps"]["all"]["settings_dir"], "steadydb_db.py")).read()
    steadydb = [n for n in ast.parse(text).body if isinstance(n, ast.Assign) and n.targets[0].id == "STEADYDB"][0]
    data = ast.literal_eval(steadydb.value)
    # RestartSec: the plan's default 2 s when the plan has no systemd part; start 10 s.
    assert data["engine"] == "steadydb" and data["connect_retry"] == {"web": 12, "worker": 36}


def test_warning_names_the_readers_not_the_password(rendered):
    out = " ".join(rendered["out"].split())
    # "all" holds ' and $: right for the shell readers only; "unicode" is right for all.
    assert ("WARNING: app all: DB_PASSWORD is right for sh, systemd, django-environ, steadydb only: "
            "it needs backslash escapes") in out
    assert "which python-dotenv and python-decouple do not undo" in out
    assert "WARNING: app unicode" not in out and "WARNING: app nofile" not in out


def test_passwords_never_in_output(rendered):
    for password in (PASSWORDS[key] for key in ROLE_KEYS):
        if len(password.strip()) > 6:
            assert password not in rendered["out"]
    assert "nofile-pw" not in rendered["out"]


def test_snippet_databases_from_env(rendered):
    app = rendered["apps"]["all"]
    env = {"DB_HOST": "h.example", "DB_PORT": "3309", "DB_NAME": "n", "DB_USER": "u",
           "DB_PASSWORD": "from-env"}
    proc = py("import json, steadydb_db as s; print(json.dumps(s.DATABASES))",
              app["settings_dir"], env)
    assert proc.returncode == 0, proc.stderr
    db = json.loads(proc.stdout)["default"]
    assert db == {
        "ENGINE": "steadydb_app.backend", "HOST": "h.example", "PORT": 3309, "NAME": "n",
        "USER": "u", "PASSWORD": "from-env", "CONN_MAX_AGE": 28740, "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5, "read_timeout": 90, "write_timeout": 91,
                    "init_command": "SET sql_mode='STRICT_TRANS_TABLES'", "charset": "utf8mb4"},
    }


def test_snippet_falls_back_to_env_file_process_env_wins(rendered):
    app = rendered["apps"]["all"]
    proc = py("import json, steadydb_db as s; print(json.dumps(s.DATABASES))",
              app["settings_dir"], {"DB_USER": "override"})
    assert proc.returncode == 0, proc.stderr
    db = json.loads(proc.stdout)["default"]
    assert db["PASSWORD"] == PASSWORDS["all"]
    assert db["HOST"] == "db.internal" and db["PORT"] == 3307 and db["NAME"] == "all_db"
    assert db["USER"] == "override"


def test_snippet_pymysql_installed_as_mysqldb(rendered):
    app = rendered["apps"]["all"]
    proc = py("import sys, steadydb_db; import MySQLdb, pymysql; print(MySQLdb is pymysql, "
              "MySQLdb.version_info >= (1, 4, 3))", app["settings_dir"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True"]


@pytest.mark.parametrize("missing", ["HOST", "PORT", "NAME", "USER", "PASSWORD"])
def test_snippet_missing_variable_names_it(rendered, missing):
    app = rendered["apps"]["nofile"]
    env = {"APP_DB_HOST": "h", "APP_DB_PORT": "3306", "APP_DB_NAME": "n", "APP_DB_USER": "u",
           "APP_DB_PASSWORD": "p"}
    del env["APP_DB_" + missing]
    proc = py("import steadydb_db", app["settings_dir"], env)
    assert proc.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in proc.stderr
    assert "APP_DB_%s is not set" % missing in proc.stderr
    assert app["env_file"] in proc.stderr


def test_snippet_bad_port(rendered):
    app = rendered["apps"]["nofile"]
    env = {"APP_DB_HOST": "h", "APP_DB_PORT": "33o6", "APP_DB_NAME": "n", "APP_DB_USER": "u",
           "APP_DB_PASSWORD": "p"}
    proc = py("import steadydb_db", app["settings_dir"], env)
    assert "APP_DB_PORT must be a TCP port" in proc.stderr


def test_mysqlclient_variant(rendered):
    app = rendered["apps"]["nofile"]
    env = {"APP_DB_HOST": "h", "APP_DB_PORT": "3306", "APP_DB_NAME": "n", "APP_DB_USER": "u",
           "APP_DB_PASSWORD": "p"}
    proc = py("import json, sys, steadydb_db as s; assert 'pymysql' not in sys.modules;"
              " print(json.dumps(s.DATABASES))", app["settings_dir"], env)
    assert proc.returncode == 0, proc.stderr
    db = json.loads(proc.stdout)["default"]
    assert db["ENGINE"] == "django.db.backends.mysql"
    assert db["OPTIONS"]["ssl_mode"] == "REQUIRED"
    assert db["CONN_MAX_AGE"] == 0 and db["CONN_HEALTH_CHECKS"] is False


def test_pymysql_variant_has_no_ssl_mode(rendered):
    text = open(os.path.join(rendered["apps"]["all"]["settings_dir"], "steadydb_db.py")).read()
    assert "ssl_mode" not in text.split('"""', 2)[2]


# --- env file round trips -----------------------------------------------------------------

@pytest.mark.parametrize("key", ROLE_KEYS)
def test_password_round_trip_posix_shell(rendered, key):
    app = rendered["apps"][key]
    proc = subprocess.run(["sh", "-c", 'set -a; . "$1"; set +a; printf %s "$DB_PASSWORD"', "sh",
                           app["env_file"]], capture_output=True, env={"PATH": os.environ["PATH"]})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode("utf-8") == PASSWORDS[key]


@pytest.mark.parametrize("key", ROLE_KEYS)
def test_password_round_trip_django_environ_read_env(rendered, key):
    app = rendered["apps"][key]
    code = ("import environ, json, os\n"
            "environ.Env.read_env(%r)\n"
            "env = environ.Env()\n"
            "print(json.dumps({'pw': os.environ['DB_PASSWORD'], 'health': env.bool('DB_CONN_HEALTH_CHECKS'),"
            " 'age': env.int('DB_CONN_MAX_AGE'), 'port': env.int('DB_PORT')}))" % app["env_file"])
    proc = py(code, app["settings_dir"], clear_env=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got == {"pw": PASSWORDS[key], "health": True, "age": 28740, "port": 3307}


@pytest.mark.parametrize("key", ROLE_KEYS)
def test_password_round_trip_snippet_reader_and_filter(rendered, key):
    app = rendered["apps"][key]
    proc = py("import json, steadydb_db as s; from steadydb_app import envfile;"
              " print(json.dumps(envfile.read_env_file(s.STEADYDB['env_file'])))",
              app["settings_dir"], {"DB_HOST": "h", "DB_PORT": "1", "DB_NAME": "n", "DB_USER": "u",
                                    "DB_PASSWORD": "p"})
    assert proc.returncode == 0, proc.stderr
    values = json.loads(proc.stdout)
    assert values["DB_PASSWORD"] == PASSWORDS[key]
    assert values["DB_CONN_HEALTH_CHECKS"] == "True"
    line = [ln for ln in open(app["env_file"]).read().splitlines() if ln.startswith("DB_PASSWORD=")][0]
    assert FILTERS.env_unquote(line.split("=", 1)[1]) == PASSWORDS[key]


@pytest.mark.parametrize("key", ROLE_KEYS)
def test_database_url_dj_database_url(rendered, key):
    import dj_database_url

    app = rendered["apps"][key]
    values = FILTERS_READ(app["env_file"])
    parsed = dj_database_url.parse(values["DATABASE_URL"], conn_max_age=int(values["DB_CONN_MAX_AGE"]),
                                   conn_health_checks=values["DB_CONN_HEALTH_CHECKS"] == "True")
    assert parsed["PASSWORD"] == PASSWORDS[key]
    assert parsed["USER"] == key and parsed["NAME"] == key + "_db"
    assert parsed["HOST"] == "db.internal" and parsed["PORT"] == 3307
    assert parsed["ENGINE"] == "django.db.backends.mysql"
    assert parsed["CONN_MAX_AGE"] == 28740 and parsed["CONN_HEALTH_CHECKS"] is True
    assert parsed["OPTIONS"] == {"connect_timeout": 5, "read_timeout": 90, "write_timeout": 91,
                                 "charset": "utf8mb4",
                                 "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
    assert not {"conn_max_age", "CONN_MAX_AGE", "conn_health_checks"} & set(parsed["OPTIONS"])


@pytest.mark.parametrize("key", ROLE_KEYS)
def test_database_url_django_environ(rendered, key):
    import environ

    app = rendered["apps"][key]
    values = FILTERS_READ(app["env_file"])
    parsed = environ.Env.db_url_config(values["DATABASE_URL"])
    assert parsed["PASSWORD"] == PASSWORDS[key]
    assert parsed["USER"] == key and parsed["NAME"] == key + "_db"
    assert parsed["HOST"] == "db.internal" and parsed["PORT"] == 3307
    assert parsed["ENGINE"] == "django.db.backends.mysql"
    assert "CONN_MAX_AGE" not in parsed
    assert parsed["OPTIONS"] == {"connect_timeout": 5, "read_timeout": 90, "write_timeout": 91,
                                 "charset": "utf8mb4",
                                 "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}


def FILTERS_READ(path):  # noqa: N802 - reads like a constant helper
    values = {}
    for line in open(path, encoding="utf-8").read().splitlines():
        if line and not line.startswith("#"):
            key, _, raw = line.partition("=")
            values[key] = FILTERS.env_unquote(raw)
    return values


@pytest.fixture(scope="module")
def every_password_file(tmp_path_factory):
    """All PASSWORDS as P_<key> lines, quoted by the role's filter, in one env file."""
    path = tmp_path_factory.mktemp("env") / "all.env"
    with open(path, "w", encoding="utf-8") as f:
        f.write("# comment line\n")
        for key, value in PASSWORDS.items():
            f.write("P_%s=%s\n" % (key.upper(), FILTERS.env_quote(value)))
    return str(path)


def test_every_password_posix_shell(every_password_file):
    script = 'set -a; . "$1"; set +a; printf "%s\\0" ' + " ".join('"$P_%s"' % k.upper() for k in PASSWORDS)
    proc = subprocess.run(["sh", "-c", script, "sh", every_password_file], capture_output=True,
                          env={"PATH": os.environ["PATH"]})
    assert proc.returncode == 0, proc.stderr
    got = proc.stdout.decode("utf-8").split("\0")[:-1]
    assert dict(zip(PASSWORDS, got)) == PASSWORDS


def test_every_password_django_environ_read_env(every_password_file):
    code = ("import environ, json, os\n"
            "environ.Env.read_env(%r)\n"
            "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('P_')}))"
            % every_password_file)
    proc = py(code, "/nonexistent", clear_env=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert {k: got["P_" + k.upper()] for k in PASSWORDS} == PASSWORDS


def test_every_password_snippet_reader(rendered, every_password_file):
    app = rendered["apps"]["all"]
    proc = py("import json, steadydb_db as s; from steadydb_app import envfile;"
              " print(json.dumps(envfile.read_env_file(%r)))" % every_password_file,
              app["settings_dir"], clear_env=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert {k: got["P_" + k.upper()] for k in PASSWORDS} == PASSWORDS


@pytest.mark.parametrize("key", sorted(PASSWORDS))
def test_every_password_database_url(key):
    import dj_database_url
    import environ

    url = FILTERS.database_url("u", PASSWORDS[key], "h", 3306, "n", {"connect_timeout": 5})
    assert dj_database_url.parse(url)["PASSWORD"] == PASSWORDS[key]
    assert environ.Env.db_url_config(url)["PASSWORD"] == PASSWORDS[key]



def test_env_file_content(rendered):
    text = open(rendered["apps"]["all"]["env_file"]).read()
    lines = text.splitlines()
    assert lines[0] == "# BEGIN steadydb django_db_settings app=all"
    assert lines[-1] == "# END steadydb django_db_settings app=all"
    assert "DB_CONN_HEALTH_CHECKS='True'" in lines
    assert "DB_CONN_MAX_AGE='28740'" in lines
    assert "DB_READ_TIMEOUT='90'" in lines and "DB_WRITE_TIMEOUT='91'" in lines
    url = [ln for ln in lines if ln.startswith("DATABASE_URL=")][0]
    assert "conn_max_age" not in url.lower()


# --- SQLAlchemy and the worker helper -----------------------------------------------------

def test_sqlalchemy_snippet(rendered):
    app = rendered["apps"]["all"]
    code = ("import json, steadydb_sqlalchemy as s\n"
            "url = s.database_url(); engine = s.create_engine()\n"
            "print(json.dumps({'kw': s.ENGINE_KWARGS, 'pw': url.password, 'driver': url.drivername,"
            " 'host': url.host, 'port': url.port, 'db': url.database,"
            " 'recycle': engine.pool._recycle, 'ping': engine.pool._pre_ping}))")
    proc = py(code, app["settings_dir"], clear_env=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["kw"] == {"pool_recycle": 28740, "pool_pre_ping": True,
                         "connect_args": {"connect_timeout": 5, "read_timeout": 90, "write_timeout": 91,
                                          "charset": "utf8mb4"}}
    assert got["pw"] == PASSWORDS["all"]
    assert (got["driver"], got["host"], got["port"], got["db"]) == ("mysql+pymysql", "db.internal", 3307, "all_db")
    assert got["recycle"] == 28740 and got["ping"] is True


def test_sqlalchemy_missing_variable(rendered):
    app = rendered["apps"]["nofile"]
    proc = py("import steadydb_sqlalchemy as s; s.database_url()", app["settings_dir"],
              {"APP_DB_HOST": "h", "APP_DB_PORT": "3306", "APP_DB_NAME": "n", "APP_DB_USER": "u"})
    assert "SteadydbConfigError" in proc.stderr and "APP_DB_PASSWORD is not set" in proc.stderr


def test_worker_helper_calls_close_old_connections(rendered):
    app = rendered["apps"]["all"]
    code = """
import steadydb_worker as w
import steadydb_app.worker
calls = []
steadydb_app.worker.close_old_connections = lambda: calls.append("close")

@w.db_job
def job(x):
    calls.append("job")
    return x * 2

assert job(2) == 4
with w.db_job():
    calls.append("ctx")
try:
    with w.db_job():
        calls.append("boom")
        raise KeyError("x")
except KeyError:
    calls.append("raised")
for item in w.db_job_iter([1, 2]):
    calls.append("item%d" % item)
print(",".join(calls))
"""
    proc = py(code, app["settings_dir"], clear_env=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ",".join([
        "close", "job", "close", "close", "ctx", "close", "close", "boom", "close", "raised",
        "close", "item1", "close", "close", "item2", "close"])


def test_worker_helper_documents_a_consumer_loop(rendered):
    text = open(os.path.join(rendered["apps"]["all"]["settings_dir"], "steadydb_app", "worker.py")).read()
    assert "for message in consumer:" in text and "with db_job():" in text


# --- bad input: clear error, nothing written ----------------------------------------------

def written(tmp_path):
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
                  if p.is_file() and not p.name.startswith(("vars-", "play.yml")))


def test_missing_password_variable(tmp_path):
    apps = [app_entry(tmp_path, "good", password_var="vault_good"),
            app_entry(tmp_path, "web", password_var="vault_web_db_password")]
    rc, out = run_role(tmp_path, apps, {"good": app_plan("good"), "web": app_plan("web")},
                       {"vault_good": "pw"})
    assert rc != 0
    assert "vault_web_db_password" in out
    assert written(tmp_path) == []


def test_missing_password_variable_by_name(tmp_path):
    apps = [app_entry(tmp_path, "good", password_var="vault_good"),
            app_entry(tmp_path, "web", db_password_var="vault_web_db_password")]
    rc, out = run_role(tmp_path, apps, {"good": app_plan("good"), "web": app_plan("web")},
                       {"vault_good": "pw"})
    assert rc != 0
    assert "app 'web': the password variable 'vault_web_db_password' (db_password_var) is not defined" in out
    assert written(tmp_path) == []


def test_no_db_user_in_plan(tmp_path):
    apps = [app_entry(tmp_path, "good", password_var="vault_good"),
            app_entry(tmp_path, "web", password_var="vault_good")]
    rc, out = run_role(tmp_path, apps, {"good": app_plan("good"), "web": app_plan("web", db_user="")},
                       {"vault_good": "pw"})
    assert rc != 0
    assert "app 'web': the plan has no db_user" in out
    assert written(tmp_path) == []


def test_app_not_in_plan(tmp_path):
    apps = [app_entry(tmp_path, "web", password_var="vault_good")]
    rc, out = run_role(tmp_path, apps, {"other": app_plan("other")}, {"vault_good": "pw"})
    assert rc != 0
    assert "app 'web': not in steadydb_plan.apps (the plan has: other)" in out
    assert written(tmp_path) == []


def test_env_dir_missing(tmp_path):
    good = app_entry(tmp_path, "good", password_var="vault_good")
    bad = app_entry(tmp_path, "web", password_var="vault_good")
    bad["env_file"] = str(tmp_path / "no" / "such" / "dir" / "web.env")
    rc, out = run_role(tmp_path, [good, bad], {"good": app_plan("good"), "web": app_plan("web")},
                       {"vault_good": "pw"})
    assert rc != 0
    assert "%s does not exist or is not a directory; it is never created here" \
        % (tmp_path / "no" / "such" / "dir") in " ".join(out.split())
    assert written(tmp_path) == []


def test_pymysql_with_ssl_mode_refused(tmp_path):
    apps = [app_entry(tmp_path, "web", password_var="vault_good", ssl_mode="REQUIRED")]
    rc, out = run_role(tmp_path, apps, {"web": app_plan("web")}, {"vault_good": "pw"})
    assert rc != 0 and "ssl_mode is a mysqlclient option" in out
    assert written(tmp_path) == []


def test_password_with_newline_refused(tmp_path):
    apps = [app_entry(tmp_path, "web", password_var="vault_good")]
    rc, out = run_role(tmp_path, apps, {"web": app_plan("web")}, {"vault_good": "two\nlines"})
    assert rc != 0 and "contains a newline" in out
    assert "two\nlines" not in out
    assert written(tmp_path) == []


def test_password_with_other_line_break_refused(tmp_path):
    # U+0085 (NEL): django-environ splits lines on it (str.splitlines).
    apps = [app_entry(tmp_path, "web", password_var="vault_good")]
    rc, out = run_role(tmp_path, apps, {"web": app_plan("web")}, {"vault_good": "nel\x85secret"})
    assert rc != 0 and "app 'web': the password contains a line break character" in out
    assert "secret" not in out
    assert written(tmp_path) == []


# --- env file merge rule ------------------------------------------------------------------

def test_merge_keeps_the_deploys_keys(tmp_path):
    app = app_entry(tmp_path, "web", password_var="vault_good")
    deploy_lines = "# added by the deploy\nSECRET_KEY='s3cr3t$'\nexport SENTRY_DSN=\"https://x@y/1\"\n"
    with open(app["env_file"], "w") as f:
        f.write(deploy_lines)
    os.chmod(app["env_file"], 0o644)
    rc, out = run_role(tmp_path, [app], {"web": app_plan("web")}, {"vault_good": "pw1"})
    assert rc == 0, out
    text = open(app["env_file"]).read()
    assert text.startswith(deploy_lines)
    assert "# BEGIN steadydb django_db_settings app=web\n" in text
    assert oct(os.stat(app["env_file"]).st_mode & 0o777) == "0o600"

    # The deploy appends a key after the block; steadydb rewrites only its block.
    with open(app["env_file"], "a") as f:
        f.write("WORKERS=4\n")
    rc, out = run_role(tmp_path, [app], {"web": app_plan("web")}, {"vault_good": "pw2"})
    assert rc == 0, out
    text = open(app["env_file"]).read()
    assert text.startswith(deploy_lines) and text.endswith("# END steadydb django_db_settings app=web\nWORKERS=4\n")
    assert "DB_PASSWORD='pw2'" in text and "pw1" not in text
    assert text.count("# BEGIN steadydb") == 1

    rc, out = run_role(tmp_path, [app], {"web": app_plan("web")}, {"vault_good": "pw2"})
    assert rc == 0 and "changed=0" in out, out


def test_merge_refuses_to_shadow_a_managed_key(tmp_path):
    app = app_entry(tmp_path, "web", password_var="vault_good")
    original = "SECRET_KEY=x\nDB_PASSWORD=old\nexport DATABASE_URL=mysql://a\n"
    with open(app["env_file"], "w") as f:
        f.write(original)
    rc, out = run_role(tmp_path, [app], {"web": app_plan("web")}, {"vault_good": "pw"})
    assert rc != 0
    assert "DB_PASSWORD (line 2), DATABASE_URL (line 3)" in out
    assert "nothing was written" in out
    assert open(app["env_file"]).read() == original
    assert not os.path.exists(os.path.join(app["settings_dir"], "steadydb_db.py"))


def test_a_hardlinked_env_file_is_refused_and_the_other_file_keeps_its_mode_and_lines(tmp_path):
    # The env file's directory is the deploy's: a hard link there may be another name of
    # root's /etc/shadow (fs.protected_hardlinks off). Before, the role set 0600 and the
    # app owner on that inode and merged its lines into the env file.
    app = app_entry(tmp_path, "web", password_var="vault_good")
    other = tmp_path / "shadow"
    other.write_text("root:$y$j9T$hash:19000:0:99999:7:::\n")
    os.chmod(str(other), 0o640)
    os.link(str(other), app["env_file"])
    for check in (True, False):
        rc, out = run_role(tmp_path, [app], {"web": app_plan("web")}, {"vault_good": "pw"},
                           check=check)
        assert rc != 0
        assert "app.env has 2 hard links" in " ".join(out.split()) and "nothing was written" in out
        assert "$y$j9T$hash" not in out
    assert oct(os.stat(str(other)).st_mode & 0o777) == "0o640" and os.stat(str(other)).st_nlink == 2
    assert other.read_text() == "root:$y$j9T$hash:19000:0:99999:7:::\n"
    assert not os.path.exists(os.path.join(app["settings_dir"], "steadydb_db.py"))


def test_a_failing_check_leaves_every_app_unwritten(tmp_path):
    # Two apps, the second one's env file would shadow a managed key: the first app is
    # fine, but nothing of either app is written (the checks of every app come first).
    good = app_entry(tmp_path, "good", password_var="vault_good")
    bad = app_entry(tmp_path, "web", password_var="vault_good")
    original = "SECRET_KEY=x\nDB_HOST=old\n"
    with open(bad["env_file"], "w") as f:
        f.write(original)
    rc, out = run_role(tmp_path, [good, bad], {"good": app_plan("good"), "web": app_plan("web")},
                       {"vault_good": "pw"})
    assert rc != 0
    assert "%s: sets keys that steadydb manages outside its block: DB_HOST (line 2)" \
        % bad["env_file"] in " ".join(out.split())
    assert written(tmp_path) == [os.path.relpath(bad["env_file"], tmp_path)]
    assert open(bad["env_file"]).read() == original


def test_env_file_that_is_a_directory_refused(tmp_path):
    good = app_entry(tmp_path, "good", password_var="vault_good")
    bad = app_entry(tmp_path, "web", password_var="vault_good")
    os.mkdir(bad["env_file"])
    rc, out = run_role(tmp_path, [good, bad], {"good": app_plan("good"), "web": app_plan("web")},
                       {"vault_good": "pw"})
    assert rc != 0
    assert "%s exists but is not a regular file" % bad["env_file"] in out
    assert written(tmp_path) == []


def test_write_refused_by_the_host_writes_nothing_and_says_why(tmp_path):
    # The write call checks every file of every app before it writes one (here an owner
    # the host does not know); its message is shown although the task is no_log.
    good = app_entry(tmp_path, "good", password_var="vault_good")
    bad = app_entry(tmp_path, "web", password_var="vault_good", owner="no-such-user-sdb")
    rc, out = run_role(tmp_path, [good, bad], {"good": app_plan("good"), "web": app_plan("web")},
                       {"vault_good": "hidden-pw-123"})
    assert rc != 0
    assert "django_db_settings: Refused, nothing was written" in out
    assert "no such user 'no-such-user-sdb'" in out
    assert "hidden-pw-123" not in out
    assert written(tmp_path) == []


def test_merge_refuses_a_broken_block(tmp_path):
    app = app_entry(tmp_path, "web", password_var="vault_good")
    original = "# BEGIN steadydb django_db_settings app=web\nDB_HOST=x\n"
    with open(app["env_file"], "w") as f:
        f.write(original)
    rc, out = run_role(tmp_path, [app], {"web": app_plan("web")}, {"vault_good": "pw"})
    assert rc != 0 and "start line but no end line" in out
    assert open(app["env_file"]).read() == original


def test_check_mode_writes_nothing_and_hides_the_password(tmp_path):
    app = app_entry(tmp_path, "web", password_var="vault_good")
    rc, out = run_role(tmp_path, [app], {"web": app_plan("web")}, {"vault_good": "hidden-pw-123"},
                       check=True)
    assert rc == 0, out
    assert written(tmp_path) == []
    assert "hidden-pw-123" not in out


def test_check_diff_shows_the_env_change_with_secrets_masked(tmp_path):
    # Before: "changed" and no diff at all. Now the diff names the keys, shows the plan's
    # settings and hides the password, the URL and the deploy's own lines.
    app = app_entry(tmp_path, "web", password_var="vault_good")
    with open(app["env_file"], "w") as f:
        f.write("SENTRY_DSN=https://deploy-secret@sentry\n")
    rc, out = run_role(tmp_path, [app], {"web": app_plan("web", conn_max_age=240)},
                       {"vault_good": "hidden-pw-123"}, check=True)
    assert rc == 0, out
    assert "%s (before)" % app["env_file"] in out
    assert "+DB_CONN_MAX_AGE='240'" in out
    assert "+DB_PASSWORD=********" in out and "+DATABASE_URL=********" in out
    assert "hidden-pw-123" not in out and "deploy-secret" not in out
    rc, out = run_role(tmp_path, [app], {"web": app_plan("web", conn_max_age=240)},
                       {"vault_good": "hidden-pw-123"}, check=False)
    assert rc == 0, out
    rc, out = run_role(tmp_path, [app], {"web": app_plan("web", conn_max_age=240)},
                       {"vault_good": "hidden-pw-123"}, check=True)
    assert "(before)" not in out  # nothing changes, nothing shown
