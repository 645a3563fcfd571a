"""Property-based tests: the plan's invariants hold over wide random inputs.

Every generated input either yields a plan that satisfies all invariants or raises
PlanError (never another exception). A second property draws inputs that are valid by
construction and requires a plan.
"""
import math

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ansible.module_utils.steadydb.plan import PlanError, build_plan, open_files_need

MIB = 1024 * 1024
GIB = 1024 * MIB

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

sizes = st.integers(min_value=0, max_value=64 * MIB)


@st.composite
def apps_strategy(draw, max_apps=4, max_longest=7200):
    count = draw(st.integers(min_value=1, max_value=max_apps))
    apps = []
    for i in range(count):
        apps.append({
            "name": "app%d" % i,
            "app_hosts": draw(st.integers(1, 20)),
            "processes_per_host": draw(st.integers(1, 64)),
            "threads_per_process": draw(st.integers(1, 16)),
            "background_workers": draw(st.integers(0, 50)),
            "worker_concurrency": draw(st.integers(1, 8)),
            "asgi": draw(st.booleans()),
            "longest_request_seconds": draw(st.integers(1, max_longest)),
            "longest_job_seconds": draw(st.integers(0, max_longest)),
            "longest_query_seconds": draw(st.integers(1, 3600)),
        })
    return apps


@st.composite
def facts_strategy(draw, mem=None, wait_timeout=None):
    variables = {
        "max_connections": draw(st.integers(1, 100000)),
        "extra_max_connections": draw(st.integers(0, 10)),
        "wait_timeout": wait_timeout or draw(st.one_of(st.integers(1, 600),
                                                       st.integers(1, 31536000))),
        "net_read_timeout": draw(st.integers(1, 3600)),
        "net_write_timeout": draw(st.integers(1, 3600)),
        "thread_cache_size": draw(st.integers(0, 16384)),
        "table_open_cache": draw(st.integers(1, 100000)),
        "open_files_limit": draw(st.integers(0, 1 << 20)),
        "max_connect_errors": draw(st.integers(1, 1 << 32 - 1)),
        "key_buffer_size": draw(sizes),
        "innodb_buffer_pool_size": draw(st.integers(5 * MIB, 64 * GIB)),
        "innodb_log_buffer_size": draw(sizes),
        "query_cache_size": draw(sizes),
        "aria_pagecache_buffer_size": draw(sizes),
        "read_buffer_size": draw(st.integers(8192, 4 * MIB)),
        "read_rnd_buffer_size": draw(st.integers(1, 4 * MIB)),
        "sort_buffer_size": draw(st.integers(32768, 8 * MIB)),
        "thread_stack": draw(st.integers(131072, 2 * MIB)),
        "join_buffer_size": draw(st.integers(128, 8 * MIB)),
        "binlog_cache_size": draw(st.integers(4096, MIB)),
        "tmp_table_size": draw(st.integers(1024, 256 * MIB)),
        "max_heap_table_size": draw(st.integers(16384, 256 * MIB)),
        "innodb_buffer_pool_chunk_size": draw(st.sampled_from([0, MIB, 2 * MIB, 128 * MIB])),
        "innodb_buffer_pool_instances": draw(st.integers(1, 8)),
    }
    status = {
        "Max_used_connections": draw(st.integers(0, 100001)),
        "Connections": draw(st.integers(0, 10 ** 9)),
        "Aborted_clients": draw(st.integers(0, 10 ** 6)),
        "Aborted_connects": draw(st.integers(0, 10 ** 6)),
        "Connection_errors_max_connections": draw(st.integers(0, 1000)),
    }
    host = {"mem_total_bytes": mem or draw(st.integers(256 * MIB, 1024 * GIB)),
            "swap_total_bytes": draw(st.integers(0, 8 * GIB))}
    return {"flavor": draw(st.sampled_from(["mariadb", "mysql"])),
            "version": {"string": "10.11.6", "tuple": [10, 11, 6]},
            "variables": variables, "status": status, "host": host}


@st.composite
def demand_strategy(draw, apps=None):
    return {
        "apps": apps if apps is not None else draw(apps_strategy()),
        "admin_reserve": draw(st.integers(0, 200)),
        "headroom_percent": draw(st.integers(0, 300)),
        "db_host_shared": draw(st.booleans()),
        "upstream_idle_timeout": draw(st.one_of(st.just(0), st.integers(1, 100000))),
    }


@st.composite
def policy_strategy(draw):
    return {
        "wait_timeout": draw(st.one_of(st.just(0), st.integers(1, 31536000))),
        "memory_fraction": draw(st.one_of(st.just(0), st.floats(0.05, 0.95))),
        "allow_buffer_pool_shrink": draw(st.booleans()),
        "max_connections": draw(st.one_of(st.just(0), st.integers(1, 100000))),
        "connect_timeout": draw(st.integers(1, 30)),
        "min_margin_seconds": draw(st.integers(1, 600)),
    }


def check_invariants(plan, facts, demand, policy):
    v = plan["server"]["variables"]
    totals = plan["totals"]
    max_connections = v["max_connections"]
    reserve = demand["admin_reserve"]
    headroom = demand["headroom_percent"]

    # max_connections >= demand x (1 + headroom) + reserve, within the server's range
    assert max_connections >= totals["demand"] * (100 + headroom) / 100.0 + reserve
    assert 10 <= max_connections <= 100000
    # per-account caps: each covers its app, and together they leave the reserve free
    caps = [u["max_user_connections"] for u in plan["server"]["user_limits"]]
    assert sum(caps) <= max_connections - reserve
    assert sum(caps) <= max_connections
    for app in demand["apps"]:
        entry = plan["apps"][app["name"]]
        assert entry["max_user_connections"] >= entry["demand"] * (100 + headroom) / 100.0

    # idle timeouts
    wait = v["wait_timeout"]
    assert v["interactive_timeout"] == wait
    upstream = demand["upstream_idle_timeout"]
    effective = min(wait, upstream) if upstream else wait
    assert totals["effective_idle_timeout"] == effective
    for app in demand["apps"]:
        entry = plan["apps"][app["name"]]
        django, sqla = entry["django"], entry["sqlalchemy"]
        longest = app["longest_request_seconds"]
        if app["background_workers"]:
            longest = max(longest, app["longest_job_seconds"])
        for value in (django["CONN_MAX_AGE"], sqla["pool_recycle"]):
            assert isinstance(value, int) and value >= 0
            assert value == 0 or value < effective
            # a connection reused at the end of its life survives the longest request/job
            assert value == 0 or value + longest <= effective
        if app["asgi"]:
            assert django["CONN_MAX_AGE"] == 0
        assert django["CONN_HEALTH_CHECKS"] == (django["CONN_MAX_AGE"] != 0)
        assert sqla["pool_pre_ping"] is True
        options = django["OPTIONS"]
        assert options["read_timeout"] > app["longest_query_seconds"]
        assert options["write_timeout"] > app["longest_query_seconds"]
        assert options == sqla["connect_args"]
        assert v["net_write_timeout"] >= options["read_timeout"]
    assert v["net_read_timeout"] >= 30 and v["net_write_timeout"] >= 60

    # memory budget <= allowed RAM
    mem = plan["memory"]
    assert mem["fits"] is True
    assert mem["max_total_bytes"] <= mem["allowed_bytes"]
    assert mem["max_total_bytes"] == (mem["server_buffers_bytes"]
                                      + max_connections * mem["per_thread_bytes"])
    assert mem["allowed_bytes"] <= mem["total_bytes"] * 0.95
    if "innodb_buffer_pool_size" in v:
        assert policy.get("allow_buffer_pool_shrink", True)
        assert v["innodb_buffer_pool_size"] >= 32 * MIB
        assert v["innodb_buffer_pool_size"] < facts["variables"]["innodb_buffer_pool_size"]
        assert v["innodb_buffer_pool_size"] % MIB == 0

    # open files
    extra = facts["variables"].get("extra_max_connections", 0)
    need = open_files_need(max_connections, v["table_open_cache"], extra)
    assert need == max(10 + max_connections + extra + 2 * v["table_open_cache"],
                       5 * (max_connections + extra))
    assert v["open_files_limit"] >= need
    assert plan["systemd"]["LimitNOFILE"] >= max(need, v["open_files_limit"])
    assert 1024 <= plan["systemd"]["LimitNOFILE"] <= 1048576
    assert 900 <= plan["systemd"]["TimeoutStopSec"] <= 86400
    assert v["table_open_cache"] >= facts["variables"]["table_open_cache"]
    assert 0 <= v["thread_cache_size"] <= min(max_connections, 16384)

    # systemd
    s = plan["systemd"]
    assert -999 <= s["OOMScoreAdjust"] <= 0
    assert s["RestartSec"] * s["StartLimitBurst"] < s["StartLimitIntervalSec"]
    assert s["TimeoutStopSec"] >= 900
    assert set(plan["server"]["dynamic"]) == set(v)


@SETTINGS
@given(facts=facts_strategy(), demand=demand_strategy(), policy=policy_strategy())
def test_any_input_gives_a_sound_plan_or_a_plan_error(facts, demand, policy):
    try:
        plan = build_plan(facts, demand, policy)
    except PlanError as exc:
        message = str(exc)
        assert message and "Traceback" not in message
        return
    check_invariants(plan, facts, demand, policy)


@st.composite
def valid_case(draw):
    """Inputs valid by construction: RAM to spare and idle timeouts above every job."""
    apps = draw(apps_strategy(max_apps=3, max_longest=3000))
    for app in apps:
        app["app_hosts"] = min(app["app_hosts"], 4)
        app["processes_per_host"] = min(app["processes_per_host"], 16)
    wait = draw(st.integers(3001, 31536000))
    # At most 3 x (4 x 16 x 16 + 50 x 8) x 4 + 200 = 17288 connections of at most 283 MiB
    # each (4.9e12 bytes): 16 TiB x 0.40 (7.0e12) always holds them.
    facts = draw(facts_strategy(mem=draw(st.integers(16 * 1024 * GIB, 64 * 1024 * GIB)),
                                wait_timeout=wait))
    facts["variables"]["innodb_buffer_pool_size"] = draw(st.integers(32 * MIB, 8 * GIB))
    demand = draw(demand_strategy(apps=apps))
    demand["upstream_idle_timeout"] = draw(st.one_of(st.just(0), st.integers(3001, 100000)))
    policy = {"connect_timeout": draw(st.integers(1, 10)),
              "wait_timeout": draw(st.one_of(st.just(0), st.integers(3001, 31536000)))}
    return facts, demand, policy


@SETTINGS
@given(case=valid_case())
def test_valid_input_always_gives_a_plan(case):
    facts, demand, policy = case
    plan = build_plan(facts, demand, policy)
    check_invariants(plan, facts, demand, policy)
    for app in demand["apps"]:
        django = plan["apps"][app["name"]]["django"]
        if not app["asgi"]:
            assert django["CONN_MAX_AGE"] > 0  # wait_timeout > longest: something fits


@st.composite
def small_host_case(draw):
    """A small demand on a small host: the memory budget is what decides."""
    demand = draw(demand_strategy())
    demand["admin_reserve"] = draw(st.integers(0, 20))
    for app in demand["apps"]:
        app.update(app_hosts=draw(st.integers(1, 2)), processes_per_host=draw(st.integers(1, 8)),
                   threads_per_process=draw(st.integers(1, 2)),
                   background_workers=draw(st.integers(0, 4)),
                   longest_request_seconds=1, longest_job_seconds=1)
    facts = draw(facts_strategy(mem=draw(st.integers(512 * MIB, 8 * GIB))))
    v = facts["variables"]
    v["innodb_buffer_pool_size"] = draw(st.integers(64 * MIB, 8 * GIB))
    for key in ("sort_buffer_size", "join_buffer_size", "read_rnd_buffer_size"):
        v[key] = min(v[key], 512 * 1024)
    v["tmp_table_size"] = v["max_heap_table_size"] = draw(st.integers(MIB, 32 * MIB))
    for key in ("key_buffer_size", "query_cache_size", "aria_pagecache_buffer_size"):
        v[key] = min(v[key], 16 * MIB)
    return facts, demand, {"allow_buffer_pool_shrink": draw(st.booleans())}


@SETTINGS
@given(case=small_host_case())
def test_memory_either_fits_or_the_error_shows_the_arithmetic(case):
    facts, demand, policy = case
    try:
        plan = build_plan(facts, demand, policy)
    except PlanError as exc:
        message = str(exc)
        assert "memory budget does not fit" in message
        assert "allowed" in message and "x RAM" in message and "per thread" in message
        if not policy["allow_buffer_pool_shrink"]:
            assert "allow_buffer_pool_shrink=false" in message
        return
    check_invariants(plan, facts, demand, policy)
    pool = plan["server"]["variables"].get("innodb_buffer_pool_size")
    event("buffer pool shrunk" if pool else "fits as is")


@SETTINGS
@given(wait=st.integers(1, 31536000), longest=st.integers(0, 31536000),
       margin=st.integers(1, 3600))
def test_max_age_is_strictly_below_the_timeout(wait, longest, margin):
    from ansible.module_utils.steadydb.plan import idle_margin, max_age
    value = max_age(wait, longest, margin)
    assert value == 0 or (0 < value < wait and value + longest <= wait)
    m = idle_margin(wait, longest, margin)
    assert m >= 1 and m >= longest
    assert m >= min(margin, wait // 5)
    if value:
        assert value == wait - m
    assert math.isfinite(value)
