"""The app stage between the read call and the write call, in Python
(steadydb_django.app_stage and app_files_diff): the checks of the targets in the role's
order, the env merge, and the trees handed to app_files. No ansible-playbook."""
import base64
import importlib.util
import os

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "django_db_settings")
_spec = importlib.util.spec_from_file_location(
    "steadydb_django_stage", os.path.join(ROLE, "filter_plugins", "steadydb_django.py"))
F = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(F)

DEFAULTS = {"driver": "mysqlclient", "engine": "steadydb", "init_command": "SET x=1",
            "charset": "utf8mb4", "connect_retry": "True", "server_start_seconds": "10"}
ENTRY = {"db_user": "u", "db_name": "n", "django": {
    "CONN_MAX_AGE": 240, "CONN_HEALTH_CHECKS": True,
    "OPTIONS": {"connect_timeout": 5, "read_timeout": 60, "write_timeout": 60}},
    "sqlalchemy": {"pool_recycle": 240, "pool_pre_ping": True, "connect_args": {}}}
PLAN = {"apps": {"web": ENTRY, "jobs": ENTRY}}
SOURCES = {"__init__.py": "", "backend/base.py": "x = 1\n"}
WORKER = "shim\n"


def checked():
    apps = [{"name": name, "settings_dir": "/srv/%s/proj" % name, "env_file": "/etc/%s/app.env" % name,
             "owner": name, "group": "www"} for name in ("web", "jobs")]
    passwords = [{"value": "pw-secret-%d" % i, "variable": "v", "problem": ""} for i in range(2)]
    out = F.check_apps(apps, PLAN, DEFAULTS, passwords)
    assert out["problems"] == []
    return out["apps"]


def block(app):
    return "%s\nDB_PASSWORD='pw-secret'\n%s\n" % (app["begin_marker"], app["end_marker"])


def rendered(apps):
    return [{"env.j2": block(app), "steadydb_db.py.j2": "db of %s\n" % app["name"],
             "steadydb_sqlalchemy.py.j2": "sqla of %s\n" % app["name"]} for app in apps]


def found(directories=None, files=None):
    dirs = dict((path, {"exists": True, "isdir": True})
                for path in ("/srv/web/proj", "/srv/jobs/proj", "/etc/web", "/etc/jobs"))
    dirs.update(directories or {})
    return {"directories": dirs, "files": files or {}}


def content(text):
    return {"exists": True, "isreg": True, "content": base64.b64encode(text.encode()).decode()}


def stage(apps, where):
    return F.app_stage(apps, where, rendered(apps), SOURCES, WORKER, "0644", "0755")


def test_trees_of_every_app():
    apps = checked()
    env = "# deploy\nSECRET_KEY='x'\n"
    out = stage(apps, found(files={"/etc/web/app.env": content(env)}))
    assert out["problems"] == []
    web_code, web_env, jobs_code, jobs_env = out["trees"]
    assert web_code == {"dest": "/srv/web/proj", "owner": "web", "group": "www", "mode": "0644",
                        "directory_mode": "0755", "files": {
                            "steadydb_app/__init__.py": "", "steadydb_app/backend/base.py": "x = 1\n",
                            "steadydb_worker.py": WORKER, "steadydb_db.py": "db of web\n",
                            "steadydb_sqlalchemy.py": "sqla of web\n"}}
    assert web_env["dest"] == "/etc/web" and web_env["mode"] == "0600" and "files" not in web_env
    assert web_env["secret_files"] == {"app.env": env + block(apps[0])}
    assert jobs_env["secret_files"] == {"app.env": block(apps[1])}
    assert jobs_code["dest"] == "/srv/jobs/proj"
    assert out["env"][0] == {"path": "/etc/web/app.env", "env_prefix": "DB_", "old": env,
                             "new": env + block(apps[0])}


def test_merge_keeps_lines_around_the_block():
    apps = checked()
    old = "A=1\n" + block(apps[0]).replace("pw-secret", "old") + "B=2\n"
    out = stage(apps, found(files={"/etc/web/app.env": content(old)}))
    assert out["trees"][1]["secret_files"]["app.env"] == "A=1\n" + block(apps[0]) + "B=2\n"


def test_missing_directories_first_and_nothing_laid_out():
    apps = checked()
    where = found({"/etc/jobs": {"exists": False, "isdir": False},
                   "/srv/web/proj": {"exists": True, "isdir": False}},
                  {"/etc/web/app.env": {"exists": True, "isreg": False, "content": None}})
    out = stage(apps, where)
    assert out["problems"] == [
        "django_db_settings: these directories do not exist or are not directories: /etc/jobs, "
        "/srv/web/proj. The role does not create them (it cannot guess their owner and mode): "
        "create them in the deploy, or fix settings_dir / env_file."]
    assert out["trees"] == [] and out["env"] == []


def test_env_file_not_regular_then_merge_conflicts():
    apps = checked()
    out = stage(apps, found(files={"/etc/web/app.env": {"exists": True, "isreg": False, "content": None},
                                   "/etc/jobs/app.env": content("DB_HOST=x\n")}))
    assert out["problems"] == ["django_db_settings: /etc/web/app.env exists but is not a regular file"]
    out = stage(apps, found(files={"/etc/jobs/app.env": content("S=1\nDB_HOST=x\n")}))
    assert out["problems"] == [
        "django_db_settings: app 'jobs': /etc/jobs/app.env: sets keys that steadydb manages outside "
        "its block: DB_HOST (line 2). Remove those lines (the block will carry the values) and run "
        "again; nothing was written."]
    assert out["trees"] == []


def test_diff_shows_code_and_masks_env():
    apps = checked()
    out = stage(apps, found(files={"/etc/web/app.env": content("SENTRY=https://deploy-secret@x\n")}))
    result = {"changed_files": ["/srv/web/proj/steadydb_db.py", "/etc/web/app.env"], "diff": [
        {"before_header": "/srv/web/proj/steadydb_db.py", "after_header": "/srv/web/proj/steadydb_db.py",
         "before": "old\n", "after": "db of web\n"},
        {"prepared": "/etc/web/app.env: content changes (secret, not shown)"}]}
    text = F.app_files_diff(result, out["env"])
    assert "--- /srv/web/proj/steadydb_db.py (before)\n+++ /srv/web/proj/steadydb_db.py (after)" in text
    assert "-old\n+db of web" in text
    assert "--- /etc/web/app.env (before)" in text and "+DB_PASSWORD=********" in text
    assert "pw-secret" not in text and "deploy-secret" not in text
    assert "/etc/jobs/app.env" not in text  # unchanged: not shown
    assert F.app_files_diff({"changed_files": []}, out["env"]) == ""


def test_targets_of_the_read_call():
    assert F.app_targets(checked()) == {
        "directories": ["/srv/web/proj", "/srv/jobs/proj", "/etc/web", "/etc/jobs"],
        "files": ["/etc/web/app.env", "/etc/jobs/app.env"]}
