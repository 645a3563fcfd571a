"""The benchmark's pure parts: the kill -9 timeline drawing (bench/timeline.py), the
percentile of drive.py and the speed ratios of resilience.py (issues 15 and 16's
report). No container, no server."""
import importlib.util
import os
import sys
import xml.dom.minidom

import pytest

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench")


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sys.path.insert(0, BENCH)  # resilience.py imports timeline as its neighbour
timeline = load("bench_timeline", os.path.join(BENCH, "timeline.py"))
drive = load("bench_drive", os.path.join(BENCH, "app", "drive.py"))
resilience = load("bench_resilience", os.path.join(BENCH, "resilience.py"))


def point(t, ok=True, latency=0.02, code=None):
    return {"t": t, "latency_s": latency, "ok": ok, "code": code}


def result(suite, kill_points, summary=None, marks=(2.1, 2.5)):
    kill = {"points": kill_points, "restart_scheduled_s": marks[0], "mariadbd_ready_s": marks[1]}
    return {"suite": suite, "date": "2026-12-01 10:00 UTC",
            "raw": {"baseline": {"kill": [kill]}, "hardened": {"kill": [dict(kill)]}},
            "summary": {"baseline": {"3_kill_mysqld": summary or {}},
                        "hardened": {"3_kill_mysqld": summary or {}}}}


# --- scaling ----------------------------------------------------------------------------

def test_linear_maps_ends_and_inverts_for_svg_y():
    assert timeline.linear(0, 0, 10, 100, 200) == 100
    assert timeline.linear(10, 0, 10, 100, 200) == 200
    assert timeline.linear(5, 0, 10, 200, 100) == 150  # y grows downwards in SVG
    assert timeline.linear(3, 3, 3, 0, 10) == 5  # empty range: the middle, no division by 0


def test_log_scale_decades_are_evenly_spaced_and_clamped():
    ys = [timeline.log_scale(v, 0.001, 10, 400, 0) for v in (0.001, 0.01, 0.1, 1, 10)]
    assert ys == pytest.approx([400, 300, 200, 100, 0])
    assert timeline.log_scale(0, 0.001, 10, 400, 0) == 400  # a zero latency: the bottom
    assert timeline.log_scale(60, 0.001, 10, 400, 0) == 0  # above the timeout: the top


def test_time_ticks_are_round_and_include_the_kill():
    ticks = timeline.time_ticks(-3, 10)
    assert 0 in ticks
    assert ticks[0] >= -3 and ticks[-1] <= 10
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1 and steps.pop() in (1, 2, 5)
    assert timeline.time_ticks(0, 50, target=5) == [0, 10, 20, 30, 40, 50]


def test_latency_ticks_are_decades():
    assert timeline.latency_ticks(0.001, 10) == pytest.approx([0.001, 0.01, 0.1, 1, 10])
    assert timeline.fmt_latency(0.01) == "10 ms"
    assert timeline.fmt_latency(1.0) == "1 s"


def test_time_range_is_shared_padded_and_covers_marks():
    panels = timeline.panels_from_results([
        result("bookworm", [point(-2.2), point(3.0, latency=2.4)], marks=(5.2, 5.9)),
        result("mysql", [point(-1.0), point(8.6)], marks=(0.1, 1.0))])
    lo, hi = timeline.time_range(panels)
    assert lo <= -2.7 and hi >= 9.1
    assert lo == int(lo) and hi == int(hi)


def test_failure_labels_one_per_run_of_the_same_code():
    failures = [(100 + 10 * i, 50, "2003") for i in range(6)]
    shown = timeline.failure_labels(failures, min_dx=40)
    # x 100 and x 140 labelled; 110..130 and 150 are too close to the previous label
    assert shown == [(100, 45, "2003"), (140, 45, "2003")]
    # the same code far below (a fast refusal under a slow timeout): labelled again
    shown = timeline.failure_labels([(100, 20, "2013"), (110, 80, "2013")], min_dx=40)
    assert [c for _, _, c in shown] == ["2013", "2013"]


def test_failure_labels_of_different_codes_do_not_overlap():
    failures = [(100, 50, "2013"), (105, 50, "2003"), (112, 50, "2006")]
    shown = timeline.failure_labels(failures, min_dx=40, line_h=11)
    assert [c for _, _, c in shown] == ["2013", "2003", "2006"]  # each number once
    assert [y for _, y, _ in shown] == [45, 34, 23]  # stacked a line apart


def test_failure_labels_left_out_when_every_line_is_taken():
    failures = [(100 + i, 50, str(2000 + i)) for i in range(5)]
    shown = timeline.failure_labels(failures, min_dx=40, levels=4)
    assert len(shown) == 4


def test_short_code_keeps_error_numbers():
    assert timeline.short_code("2013") == "2013"
    assert timeline.short_code("http-TimeoutError") == "TimeoutError"
    assert timeline.short_code(None) == "?"


# --- panels and the SVG -----------------------------------------------------------------

def test_panels_one_per_suite_and_mode_in_suite_order():
    panels = timeline.panels_from_results([result("mysql", [point(0.5)]),
                                           result("bookworm", [point(0.5)]),
                                           result("trixie", [point(0.5)])])
    assert [(p["suite"], p["mode"]) for p in panels] == [
        ("bookworm", "baseline"), ("bookworm", "hardened"), ("trixie", "baseline"),
        ("trixie", "hardened"), ("mysql", "baseline"), ("mysql", "hardened")]
    assert panels[0]["marks"] == {"kill": 0.0, "restart_scheduled_s": 2.1, "mariadbd_ready_s": 2.5}


def test_run_without_fault_3_gives_no_panel():
    res = result("bookworm", [point(0.5)])
    res["raw"]["hardened"] = {"kill": []}
    panels = timeline.panels_from_results([res])
    assert [p["mode"] for p in panels] == ["baseline"]


def test_svg_is_well_formed_and_marks_every_failure_with_its_number():
    pts = ([point(-1.0 + 0.2 * i) for i in range(5)]
           + [point(0.2, ok=False, latency=0.003, code="2003"),
              point(4.0, ok=False, latency=0.003, code="2013"),
              point(0.4, latency=2.3)])
    svg = timeline.render_svg(timeline.panels_from_results([result(
        "bookworm", pts, summary={"recovery_s_median": 2.7, "failed_median": 2,
                                  "waited_p50_ms_median": 2300, "waited_p99_ms_median": 2300})]))
    doc = xml.dom.minidom.parseString(svg)
    texts = [t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild]
    assert texts.count("2003") == 2 and texts.count("2013") == 2  # one label per panel
    assert len(doc.getElementsByTagName("circle")) == 2 * 6 + 1  # ok points + legend
    dashed = [n for n in doc.getElementsByTagName("line") if n.getAttribute("stroke-dasharray")]
    assert len(dashed) == 2 * 3 + 3  # kill, scheduled, ready per panel; legend
    assert any("waited p50 2300 ms" in t for t in texts)


def test_svg_without_results_says_so():
    svg = timeline.render_svg([])
    xml.dom.minidom.parseString(svg)
    assert "no results-*.json" in svg


def test_write_timeline_reads_every_results_file(tmp_path):
    import json
    for suite in ("bookworm", "mysql"):
        (tmp_path / ("results-%s.json" % suite)).write_text(json.dumps(result(suite, [point(1)])))
    (tmp_path / "results.json").write_text("{}")  # the latest run: not read twice
    path = timeline.write_timeline(str(tmp_path))
    svg = open(path).read()
    assert "Oracle MySQL 9.7, hardened" in svg and "Debian 12, MariaDB 10.11, baseline" in svg
    assert "Debian 13" not in svg


# --- numbers of the report --------------------------------------------------------------

def test_percentile_nearest_rank():
    assert drive.percentile([], 50) is None
    assert drive.percentile([5], 99) == 5
    assert drive.percentile([3, 1, 2, 4], 50) == 2
    assert drive.percentile(list(range(1, 101)), 99) == 99
    assert drive.percentile(list(range(1, 11)), 99) == 10


def test_speed_ratios_from_side_by_side_runs():
    sp = {"one_task_a": {"seconds": 4.0}, "one_task_b": {"seconds": 5.0},
          "one_task_c": {"seconds": 6.0}, "converge_1": {"seconds": 30.0},
          "rerun_1": {"seconds": 20.0}, "audit_1": {"seconds": 10.0, "rc": 2},
          "converge_3": {"seconds": 60.0}, "rerun_3": {"seconds": 40.0},
          "rerun_1_alone": {"seconds": 25.0}}
    r = resilience.speed_ratios(sp)
    assert r["one_task_s_median"] == 5.0
    assert r["rerun_vs_one_task"] == 4.0 and r["converge_vs_one_task"] == 6.0
    assert r["audit_vs_one_task"] == 2.0
    assert r["hosts3_vs_1_converge"] == 2.0 and r["hosts3_vs_1_rerun"] == 1.6


def test_rerun_ratios_from_alternating_rounds_are_the_median_of_each_rounds_ratio():
    # One noisy round (the second) moves a ratio of single runs, not the median of pairs.
    sp = {"one_task_a": {"seconds": 4.0}, "rerun_1": {"seconds": 40.0},
          "rerun_rounds": [{"a": 12.0, "b": 3.0}, {"a": 30.0, "b": 3.1}, {"a": 13.0, "b": 3.5}],
          "rerun_3": {"seconds": 50.0}, "rerun_1_alone": {"seconds": 10.0},
          "hosts_rounds": [{"a": 15.0, "b": 10.0}, {"a": 14.0, "b": None}]}
    r = resilience.speed_ratios(sp)
    assert r["rerun_vs_one_task"] == 4.0  # round ratios 4.0, 9.68, 3.71; single runs: 40 / 4 = 10
    assert r["hosts3_vs_1_rerun"] == 1.5  # the incomplete round is left out
    calls = []
    rounds = resilience.paired_rounds(lambda: calls.append("a") or {"seconds": 2.0},
                                      lambda: calls.append("b") or {"seconds": 1.0}, rounds=2)
    assert calls == ["a", "b", "a", "b"] and rounds == [{"a": 2.0, "b": 1.0}] * 2


def test_every_ratio_is_the_median_of_its_rounds_when_it_was_measured_in_rounds():
    # The single runs (audit 9 s, converge 30 s against a 1 s one-task median) are left
    # for the table; each ratio comes from its own rounds, one noisy round outvoted.
    sp = {"one_task_a": {"seconds": 1.0}, "converge_1": {"seconds": 30.0},
          "audit_1": {"seconds": 9.0, "rc": 2},
          "audit_rounds": [{"a": 5.0, "b": 2.0}, {"a": 9.0, "b": 2.0}, {"a": 4.6, "b": 2.0}],
          "converge_one_task_rounds": [{"a": 8.0, "b": 2.0}, {"a": 8.4, "b": 2.0},
                                       {"a": 20.0, "b": 2.0}, {"a": 7.0, "b": None}]}
    r = resilience.speed_ratios(sp)
    assert r["audit_vs_one_task"] == 2.5  # round ratios 2.5, 4.5, 2.3
    assert r["converge_vs_one_task"] == 4.2  # 4.0, 4.2, 10.0; the incomplete round left out
    assert set(resilience.PAIRED) == {key for key, _, _ in resilience.RATIO_TARGETS}
    assert resilience.pair({"seconds": 3.0, "changed": 0}, {"seconds": 1.5}) == {"a": 3.0, "b": 1.5}


def test_first_run_ratio_pairs_the_3_hosts_with_the_fresh_host_timed_after_them():
    sp = {"converge_1": {"seconds": 30.0}, "converge_3": {"seconds": 45.0},
          "converge_1_alone": {"seconds": 36.0}}
    assert resilience.speed_ratios(sp)["hosts3_vs_1_converge"] == 1.25
    del sp["converge_1_alone"]
    assert resilience.speed_ratios(sp)["hosts3_vs_1_converge"] == 1.5  # older results


def test_speed_ratios_missing_runs_are_none():
    r = resilience.speed_ratios({"converge_1": {"seconds": 30.0}, "rerun_1": {"seconds": 20}})
    assert r["one_task_s_median"] is None
    assert all(r[k] is None for k, _, _ in resilience.RATIO_TARGETS)


def test_cgroup_cpu_seconds_reads_cpu_stat_and_cpuacct_usage():
    stat = "usage_usec 1884000\nuser_usec 1500000\nsystem_usec 384000\n"
    assert resilience.cgroup_cpu_seconds(stat, "usage_usec", 1e-6) == pytest.approx(1.884)
    assert resilience.cgroup_cpu_seconds("2500000000\n", None, 1e-9) == pytest.approx(2.5)
    assert resilience.cgroup_cpu_seconds("user_usec 5\n", "usage_usec", 1e-6) is None
    assert resilience.cgroup_cpu_seconds("", None, 1e-9) is None


def test_inventory_hosts_are_the_written_inventorys_hosts(tmp_path):
    path = str(tmp_path / "inventory.yml")
    resilience.write_inventory(path, ["b", "a"], {})
    assert resilience.inventory_hosts(path) == ["a", "b"]
    resilience.write_inventory(path, ["c"], {}, with_app=False)
    assert resilience.inventory_hosts(path) == ["c"]


def test_first_run_ratio_on_3_hosts_is_the_median_of_its_rounds():
    sp = {"converge_3": {"seconds": 45.0}, "converge_1_alone": {"seconds": 30.0},
          "converge_rounds": [{"a": 45.0, "b": 30.0}, {"a": 40.0, "b": 32.0},
                              {"a": 36.0, "b": 30.0}]}
    assert resilience.speed_ratios(sp)["hosts3_vs_1_converge"] == 1.25


def test_builtins_playbook_has_the_reruns_shape_in_builtins():
    import yaml
    play = yaml.safe_load(resilience.builtins_playbook(26))[0]
    actions = [next(k for k in task if k.startswith("ansible.builtin.")) for task in play["tasks"]]
    assert play["hosts"] == "db" and play["gather_facts"] is False
    assert len(actions) == 26 and actions.count("ansible.builtin.ping") == resilience.STAGE_MODULES
    assert [i for i, a in enumerate(actions) if a.endswith("ping")] == [3, 9, 16, 22]
    assert set(actions) == {"ansible.builtin.ping", "ansible.builtin.debug"}
    # fewer tasks than stages: every task a module call
    assert resilience.builtins_playbook(3).count("ansible.builtin.ping:") == 3


def test_tasks_per_host_counts_the_busiest_hosts_recap():
    recap = ("PLAY RECAP ***\n"
             "m1 : ok=17   changed=0    unreachable=0    failed=0    skipped=9    rescued=0\n"
             "m2 : ok=16   changed=1    unreachable=0    failed=1    skipped=9    rescued=0\n")
    assert resilience.tasks_per_host(recap) == 26
    assert resilience.tasks_per_host("no recap") == 0


def test_the_builtins_rounds_are_interleaved_with_the_reruns_and_reported_beside_them():
    calls = []

    def run(name, seconds):
        return lambda: calls.append(name) or {"seconds": seconds}

    hosts, builtins = resilience.interleaved_rounds(
        [(run("h3", 3.0), run("h1", 2.0)), (run("f3", 1.4), run("f1", 1.0))], rounds=2)
    assert calls == ["h3", "h1", "f3", "f1"] * 2
    assert hosts == [{"a": 3.0, "b": 2.0}] * 2 and builtins == [{"a": 1.4, "b": 1.0}] * 2
    ratios = resilience.speed_ratios({"hosts_rounds": hosts, "builtins_hosts_rounds": builtins})
    assert ratios["hosts3_vs_1_rerun"] == 1.5 and ratios["builtins_hosts3_vs_1_rerun"] == 1.4
    assert resilience.speed_ratios({})["builtins_hosts3_vs_1_rerun"] is None
