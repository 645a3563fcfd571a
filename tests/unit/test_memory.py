"""module_utils/steadydb/memory.py: cgroup limits on a fake /sys/fs/cgroup."""
import os

from ansible.module_utils.steadydb import memory

GIB = 1024 ** 3
V1_UNLIMITED = 9223372036854771712


def _write(root, relpath, value):
    path = os.path.join(str(root), relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write("%s\n" % value)


V1_PROC = "9:name=systemd:/\n4:memory:/machine/ctr\n1:cpu:/\n0::/\n"
V2_PROC = "0::/system.slice/mariadb.service\n"


def test_parse_proc_cgroup_finds_v1_memory_and_v2_paths():
    assert memory.parse_proc_cgroup(V1_PROC) == {"v1_memory": "/machine/ctr", "v2": "/"}
    assert memory.parse_proc_cgroup("4:cpu,memory:/a\n") == {"v1_memory": "/a", "v2": None}
    assert memory.parse_proc_cgroup("garbage\n") == {"v1_memory": None, "v2": None}


def test_v1_limit_of_own_cgroup_wins_over_unlimited_root(tmp_path):
    _write(tmp_path, "sys/fs/cgroup/memory/memory.limit_in_bytes", V1_UNLIMITED)
    _write(tmp_path, "sys/fs/cgroup/memory/machine/ctr/memory.limit_in_bytes", GIB)
    limits = memory.cgroup_limits(V1_PROC, root=str(tmp_path))
    assert limits["memory"] == GIB
    assert limits["memory_source"] == memory.SOURCE_CGROUP_V1
    assert limits["memory_cgroup"].endswith("machine/ctr")


def test_v1_parent_limit_binds_a_child_without_one(tmp_path):
    _write(tmp_path, "sys/fs/cgroup/memory/machine/memory.limit_in_bytes", 2 * GIB)
    _write(tmp_path, "sys/fs/cgroup/memory/machine/ctr/memory.limit_in_bytes", V1_UNLIMITED)
    assert memory.cgroup_limits(V1_PROC, root=str(tmp_path))["memory"] == 2 * GIB


def test_v1_container_view_uses_the_mount_root_when_the_path_is_the_hosts(tmp_path):
    # Inside a container /proc/self/cgroup shows the host's path, but the mount is the
    # container's own cgroup: only the root's file exists.
    _write(tmp_path, "sys/fs/cgroup/memory/memory.limit_in_bytes", GIB)
    assert memory.cgroup_limits(V1_PROC, root=str(tmp_path))["memory"] == GIB


def test_v1_swap_is_memsw_minus_memory(tmp_path):
    _write(tmp_path, "sys/fs/cgroup/memory/memory.limit_in_bytes", GIB)
    _write(tmp_path, "sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", GIB)
    assert memory.cgroup_limits(V1_PROC, root=str(tmp_path))["swap"] == 0


def test_v2_memory_max_walks_up_and_max_means_none(tmp_path):
    _write(tmp_path, "sys/fs/cgroup/cgroup.controllers", "memory")
    _write(tmp_path, "sys/fs/cgroup/system.slice/memory.max", 3 * GIB)
    _write(tmp_path, "sys/fs/cgroup/system.slice/mariadb.service/memory.max", "max")
    _write(tmp_path, "sys/fs/cgroup/system.slice/mariadb.service/memory.swap.max", 0)
    limits = memory.cgroup_limits(V2_PROC, root=str(tmp_path))
    assert limits["memory"] == 3 * GIB
    assert limits["memory_source"] == memory.SOURCE_CGROUP_V2
    assert limits["swap"] == 0


def test_v2_unit_memory_max_lower_than_slice(tmp_path):
    _write(tmp_path, "sys/fs/cgroup/cgroup.controllers", "memory")
    _write(tmp_path, "sys/fs/cgroup/system.slice/memory.max", "max")
    _write(tmp_path, "sys/fs/cgroup/system.slice/mariadb.service/memory.max", 512 * 1024 ** 2)
    limits = memory.cgroup_limits(V2_PROC, root=str(tmp_path))
    assert limits["memory"] == 512 * 1024 ** 2
    assert limits["memory_cgroup"].endswith("mariadb.service")


def test_no_cgroup_files_means_no_limit(tmp_path):
    assert memory.cgroup_limits(V1_PROC, root=str(tmp_path))["memory"] is None
    assert memory.cgroup_limits("", root=str(tmp_path))["memory"] is None


def test_effective_memory_takes_the_smaller_and_names_its_source():
    host = {"mem_total_bytes": 24 * GIB, "swap_total_bytes": 0}
    limited = memory.effective_memory(host, {"memory": GIB, "memory_source": "cgroup v1 memory.limit_in_bytes",
                                             "memory_cgroup": "/sys/fs/cgroup/memory", "swap": None})
    assert limited["mem_limit_bytes"] == GIB
    assert "cgroup v1" in limited["mem_limit_source"]
    unlimited = memory.effective_memory(host, {"memory": V1_UNLIMITED, "memory_source": "x",
                                               "memory_cgroup": "/", "swap": None})
    assert unlimited == {"mem_limit_bytes": 24 * GIB, "mem_limit_source": "MemTotal",
                         "swap_limit_bytes": 0}


def test_effective_memory_caps_swap_by_the_cgroup():
    host = {"mem_total_bytes": 4 * GIB, "swap_total_bytes": 2 * GIB}
    out = memory.effective_memory(host, {"memory": None, "swap": 0})
    assert out["swap_limit_bytes"] == 0 and out["mem_limit_source"] == "MemTotal"


def test_read_process_memory_on_this_machine_does_not_fail():
    limits = memory.read_process_memory()
    assert set(limits) == {"memory", "memory_source", "memory_cgroup", "swap"}
