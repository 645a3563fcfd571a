"""The read and write functions behind app_files_info and app_files (the app stage in two
module calls), on a temporary directory, without Ansible."""
import base64
import json
import os
import stat

import pytest

from ansible.module_utils.steadydb import tree_files
from ansible.module_utils.steadydb.tree_files import (WriteError, changed_files, check_relative,
                                                       directories_of, plan_trees, read_paths,
                                                       write_trees)


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x.py", "a/../../x", "a//b", "./a",
                                  "a\\b", "a\x00b", None])
def test_only_paths_inside_dest(path):
    with pytest.raises(ValueError):
        check_relative(path)


def test_directories_parents_first():
    assert directories_of(["a.py", "m/c/x.py", "m/y.py", "b/z.py"]) == ["b", "m", "m/c"]
    assert check_relative("m/c/x.py") == ["m", "c", "x.py"]


def test_only_files_whose_content_differs(tmp_path):
    (tmp_path / "same.py").write_text("x = 1\n")
    (tmp_path / "old.py").write_text("x = 1\n")
    files = {"same.py": "x = 1\n", "old.py": "x = 2\n", "new/n.py": "pass\n"}
    assert changed_files(str(tmp_path), files) == ["new/n.py", "old.py"]


# --- helpers: the module's write and attribute functions, without a module ----------------

def atomic_write(path, text):
    """Like option_tree.write_atomic: a temporary file beside it, then a rename."""
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.rename(tmp, path)


def set_attributes(path, attrs, changed):
    """A stand-in for set_fs_attributes_if_different: mode only (owner left to the test)."""
    if attrs.get("mode") is not None:
        mode = int(attrs["mode"], 8)
        if stat.S_IMODE(os.lstat(path).st_mode) != mode:
            os.chmod(path, mode)
            return True
    return changed


def mode_of(path):
    return oct(stat.S_IMODE(os.stat(path).st_mode))


def app_trees(root, name, env_text="DB_PASSWORD='s3cret'\n"):
    settings, etc = root / name / "proj", root / name / "etc"
    settings.mkdir(parents=True)
    etc.mkdir(parents=True)
    return [
        {"dest": str(settings), "mode": "0644", "directory_mode": "0755",
         "files": {"steadydb_db.py": "DATABASES = {}\n", "steadydb_app/__init__.py": "",
                   "steadydb_app/backend/base.py": "x = 1\n"}},
        {"dest": str(etc), "mode": "0600", "secret_files": {"app.env": env_text}},
    ]


def every_file(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --- a failing check leaves every file of every app unwritten ------------------------------

@pytest.mark.parametrize("spoil", ["escape", "env_is_a_directory", "dest_missing", "twice",
                                   "file_in_the_way_of_a_directory"])
def test_a_failing_check_writes_nothing_of_any_app(tmp_path, spoil):
    trees = app_trees(tmp_path, "good") + app_trees(tmp_path, "bad")
    bad_settings, bad_env = trees[2], trees[3]
    if spoil == "escape":
        bad_settings["files"]["../../good/proj/evil.py"] = "boom\n"
    elif spoil == "env_is_a_directory":
        os.mkdir(os.path.join(bad_env["dest"], "app.env"))
    elif spoil == "dest_missing":
        bad_env["dest"] = str(tmp_path / "bad" / "no-such-dir")
    elif spoil == "twice":
        bad_env["dest"] = trees[0]["dest"]
        bad_env["secret_files"] = {"steadydb_db.py": "x"}
    else:
        (tmp_path / "bad" / "proj" / "steadydb_app").write_text("not a directory")
    before = every_file(tmp_path)
    plan, problems = plan_trees(trees)
    assert problems, spoil
    # The module fails with the problems before it calls write_trees: nothing written.
    assert every_file(tmp_path) == before
    assert not os.path.exists(tmp_path / "good" / "proj" / "steadydb_app")


def test_problems_name_paths_never_content(tmp_path):
    trees = app_trees(tmp_path, "web", env_text="DB_PASSWORD='hunter2'\n")
    os.mkdir(os.path.join(trees[1]["dest"], "app.env"))
    trees[0]["files"]["/etc/passwd"] = "hunter2"
    _, problems = plan_trees(trees)
    text = " ".join(problems)
    assert "app.env exists but is not a regular file" in text
    assert "'/etc/passwd' is absolute" in text
    assert "hunter2" not in text


# --- the write ------------------------------------------------------------------------------

def test_write_every_file_of_every_app(tmp_path):
    trees = app_trees(tmp_path, "web") + app_trees(tmp_path, "jobs")
    os.chmod(tmp_path / "web" / "proj", 0o750)
    plan, problems = plan_trees(trees)
    assert problems == []
    changed, written, created, diffs = write_trees(plan, atomic_write, set_attributes, diff=True)
    assert changed
    assert len(written) == 8
    assert created == [str(tmp_path / app / "proj" / sub) for app in ("jobs", "web")
                       for sub in ("steadydb_app",)] + [
        str(tmp_path / app / "proj" / "steadydb_app" / "backend") for app in ("jobs", "web")]
    web = tmp_path / "web"
    assert (web / "etc" / "app.env").read_text() == "DB_PASSWORD='s3cret'\n"
    assert mode_of(web / "etc" / "app.env") == "0o600"
    assert mode_of(web / "proj" / "steadydb_db.py") == "0o644"
    assert mode_of(web / "proj" / "steadydb_app") == "0o755"
    assert mode_of(web / "proj" / "steadydb_app" / "backend") == "0o755"
    # dest itself is never created nor changed
    assert mode_of(web / "proj") == "0o750"
    # the diff shows code, names secret files only
    secret = [d for d in diffs if "prepared" in d]
    assert [d["prepared"] for d in secret] == [
        "%s: content changes (secret, not shown)" % (tmp_path / app / "etc" / "app.env")
        for app in ("web", "jobs")]
    assert "s3cret" not in repr(diffs)
    assert {"before_header": str(web / "proj" / "steadydb_db.py"),
            "after_header": str(web / "proj" / "steadydb_db.py"),
            "before": "", "after": "DATABASES = {}\n"} in diffs

    # Again: nothing changes.
    plan, problems = plan_trees(trees)
    assert write_trees(plan, atomic_write, set_attributes, diff=True) == (False, [], [], [])

    # A mode drifts: changed, no content written.
    os.chmod(web / "etc" / "app.env", 0o644)
    plan, _ = plan_trees(trees)
    changed, written, created, diffs = write_trees(plan, atomic_write, set_attributes)
    assert changed and written == [] and mode_of(web / "etc" / "app.env") == "0o600"


def test_check_mode_reports_and_writes_nothing(tmp_path):
    trees = app_trees(tmp_path, "web")
    (tmp_path / "web" / "proj" / "steadydb_db.py").write_text("old\n")
    before = every_file(tmp_path)
    plan, _ = plan_trees(trees)

    def no_write(path, text):
        raise AssertionError("written in check mode: %s" % path)

    def report_only(path, attrs, changed):
        return changed or stat.S_IMODE(os.lstat(path).st_mode) != int(attrs["mode"], 8)

    changed, written, created, diffs = write_trees(plan, no_write, report_only,
                                                   make_directory=no_write, check_mode=True,
                                                   diff=True)
    assert changed
    assert str(tmp_path / "web" / "proj" / "steadydb_db.py") in written
    assert str(tmp_path / "web" / "proj" / "steadydb_app") in created
    assert every_file(tmp_path) == before
    assert {"before_header": str(tmp_path / "web" / "proj" / "steadydb_db.py"),
            "after_header": str(tmp_path / "web" / "proj" / "steadydb_db.py"),
            "before": "old\n", "after": "DATABASES = {}\n"} in diffs


def test_existing_env_file_is_narrowed_before_the_secret_lands(tmp_path):
    trees = app_trees(tmp_path, "web", env_text="DB_PASSWORD='new'\n")
    env = tmp_path / "web" / "etc" / "app.env"
    env.write_text("DB_PASSWORD='old'\n")
    os.chmod(env, 0o644)
    seen = []

    def write(path, text):
        if path == str(env):
            seen.append(mode_of(path))  # the mode the file has when the new text arrives
        atomic_write(path, text)

    plan, _ = plan_trees(trees)
    write_trees(plan, write, set_attributes)
    assert seen == ["0o600"]


def test_new_secret_files_are_created_under_umask_077(tmp_path):
    trees = app_trees(tmp_path, "web")
    umasks = {}

    def write(path, text):
        umask = os.umask(0)
        os.umask(umask)
        umasks[os.path.basename(path)] = umask
        atomic_write(path, text)

    previous = os.umask(0o022)
    try:
        plan, _ = plan_trees(trees)
        write_trees(plan, write, set_attributes)
        assert os.umask(0o022) == 0o022  # restored
    finally:
        os.umask(previous)
    assert umasks.pop("app.env") == 0o077
    assert set(umasks.values()) == {0o022}  # code files and directories: the process's umask


def test_write_error_reports_what_was_written(tmp_path):
    trees = app_trees(tmp_path, "web")
    plan, _ = plan_trees(trees)
    calls = []

    def write(path, text):
        if calls:
            raise OSError(28, "No space left on device")
        calls.append(path)
        atomic_write(path, text)

    with pytest.raises(WriteError) as info:
        write_trees(plan, write, set_attributes)
    assert info.value.written == calls
    assert "No space left" in str(info.value)


def test_symlinked_code_file_is_replaced_secret_symlink_refused(tmp_path):
    trees = app_trees(tmp_path, "web")
    outside = tmp_path / "outside.py"
    outside.write_text("keep\n")
    os.symlink(str(outside), str(tmp_path / "web" / "proj" / "steadydb_db.py"))
    plan, problems = plan_trees(trees)
    assert problems == []
    write_trees(plan, atomic_write, set_attributes)
    assert outside.read_text() == "keep\n"
    assert not os.path.islink(tmp_path / "web" / "proj" / "steadydb_db.py")

    trees = app_trees(tmp_path, "other")
    os.symlink(str(outside), os.path.join(trees[1]["dest"], "app.env"))
    _, problems = plan_trees(trees)
    assert problems == ["%s exists but is not a regular file" % os.path.join(trees[1]["dest"], "app.env")]


# --- owner and group --------------------------------------------------------------------------

def test_owner_left_alone_when_unset(tmp_path):
    trees = app_trees(tmp_path, "web")
    plan, problems = plan_trees(trees)
    assert problems == []
    assert {f["attrs"]["owner"] for f in plan["files"]} == {None}


def test_not_root_may_keep_its_own_user_but_not_give_files_away(tmp_path, monkeypatch):
    me = os.getuid()
    monkeypatch.setattr(tree_files.os, "geteuid", lambda: me + 1000)
    monkeypatch.setattr(tree_files.os, "getegid", lambda: 4242)
    monkeypatch.setattr(tree_files.os, "getgroups", lambda: [4242])
    trees = app_trees(tmp_path, "web")
    for tree in trees:
        tree["owner"], tree["group"] = str(me + 1000), "4242"
    # Existing files already owned by another user, new files: owned by "us".
    _, problems = plan_trees(trees)
    assert problems == [], problems
    trees[0]["owner"] = str(me + 2000)
    _, problems = plan_trees(trees)
    assert problems and all("only root can give it to user id %d" % (me + 2000) in p for p in problems)
    trees[0]["owner"], trees[0]["group"] = str(me + 1000), "5151"
    _, problems = plan_trees(trees)
    assert problems and all("cannot give it to group id 5151" in p for p in problems)


def test_unknown_user_refused(tmp_path):
    trees = app_trees(tmp_path, "web")
    trees[1]["owner"] = "no-such-user-steadydb"
    _, problems = plan_trees(trees)
    assert len(problems) == 1 and "no such user 'no-such-user-steadydb'" in problems[0]


# --- the read ---------------------------------------------------------------------------------

def test_read_paths(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_bytes(b"A='1'\n\xff")
    (tmp_path / "envdir").mkdir()
    os.symlink(str(tmp_path / "f"), str(tmp_path / "link"))
    os.symlink(str(tmp_path / "d"), str(tmp_path / "dlink"))
    found = read_paths([str(tmp_path / "d"), str(tmp_path / "f"), str(tmp_path / "none"),
                        str(tmp_path / "dlink")],
                       [str(tmp_path / "f"), str(tmp_path / "envdir"), str(tmp_path / "none"),
                        str(tmp_path / "link")])
    assert found["directories"] == {
        str(tmp_path / "d"): {"exists": True, "isdir": True},
        str(tmp_path / "f"): {"exists": True, "isdir": False},
        str(tmp_path / "none"): {"exists": False, "isdir": False},
        str(tmp_path / "dlink"): {"exists": True, "isdir": False}}
    files = found["files"]
    assert base64.b64decode(files[str(tmp_path / "f")]["content"]) == b"A='1'\n\xff"
    assert files[str(tmp_path / "envdir")] == {"exists": True, "isreg": False, "content": None}
    assert files[str(tmp_path / "none")] == {"exists": False, "isreg": False, "content": None}
    assert files[str(tmp_path / "link")] == {"exists": True, "isreg": False, "content": None}


# --- the modules, in-process ------------------------------------------------------------------

def run_module(module, args, capsys, monkeypatch):
    """Run a module's main() with ``args``; returns its JSON result."""
    import json

    from ansible.module_utils import basic
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode())
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy")
    with pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def test_module_refuses_everything_when_one_tree_is_bad(tmp_path, capsys, monkeypatch):
    import app_files
    trees = app_trees(tmp_path, "good") + app_trees(tmp_path, "bad", env_text="DB_PASSWORD='hunter2'\n")
    os.mkdir(os.path.join(trees[3]["dest"], "app.env"))
    result = run_module(app_files, {"trees": trees}, capsys, monkeypatch)
    assert result["failed"] and "nothing was written" in result["msg"]
    assert "app.env exists but is not a regular file" in result["msg"]
    assert every_file(tmp_path) == []
    assert "hunter2" not in json.dumps(result)


def test_module_writes_reports_and_hides_secrets(tmp_path, capsys, monkeypatch):
    import app_files
    trees = app_trees(tmp_path, "web", env_text="DB_PASSWORD='hunter2'\n")
    args = {"trees": trees, "_ansible_diff": True}
    result = run_module(app_files, dict(args, _ansible_check_mode=True), capsys, monkeypatch)
    assert result["changed"] and len(result["changed_files"]) == 4
    assert every_file(tmp_path) == []
    result = run_module(app_files, args, capsys, monkeypatch)
    assert result["changed"] and len(result["changed_files"]) == 4
    assert (tmp_path / "web" / "etc" / "app.env").read_text() == "DB_PASSWORD='hunter2'\n"
    assert mode_of(tmp_path / "web" / "etc" / "app.env") == "0o600"
    assert "hunter2" not in json.dumps(result)
    result = run_module(app_files, args, capsys, monkeypatch)
    assert not result["changed"] and result["changed_files"] == []


def test_info_module(tmp_path, capsys, monkeypatch):
    import app_files_info
    (tmp_path / "a.env").write_text("X=1\n")
    result = run_module(app_files_info, {"directories": [str(tmp_path)],
                                         "files": [str(tmp_path / "a.env")],
                                         "_ansible_check_mode": True}, capsys, monkeypatch)
    assert result["changed"] is False
    assert result["directories"] == {str(tmp_path): {"exists": True, "isdir": True}}
    assert base64.b64decode(result["files"][str(tmp_path / "a.env")]["content"]) == b"X=1\n"
