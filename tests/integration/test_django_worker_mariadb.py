"""The rendered app side against a real MariaDB on this host (fast version of the
molecule/django proof): wait_timeout 2 s, idle gaps of 3 s.

- worker without the helper and with Django's default settings: the first job after the
  gap fails with 2006/2013; with the rendered settings but Django's own engine too; with
  steadydb_worker.db_job and the rendered settings: 0; with the rendered settings alone
  (the steadydb engine closes the idle connection): 0;
- web requests through a real WSGI server (wsgiref; Django's test client disconnects
  close_old_connections, so it cannot show this): CONN_MAX_AGE above wait_timeout fails
  after a gap, the rendered settings do not;
- manage.py check --database default passes with the rendered settings;
- the SQLAlchemy snippet (pool_recycle, pool_pre_ping) survives the same gaps, SQLAlchemy's
  defaults do not.

The Django project is the one of molecule/django/files/project.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECT = os.path.join(REPO, "molecule", "django", "files", "project")
PY = sys.executable
PASSWORD = " it's a \"p@ss\" $HOME #1 \\ `x` %41 "
GONE_AWAY = {2006, 2013, 4031}
WAIT_TIMEOUT = 2
GAP = 3.2

pytest.importorskip("django")

SERVE = r'''
import os, sys, wsgiref.simple_server
sys.path.insert(0, os.getcwd())
from proj.wsgi import application

class Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass

server = wsgiref.simple_server.make_server("127.0.0.1", 0, application, handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
'''


@pytest.fixture
def app(fresh_mariadb, tmp_path):
    server = fresh_mariadb
    server.query("SET GLOBAL wait_timeout = %d" % WAIT_TIMEOUT)
    server.query("SET GLOBAL interactive_timeout = %d" % WAIT_TIMEOUT)
    server.query("CREATE DATABASE web CHARACTER SET utf8mb4")
    server.query("CREATE USER 'web'@'%%' IDENTIFIED BY %s", PASSWORD)
    server.query("GRANT ALL ON web.* TO 'web'@'%'")

    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (tmp_path / "etc").mkdir()
    env_file = tmp_path / "etc" / "web.env"
    plan = {"apps": {"web": {
        "db_user": "web", "db_user_host": "%", "db_name": "web",
        "django": {"CONN_MAX_AGE": 1, "CONN_HEALTH_CHECKS": True,
                   "OPTIONS": {"connect_timeout": 5, "read_timeout": 10, "write_timeout": 10}},
        "sqlalchemy": {"pool_recycle": 1, "pool_pre_ping": True,
                       "connect_args": {"connect_timeout": 5, "read_timeout": 10, "write_timeout": 10}},
    }}}
    variables = {
        "steadydb_plan": plan,
        "vault_web_db_password": PASSWORD,
        "django_db_settings_apps": [{
            "name": "web", "settings_dir": str(project / "proj"), "env_file": str(env_file),
            "owner": "root" if os.geteuid() == 0 else os.environ.get("USER", "root"),
            "group": "root" if os.geteuid() == 0 else os.environ.get("USER", "root"),
            "db_host": "127.0.0.1", "db_port": server.port,
            "db_password": "{{ vault_web_db_password }}", "driver": "pymysql"}],
    }
    (tmp_path / "vars.yml").write_text(json.dumps(variables))
    (tmp_path / "play.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [%s]\n"
        "  roles: [django_db_settings]\n" % (tmp_path / "vars.yml"))
    proc = subprocess.run(
        [os.path.join(os.path.dirname(PY), "ansible-playbook"), "-i", "localhost,", "-c", "local",
         str(tmp_path / "play.yml"), "-e", "ansible_python_interpreter=" + PY],
        cwd=REPO, env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg")),
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert PASSWORD.strip() not in proc.stdout + proc.stderr
    return {"project": str(project), "env_file": str(env_file), "server": server}


def app_env(settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DB_") and k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = settings
    return env


def start_worker(app, settings, helper, jobs=2):
    cmd = [PY, "manage.py", "worker_loop", "--jobs", str(jobs), "--gap", str(GAP)]
    if helper:
        cmd.append("--helper")
    return subprocess.Popen(cmd, cwd=app["project"], env=app_env(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_manage_py_check_database(app):
    proc = subprocess.run([PY, "manage.py", "check", "--database", "default"], cwd=app["project"],
                          env=app_env("proj.settings"), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "System check identified no issues" in proc.stdout


def test_worker_baseline_fails_and_helper_fixes_it(app):
    started = time.monotonic()
    bare = start_worker(app, "proj.settings_default", helper=False)
    rendered_no_helper = start_worker(app, "proj.settings_django_engine", helper=False)
    engine_only = start_worker(app, "proj.settings", helper=False)
    helped = start_worker(app, "proj.settings", helper=True)
    bare, rendered_no_helper, helped = finish(bare), finish(rendered_no_helper), finish(helped)
    engine_only = finish(engine_only)
    assert time.monotonic() - started < 60

    assert bare["jobs"] == 3 and bare["failures"] >= 1, bare
    assert bare["results"][0]["ok"] is True
    assert bare["results"][1]["code"] in GONE_AWAY, bare
    # The rendered numbers with Django's engine do not save a worker: nothing calls
    # close_old_connections. steadydb's engine does (it closes the idle connection).
    assert rendered_no_helper["results"][1]["code"] in GONE_AWAY, rendered_no_helper
    assert engine_only["failures"] == 0, engine_only
    assert len({r["connection_id"] for r in engine_only["results"]}) == 3
    # With the helper: every job succeeds, each on a fresh connection after the gap.
    assert helped["jobs"] == 3 and helped["failures"] == 0, helped
    ids = [r["connection_id"] for r in helped["results"]]
    assert len(set(ids)) == 3


def serve(app, settings):
    proc = subprocess.Popen([PY, "-c", SERVE], cwd=app["project"], env=app_env(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    return proc, port


def get(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/db/" % port, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def test_web_long_conn_max_age_fails_rendered_settings_do_not(app):
    rendered, rendered_port = serve(app, "proj.settings")
    long_age, long_port = serve(app, "proj.settings_long_age")
    try:
        results = {"rendered": [], "long_age": []}
        for number in range(3):
            if number:
                time.sleep(GAP)
            results["rendered"].append(get(rendered_port))
            results["long_age"].append(get(long_port))
    finally:
        for proc in (rendered, long_age):
            proc.terminate()
            proc.wait(10)
    assert all(r["ok"] for r in results["rendered"]), results
    assert results["long_age"][0]["ok"] is True
    assert results["long_age"][1]["ok"] is False, results
    assert results["long_age"][1]["code"] in GONE_AWAY, results


SQLALCHEMY_LOOP = r'''
import json, sys, time
import sqlalchemy
import steadydb_sqlalchemy as s

gap = float(sys.argv[2])
if sys.argv[1] == "rendered":
    engine = s.create_engine()
else:  # baseline: the same URL, SQLAlchemy's defaults (no recycle, no pre-ping)
    engine = sqlalchemy.create_engine(s.database_url())
results = []
for number in range(3):
    if number:
        time.sleep(gap)
    try:
        with engine.connect() as conn:
            results.append({"ok": True, "id": conn.execute(sqlalchemy.text("SELECT CONNECTION_ID()")).scalar()})
    except sqlalchemy.exc.DBAPIError as exc:
        code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
        results.append({"ok": False, "code": code})
print(json.dumps(results))
'''


def test_sqlalchemy_snippet_survives_idle_gaps(app):
    pytest.importorskip("sqlalchemy")
    env = app_env("unused")
    env["PYTHONPATH"] = os.path.join(app["project"], "proj")
    procs = {mode: subprocess.Popen([PY, "-c", SQLALCHEMY_LOOP, mode, str(GAP)], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for mode in ("rendered", "baseline")}
    results = {}
    for mode, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results[mode] = json.loads(out)
    assert all(r["ok"] for r in results["rendered"]), results
    assert results["baseline"][0]["ok"] is True
    assert results["baseline"][1]["ok"] is False and results["baseline"][1]["code"] in GONE_AWAY, results
