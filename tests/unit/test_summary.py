"""The summary harden-db.yml prints (playbooks/templates/summary.j2), rendered by Ansible.

Two defects it had: with ``--tags app`` (or ``--tags systemd``) it said "server side:
nothing to change, already as planned" for stages that never ran; and it printed the
plan's RestartSec (2) on Oracle MySQL, whose drop-in writes the packaged unit's faster
100ms (issue 14: recovery never slower than the packaged unit).
"""
import os

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible.module_utils.steadydb.plan import build_plan

from test_plan import demand, mariadb_facts

SUMMARY = os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "templates",
                       "summary.j2")


def render(**variables):
    plan = build_plan(mariadb_facts(), demand())
    variables = dict({"steadydb_plan": plan, "inventory_hostname": "db1",
                      "ansible_check_mode": False}, **variables)
    with open(SUMMARY) as handle:
        text = handle.read()
    return Templar(loader=DataLoader(), variables=variables).template(
        trust_as_template(text)).splitlines(), plan


def ran_every_stage(plan, restart_sec):
    settings = dict(plan["systemd"], RestartSec=restart_sec)
    return {"mysql_tuning_flavor": "mysql",
            "mysql_tuning_dropin_result": {"changed": False, "changes": []},
            "mysql_tuning_live": {"changed": False, "applied": []},
            "mysql_systemd_result": {"settings": settings, "dropin_changed": False,
                                     "restarted": False}}


def test_every_stage_ran_and_nothing_changed():
    _, plan = render()
    lines, _ = render(**ran_every_stage(plan, "100ms"))
    assert "server side: nothing to change, already as planned" in lines
    assert not [line for line in lines if line.startswith("skipped")]


def test_the_systemd_line_shows_what_the_drop_in_holds_not_the_plans_value():
    _, plan = render()
    assert plan["systemd"]["RestartSec"] == 2
    lines, _ = render(**ran_every_stage(plan, "100ms"))
    systemd = [line for line in lines if line.startswith("systemd:")]
    assert systemd and "RestartSec=100ms " in systemd[0]


def test_stages_left_out_by_tags_are_said_to_be_skipped():
    lines, _ = render()  # --tags app: only the plan ran on the db host
    assert "server side: nothing to change, already as planned" not in lines
    assert ("skipped, not checked: server variables and caps (tag server), systemd unit "
            "(tag systemd)") in lines
    assert "server side: nothing to change in the stages that ran" in lines
    systemd = [line for line in lines if line.startswith("systemd:")]
    assert systemd[0].endswith("(the plan; the systemd stage did not run)")


def test_only_the_systemd_stage_ran():
    _, plan = render()
    stages = ran_every_stage(plan, "2")
    for name in ("mysql_tuning_flavor", "mysql_tuning_dropin_result", "mysql_tuning_live"):
        stages.pop(name)
    lines, _ = render(**stages)
    assert "skipped, not checked: server variables and caps (tag server)" in lines
