"""Memory limits: the server's cgroup limit, not the machine's RAM (issue 13, report 01).

A 1 GB droplet, a container started with ``--memory 1g`` or a unit with ``MemoryMax=``
all show the machine's MemTotal in /proc/meminfo; the kernel OOM-kills mysqld at the
cgroup's limit. The test puts a real mariadbd into a cgroup v1 memory cgroup of its own
with a 1 GiB limit (root on a cgroup-v1 host, as ENVIRONMENT.md describes) and checks
that mysql_facts reports that limit, and that the plan is made against it.
"""
import os
import uuid

import pytest

from conftest import run_module

GIB = 1024 ** 3
V1_MEMORY = "/sys/fs/cgroup/memory"


@pytest.fixture
def memory_cgroup():
    """A v1 memory cgroup limited to 1 GiB; removed at teardown (its tasks moved out)."""
    if os.geteuid() != 0 or not os.access(V1_MEMORY, os.W_OK):
        pytest.skip("needs root on a host with a writable cgroup v1 memory hierarchy")
    path = os.path.join(V1_MEMORY, "steadydb-test-%s" % uuid.uuid4().hex[:8])
    os.mkdir(path)
    with open(os.path.join(path, "memory.limit_in_bytes"), "w") as handle:
        handle.write(str(GIB))
    yield path
    parent = os.path.join(os.path.dirname(path), "cgroup.procs")
    with open(os.path.join(path, "cgroup.procs")) as handle:
        pids = handle.read().split()
    for pid in pids:
        try:
            with open(parent, "w") as handle:
                handle.write(pid)
        except OSError:
            pass  # the process is gone
    os.rmdir(path)


def _move(pid, cgroup):
    with open(os.path.join(cgroup, "cgroup.procs"), "w") as handle:
        handle.write(str(pid))


def test_facts_report_the_cgroup_limit_of_the_server(fresh_mariadb, memory_cgroup):
    before, _ = run_module("mysql_facts", fresh_mariadb.login)
    host_before = before["ansible_facts"]["mysql"]["host"]
    # The failure this prevents: outside the cgroup the limit is the machine's RAM,
    # which is what the plan used to be made against.
    assert host_before["mem_limit_bytes"] == host_before["mem_total_bytes"]
    assert host_before["mem_limit_source"] == "MemTotal"

    _move(fresh_mariadb.proc.pid, memory_cgroup)
    after, _ = run_module("mysql_facts", fresh_mariadb.login)
    host = after["ansible_facts"]["mysql"]["host"]
    assert host["mem_total_bytes"] > 2 * GIB  # the machine's RAM is still visible...
    assert host["mem_limit_bytes"] == GIB      # ...but the server may use 1 GiB
    assert host["mem_limit_source"].startswith("cgroup v1 memory.limit_in_bytes")
    assert memory_cgroup in host["mem_limit_source"]
    assert host["limit_pid"] == fresh_mariadb.proc.pid
