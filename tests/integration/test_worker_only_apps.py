"""Worker-only and web-only apps through the real ansible CLI (issue 13 item 3).

A queue-worker deployment (report 02's Kafka consumer, report 03's rqworker) has no web
process. mysql_plan's argument spec used to default app_hosts and processes_per_host to
1, so an app declared with only background_workers got a phantom web connection in its
demand and its MAX_USER_CONNECTIONS cap. mysql_plan connects to nothing: no server here.
"""
from conftest import run_module
from test_mysql_plan import FACTS


def _plan(apps):
    result, _ = run_module("mysql_plan", {"facts": FACTS, "apps": apps, "admin_reserve": 5})
    return result


def test_worker_only_app_declared_by_its_workers():
    result = _plan([{"name": "consumer", "background_workers": 4,
                     "longest_job_seconds": 600}])
    assert not result.get("failed"), result
    app = result["plan"]["apps"]["consumer"]
    assert (app["demand_web"], app["demand_workers"], app["demand"]) == (0, 4, 4)
    assert app["max_user_connections"] == 5      # 4 + 25 %, not (1 + 4) x 1.25 = 7
    assert result["plan"]["server"]["user_limits"][0]["max_user_connections"] == 5
    assert app["kind"] == "workers"


def test_worker_only_with_explicit_zero_and_a_web_only_app_side_by_side():
    result = _plan([
        {"name": "rq", "db_user": "rq", "app_hosts": 0, "background_workers": 3},
        {"name": "site", "db_user": "site", "processes_per_host": 3, "threads_per_process": 2},
    ])
    assert not result.get("failed"), result
    apps = result["plan"]["apps"]
    assert apps["rq"]["demand"] == 3 and apps["rq"]["demand_web"] == 0
    assert apps["site"]["demand"] == 6 and apps["site"]["demand_workers"] == 0
    assert result["plan"]["totals"]["demand"] == 9


def test_an_app_with_nothing_is_refused():
    result = _plan([{"name": "idle", "processes_per_host": 0}])
    assert result.get("failed")
    assert "apps[0] (idle) declares no connections" in result["msg"]
    assert "Traceback" not in result["msg"]
