"""The app stage on the controller, in Python (steadydb_django.app_stage and
app_files_diff): the trees handed to app_files (which checks the targets and merges the
env files on the host, tests/unit/test_tree_files.py) and the --diff text made of its
result. No ansible-playbook."""

import steadydb_django as F  # tests/conftest.py puts the role's plugins on the path

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


def stage(apps):
    return F.app_stage(apps, rendered(apps), SOURCES, WORKER, "0644", "0755")


def test_trees_of_every_app():
    apps = checked()
    out = stage(apps)
    web_code, web_env, jobs_code, jobs_env = out["trees"]
    assert web_code == {"dest": "/srv/web/proj", "owner": "web", "group": "www", "mode": "0644",
                        "directory_mode": "0755", "files": {
                            "steadydb_app/__init__.py": "", "steadydb_app/backend/base.py": "x = 1\n",
                            "steadydb_worker.py": WORKER, "steadydb_db.py": "db of web\n",
                            "steadydb_sqlalchemy.py": "sqla of web\n"}}
    assert web_env == {"dest": "/etc/web", "owner": "web", "group": "www", "mode": "0600", "env_blocks": [{
        "name": "app.env", "block": block(apps[0]),
        "begin_marker": "# BEGIN steadydb django_db_settings app=web",
        "end_marker": "# END steadydb django_db_settings app=web",
        "managed_keys": apps[0]["env_keys"],
        "shown_keys": ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_CONN_MAX_AGE", "DB_CONN_HEALTH_CHECKS",
                       "DB_CONNECT_TIMEOUT", "DB_READ_TIMEOUT", "DB_WRITE_TIMEOUT"]}]}
    assert jobs_env["env_blocks"][0]["block"] == block(apps[1])
    assert jobs_code["dest"] == "/srv/jobs/proj"
    # The password and the URL holding it are managed, never shown.
    assert {"DB_PASSWORD", "DATABASE_URL"} <= set(apps[0]["env_keys"])
    assert not {"DB_PASSWORD", "DATABASE_URL"} & set(web_env["env_blocks"][0]["shown_keys"])


def test_diff_shows_code_files_and_the_modules_masked_env_diff():
    result = {"changed_files": ["/srv/web/proj/steadydb_db.py", "/etc/web/app.env"], "diff": [
        {"before_header": "/srv/web/proj/steadydb_db.py", "after_header": "/srv/web/proj/steadydb_db.py",
         "before": "old\n", "after": "db of web\n"},
        {"prepared": "--- /etc/web/app.env (before)\n+++ /etc/web/app.env (after)\n+DB_PASSWORD=********"}]}
    text = F.app_files_diff(result)
    assert "--- /srv/web/proj/steadydb_db.py (before)\n+++ /srv/web/proj/steadydb_db.py (after)" in text
    assert "-old\n+db of web" in text
    assert text.endswith("--- /etc/web/app.env (before)\n+++ /etc/web/app.env (after)\n+DB_PASSWORD=********")
    assert F.app_files_diff({"changed_files": []}) == ""
