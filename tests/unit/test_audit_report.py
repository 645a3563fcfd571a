"""The audit report file (filter_plugins/steadydb_audit.py).

The defect: audit-db.yml wrote every db host's report to the same path, so with several
hosts each overwrote the one before, and a report said neither when nor by which
steadydb it was made.
"""
import datetime
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "filter_plugins"))
import steadydb_audit  # noqa: E402
from steadydb_audit import audit_report, audit_report_path, steadydb_version  # noqa: E402

from ansible.errors import AnsibleFilterError  # noqa: E402

AUDIT = {"counts": {"critical": 0, "warning": 1}, "findings": [{"code": "x"}], "changed": False}
NOON = datetime.datetime(2026, 12, 1, 12, 0, 5, tzinfo=datetime.timezone.utc)


def test_a_report_names_its_host_time_and_version():
    report = audit_report(AUDIT, "db1", NOON)
    assert report == {"host": "db1", "generated_at": "2026-12-01T12:00:05Z",
                      "steadydb_version": steadydb_version(), "counts": AUDIT["counts"],
                      "findings": AUDIT["findings"]}


def test_the_version_is_the_repositorys():
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "galaxy.yml")) as handle:
        assert "version: %s\n" % steadydb_version() in handle.read()


def test_the_version_inside_an_installed_collection(tmp_path):
    (tmp_path / "plugins" / "filter").mkdir(parents=True)
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "9.8.7"}}))
    assert steadydb_version(str(tmp_path / "plugins" / "filter")) == "9.8.7"
    assert steadydb_version(str(tmp_path / "nowhere" / "deeper")) == "unknown"


def test_hosts_never_overwrite_each_others_reports(tmp_path):
    one = str(tmp_path / "audit.json")
    stamp = "2026-12-01T12:00:05Z"
    assert audit_report_path(one, "db1", stamp, 1) == one
    paths = {audit_report_path(one, host, stamp, 2) for host in ("db1", "db2")}
    assert paths == {str(tmp_path / "audit-db1.json"), str(tmp_path / "audit-db2.json")}


def test_a_directory_gets_one_timestamped_file_per_host_and_run(tmp_path):
    directory = str(tmp_path)
    assert audit_report_path(directory, "db1", "2026-12-01T12:00:05Z") == \
        os.path.join(directory, "steadydb-audit-db1-20261201T120005Z.json")
    assert audit_report_path("/var/tmp/audits/", "db1", "2026-12-01T12:00:06Z") == \
        "/var/tmp/audits/steadydb-audit-db1-20261201T120006Z.json"


def test_a_hostile_host_name_stays_inside_the_directory(tmp_path):
    path = audit_report_path(str(tmp_path), "../../etc/x", "2026-12-01T12:00:05Z")
    assert os.path.dirname(path) == str(tmp_path)


def test_refuses_what_is_not_an_audit_result():
    with pytest.raises(AnsibleFilterError):
        audit_report({"msg": "failed"}, "db1")
    with pytest.raises(AnsibleFilterError):
        audit_report_path("", "db1", "x")


def test_registered():
    assert set(steadydb_audit.FilterModule().filters()) == {
        "steadydb_audit_report", "steadydb_audit_report_path"}
