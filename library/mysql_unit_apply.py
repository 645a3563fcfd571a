#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: mysql_unit_apply
short_description: Write steadydb's systemd drop-ins for the MySQL/MariaDB server and the app units
description:
  - The systemd stage of steadydb in one call (the role C(mysql_systemd) runs it once per
    host). Checks and completes the plan's unit settings (C(check_unit_settings) in
    C(module_utils/steadydb/plan.py)), finds the server's unit as C(mysql_unit_info) does,
    reads what the unit and the running server have, and derives the values to write -
    C(LimitNOFILE) never below the unit's or the running server's (O(never_lower)),
    C(RestartSec) never slower than the packaged unit's and a start limit that still ends a
    crash loop (O(restart_from_packaged)).
  - Renders the server's drop-in and, with O(app_oom), an C(OOMScoreAdjust) drop-in for each
    of O(app_units); verifies every changed drop-in with C(systemd-analyze verify) on a
    scratch copy of the unit before it is installed (O(verify)); writes atomically
    (mode 0644, directories 0755, owner root); runs one C(systemctl daemon-reload) when a
    drop-in changed. With O(swap_file), the swap file's C(.swap) unit is written the same way.
  - Then gives the running server a changed OOM score when no restart is due
    (O(oom_apply_live)), and says what it still lacks (RV(apply) - a restart for
    C(LimitNOFILE), what waits for the next start) and which changed app units run
    (RV(app_restart)); the role restarts from that.
version_added: "0.4.0"
author:
  - steadydb contributors (@steadydb)
options:
  settings:
    description:
      - The plan's C(systemd) settings (possibly partial). Checked and completed before the
        unit is read; a value that breaks a rule fails with the key, the value and the rule,
        and nothing is written.
    type: dict
    default: {}
  restart_from_packaged:
    description:
      - Write C(RestartSec) and the start limit of RV(restart_policy) (never slower than the
        packaged unit, an interval the measured start fits in). V(false) writes the plan's.
    type: bool
    default: true
  dropin_name:
    description:
      - File name of the server's drop-in in C(/etc/systemd/system/UNIT.d/).
    type: str
    default: 50-steadydb.conf
  verify:
    description:
      - Run C(systemd-analyze verify) on a scratch copy of the unit with each changed
        drop-in, and refuse the drop-in when it fails or prints anything about it (systemd
        only warns about an unknown key or a value out of range, then ignores it).
    type: bool
    default: true
  app_oom:
    description:
      - Write the app units' OOM drop-ins (C(OOMScoreAdjust=app_OOMScoreAdjust)).
    type: bool
    default: false
  app_units:
    description:
      - Service units of the app (template units such as C(worker@.service) allowed). Their
        names are checked even when O(app_oom) is off.
    type: list
    elements: str
    default: []
  app_dropin_name:
    description:
      - File name of the app units' drop-in.
    type: str
    default: 50-steadydb-oom.conf
  swap_file:
    description:
      - A swap file the role manages. When given, the module writes its C(.swap) unit
        (named by C(systemd-escape --path)) with the drop-ins, in the same reload, and
        returns RV(swap) - its state and RV(swap.steps), the steps the role's swap tasks
        take. Not given - no swap unit.
      - It must be an absolute path without C(.), C(..) or empty parts and without control
        characters, else the module fails before anything is read or written.
    type: path
  swap_size_mb:
    description:
      - Size the swap file must have, in MiB, at least 16 (checked before anything); another
        size is reported as RV(swap.create).
    type: int
    default: 1024
  restart_on_change:
    description:
      - Whether the role restarts a running server whose open files limit the drop-in
        raised (RV(apply.restart_due)). The module restarts nothing; the value decides
        whether the new OOM score is written live and what is still pending.
    type: bool
    default: true
  oom_apply_live:
    description:
      - Write a changed C(OOMScoreAdjust) into the running server's
        C(/proc/PID/oom_score_adj) (what C(choom) does) when no restart is due, instead of
        leaving it for the next start (RV(apply.oom_live)).
    type: bool
    default: true
  swap_activate:
    description:
      - Whether the swap unit is to be started, not only enabled (V(false) in containers,
        where C(swapon) is refused). Only RV(swap.steps) depends on it.
    type: bool
    default: true
  managed:
    description:
      - The first words of the drop-ins' and the swap unit's header line (one comment
        line, so a line break or another control character fails before anything).
    type: str
    default: Ansible managed
extends_documentation_fragment:
  - steadydb_shared.unit
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Runs every check of the real run (settings, unit, C(systemd-analyze verify) of each
        drop-in that would change) and fails where it would; writes and reloads nothing.
      - RV(apply) is predicted from the unit as read and the new drop-in's values, since
        systemd has not been reloaded.
  diff_mode:
    support: full
    details: One diff per drop-in that changes.
notes:
  - The drop-in text is the same, byte for byte, as the role's templates wrote before
    this module (with O(managed) the default C(ansible_managed) text).
  - The app units' drop-in is verified against a stub service (an app unit may not exist
    yet); a template unit is never listed in RV(app_restart).
'''

EXAMPLES = r'''
- name: Write the server's and the app units' drop-ins, reload systemd when they changed
  mysql_unit_apply:
    settings: "{{ steadydb_plan.systemd }}"
    app_oom: true
    app_units: [gunicorn.service, rq-worker@.service]
  register: unit

- name: Restart the server when the new LimitNOFILE needs it
  ansible.builtin.systemd_service:
    name: "{{ unit.unit.name }}"
    state: restarted
  when: unit.apply.limit_nofile_restart and unit.apply.active

- name: Write the swap file's unit with the drop-ins; the swap steps come next
  mysql_unit_apply:
    settings: "{{ steadydb_plan.systemd }}"
    swap_file: /swapfile
    swap_size_mb: 1024
    swap_activate: false    # a container, where swapon is refused
  register: unit

- name: Enable the swap unit when that step has work
  ansible.builtin.systemd_service:
    name: "{{ unit.swap.unit }}"
    enabled: true
  when: unit.swap.steps.enable
'''

RETURN = r'''
unit:
  description: The server's unit as read before anything changed (see C(mysql_unit_info)).
  returned: success
  type: dict
dropin:
  description: Path of the server's drop-in.
  returned: success
  type: str
  sample: /etc/systemd/system/mariadb.service.d/50-steadydb.conf
settings:
  description:
    - What the drop-ins write - the checked plan settings with RV(limit_nofile) and, with
      O(restart_from_packaged), RV(restart_policy)'s values.
  returned: success
  type: dict
  sample: {Restart: on-failure, RestartSec: "2", RestartPreventExitStatus: "1 2 3 4 5 6 7 9 10 12 13",
           StartLimitIntervalSec: 300, StartLimitBurst: 4, LimitNOFILE: "32768",
           TimeoutStopSec: 900, OOMScoreAdjust: -600, app_OOMScoreAdjust: 300}
checked_settings:
  description: O(settings) checked and completed (as C(mysql_unit_info) returns them).
  returned: success
  type: dict
dropin_changed:
  description: The server's drop-in content changed (or would).
  returned: success
  type: bool
app_dropins_changed:
  description: App units whose drop-in content changed (or would).
  returned: success
  type: list
  elements: str
app_restart:
  description: Those of RV(app_dropins_changed) that run now and are not template units.
  returned: success
  type: list
  elements: str
reloaded:
  description: Whether systemd was (or would be) reloaded.
  returned: success
  type: bool
limit_nofile:
  description: The C(LimitNOFILE) written and where a higher value was kept from (see C(mysql_unit_info)).
  returned: success
  type: dict
restart_policy:
  description: C(RestartSec) and the start limit, and how they were found (see C(mysql_unit_info)).
  returned: success
  type: dict
apply:
  description: What the running server still lacks after the drop-in change.
  returned: success
  type: dict
  contains:
    active:
      description: Whether the server runs.
      type: bool
    main_pid:
      description: Its PID (0 when stopped).
      type: int
    limit_nofile_changed:
      description: The unit's C(LimitNOFILE) changed.
      type: bool
    limit_nofile_restart:
      description: A restart would raise the running server's open files limit.
      type: bool
    limit_nofile_reason:
      description: Why, or why not (empty when the drop-in did not change).
      type: str
    oom_changed:
      description: The unit's C(OOMScoreAdjust) changed.
      type: bool
    restart_due:
      description: A restart is due (RV(apply.limit_nofile_restart), the server runs and
        O(restart_on_change)); the role restarts the server next.
      type: bool
    oom_live:
      description:
        - The new OOM score written into the running server (none when not tried - no
          change, no running server, a restart due or O(oom_apply_live=false)).
        - In check mode predicted - the kernel refuses a lower score without
          C(CAP_SYS_RESOURCE), as in an unprivileged container.
      type: dict
      contains:
        applied:
          description: The running server has the new score.
          type: bool
        error:
          description: Why not (the path and the kernel's answer), empty when applied.
          type: str
    pending:
      description: What of the drop-in the running server still lacks after this run and
        a due restart (C(LimitNOFILE), C(OOMScoreAdjust)); it applies at the next start.
      type: list
      elements: str
swap:
  description: The swap file and its unit, read after the reload; null without O(swap_file).
  returned: success
  type: dict
  contains:
    unit:
      description: The C(.swap) unit's name.
      type: str
      sample: swapfile.swap
    unit_path:
      description: Its unit file.
      type: str
    unit_changed:
      description: The unit file's content changed (or would).
      type: bool
    exists:
      description: The swap file exists.
      type: bool
    create:
      description: It is missing or of another size than O(swap_size_mb), so it must be (re)created.
      type: bool
    private:
      description: It has mode 0600 and owner root.
      type: bool
    active:
      description: The kernel uses it (C(/proc/swaps)).
      type: bool
    enabled:
      description: The unit is enabled.
      type: bool
    started:
      description: The unit is active.
      type: bool
    steps:
      description:
        - The role's swap steps that have work (each a bool), and RV(swap.steps.needed),
          any of them. In check mode, enabling a unit this run writes is not predicted
          (systemd does not know it yet).
      type: dict
      contains:
        swapoff:
          description: Switch off a file in use that must be recreated.
          type: bool
        create:
          description: Create, fill and format the file (RV(swap.create)).
          type: bool
        private:
          description: Give an existing file mode 0600 and owner root.
          type: bool
        enable:
          description: Enable the unit; with O(swap_activate) also start it.
          type: bool
        needed:
          description: Any step has work.
          type: bool
notes:
  description: How the values were derived, one sentence each, for the play to print.
  returned: success
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb import systemd
from ansible.module_utils.steadydb.option_tree import write_atomic
from ansible.module_utils.steadydb.unit_dropin import UnitApply, UnitError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **systemd.unit_argument_spec(),
            settings=dict(type="dict", default={}),
            restart_from_packaged=dict(type="bool", default=True),
            dropin_name=dict(type="str", default="50-steadydb.conf"),
            verify=dict(type="bool", default=True),
            app_oom=dict(type="bool", default=False),
            app_units=dict(type="list", elements="str", default=[]),
            app_dropin_name=dict(type="str", default="50-steadydb-oom.conf"),
            swap_file=dict(type="path"),
            swap_size_mb=dict(type="int", default=1024),
            swap_activate=dict(type="bool", default=True),
            restart_on_change=dict(type="bool", default=True),
            oom_apply_live=dict(type="bool", default=True),
            managed=dict(type="str", default="Ansible managed"),
        ),
        supports_check_mode=True,
    )

    def run(argv, environ_update=None):
        return module.run_command(argv, environ_update=dict(
            environ_update or {}, SYSTEMD_PAGER="", LC_ALL="C"))
    stage = UnitApply(module.params, run, lambda path, text: write_atomic(module, path, text),
                      check_mode=module.check_mode)
    try:
        result = stage.run()
    except (UnitError, systemd.SystemdError) as exc:
        module.fail_json(msg=str(exc), changed=stage.changed)
    if stage.diff:
        result["diff"] = stage.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
