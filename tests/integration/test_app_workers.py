"""The shipped helper package (roles/django_db_settings/files/steadydb_app) in a real
Django 5.2 project against a real MariaDB, without Ansible: the package is copied as
the role copies it and steadydb_db.py is rendered from the role's template with the
role's own filters (plain Jinja2). wait_timeout 2 s, idle gaps of 3 s.

- db_job inside Django's TestCase (an atomic block) keeps the test's connection;
- an ``async def`` job decorated with db_job survives an idle gap, without it fails;
- rq: SteadydbWorker (SimpleWorker + SteadydbJob) survives the gap, SimpleWorker fails
  (queue in fakeredis: no redis-server here; the worker and the jobs are rq's own);
- dramatiq: a real Worker on a StubBroker with DbConnectionsMiddleware survives the
  gap, without it fails.
"""
import json
import os
import shutil
import subprocess
import sys

import jinja2
import pytest

from conftest import _make_server

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(REPO, "roles", "django_db_settings")
PROJECT = os.path.join(REPO, "molecule", "django", "files", "project")
PY = sys.executable
PASSWORD = "it's $HOME `x` \\ #1"
GONE_AWAY = {2006, 2013, 4031}
WAIT_TIMEOUT = 2
GAP = 3.2

pytest.importorskip("django")


import steadydb_django as FILTERS  # noqa: E402  (tests/conftest.py puts the role's plugins on the path)


def render_app(settings_dir, env_file, port, conn_max_age=1, max_user_connections=13, demand=10):
    """What the role writes, without Ansible: the package copied, the data rendered."""
    files = os.path.join(ROLE, "files")
    shutil.copytree(os.path.join(files, "steadydb_app"), os.path.join(settings_dir, "steadydb_app"),
                    ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    shutil.copy(os.path.join(files, "steadydb_worker.py"), settings_dir)
    options = {"connect_timeout": 5, "read_timeout": 10, "write_timeout": 10,
               "init_command": "SET sql_mode='STRICT_TRANS_TABLES'", "charset": "utf8mb4"}
    item = {"name": "web", "env_file": env_file, "env_prefix": "DB_", "alias": "default",
            "driver": "pymysql", "load_env_file": True, "conn_max_age": conn_max_age,
            "conn_health_checks": True, "options": options,
            "sqlalchemy": {"pool_recycle": conn_max_age, "pool_pre_ping": True,
                           "connect_args": {"connect_timeout": 5}},
            "limits": {"max_user_connections": max_user_connections, "demand": demand,
                       "effective_idle_timeout": WAIT_TIMEOUT, "restart_sec": 2}}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, "templates")),
                             keep_trailing_newline=True)
    env.filters.update(FILTERS.FilterModule().filters())
    text = env.get_template("steadydb_db.py.j2").render(item=item, ansible_managed="test")
    with open(os.path.join(settings_dir, "steadydb_db.py"), "w") as handle:
        handle.write(text)
    lines = ["DB_HOST=" + FILTERS.env_quote("127.0.0.1"), "DB_PORT=" + FILTERS.env_quote(port),
             "DB_NAME='web'", "DB_USER='web'", "DB_PASSWORD=" + FILTERS.env_quote(PASSWORD)]
    with open(env_file, "w") as handle:
        handle.write("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    server = _make_server(tmp_path_factory).start()
    try:
        for sql in ("SET GLOBAL wait_timeout = %d" % WAIT_TIMEOUT,
                    "SET GLOBAL interactive_timeout = %d" % WAIT_TIMEOUT,
                    "CREATE DATABASE web CHARACTER SET utf8mb4"):
            server.query(sql)
        server.query("CREATE USER 'web'@'%%' IDENTIFIED BY %s WITH MAX_USER_CONNECTIONS 13", PASSWORD)
        server.query("GRANT ALL ON web.* TO 'web'@'%'")
        server.query("GRANT ALL ON test_web.* TO 'web'@'%'")  # Django's test database
        tmp = tmp_path_factory.mktemp("app")
        project = tmp / "project"
        shutil.copytree(PROJECT, project)
        render_app(str(project / "proj"), str(tmp / "web.env"), server.port)
        yield {"project": str(project), "server": server, "tmp": tmp}
    finally:
        server.stop()


def app_env(settings="proj.settings"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DB_") and k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = settings
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# The baselines run on Django's own engine: steadydb's engine alone already survives the
# gap (tests/integration/test_app_engine.py), which would hide what the helpers do.
BARE = "proj.settings_django_engine"


def run(app, args, timeout=120, settings="proj.settings"):
    return subprocess.run([PY] + args, cwd=app["project"], env=app_env(settings),
                          capture_output=True, text=True, timeout=timeout)


def outcome(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_db_job_inside_testcase_keeps_the_connection(app):
    proc = run(app, ["manage.py", "test", "jobs", "--noinput", "-v", "2"], timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Ran 3 tests" in proc.stderr and "OK" in proc.stderr


def test_async_job_across_an_idle_gap(app):
    args = ["manage.py", "async_loop", "--jobs", "1", "--gap", str(GAP)]
    bare = subprocess.Popen([PY] + args, cwd=app["project"], env=app_env(BARE),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    helped = run(app, args + ["--helper"])
    out, err = bare.communicate(timeout=120)
    bare = outcome(subprocess.CompletedProcess(args, bare.returncode, out, err))
    helped = outcome(helped)
    assert bare["failures"] == 1 and bare["codes"][0] in GONE_AWAY, bare
    assert helped["failures"] == 0, helped
    assert helped["results"][0]["connection_id"] != helped["results"][1]["connection_id"]


RQ_LOOP = r'''
import json, sys, time
import django
django.setup()
import fakeredis
from rq import Queue
from rq.worker import SimpleWorker
from proj.steadydb_app.rq_worker import SteadydbWorker
from proj.views import error_code

mode, gap = sys.argv[1], float(sys.argv[2])
redis = fakeredis.FakeStrictRedis()
queue = Queue("q", connection=redis)
worker_class = SteadydbWorker if mode == "helper" else SimpleWorker
results = []
for number in range(2):
    if number:
        time.sleep(gap)
    job = queue.enqueue("jobs.tasks.connection_id")
    worker_class([queue], connection=redis).work(burst=True)
    job.refresh()
    if job.is_finished:
        results.append({"ok": True, "connection_id": job.return_value()})
    else:
        text = job.latest_result().exc_string or ""
        code = next((c for c in (2006, 2013, 4031) if "(%d," % c in text), None)
        results.append({"ok": False, "code": code, "error": text[-200:]})
print(json.dumps(results))
'''


def test_rq_worker_class_across_an_idle_gap(app):
    pytest.importorskip("rq")
    pytest.importorskip("fakeredis")
    procs = {mode: subprocess.Popen([PY, "-c", RQ_LOOP, mode, str(GAP)], cwd=app["project"],
                                    env=app_env(BARE if mode == "bare" else "proj.settings"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for mode in ("helper", "bare")}
    results = {}
    for mode, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        results[mode] = json.loads(out.strip().splitlines()[-1])
    assert all(r["ok"] for r in results["helper"]), results
    assert results["helper"][0]["connection_id"] != results["helper"][1]["connection_id"]
    assert results["bare"][0]["ok"] and not results["bare"][1]["ok"], results
    assert results["bare"][1]["code"] in GONE_AWAY, results


DRAMATIQ_LOOP = r'''
import json, sys, time
import django
django.setup()
import dramatiq
from dramatiq.brokers.stub import StubBroker
from proj.steadydb_app.dramatiq_middleware import DbConnectionsMiddleware
from proj.views import error_code
from jobs.tasks import connection_id

mode, gap = sys.argv[1], float(sys.argv[2])
broker = StubBroker()
if mode == "helper":
    broker.add_middleware(DbConnectionsMiddleware())
dramatiq.set_broker(broker)
results = []

@dramatiq.actor(max_retries=0)
def job():
    try:
        results.append({"ok": True, "connection_id": connection_id()})
    except django.db.Error as exc:
        results.append({"ok": False, "code": error_code(exc), "error": str(exc)[:200]})

worker = dramatiq.Worker(broker, worker_threads=1)
worker.start()
for number in range(2):
    if number:
        time.sleep(gap)
    job.send()
    broker.join(job.queue_name, timeout=30000)
    worker.join()
worker.stop()
print(json.dumps(results))
'''


def test_dramatiq_middleware_across_an_idle_gap(app):
    pytest.importorskip("dramatiq")
    procs = {mode: subprocess.Popen([PY, "-c", DRAMATIQ_LOOP, mode, str(GAP)], cwd=app["project"],
                                    env=app_env(BARE if mode == "bare" else "proj.settings"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for mode in ("helper", "bare")}
    results = {}
    for mode, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        results[mode] = json.loads(out.strip().splitlines()[-1])
    assert len(results["helper"]) == 2 and all(r["ok"] for r in results["helper"]), results
    assert results["bare"][0]["ok"] and not results["bare"][1]["ok"], results
    assert results["bare"][1]["code"] in GONE_AWAY, results
