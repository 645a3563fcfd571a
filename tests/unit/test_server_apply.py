"""mysql_server_apply's own logic without a server: putting the drop-in back, the
order of the steps and the failure messages (module_utils/steadydb/server_apply.py)."""
import os

import pytest

from ansible.module_utils.steadydb import server_apply
from ansible.module_utils.steadydb.accounts import AccountsError, check_caps, missing_text
from ansible.module_utils.steadydb.server_apply import (Stage, StageError, _dropin_params,
                                                        rollback, saved_file)

OLD = b"# kept\n[mysqld]\nmax_connections = 222\n\xff not utf-8\n"
MTIME_NS = 1700000000123456789


def old_file(tmp_path):
    path = tmp_path / "99-steadydb.cnf"
    path.write_bytes(OLD)
    os.chmod(str(path), 0o640)
    os.utime(str(path), ns=(MTIME_NS, MTIME_NS))
    return str(path)


def test_rollback_puts_bytes_mode_and_mtime_back(tmp_path):
    path = old_file(tmp_path)
    saved = saved_file(path)
    with open(path, "wb") as handle:
        handle.write(b"[mysqld]\nmax_connections = 444\n")
    os.chmod(path, 0o644)
    text = rollback(FakeModule(), path, saved)
    assert "was put back as it was" in text
    with open(path, "rb") as handle:
        assert handle.read() == OLD
    st = os.stat(path)
    assert st.st_mtime_ns == MTIME_NS and st.st_mode & 0o777 == 0o640
    assert sorted(os.listdir(str(tmp_path))) == ["99-steadydb.cnf"]  # no temporary left


def test_rollback_removes_a_file_this_run_created(tmp_path):
    path = str(tmp_path / "99-steadydb.cnf")
    assert saved_file(path) is None
    with open(path, "w") as handle:
        handle.write("[mysqld]\n")
    assert "was removed" in rollback(FakeModule(), path, None)
    assert not os.path.exists(path)


def test_the_dropin_is_exclusive_and_holds_the_variables():
    params = dict(variables={"max_connections": 300}, persist=True, path="99-steadydb.cnf",
                  mode="0644")
    out = _dropin_params(params)
    assert out["options"] == {"max_connections": 300}
    assert out["exclusive"] is True and out["create"] is True and out["will_persist"] is True
    assert out["backup"] is False and out["always_validate"] is False and out["mode"] == "0644"


def test_caps_out_of_range_and_missing_accounts_are_named():
    with pytest.raises(AccountsError, match="web@%"):
        check_caps([{"user": "web", "host": "%", "max_user_connections": -1}])
    assert missing_text(["a@%"]).startswith("account a@% does not exist")
    assert missing_text(["a@%", "b@%"]).startswith("accounts a@%, b@% do not exist")


class Failed(Exception):
    pass


class FakeModule(object):
    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.params = dict(variables={"max_connections": 444}, persist=False, preflight=True,
                           apply_live=True, accounts=[], on_missing_account="warn", backup=False,
                           secret_variables=[], update_masked="when_unset", path="x")
        self.warnings = []

    def fail_json(self, **kw):
        raise Failed(kw)

    def atomic_move(self, src, dest, unsafe_writes=False):
        os.rename(src, dest)

    def set_fs_attributes_if_different(self, file_args, changed):
        # As AnsibleModule.set_owner_if_different does for an owner the host does not know.
        self.fail_json(path=file_args["path"], msg="chown failed: failed to look up user %s"
                       % file_args["owner"])

    def warn(self, text):
        self.warnings.append(text)


def staged(monkeypatch, tmp_path, check_mode, existed=True, fail_in="apply_variables",
           real_write=False):
    """A Stage whose drop-in step writes a real file and whose server steps are stubs
    (``real_write``: option_file_task.write itself, with the fake module's attributes)."""
    path = old_file(tmp_path) if existed else str(tmp_path / "99-steadydb.cnf")
    calls = []

    def prepare(module, params):
        calls.append("prepare")
        result = dict(changed=False, path=path, changes=[{"option": "max_connections"}],
                      previous_mtime=os.stat(path).st_mtime if existed else None)
        return dict(result=result, real=path, exists=existed, content_changed=True,
                    new_text="[mysqld]\nmax_connections = 444\n",
                    file_args=dict(path=path, owner="ghost", group=None, mode=None))

    def write(module, params, ctx, backup=False):
        calls.append("write")
        with open(path, "w") as handle:
            handle.write(ctx["new_text"])
        ctx["result"]["changed"] = True

    def check_result(module, ctx):
        calls.append("check_result")
        ctx["result"]["changed"] = True

    monkeypatch.setattr(server_apply, "prepare", prepare)
    if not real_write:
        monkeypatch.setattr(server_apply, "write", write)
    monkeypatch.setattr(server_apply, "check_result", check_result)
    stage = Stage(FakeModule(check_mode))
    stage.desired, stage.shown = {"max_connections": 444}, lambda name, value: value
    stage.result["live"] = {}

    def step(name):
        def run():
            calls.append(name)
            if name == fail_in:
                raise StageError("The server refused slow_query_log_file = /x/slow.log.")
        return run

    for name in ("preflight", "apply_caps", "apply_variables", "decide"):
        setattr(stage, name, step(name))
    return stage, path, calls


def test_a_failure_after_the_write_puts_the_previous_dropin_back(monkeypatch, tmp_path):
    stage, path, calls = staged(monkeypatch, tmp_path, check_mode=False)
    with pytest.raises(Failed) as failed:
        stage.stage()
    assert calls == ["preflight", "prepare", "write", "apply_caps", "apply_variables"]
    msg = failed.value.args[0]["msg"]
    assert msg.startswith("The server refused slow_query_log_file")
    assert msg.endswith("The drop-in %s was put back as it was." % path)
    assert failed.value.args[0]["dropin"]["rolled_back"] is True
    with open(path, "rb") as handle:
        assert handle.read() == OLD
    assert os.stat(path).st_mtime_ns == MTIME_NS


def test_failing_attributes_after_the_write_put_the_previous_dropin_back(monkeypatch, tmp_path):
    # The content is written first, then owner/group/mode: a failure there (fail_json in
    # AnsibleModule) must not leave the new content behind.
    stage, path, calls = staged(monkeypatch, tmp_path, check_mode=False, fail_in=None,
                                real_write=True)
    with pytest.raises(Failed) as failed:
        stage.stage()
    assert calls == ["preflight", "prepare"]
    msg = failed.value.args[0]["msg"]
    assert msg == ("chown failed: failed to look up user ghost. The drop-in %s was put back as "
                   "it was." % path)
    assert failed.value.args[0]["dropin"]["rolled_back"] is True
    assert failed.value.args[0]["dropin"]["changed"] is False
    with open(path, "rb") as handle:
        assert handle.read() == OLD
    st = os.stat(path)
    assert st.st_mtime_ns == MTIME_NS and st.st_mode & 0o777 == 0o640
    assert sorted(os.listdir(str(tmp_path))) == ["99-steadydb.cnf"]


def test_failing_attributes_on_a_created_dropin_remove_it(monkeypatch, tmp_path):
    stage, path, calls = staged(monkeypatch, tmp_path, check_mode=False, existed=False,
                                fail_in=None, real_write=True)
    with pytest.raises(Failed) as failed:
        stage.stage()
    assert failed.value.args[0]["msg"].endswith("The drop-in %s that this run created was "
                                                "removed." % path)
    assert os.listdir(str(tmp_path)) == []


def test_a_write_that_fails_before_the_rename_leaves_the_dropin_alone(monkeypatch, tmp_path):
    stage, path, calls = staged(monkeypatch, tmp_path, check_mode=False, fail_in=None,
                                real_write=True)

    def atomic_move(src, dest, unsafe_writes=False):
        raise Exception("Could not replace %r with %r." % (dest, src))

    stage.module.atomic_move = atomic_move
    with pytest.raises(Failed) as failed:
        stage.stage()
    assert failed.value.args[0]["msg"].endswith("The drop-in was not changed.")
    assert failed.value.args[0]["dropin"]["rolled_back"] is False
    with open(path, "rb") as handle:
        assert handle.read() == OLD
    assert os.stat(path).st_mtime_ns == MTIME_NS
    assert sorted(os.listdir(str(tmp_path))) == ["99-steadydb.cnf"]


def test_a_failure_after_creating_the_dropin_removes_it(monkeypatch, tmp_path):
    stage, path, calls = staged(monkeypatch, tmp_path, check_mode=False, existed=False,
                                fail_in="apply_caps")
    with pytest.raises(Failed) as failed:
        stage.stage()
    assert "was removed" in failed.value.args[0]["msg"]
    assert not os.path.exists(path)


def test_a_preflight_failure_never_reaches_the_dropin(monkeypatch, tmp_path):
    stage, path, calls = staged(monkeypatch, tmp_path, check_mode=False, fail_in="preflight")
    with pytest.raises(Failed) as failed:
        stage.stage()
    assert calls == ["preflight"]
    assert failed.value.args[0]["msg"] == "The server refused slow_query_log_file = /x/slow.log."
    with open(path, "rb") as handle:
        assert handle.read() == OLD


def test_check_mode_writes_nothing_and_fails_like_the_real_run(monkeypatch, tmp_path):
    stage, path, calls = staged(monkeypatch, tmp_path, check_mode=True)
    with pytest.raises(Failed) as failed:
        stage.stage()
    assert calls == ["preflight", "prepare", "check_result", "apply_caps", "apply_variables"]
    assert failed.value.args[0]["msg"].endswith("The drop-in was not changed.")
    with open(path, "rb") as handle:
        assert handle.read() == OLD
    assert os.stat(path).st_mtime_ns == MTIME_NS
