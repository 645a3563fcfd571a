"""The memory budget against the RAM the server may really use (issue 13, field report 01).

The field case: MariaDB 10.11 with innodb_buffer_pool_size=256M and max_connections=40 in
a podman container started with ``--memory 1g`` on a 23.5 GiB host. MySQLTuner's worst
case is 1287 MiB; the plan used to approve it against the host's MemTotal ("worst case
1287 MiB of 9642 MiB allowed"). mysql_facts now reports the cgroup limit as
host.mem_limit_bytes; the plan must budget against it and say so.
"""
import pytest

from ansible.module_utils.steadydb import plan as plan_mod
from ansible.module_utils.steadydb.plan import PlanError, build_plan

from test_plan import GIB, MIB, demand, mariadb_facts

HOST_RAM = 25232932864  # MemTotal of the 23.5 GiB host of the field report
CGROUP = "cgroup v1 memory.limit_in_bytes (/sys/fs/cgroup/memory/machine.slice/libpod-1)"

# The demo's app: 1 host x 3 processes x 2 threads + 2 rq workers.
SHOP = {"name": "shop", "db_user_host": "localhost", "app_hosts": 1, "processes_per_host": 3,
        "threads_per_process": 2, "background_workers": 2, "longest_request_seconds": 30,
        "longest_job_seconds": 120, "longest_query_seconds": 30}


def container_facts(limit=GIB, swap_limit=0, **variables):
    variables.setdefault("innodb_buffer_pool_size", 256 * MIB)
    variables.setdefault("max_connections", 40)
    facts = mariadb_facts(mem=HOST_RAM, **variables)
    facts["host"].update(mem_limit_bytes=limit, mem_limit_source=CGROUP,
                         swap_limit_bytes=swap_limit, limit_pid=4242)
    return facts


def field_demand(**kw):
    return demand(dict(SHOP), admin_reserve=5, **kw)


def test_worst_case_of_the_field_report_is_1287_mib():
    # The formula was right; the RAM it was compared with was not.
    facts = container_facts()
    facts["host"].update(mem_limit_bytes=HOST_RAM, mem_limit_source="MemTotal")
    plan = build_plan(facts, field_demand(), {"memory_fraction": 0.4})
    memory = plan["memory"]
    assert memory["max_connections"] == 40
    assert round(memory["max_total_bytes"] / MIB) == 1287
    assert memory["total_bytes"] == HOST_RAM
    assert memory["total_source"] == "MemTotal"
    assert memory["line"] == "worst case 1287 MiB of 9626 MiB allowed (40% of 24064 MiB, MemTotal)"


def test_the_plan_budgets_against_the_cgroup_limit_and_refuses():
    # The app shares the 1 GiB box (40%); with shrinking forbidden the plan refuses and
    # names the cgroup limit it was made against.
    with pytest.raises(PlanError) as err:
        build_plan(container_facts(), field_demand(db_host_shared=True),
                   {"allow_buffer_pool_shrink": False})
    message = str(err.value)
    assert "the memory budget does not fit" in message
    assert "allowed 0.40 x RAM 1073741824 (cgroup limit: %s) = 429496729" % CGROUP in message
    assert "key_buffer_size = 134217728" in message  # the largest other terms, the way out


def test_the_plan_shrinks_the_buffer_pool_to_fit_the_cgroup_limit():
    # Server buffers other than the pool that a small box would have: it fits by shrinking.
    facts = container_facts(key_buffer_size=8 * MIB, aria_pagecache_buffer_size=8 * MIB)
    plan = build_plan(facts, field_demand(db_host_shared=True))
    memory = plan["memory"]
    assert memory["total_bytes"] == GIB
    assert memory["total_source"] == "cgroup limit"
    assert memory["total_source_detail"] == CGROUP
    assert memory["allowed_bytes"] == int(0.4 * GIB)
    assert memory["fits"] and memory["max_total_bytes"] <= 0.4 * GIB
    assert memory["innodb_buffer_pool_shrunk_from"] == 256 * MIB
    assert plan["server"]["variables"]["innodb_buffer_pool_size"] < 256 * MIB
    assert "(cgroup limit: %s)" % CGROUP in memory["formula"]
    assert memory["line"].endswith("of 410 MiB allowed (40% of 1024 MiB, cgroup limit)")
    shrink = [w for w in plan["warnings"] if w.startswith("innodb_buffer_pool_size shrinks")]
    assert shrink and "(1073741824 bytes, cgroup limit)" in shrink[0]
    # max_connections keeps the server's 40 only as far as the smaller budget allows:
    # down to the demand (1 x 3 x 2 + 2 = 8, +25% = 10) + reserve 5.
    assert plan["server"]["variables"]["max_connections"] == 15
    assert any("max_connections goes from 40 to 15" in w for w in plan["warnings"])


def test_on_a_dedicated_1g_box_max_connections_comes_down_first():
    # 75% of 1 GiB: the server's max_connections=40 drops to what fits; then the key
    # buffer gives up what is still missing and the buffer pool stays.
    plan = build_plan(container_facts(), field_demand())
    memory = plan["memory"]
    assert memory["allowed_bytes"] == 768 * MIB and memory["fits"]
    assert memory["max_connections"] == 15
    assert list(memory["shrunk"]) == ["key_buffer_size"]
    assert memory["innodb_buffer_pool_shrunk_from"] is None
    assert "innodb_buffer_pool_size" not in plan["server"]["variables"]


def test_the_mem_total_bytes_override_still_wins():
    plan = build_plan(container_facts(limit=GIB), field_demand(),
                      {"mem_total_bytes": "8G", "memory_fraction": 0.5})
    assert plan["memory"]["total_bytes"] == 8 * GIB
    assert plan["memory"]["total_source"] == "mem_total_bytes override"
    assert plan["memory"]["line"].endswith("(50% of 8192 MiB, mem_total_bytes override)")


def test_facts_without_a_limit_use_mem_total():
    facts = mariadb_facts(mem=4 * GIB)  # facts of an older mysql_facts: no mem_limit_bytes
    plan = build_plan(facts, demand())
    assert plan["memory"]["total_bytes"] == 4 * GIB
    assert plan["memory"]["total_source"] == "MemTotal"
    assert "(" not in plan["memory"]["formula"].split("x RAM")[1]


def test_a_limit_above_mem_total_is_not_the_ram():
    facts = mariadb_facts(mem=4 * GIB)
    facts["host"].update(mem_limit_bytes=8 * GIB, mem_limit_source=CGROUP)
    assert build_plan(facts, demand())["memory"]["total_bytes"] == 4 * GIB


@pytest.mark.parametrize("bad", [0, -1, "1G", True])
def test_a_bad_limit_fact_is_refused(bad):
    facts = mariadb_facts()
    facts["host"]["mem_limit_bytes"] = bad
    with pytest.raises(PlanError) as err:
        build_plan(facts, demand())
    assert "facts.host.mem_limit_bytes must be a positive number of bytes" in str(err.value)


def test_no_swap_in_the_cgroup_warns_on_a_shared_host():
    # The host has 1 GiB of swap; the container's cgroup allows none.
    facts = container_facts(key_buffer_size=8 * MIB, aria_pagecache_buffer_size=8 * MIB,
                            innodb_buffer_pool_size=64 * MIB)
    plan = build_plan(facts, field_demand(db_host_shared=True))
    assert any("no swap the server may use (its memory cgroup allows none)" in w
               for w in plan["warnings"])
    facts["host"]["swap_limit_bytes"] = 512 * MIB
    plan = build_plan(facts, field_demand(db_host_shared=True))
    assert not any("no swap" in w for w in plan["warnings"])


def test_extras_are_checked_against_the_cgroup_limit():
    facts = container_facts(key_buffer_size=8 * MIB, aria_pagecache_buffer_size=8 * MIB)
    with pytest.raises(PlanError) as err:
        build_plan(facts, field_demand(), extra_variables={"key_buffer_size": "512M"})
    assert "(cgroup limit: %s)" % CGROUP in str(err.value)


def test_memory_limit_function():
    assert plan_mod.memory_limit({"mem_total_bytes": 4 * GIB}) == (4 * GIB, "MemTotal", "MemTotal")
    assert plan_mod.memory_limit({"mem_total_bytes": 4 * GIB, "mem_limit_bytes": GIB,
                                  "mem_limit_source": CGROUP}) == (GIB, "cgroup limit", CGROUP)
    assert plan_mod.memory_limit({"mem_total_bytes": 4 * GIB}, 2 * GIB)[0] == 2 * GIB
    with pytest.raises(PlanError):
        plan_mod.memory_limit({})


def test_the_demo_droplet_fits_by_shrinking_the_myisam_and_aria_caches_first():
    # `make run`: the Debian MariaDB 10.11 defaults (128M key buffer, Aria cache and
    # buffer pool, max_connections 151) in a 1 GiB container shared with the shop app.
    # MyISAM's key buffer and the Aria page cache hold no data of an InnoDB app: they
    # shrink to their floors before the buffer pool gives anything up.
    facts = container_facts(innodb_buffer_pool_size=128 * MIB, max_connections=151)
    plan = build_plan(facts, field_demand(db_host_shared=True))
    memory, variables = plan["memory"], plan["server"]["variables"]
    assert memory["fits"] and memory["total_source"] == "cgroup limit"
    assert variables["key_buffer_size"] == plan_mod.CACHE_FLOORS["key_buffer_size"]
    assert variables["aria_pagecache_buffer_size"] == \
        plan_mod.CACHE_FLOORS["aria_pagecache_buffer_size"]
    assert 32 * MIB <= variables["innodb_buffer_pool_size"] < 128 * MIB
    assert plan["server"]["dynamic"]["key_buffer_size"] is True
    assert plan["server"]["dynamic"]["aria_pagecache_buffer_size"] is False
    shrunk = [w for w in plan["warnings"] if " shrinks from " in w]
    assert [w.split()[0] for w in shrunk] == ["key_buffer_size", "aria_pagecache_buffer_size",
                                              "innodb_buffer_pool_size"]
    assert memory["shrunk"] == {"key_buffer_size": 128 * MIB,
                                "aria_pagecache_buffer_size": 128 * MIB,
                                "innodb_buffer_pool_size": 128 * MIB}


def test_only_what_must_shrink_shrinks():
    # Half the key buffer is enough: the Aria cache and the pool stay.
    facts = container_facts(innodb_buffer_pool_size=128 * MIB, max_connections=10,
                            aria_pagecache_buffer_size=8 * MIB)
    plan = build_plan(facts, demand({"name": "tiny"}, admin_reserve=0, headroom_percent=0),
                      {"memory_fraction": 0.4})
    variables = plan["server"]["variables"]
    assert plan["memory"]["fits"]
    assert 8 * MIB < variables["key_buffer_size"] < 128 * MIB
    assert "aria_pagecache_buffer_size" not in variables
    assert "innodb_buffer_pool_size" not in variables


def test_no_shrink_allowed_refuses_and_keeps_the_caches():
    facts = container_facts(innodb_buffer_pool_size=128 * MIB, max_connections=151)
    with pytest.raises(PlanError) as err:
        build_plan(facts, field_demand(db_host_shared=True), {"allow_buffer_pool_shrink": False})
    assert "(cgroup limit: %s)" % CGROUP in str(err.value)


def _applied(facts, plan):
    """The facts of the same server after the plan's variables are in force."""
    again = {key: (dict(value) if isinstance(value, dict) else value)
             for key, value in facts.items()}
    again["variables"] = dict(facts["variables"], **plan["server"]["variables"])
    return again


def test_a_plan_that_shrank_buffers_is_a_fixed_point():
    # Molecule `default` with --memory=1g: the first run shrank the key buffer, the Aria
    # cache and the buffer pool; the rerun planned from the shrunk live values (which now
    # fit), left them out, and the exclusive drop-in dropped their lines: idempotence
    # failed, and the next restart would have brought the old sizes back (and the OOM).
    from ansible.module_utils.steadydb.option_file import edit

    facts = container_facts()
    first = build_plan(facts, field_demand(db_host_shared=True))
    shrunk = set(first["memory"]["shrunk"])
    assert {"innodb_buffer_pool_size", "key_buffer_size"} <= shrunk
    dropin, _ = edit("", "mysqld", first["server"]["variables"], exclusive=True,
                     keep=first["server"]["keep_if_present"])

    second = build_plan(_applied(facts, first), field_demand(db_host_shared=True))
    assert second["memory"]["fits"] and not second["memory"]["shrunk"]
    rerun, changes = edit(dropin, "mysqld", second["server"]["variables"], exclusive=True,
                          keep=second["server"]["keep_if_present"])
    assert changes == [] and rerun == dropin
    for key in shrunk:
        assert "%s = " % key in rerun


def test_only_the_sizes_the_budget_may_shrink_are_kept():
    plan = build_plan(container_facts(), field_demand(db_host_shared=True))
    assert plan["server"]["keep_if_present"] == [
        "aria_pagecache_buffer_size", "innodb_buffer_pool_size", "key_buffer_size"]
    fixed = build_plan(container_facts(), field_demand(),
                       {"allow_buffer_pool_shrink": False, "mem_total_bytes": 64 * GIB})
    assert fixed["server"]["keep_if_present"] == []
