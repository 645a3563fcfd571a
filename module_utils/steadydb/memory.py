# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The RAM and swap a process may really use: MemTotal, or a lower cgroup limit.

A container started with ``--memory 1g`` or a systemd unit with ``MemoryMax=`` still
shows the machine's MemTotal in ``/proc/meminfo``; the kernel OOM-kills the process
at the cgroup's limit. So the memory budget must use the smallest of:

- ``MemTotal`` from ``/proc/meminfo``;
- every ``memory.limit_in_bytes`` (cgroup v1) or ``memory.max`` (cgroup v2) from the
  process's own cgroup up to the root of the hierarchy (a parent slice's limit binds
  its children too). A unit's ``MemoryMax=``/``MemoryLimit=`` is exactly the limit of
  the unit's cgroup, so walking up from the server's process covers it.

Inside a container the cgroup path in ``/proc/PID/cgroup`` may be the host's view
while ``/sys/fs/cgroup/...`` is mounted at the container's own cgroup: levels whose
directory does not exist are skipped, and the mount's root always counts.

Swap the same way: v2 ``memory.swap.max``; v1 ``memory.memsw.limit_in_bytes`` is
memory + swap, so the swap allowance is that minus the memory limit.

Everything here takes the file system root as an argument so unit tests can build a
fake ``/sys/fs/cgroup`` in a temporary directory.
"""

import os

# cgroup v1 writes "no limit" as the largest page-aligned signed 64-bit number; any
# value at or above MemTotal is no limit for our purpose anyway.
SOURCE_MEMINFO = "MemTotal"
SOURCE_CGROUP_V1 = "cgroup v1 memory.limit_in_bytes"
SOURCE_CGROUP_V2 = "cgroup v2 memory.max"


def parse_proc_cgroup(text):
    """Map each hierarchy of ``/proc/PID/cgroup`` text to its path.

    Returns ``{"v1_memory": path or None, "v2": path or None}``.
    """
    found = {"v1_memory": None, "v2": None}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            found["v2"] = path
        elif "memory" in controllers.split(","):
            found["v1_memory"] = path
    return found


def _read_limit(path):
    """The integer in a limit file, None for "max", a missing or unreadable file."""
    try:
        with open(path) as handle:
            raw = handle.read().strip()
    except (IOError, OSError):
        return None
    if raw == "max" or not raw.isdigit():
        return None
    return int(raw)


def _levels(mount, cgroup_path):
    """Directories from the process's cgroup up to the mount root, deepest first."""
    parts = [p for p in (cgroup_path or "/").split("/") if p and p not in (".", "..")]
    levels = []
    for depth in range(len(parts), 0, -1):
        candidate = os.path.join(mount, *parts[:depth])
        if os.path.isdir(candidate):
            levels.append(candidate)
    levels.append(mount)
    return levels


def _smallest(mount, cgroup_path, filename):
    """(limit, directory) of the smallest limit on the way up, or (None, None)."""
    best = (None, None)
    for level in _levels(mount, cgroup_path):
        value = _read_limit(os.path.join(level, filename))
        if value is not None and (best[0] is None or value < best[0]):
            best = (value, level)
    return best


def cgroup_limits(proc_cgroup_text, root="/"):
    """The memory and swap limits of the cgroup a process is in.

    Returns ``{"memory": bytes or None, "memory_source": str or None,
    "memory_cgroup": dir or None, "swap": bytes or None}``. None means no limit found.
    """
    paths = parse_proc_cgroup(proc_cgroup_text)
    sys_cgroup = os.path.join(root, "sys", "fs", "cgroup")
    result = {"memory": None, "memory_source": None, "memory_cgroup": None, "swap": None}
    v1_mount = os.path.join(sys_cgroup, "memory")
    if paths["v1_memory"] is not None and os.path.isdir(v1_mount):
        memory, where = _smallest(v1_mount, paths["v1_memory"], "memory.limit_in_bytes")
        memsw, _ = _smallest(v1_mount, paths["v1_memory"], "memory.memsw.limit_in_bytes")
        if memory is not None:
            result.update(memory=memory, memory_source=SOURCE_CGROUP_V1, memory_cgroup=where)
            if memsw is not None and memsw >= memory:
                result["swap"] = memsw - memory
        return result
    if paths["v2"] is not None:
        # A pure v2 host mounts the tree at /sys/fs/cgroup, a hybrid one at .../unified.
        for v2_mount in (sys_cgroup, os.path.join(sys_cgroup, "unified")):
            if os.path.exists(os.path.join(v2_mount, "cgroup.controllers")):
                memory, where = _smallest(v2_mount, paths["v2"], "memory.max")
                swap, _ = _smallest(v2_mount, paths["v2"], "memory.swap.max")
                if memory is not None:
                    result.update(memory=memory, memory_source=SOURCE_CGROUP_V2,
                                  memory_cgroup=where)
                result["swap"] = swap
                break
    return result


def effective_memory(host, limits):
    """Combine ``/proc/meminfo`` facts with cgroup limits: what the server may use.

    ``host`` has ``mem_total_bytes`` and ``swap_total_bytes``; ``limits`` is what
    ``cgroup_limits`` returned. Returns a new dict with ``mem_limit_bytes``,
    ``mem_limit_source`` ("MemTotal" or the cgroup file that won, with its directory)
    and ``swap_limit_bytes``.
    """
    total = host.get("mem_total_bytes") or 0
    swap = host.get("swap_total_bytes") or 0
    limit, source = total, SOURCE_MEMINFO
    if limits.get("memory") is not None and (not total or limits["memory"] < total):
        limit = limits["memory"]
        source = "%s (%s)" % (limits["memory_source"], limits["memory_cgroup"])
    swap_limit = swap
    if limits.get("swap") is not None and limits["swap"] < swap:
        swap_limit = limits["swap"]
    return {"mem_limit_bytes": limit, "mem_limit_source": source,
            "swap_limit_bytes": swap_limit}


def read_process_memory(pid=None, root="/"):
    """``cgroup_limits`` for a process (default: this one), reading the real files."""
    proc = os.path.join(root, "proc", str(pid) if pid else "self", "cgroup")
    try:
        with open(proc) as handle:
            text = handle.read()
    except (IOError, OSError):
        text = ""
    return cgroup_limits(text, root=root)
