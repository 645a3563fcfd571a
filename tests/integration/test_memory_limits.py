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


# The demo's app (inventories/demo): 1 host x 3 processes x 2 threads + 2 rq workers,
# sharing the box with the database.
SHOP = [{"name": "shop", "db_user_host": "localhost", "app_hosts": 1, "processes_per_host": 3,
         "threads_per_process": 2, "background_workers": 2, "longest_job_seconds": 120,
         "longest_query_seconds": 30}]


def _facts_in_cgroup(server, cgroup):
    server.start()
    _move(server.proc.pid, cgroup)
    result, _ = run_module("mysql_facts", server.login)
    assert not result.get("failed"), result
    return result["ansible_facts"]["mysql"]


def test_plan_refuses_the_field_configuration_in_a_1g_cgroup(mariadb_factory, memory_cgroup):
    # Field report 01: innodb_buffer_pool_size=256M, max_connections=40, MariaDB's default
    # 128M key buffer and Aria cache; worst case 1287 MiB. The plan approved it against
    # the machine's RAM ("1287 MiB of 9642 MiB allowed"); in a 1 GiB cgroup it must not.
    server = mariadb_factory("--innodb-buffer-pool-size=256M", "--max-connections=40")
    facts = _facts_in_cgroup(server, memory_cgroup)
    assert facts["host"]["mem_limit_bytes"] == GIB
    result, _ = run_module("mysql_plan", {"facts": facts, "apps": SHOP, "admin_reserve": 5,
                                          "db_host_shared": True,
                                          "allow_buffer_pool_shrink": False})
    assert result.get("failed"), result
    message = result["msg"]
    assert "the memory budget does not fit" in message
    assert "allowed 0.40 x RAM %d (cgroup limit: cgroup v1 memory.limit_in_bytes (%s)) = %d" \
        % (GIB, memory_cgroup, int(0.4 * GIB)) in message
    assert "key_buffer_size = 134217728" in message  # the way out it names

    # Allowed to shrink (the default), the plan fits the same server into the cgroup:
    # MyISAM key buffer and Aria cache to their floors, then the buffer pool, and says so.
    result, _ = run_module("mysql_plan", {"facts": facts, "apps": SHOP, "admin_reserve": 5,
                                          "db_host_shared": True})
    assert not result.get("failed"), result
    plan = result["plan"]
    assert plan["memory"]["fits"] and plan["memory"]["total_bytes"] == GIB
    assert sorted(plan["memory"]["shrunk"]) == ["aria_pagecache_buffer_size",
                                                "innodb_buffer_pool_size", "key_buffer_size"]
    assert plan["server"]["variables"]["key_buffer_size"] == 8 * 1024 ** 2
    assert plan["memory"]["line"].endswith("(40% of 1024 MiB, cgroup limit)")


def test_plan_shrinks_the_buffer_pool_to_the_1g_cgroup(mariadb_factory, memory_cgroup):
    # The same server with the small global buffers a 1 GB box should have: the plan
    # fits the cgroup's 1 GiB by lowering max_connections and shrinking the buffer pool.
    server = mariadb_factory("--innodb-buffer-pool-size=256M", "--max-connections=40",
                             "--key-buffer-size=8M", "--aria-pagecache-buffer-size=8M")
    facts = _facts_in_cgroup(server, memory_cgroup)
    result, _ = run_module("mysql_plan", {"facts": facts, "apps": SHOP, "admin_reserve": 5,
                                          "db_host_shared": True})
    assert not result.get("failed"), result
    plan = result["plan"]
    memory = plan["memory"]
    assert memory["total_bytes"] == GIB and memory["total_source"] == "cgroup limit"
    assert memory["allowed_bytes"] == int(0.4 * GIB)
    assert memory["fits"] and memory["max_total_bytes"] <= memory["allowed_bytes"]
    assert memory["innodb_buffer_pool_shrunk_from"] == 256 * 1024 ** 2
    assert 32 * 1024 ** 2 <= plan["server"]["variables"]["innodb_buffer_pool_size"] < 256 * 1024 ** 2
    assert plan["server"]["variables"]["max_connections"] == 15
    assert memory["line"].endswith("(40% of 1024 MiB, cgroup limit)")
    assert any("innodb_buffer_pool_size shrinks" in w and "cgroup limit" in w
               for w in plan["warnings"])
