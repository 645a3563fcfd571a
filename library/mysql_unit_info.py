#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: mysql_unit_info
short_description: Find the MySQL/MariaDB server's systemd unit and read what it runs with
description:
  - Asks systemd about the candidate units in one C(systemctl show) and returns the first
    one that is loaded, by its real name (an alias such as C(mysql.service) resolves to
    C(mariadb.service) on Debian; Oracle MySQL's Debian packages name it C(mysql.service),
    RHEL and Oracle RPMs C(mysqld.service)).
  - Reads the unit's restart, limit and OOM properties, and the running server's own
    open files limit and OOM score from C(/proc/MAINPID).
  - With O(settings), checks and completes the plan's unit settings, and says which
    C(LimitNOFILE) a drop-in should write so that it never lowers what the unit or the
    running server already has (RV(limit_nofile)), and which C(RestartSec) and start limit
    so that recovery is never slower than with the packaged unit and a crash loop still
    ends (RV(restart_policy)).
  - Read-only; the same in check mode. The same detection is in C(mysql_facts)
    (RV(steadydb.mysql.mysql_facts#module:ansible_facts.mysql.unit)). The role
    C(mysql_systemd) uses C(mysql_unit_apply), which reads the unit the same way and
    writes the drop-ins in the same call.
version_added: "0.2.0"
author:
  - steadydb contributors (@steadydb)
options:
  settings:
    description:
      - The plan's C(systemd) settings (possibly partial, as a hand-written plan). When given,
        they are checked and completed first (one rule, C(check_unit_settings) in
        C(module_utils/steadydb/plan.py)), before the unit is read; a value that breaks a
        rule fails here with the key, the value and the rule. RV(settings) returns them;
        RV(limit_nofile) and RV(restart_policy) are derived from them.
    type: dict
  dropin_name:
    description:
      - File name of steadydb's own drop-in, left out when O(settings) is compared with what the
        packaged unit (its unit file and every other drop-in) gives.
    type: str
    default: 50-steadydb.conf
extends_documentation_fragment:
  - steadydb_shared.unit
  - steadydb_shared.read_only
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Read-only (C(systemctl show), the unit files, C(/proc/MAINPID)); the same in check mode.
notes:
  - The packaged values are read from the unit file and the other drop-ins (not from
    C(systemctl show), which includes steadydb's own drop-in), with the service
    manager's defaults (C(DefaultRestartUSec), C(DefaultStartLimitIntervalUSec),
    C(DefaultStartLimitBurst); systemd's built-in 100 ms, 10 s and 5 before version
    254) where they leave a setting unset.
  - Fails when systemd is not the service manager (no C(/run/systemd/system)), when
    C(systemctl) fails, or when no candidate is loaded (the message lists each
    candidate's C(LoadState)).
'''

EXAMPLES = r'''
- name: Check the plan's unit settings, find the unit and what to write
  mysql_unit_info:
    settings: "{{ steadydb_plan.systemd }}"
  register: unit_before
'''

RETURN = r'''
settings:
  description:
    - O(settings) checked and completed (every key, ints as numbers,
      C(RestartPreventExitStatus) as spaced text).
  returned: when O(settings) is given
  type: dict
  sample: {Restart: on-failure, RestartSec: 2, RestartPreventExitStatus: "1 2 3 4 5 6 7 9 10 12 13",
           StartLimitIntervalSec: 60, StartLimitBurst: 5, LimitNOFILE: 32768,
           TimeoutStopSec: 900, OOMScoreAdjust: -600, app_OOMScoreAdjust: 300}
unit:
  description: The server's unit.
  returned: always
  type: dict
  contains:
    name:
      description: The unit's real name (C(Id)); drop-ins belong under it.
      type: str
      sample: mariadb.service
    active_state:
      description: C(active), C(inactive), C(failed)...
      type: str
    main_pid:
      description: The server's PID, 0 when it is not running.
      type: int
    nofile:
      description: C(LimitNOFILESoft) and C(LimitNOFILE) of the unit (int or C(infinity)).
      type: dict
      sample: {soft: 32768, hard: 32768}
    oom_score_adj:
      description: The unit's C(OOMScoreAdjust).
      type: int
    start_seconds:
      description:
        - How long the unit's last start took (inactive to active; for C(Type=notify)
          until the server said it is ready), or null when it never became active.
      type: float
      sample: 1.4
    process:
      description:
        - What the running server really has, from C(/proc/MAINPID); null when it is
          not running. C(oom_score_adj) differs from the unit's where the kernel refused
          it (a container without CAP_SYS_RESOURCE).
      type: dict
      sample: {pid: 4242, nofile: {soft: 10000, hard: 10000}, oom_score_adj: 0}
    manager:
      description: The service manager's (PID 1) own open files limit, or null.
      type: dict
    properties:
      description: Every property read, as C(systemctl show) prints it.
      type: dict
limit_nofile:
  description: The C(LimitNOFILE) to write (never below the unit's or the server's).
  returned: when O(settings) is given
  type: dict
  sample: {value: "32768", soft: 32768, hard: 32768, planned: 10240, kept_from: unit,
           unit: {soft: 32768, hard: 32768}, running: {soft: 10000, hard: 10000}}
restart_policy:
  description:
    - C(RestartSec) (as C(RestartSec=) text, e.g. C(100ms) or C(2)), C(StartLimitBurst)
      and C(StartLimitIntervalSec) to write, and how they were found. C(RestartSec) is the
      smaller of the plan's and the packaged unit's; the interval is the larger of the
      plan's and (burst + 1) x (RestartSec + 2 x the measured start), rounded up to 10 s,
      at most 86400 (10 s of start assumed when none was measured); an interval the unit
      already has is kept while it lies between that and four times it.
  returned: when O(settings) is given
  type: dict
  sample: {RestartSec: 100ms, StartLimitBurst: 5, StartLimitIntervalSec: 60,
           restart_usec: 100000, restart_from: packaged unit, start_seconds: 1.4,
           start_from: measured, needed_interval_seconds: 17.4,
           packaged: {restart_usec: 100000, start_limit_burst: 5,
                      start_limit_interval_usec: 10000000},
           packaged_files: [/usr/lib/systemd/system/mysql.service], reason: "..."}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb import systemd
from ansible.module_utils.steadydb.plan import PlanError, check_unit_settings

def checked_settings(module, params):
    """O(settings) checked and completed by the planner's rule, or the module fails."""
    try:
        return check_unit_settings(params["settings"], params["fallbacks"])
    except PlanError as exc:
        module.fail_json(msg="steadydb_plan.systemd: %s." % exc)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **systemd.unit_argument_spec(),
            settings=dict(type="dict"),
            dropin_name=dict(type="str", default="50-steadydb.conf"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    bad = [unit for unit in ([params["name"]] if params["name"] else params["candidates"])
           if not systemd.UNIT_NAME.match(unit)]
    if bad:
        module.fail_json(msg="Not a service unit name: %s (expected e.g. mariadb.service)."
                         % ", ".join(repr(unit) for unit in bad))
    result = {"changed": False}
    settings = None
    if params["settings"] is not None:
        settings = result["settings"] = checked_settings(module, params)
    if not systemd.systemd_running():
        module.fail_json(msg="systemd is not the service manager on this host "
                             "(/run/systemd/system is missing): there is no unit to read.")

    def run(argv):
        return module.run_command(argv, environ_update={"SYSTEMD_PAGER": "", "LC_ALL": "C"})
    try:
        unit = systemd.read_unit(run, name=params["name"] or None, candidates=params["candidates"])
    except systemd.SystemdError as exc:
        module.fail_json(msg=str(exc))

    result["unit"] = unit
    if settings is not None:
        result["limit_nofile"] = systemd.limit_nofile(
            settings["LimitNOFILE"], unit["nofile"], (unit["process"] or {}).get("nofile"),
            never_lower=params["never_lower"])
        packaged = systemd.packaged_settings(unit["properties"], params["dropin_name"],
                                             systemd.manager_defaults(run))
        result["restart_policy"] = dict(
            systemd.restart_policy(
                settings, packaged, unit["start_seconds"],
                systemd.parse_timespan(unit["properties"].get("StartLimitIntervalUSec"))),
            packaged_files=packaged["files"], unreadable_files=packaged["unreadable"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
