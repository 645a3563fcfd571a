"""The functions behind app_files (the app stage in one module call: check every
target, merge the env files' managed blocks, write), on a temporary directory, without
Ansible."""
import json
import os
import stat

import pytest

from ansible.module_utils.steadydb import tree_files
from ansible.module_utils.steadydb.tree_files import (WriteError, check_relative,
                                                       directories_of, plan_trees, write_trees)


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x.py", "a/../../x", "a//b", "./a",
                                  "a\\b", "a\x00b", None])
def test_only_paths_inside_dest(path):
    with pytest.raises(ValueError):
        check_relative(path)


def test_directories_parents_first():
    assert directories_of(["a.py", "m/c/x.py", "m/y.py", "b/z.py"]) == ["b", "m", "m/c"]
    assert check_relative("m/c/x.py") == ["m", "c", "x.py"]


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


def test_only_files_whose_content_differs_are_written(tmp_path):
    (tmp_path / "same.py").write_text("x = 1\n")
    (tmp_path / "old.py").write_text("x = 1\n")
    files = {"same.py": "x = 1\n", "old.py": "x = 2\n", "new/n.py": "pass\n"}
    plan, problems = plan_trees([{"dest": str(tmp_path), "files": files}])
    assert problems == []
    changed, written, created, _diffs = write_trees(plan, atomic_write, set_attributes)
    assert changed and created == [str(tmp_path / "new")]
    assert sorted(written) == [str(tmp_path / "new" / "n.py"), str(tmp_path / "old.py")]
    assert (tmp_path / "old.py").read_text() == "x = 2\n"


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


# --- the env files' managed blocks, merged on the host ----------------------------------------

BEGIN, END = "# BEGIN steadydb app=web", "# END steadydb app=web"


def env_tree(root, block_lines=("DB_HOST='db1'", "DB_PASSWORD='hunter2'"), **extra):
    etc = root / "etc"
    etc.mkdir(exist_ok=True)
    block = "\n".join((BEGIN,) + tuple(block_lines) + (END,)) + "\n"
    return {"dest": str(etc), "mode": "0600", "env_blocks": [dict({
        "name": "app.env", "block": block, "begin_marker": BEGIN, "end_marker": END,
        "managed_keys": ["DB_HOST", "DB_PASSWORD"], "shown_keys": ["DB_HOST"]}, **extra)]}


def write_plan(trees, check_mode=False, diff=False):
    plan, problems = plan_trees(trees)
    assert problems == []
    return write_trees(plan, atomic_write, set_attributes, check_mode=check_mode, diff=diff)


def test_env_block_is_merged_into_the_deploys_lines(tmp_path):
    tree = env_tree(tmp_path)
    env = tmp_path / "etc" / "app.env"
    env.write_text("SECRET_KEY='s'\n%s\nDB_HOST='old'\n%s\nWORKERS=4\n" % (BEGIN, END))
    changed, written, _, _ = write_plan([tree])
    assert changed and written == [str(env)]
    assert env.read_text() == ("SECRET_KEY='s'\n%s\nDB_HOST='db1'\nDB_PASSWORD='hunter2'\n%s\nWORKERS=4\n"
                               % (BEGIN, END))
    assert mode_of(env) == "0o600"
    # A rerun finds its block and changes nothing.
    assert write_plan([tree])[:2] == (False, [])


def test_env_block_appended_to_a_file_without_one_or_a_new_file(tmp_path):
    tree = env_tree(tmp_path)
    write_plan([tree])
    env = tmp_path / "etc" / "app.env"
    assert env.read_text() == "%s\nDB_HOST='db1'\nDB_PASSWORD='hunter2'\n%s\n" % (BEGIN, END)
    env.write_text("A=1\n")
    write_plan([tree])
    assert env.read_text().startswith("A=1\n%s\n" % BEGIN)


@pytest.mark.parametrize("text, why", [
    ("S=1\nexport DB_HOST=x\n", "sets keys that steadydb manages outside its block: DB_HOST (line 2). "
                                 "Remove those lines (the block will carry the values) and run again"),
    ("%s\nDB_HOST=x\n" % BEGIN, "the env file has a steadydb block start line but no end line"),
    ("%s\n%s\n%s\n%s\n" % (BEGIN, END, BEGIN, END), "the env file has more than one steadydb block start line"),
    ("%s\n" % END, "the env file has a steadydb block end line without a start line"),
])
def test_env_file_that_would_lose_or_shadow_a_key_refuses_every_tree(tmp_path, text, why):
    trees = app_trees(tmp_path, "good") + [env_tree(tmp_path)]
    env = tmp_path / "etc" / "app.env"
    env.write_text(text)
    plan, problems = plan_trees(trees)
    assert problems == ["%s: %s" % (env, why)]
    assert env.read_text() == text
    assert every_file(tmp_path) == ["etc/app.env"]


@pytest.mark.parametrize("block_lines", [("DB_HOST=x",), ("DB_HOST=x", END), (BEGIN, "DB_HOST=x")])
def test_block_without_its_markers_refused(tmp_path, block_lines):
    # Without its markers the next run could not find the block: it would add another.
    tree = env_tree(tmp_path)
    tree["env_blocks"][0]["block"] = "\n".join(block_lines) + "\n"
    _, problems = plan_trees([tree])
    assert problems == ["%s: the block must start with its begin_marker line and end with its "
                        "end_marker line" % (tmp_path / "etc" / "app.env")]


def test_env_diff_masks_every_value_but_the_shown_keys(tmp_path):
    tree = env_tree(tmp_path)
    env = tmp_path / "etc" / "app.env"
    env.write_text("REDIS='deploy-secret'\n%s\nDB_HOST='old'\nDB_PASSWORD='old-pw'\n%s\n" % (BEGIN, END))
    changed, _, _, diffs = write_plan([tree], check_mode=True, diff=True)
    assert changed and env.read_text().startswith("REDIS='deploy-secret'")
    assert diffs == [{"prepared": "\n".join([
        "--- %s (before)" % env, "+++ %s (after)" % env, "@@ -2,4 +2,4 @@", " %s" % BEGIN,
        "-DB_HOST='old'", "-DB_PASSWORD=********", "+DB_HOST='db1'", "+DB_PASSWORD=********", " %s" % END])}]
    assert "hunter2" not in json.dumps(diffs) and "old-pw" not in json.dumps(diffs)


def test_symlinked_env_file_refused(tmp_path):
    tree = env_tree(tmp_path)
    (tmp_path / "elsewhere").write_text("X=1\n")
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "etc" / "app.env"))
    _, problems = plan_trees([tree])
    assert problems == ["%s exists but is not a regular file" % (tmp_path / "etc" / "app.env")]


def test_hardlinked_secret_file_refused_before_any_name_of_it_changes(tmp_path):
    # The module runs as root in a directory the deploy user may own. A hard link there is
    # another name of someone else's inode (a link to /etc/shadow where
    # fs.protected_hardlinks is off, or another app's env file): the attributes would be
    # set through it (owner and 0600 on the other file) and the merge would read the
    # other file's lines. Refused like a symlinked secret, before anything changes.
    victim = tmp_path / "victim"
    victim.write_text("root:$y$hash:19000::::::\n")
    os.chmod(str(victim), 0o644)
    tree = env_tree(tmp_path)
    env = tmp_path / "etc" / "app.env"
    os.link(str(victim), str(env))
    plan, problems = plan_trees([tree])
    assert problems == ["%s has 2 hard links, so it is also another file: steadydb does not "
                        "write a secret through it; remove the other links (or this name)" % env]
    # secret_files (not merged) are refused the same way
    trees = app_trees(tmp_path, "web")
    os.link(str(victim), os.path.join(trees[1]["dest"], "app.env"))
    _, problems = plan_trees(trees)
    assert len(problems) == 1 and "has 3 hard links" in problems[0]
    assert mode_of(victim) == "0o644" and victim.read_text().startswith("root:")


def test_hardlinked_code_file_gets_an_inode_of_its_own_and_the_other_name_is_left_alone(tmp_path):
    # A deploy that hard-links unchanged files between releases (rsync --link-dest) links
    # the code files steadydb wrote, and a hard link may also name a file of root's. Mode
    # and owner are never set through such a name: the file is replaced by one of its own
    # (reported as changed once), then set; the other name keeps its content and mode.
    other = tmp_path / "release-1.py"
    other.write_text("x = 1\n")
    os.chmod(str(other), 0o644)
    os.link(str(other), str(tmp_path / "same.py"))
    os.link(str(other), str(tmp_path / "new.py"))
    tree = {"dest": str(tmp_path), "mode": "0640", "files": {"same.py": "x = 1\n", "new.py": "x = 2\n"}}
    plan, problems = plan_trees([tree])
    assert problems == []
    changed, written, _, diffs = write_trees(plan, atomic_write, set_attributes, check_mode=True,
                                             diff=True)
    assert changed and sorted(written) == [str(tmp_path / "new.py"), str(tmp_path / "same.py")]
    assert mode_of(other) == "0o644" and os.stat(str(other)).st_nlink == 3
    # the other file's content is not shown (it may be root's)
    assert [d["before"] for d in diffs] == ["", ""]
    assert diffs[0]["before_header"].endswith("(a hard link to another file, not shown)")
    changed, written, _, _ = write_trees(plan, atomic_write, set_attributes)
    assert changed and sorted(written) == [str(tmp_path / "new.py"), str(tmp_path / "same.py")]
    assert other.read_text() == "x = 1\n" and mode_of(other) == "0o644"
    assert os.stat(str(other)).st_nlink == 1
    assert (tmp_path / "new.py").read_text() == "x = 2\n" and mode_of(tmp_path / "new.py") == "0o640"
    assert (tmp_path / "same.py").read_text() == "x = 1\n" and mode_of(tmp_path / "same.py") == "0o640"
    plan, _ = plan_trees([tree])
    assert write_trees(plan, atomic_write, set_attributes)[:2] == (False, [])


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


def test_module_refuses_a_hardlinked_env_file_and_leaves_the_other_file_alone(tmp_path, capsys,
                                                                              monkeypatch):
    import app_files
    victim = tmp_path / "shadow"
    victim.write_text("root:$y$hash:19000::::::\n")
    os.chmod(str(victim), 0o640)
    trees = app_trees(tmp_path, "web", env_text="DB_PASSWORD='hunter2'\n")
    os.link(str(victim), os.path.join(trees[1]["dest"], "app.env"))
    for check_mode in (True, False):
        result = run_module(app_files, {"trees": trees, "_ansible_check_mode": check_mode},
                            capsys, monkeypatch)
        assert result["failed"] and "nothing was written" in result["msg"]
        assert "app.env has 2 hard links" in result["msg"] and "$y$hash" not in json.dumps(result)
    assert every_file(tmp_path) == ["shadow", "web/etc/app.env"]
    assert mode_of(victim) == "0o640" and victim.read_text().startswith("root:")


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


def test_module_merges_env_blocks_and_hides_the_block(tmp_path, capsys, monkeypatch):
    import app_files
    tree = env_tree(tmp_path)
    env = tmp_path / "etc" / "app.env"
    env.write_text("REDIS='deploy-secret'\n")
    result = run_module(app_files, {"trees": [tree], "_ansible_diff": True}, capsys, monkeypatch)
    assert result["changed"] and result["changed_files"] == [str(env)]
    assert env.read_text() == "REDIS='deploy-secret'\n" + tree["env_blocks"][0]["block"]
    assert "+DB_HOST='db1'" in result["diff"][0]["prepared"]
    assert "hunter2" not in json.dumps(result) and "deploy-secret" not in json.dumps(result)
    env.write_text("DB_PASSWORD=x\n")
    result = run_module(app_files, {"trees": [tree]}, capsys, monkeypatch)
    assert result["failed"] and "Refused, nothing was written" in result["msg"]
    assert "DB_PASSWORD (line 1)" in result["msg"] and env.read_text() == "DB_PASSWORD=x\n"


@pytest.mark.parametrize("key, mode", [("mode", "0999"), ("mode", "rwx"), ("directory_mode", "u+q"),
                                       ("mode", "01777777"), ("mode", 0o17777), ("mode", True)])
@pytest.mark.parametrize("check_mode", [False, True])
def test_module_refuses_a_mode_it_cannot_set_before_anything(tmp_path, capsys, monkeypatch,
                                                             key, mode, check_mode):
    # The mode was read first by the file module's helper, after the files of the
    # trees before it were written: the run stopped with those apps half-written.
    import app_files
    trees = app_trees(tmp_path, "good") + app_trees(tmp_path, "bad")
    trees[2][key] = mode
    result = run_module(app_files, {"trees": trees, "_ansible_check_mode": check_mode},
                        capsys, monkeypatch)
    assert result.get("failed") and "nothing was written" in result["msg"], result
    assert key in result["msg"]
    assert every_file(tmp_path) == []


@pytest.mark.parametrize("mode", [None, "", "0640", "640", "0o640", 0o640, "u=rw,g=r,o=", "a+X"])
def test_modes_the_file_module_sets_are_accepted(tmp_path, mode):
    _, problems = plan_trees([{"dest": str(tmp_path), "files": {"a": "x\n"}, "mode": mode,
                               "directory_mode": mode}])
    assert problems == []
