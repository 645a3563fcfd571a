# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's JSON report: what it holds and where it goes (audit-db.yml).

Every report names its host, when it was made (UTC) and which steadydb made it, so a
report read later (from cron, CI artifacts, a ticket) says what it is about. With several
db hosts one path would be overwritten by each host in turn: a directory gets one
timestamped file per host and run; a file path gets the host's name before its
extension when the play audits more than one host.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: steadydb_audit_report
short_description: The audit report of one db host, with its host, time and steadydb version
description:
  - Returns C(host), C(generated_at) (UTC, ISO 8601), C(steadydb_version), C(counts) and
    C(findings) of a M(mysql_audit) result.
  - The version is read from the C(galaxy.yml) of the repository or the C(MANIFEST.json)
    of the installed collection this filter belongs to (C(unknown) when neither is found).
positional: _input, host
options:
  _input:
    description: The registered result of M(mysql_audit).
    type: dict
    required: true
  host:
    description: The audited host (C(inventory_hostname)).
    type: str
    required: true
"""

EXAMPLES = r"""
report: "{{ audit_result | steadydb_audit_report(inventory_hostname) }}"
dest: "{{ '/var/tmp/audits/' | steadydb_audit_report_path(inventory_hostname, report.generated_at, 3) }}"
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
"""

HERE = os.path.dirname(os.path.abspath(__file__))


def steadydb_version(here=HERE):
    """The version of the steadydb this plugin belongs to (repository or collection)."""
    # Repository: filter_plugins/../galaxy.yml. Collection: plugins/filter/../../MANIFEST.json.
    galaxy = os.path.join(here, "..", "galaxy.yml")
    manifest = os.path.join(here, "..", "..", "MANIFEST.json")
    try:
        with open(manifest) as handle:
            return str(json.load(handle)["collection_info"]["version"])
    except (IOError, OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(galaxy) as handle:
            for line in handle:
                found = re.match(r"^version:\s*['\"]?([^'\"\s#]+)", line)
                if found:
                    return found.group(1)
    except (IOError, OSError):
        pass
    return "unknown"


def audit_report(audit, host, now=None):
    """The report written for one host (``now``: a datetime, for tests)."""
    if not isinstance(audit, dict) or "findings" not in audit or "counts" not in audit:
        raise AnsibleFilterError("steadydb_audit_report expects the result of mysql_audit "
                                 "(with counts and findings)")
    when = now or datetime.datetime.now(datetime.timezone.utc)
    return {
        "host": str(host),
        "generated_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "steadydb_version": steadydb_version(),
        "counts": audit["counts"],
        "findings": audit["findings"],
    }


def _safe(name):
    """A host name as a file name part (an inventory name may hold any character)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name)).lstrip(".") or "host"


def audit_report_path(path, host, generated_at, hosts=1):
    """Where one host's report goes, so that hosts and runs never overwrite each other.

    A directory (an existing one, or a path ending in ``/``) gets
    ``steadydb-audit-HOST-YYYYmmddTHHMMSSZ.json``; a file path is used as it is for one
    host and gets ``-HOST`` before its extension when ``hosts`` > 1.
    """
    path = str(path)
    if not path:
        raise AnsibleFilterError("steadydb_audit_report_path: the path is empty")
    stamp = re.sub(r"[-:]", "", str(generated_at))
    if path.endswith("/") or os.path.isdir(path):
        return os.path.join(path, "steadydb-audit-%s-%s.json" % (_safe(host), stamp))
    if int(hosts) <= 1:
        return path
    stem, ext = os.path.splitext(path)
    return "%s-%s%s" % (stem, _safe(host), ext or ".json")


class FilterModule(object):
    def filters(self):
        return {"steadydb_audit_report": audit_report,
                "steadydb_audit_report_path": audit_report_path}
