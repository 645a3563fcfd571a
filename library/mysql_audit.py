#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
DOCUMENTATION = r"""
---
module: mysql_audit
short_description: Compare a live MySQL/MariaDB server, its unit and the app settings with the steadydb plan
description:
  - Takes what other tasks read (C(mysql_facts), C(systemctl show) of the mysqld unit, the
    app's rendered env files) and the plan from C(mysql_plan), and returns a list of
    findings about connection health, each with a severity.
  - Critical findings are the ones that produce the field errors 2003, 2006, 1040 and 1226
    (for example C(CONN_MAX_AGE) at or above the live C(wait_timeout), C(Restart=no) on the
    mysqld unit, C(max_connections) below the declared demand, an app account without a
    per-user cap while the plan gives it one).
  - With O(unit), also compares the running server's own OOM score and open files limit
    with the unit's and the plan's (a unit value the kernel refused is flagged).
  - The live server's worst-case memory (the plan's MySQLTuner formula over the live
    globals) is checked against the plan's C(memory_fraction) of the RAM the server may
    really use, C(facts.host.mem_limit_bytes) (MemTotal or its cgroup limit, e.g. a
    container started with C(--memory 1g)); over it is the critical finding
    C(memory_over_limit).
  - Reads nothing by itself and changes nothing; C(changed) is always false.
version_added: "0.1.0"
author:
  - steadydb contributors (@steadydb)
options:
  facts:
    description: The C(ansible_facts.mysql) dict returned by C(mysql_facts).
    type: dict
    required: true
  plan:
    description: The plan returned by C(mysql_plan) for the same facts and demand.
    type: dict
    required: true
  unit_properties:
    description:
      - Properties of the mysqld unit as C(systemctl show) prints them (C(Restart),
        C(OOMScoreAdjust), C(LimitNOFILE), ...). Empty when the unit was not read.
    type: dict
    default: {}
  unit:
    description:
      - The mysqld unit as C(mysql_facts)
        (RV(steadydb.mysql.mysql_facts#module:ansible_facts.mysql.unit)) or
        C(mysql_unit_info) return it. Its C(properties) replace O(unit_properties), and its C(process) (the
        running server's C(oom_score_adj) and open files limit) is audited too.
      - Empty or null to audit O(unit_properties) alone.
    type: dict
  app_settings:
    description:
      - Per app name, the keys of its rendered env file, or C(null) when the file is missing.
      - Keys used are C(DB_CONN_MAX_AGE) and C(SQLALCHEMY_POOL_RECYCLE).
    type: dict
    default: {}
extends_documentation_fragment:
  - steadydb_shared.read_only
  - steadydb_shared.computed
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Audit the server against the plan
  mysql_audit:
    facts: "{{ ansible_facts.mysql }}"
    plan: "{{ steadydb_plan }}"
    unit: "{{ ansible_facts.mysql.unit }}"
    app_settings:
      web: "{{ web_env | default(omit) }}"
  register: audit

- name: Stop on critical findings
  ansible.builtin.assert:
    that: audit.counts.critical == 0
    fail_msg: "{{ audit.findings | selectattr('severity', 'eq', 'critical') | map(attribute='message') | list }}"
"""

RETURN = r"""
findings:
  description: Every finding, most severe first.
  returned: always
  type: list
  elements: dict
  contains:
    severity:
      description: C(critical), C(warning) or C(info).
      type: str
    code:
      description:
        - A stable identifier, e.g. C(client_outlives_server), C(drift), C(no_restart_policy),
          C(oom_not_in_force) (the unit's C(OOMScoreAdjust) is not the running server's
          C(oom_score_adj); C(live) and C(unit) hold both values), C(memory_over_limit)
          (the live worst case in bytes as C(live), over C(allowed); C(limit) and
          C(limit_source) say whose RAM, C(MemTotal) or the cgroup limit).
      type: str
    message:
      description: One sentence saying what is wrong and what it leads to.
      type: str
  sample:
    - severity: critical
      code: client_outlives_server
      message: "App web keeps connections 600 s (DB_CONN_MAX_AGE) but the server closes idle ones after wait_timeout=300 s: expect 2006 MySQL server has gone away."
counts:
  description: Number of findings per severity.
  returned: always
  type: dict
  sample: {critical: 0, warning: 1, info: 0}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb import audit


def main():
    module = AnsibleModule(
        argument_spec=dict(
            facts=dict(type="dict", required=True),
            plan=dict(type="dict", required=True),
            unit_properties=dict(type="dict", default={}),
            unit=dict(type="dict"),
            app_settings=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    facts, plan = module.params["facts"], module.params["plan"]
    findings = (audit.audit_server(facts, plan)
                + audit.audit_unit(module.params["unit_properties"], plan,
                                   unit=module.params["unit"])
                + audit.audit_apps(module.params["app_settings"], facts, plan))
    order = dict((severity, rank) for rank, severity in enumerate(audit.SEVERITIES))
    findings.sort(key=lambda item: order.get(item["severity"], len(order)))
    module.exit_json(changed=False, findings=findings, counts=audit.summarize(findings))


if __name__ == "__main__":
    main()
