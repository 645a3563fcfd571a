#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: mysql_plan
short_description: Derive consistent MySQL/MariaDB server, systemd and client settings
description:
  - Computes one plan from the live facts of a server (O(facts), the C(ansible_facts.mysql)
    dict that C(mysql_facts) returns) and the declared demand of the apps that use it.
  - "The plan holds the server variables (C(wait_timeout), C(interactive_timeout),
    C(max_connections), C(net_read_timeout), C(net_write_timeout), C(thread_cache_size),
    C(table_open_cache), C(open_files_limit), C(max_connect_errors), and
    C(innodb_buffer_pool_size) when the memory budget has to shrink it), a
    C(max_user_connections) cap per app account, systemd unit values
    (C(LimitNOFILE), restart policy, C(OOMScoreAdjust)), the memory budget with its
    arithmetic, and per app the Django and SQLAlchemy client settings."
  - "Invariants: C(max_connections) >= demand x (1 + headroom) + reserve; the sum of the
    per-account caps <= C(max_connections) - reserve; C(CONN_MAX_AGE) and C(pool_recycle)
    are below the effective idle timeout (min of C(wait_timeout) and O(upstream_idle_timeout))
    by at least the longest request/job and 60 s (a fifth of that timeout when it is below
    300 s), or 0; C(CONN_MAX_AGE) is 0 under ASGI;
    C(LimitNOFILE) >= mysqld's open files need; the memory budget (MySQLTuner's formula)
    fits the allowed fraction of RAM or the module fails with the arithmetic."
  - "Without O(facts) and O(plan), reads the server first, as C(mysql_facts) does with the
    same login options (scope C(account) in O(mode=managed), else C(server) with the apps'
    accounts), plans in the same call and returns the facts too: the read and the plan cost
    one round trip to the host (this is how the C(steadydb_plan) role calls it)."
  - The planning itself is pure computation and changes nothing. Bad input fails with one
    sentence naming the input and the rule it breaks, before the server is read.
  - The formulas and their sources are in C(docs/formulas.md) of the steadydb repository.
  - "O(extra_variables) (the role variable C(mysql_tuning_extra_variables)) go through the
    same rules: C(wait_timeout) and C(max_connections) among them are planned with, the
    others are merged into C(server.variables), and every rule they touch is checked again
    over the merged variables (C(max_connections) against the caps and the reserve,
    C(wait_timeout) against C(CONN_MAX_AGE)/C(pool_recycle) and the longest request/job,
    C(net_read_timeout)/C(net_write_timeout) against their floors and the client timeouts,
    C(open_files_limit) against the open files need, buffer sizes against the memory
    budget)."
  - With O(plan) instead of O(facts) and O(apps), merges O(extra_variables) into a plan made
    earlier and checks those rules again (the path for running C(mysql_tuning) alone).
version_added: "0.1.0"
author:
  - steadydb contributors (@steadydb)
options:
  facts:
    description:
      - The server facts, as C(mysql_facts) returns them in C(ansible_facts.mysql).
      - Without it (and without O(plan)) the module reads them itself with the login options.
      - Needs C(variables) (including C(wait_timeout), C(max_connections),
        C(table_open_cache) and the buffer sizes of the memory formula) and
        C(host.mem_total_bytes) (or O(mem_total_bytes)); C(status) and C(accounts) are
        used when present.
    type: dict
  apps:
    description:
      - The apps that use the server, one entry per app (web site, data logger, ...).
      - Each app gets its own account cap, so give each app its own MySQL account.
      - Required unless O(plan) is given.
    type: list
    elements: dict
    suboptions:
      name:
        description: Identifier of the app, lower-case letters, digits and C(_).
        type: str
        required: true
      db_user:
        description: The app's MySQL account (user part). Defaults to O(apps[].name).
        type: str
      db_user_host:
        description: The host part of the app's account.
        type: str
        default: "%"
      db_name:
        description: The app's database. Defaults to O(apps[].name).
        type: str
      app_hosts:
        description:
          - Number of hosts running the app's web processes; C(0) for an app with only
            background workers (a queue consumer).
          - Defaults to C(1), or to C(0) when none of O(apps[].app_hosts),
            O(apps[].processes_per_host), O(apps[].threads_per_process) is given and
            O(apps[].background_workers) is (a worker-only app).
        type: int
      processes_per_host:
        description:
          - Web processes per host (gunicorn/uwsgi workers); C(0) for no web processes.
          - Defaults like O(apps[].app_hosts).
        type: int
      threads_per_process:
        description:
          - Threads per process (gunicorn C(gthread)); 1 for sync workers. Default C(1).
          - Under ASGI, the number of requests one process serves at once that touch the
            database (Django opens one connection per such request).
        type: int
      background_workers:
        description: Background worker processes (rq, celery, Kafka consumers) on all hosts together.
        type: int
        default: 0
      worker_concurrency:
        description: Connections each background worker holds at once (its threads or greenlets).
        type: int
        default: 1
      asgi:
        description: The app runs under ASGI; Django cannot reuse connections there, so C(CONN_MAX_AGE) is 0.
        type: bool
        default: false
      longest_request_seconds:
        description:
          - The longest a request may run (and so leave its connection idle between two queries).
          - Part of the margin below the idle timeout.
        type: int
        default: 30
      longest_job_seconds:
        description:
          - The longest a background job may run; counted in the margin when
            O(apps[].background_workers) > 0.
        type: int
        default: 300
      longest_query_seconds:
        description: The longest legitimate single query; the client read/write timeouts are set above it.
        type: int
        default: 60
      conn_max_age:
        description:
          - Override of the derived C(CONN_MAX_AGE). Must be 0 under ASGI, below the
            effective idle timeout, and leave room for the longest request/job.
        type: int
      pool_recycle:
        description: Override of the derived SQLAlchemy C(pool_recycle), same rules as O(apps[].conn_max_age).
        type: int
  admin_reserve:
    description: Connections kept for admins, monitoring and backups, outside every app's cap.
    type: int
    default: 10
  headroom_percent:
    description: Headroom on top of each app's peak demand, in percent.
    type: int
    default: 25
  db_host_shared:
    description:
      - The app runs on the database host (the single-droplet case); the default memory
        fraction drops from 0.75 to 0.40 of RAM.
    type: bool
    default: false
  upstream_idle_timeout:
    description:
      - Idle timeout of a proxy or load balancer between the apps and the server (seconds);
        C(0) when there is none. The effective idle timeout is the smaller of it and C(wait_timeout).
    type: int
    default: 0
  wait_timeout:
    description:
      - Target C(wait_timeout) (and C(interactive_timeout)); C(0) keeps the server's current value.
      - Must be above every app's longest request/job.
    type: int
    default: 0
  memory_fraction:
    description:
      - Fraction of RAM the server may use at most; C(0) means 0.75 on a dedicated host and
        0.40 when O(db_host_shared=true). At most 0.95.
    type: float
    default: 0
  allow_buffer_pool_shrink:
    description:
      - When the memory budget does not fit, propose a smaller C(innodb_buffer_pool_size)
        instead of failing.
    type: bool
    default: true
  min_buffer_pool_size:
    description:
      - The smallest C(innodb_buffer_pool_size) the plan may propose, in bytes (an integer)
        or as a size string such as C(32M) (suffixes K, M, G, T, P, E are powers of 1024,
        as in the server's option files). The default is 32 MiB.
    type: raw
    default: 33554432
  mem_total_bytes:
    description:
      - RAM the server may use, in bytes (an integer) or as a size string such as C(1G);
        overrides the facts.
      - C(0) takes C(facts.host.mem_limit_bytes) (MemTotal or the server's lower cgroup
        limit, e.g. a container's C(--memory) or a unit's C(MemoryMax=)), else
        C(facts.host.mem_total_bytes).
    type: raw
    default: 0
  max_connections:
    description:
      - Explicit C(max_connections); C(0) derives it. An explicit value must still cover
        the demand plus headroom plus reserve.
    type: int
    default: 0
  min_margin_seconds:
    description: Smallest margin between C(CONN_MAX_AGE)/C(pool_recycle) and the idle timeout (a fifth of the timeout when that is smaller).
    type: int
    default: 60
  client_connect_timeout:
    description:
      - The apps' connect timeout in seconds (fail fast), the plan's C(connect_timeout);
        above 10 gives a warning.
      - O(connect_timeout) is the module's own login timeout when it reads the server.
    type: int
    default: 5
    version_added: "0.3.0"
  tables_per_join:
    description: Most tables one query opens; C(table_open_cache) is kept at least C(max_connections) x this.
    type: int
    default: 8
  max_connect_errors:
    description: Floor for C(max_connect_errors), so aborted handshakes never block an app host (error 1129).
    type: int
    default: 1000000
  oom_score_adjust:
    description: C(OOMScoreAdjust) for mysqld, within -999..0; -1000 is refused.
    type: int
    default: -600
  app_oom_score_adjust:
    description: C(OOMScoreAdjust) proposed for app units (1..1000), so the OOM killer takes an app worker before mysqld.
    type: int
    default: 300
  restart_sec:
    description: C(RestartSec) of the mysqld unit, 1..600.
    type: int
    default: 2
  start_limit_interval_sec:
    description: C(StartLimitIntervalSec); O(restart_sec) x O(start_limit_burst) must stay below it.
    type: int
    default: 60
  start_limit_burst:
    description: C(StartLimitBurst) (1..100); starts within the interval after which systemd gives up.
    type: int
    default: 5
  extra_variables:
    description:
      - Server variables (name to value) set on top of the plan, checked by the plan's
        rules; an extra that breaks one fails with the variable and the rule.
      - The plan lists them again in C(server.extra_variables). The plan carries the values
        as given (they are what C(mysql_tuning) writes), so keep secrets out of them.
    type: dict
    default: {}
  mode:
    description:
      - V(self_hosted) plans the server, its unit and the apps (everything above).
      - "V(managed) plans the client side only, for a managed database whose server the app
        owner cannot change (steadydb managed mode, C(steadydb_mode=managed)). From O(facts)
        read as the app's account (C(mysql_facts) with C(scope=account)) it derives
        C(CONN_MAX_AGE)/C(pool_recycle) below the provider's idle timeout and the client
        timeouts, and checks each app's declared demand against the account's cap
        (C(max_user_connections), else C(max_connections)). The plan has no server
        variables, caps, memory budget or systemd part (C(mode=managed), C(server) empty,
        C(account) what was read). O(wait_timeout), O(max_connections) and
        O(extra_variables) set the server and are refused; the memory and systemd options
        are ignored."
    type: str
    choices: [self_hosted, managed]
    default: self_hosted
  accept_cap_overrun:
    description:
      - With O(mode=managed), what to do when an app's declared demand (web hosts x
        processes x threads + background workers x concurrency) exceeds the account's cap,
        where the connection after the cap gets error 1226.
      - V(false) fails with the arithmetic and the ways out; V(true) warns and sets that
        app's C(CONN_MAX_AGE) to 0 (unless overridden), so it holds connections only for
        the requests in flight.
    type: bool
    default: false
  plan:
    description:
      - A plan made earlier (RV(plan)); with it, the module only merges O(extra_variables)
        and checks the rules again. Mutually exclusive with O(facts) and O(apps).
    type: dict
  unit_candidates:
    description:
      - When the module reads the server (no O(facts)), the systemd units to look for, as in
        C(mysql_facts).
    type: list
    elements: str
    default: [mariadb.service, mysql.service, mysqld.service]
extends_documentation_fragment:
  - steadydb_login
  - steadydb_shared.read_only
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads (when it has no O(facts)) and computes; changes nothing, the same in check mode.
  platform:
    support: full
    platforms: all
    details:
      - Planning from O(facts) or O(plan) is pure computation in Python.
      - Reading the server itself needs what C(mysql_facts) needs (PyMySQL; Linux for the
        memory figures, systemd for the unit).
notes:
  - Never reports C(changed); it only computes. Apply the plan with the C(mysql_tuning),
    C(mysql_systemd) and C(django_db_settings) roles.
seealso:
  - name: MySQL manual, open_files_limit
    description: How mysqld computes the file descriptors it asks for.
    link: https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_open_files_limit
  - name: Django persistent connections
    description: CONN_MAX_AGE and CONN_HEALTH_CHECKS.
    link: https://docs.djangoproject.com/en/stable/ref/databases/#persistent-connections
'''

EXAMPLES = r'''
- name: Read the server
  mysql_facts:
    login_unix_socket: /run/mysqld/mysqld.sock

- name: Plan for a web app and a data logger on a 1 GB droplet
  mysql_plan:
    facts: "{{ ansible_facts.mysql }}"
    apps:
      - name: web
        app_hosts: 1
        processes_per_host: 3
        background_workers: 1
        longest_job_seconds: 120
      - name: logger
        processes_per_host: 1
    admin_reserve: 5
    db_host_shared: true
  register: planned

- name: Use it
  ansible.builtin.debug:
    msg: "CONN_MAX_AGE={{ planned.plan.apps.web.django.CONN_MAX_AGE }}"

- name: A proxy between app and server that closes idle connections after 300 s, 2 GiB of RAM
  mysql_plan:
    facts: "{{ ansible_facts.mysql }}"
    apps:
      - name: site
        processes_per_host: 2
    upstream_idle_timeout: 300
    mem_total_bytes: 2G

- name: Read and plan in one call (no facts given; the read is returned as ansible_facts.mysql)
  mysql_plan:
    login_unix_socket: /run/mysqld/mysqld.sock
    apps:
      - name: web
        processes_per_host: 4
  register: planned

- name: Managed database, read as the app's account (mysql_facts scope=account)
  mysql_plan:
    mode: managed
    facts: "{{ ansible_facts.mysql }}"
    apps:
      - name: site
        db_user: app
        app_hosts: 1
        processes_per_host: 3
        threads_per_process: 2
'''

RETURN = r'''
ansible_facts:
  description: The server facts the module read (only when it was given no O(facts)).
  returned: when O(facts) and O(plan) are not given
  type: dict
  contains:
    mysql:
      description: What steadydb knows about the server and its host, as M(steadydb.mysql.mysql_facts) returns it.
      type: dict
plan:
  description:
    - The plan (the role C(steadydb_plan) keeps it as the host fact C(steadydb_plan)).
    - The full schema, with an example, is in C(docs/architecture.md).
  returned: success
  type: dict
  contains:
    flavor:
      description: C(mariadb) or C(mysql), from the facts.
      type: str
      sample: mariadb
    version:
      description: Server version, from the facts.
      type: str
      sample: "10.11.6"
    server:
      description: Server settings.
      type: dict
      contains:
        variables:
          description:
            - Variable name (underscore form) to planned value, always C(wait_timeout),
              C(interactive_timeout), C(max_connections), C(net_read_timeout),
              C(net_write_timeout), C(thread_cache_size), C(table_open_cache),
              C(open_files_limit), C(max_connect_errors); C(innodb_buffer_pool_size),
              C(key_buffer_size) and C(aria_pagecache_buffer_size) only when the memory
              budget shrinks them.
          type: dict
          sample: {wait_timeout: 28800, interactive_timeout: 28800, max_connections: 23}
        keep_if_present:
          description:
            - The buffer sizes the memory budget may shrink; the drop-in keeps their lines
              when this plan does not set them (a shrink of an earlier run, which the
              budget measured now relies on). Empty when shrinking is not allowed.
          type: list
          elements: str
          sample: [aria_pagecache_buffer_size, innodb_buffer_pool_size, key_buffer_size]
        user_limits:
          description: One entry per app account; the sum of the caps is at most C(max_connections) - reserve.
          type: list
          elements: dict
          sample: [{app: web, user: web, host: "%", max_user_connections: 13}]
    systemd:
      description:
        - Values for the mysqld unit, plus C(app_OOMScoreAdjust) for app units.
        - C(StartLimitIntervalSec) and C(StartLimitBurst) belong to the C([Unit]) section.
      type: dict
      sample:
        LimitNOFILE: 32768
        Restart: on-failure
        RestartSec: 2
        RestartPreventExitStatus: "1 2 3 4 5 6 7 9 10 12 13"
        StartLimitIntervalSec: 60
        StartLimitBurst: 5
        TimeoutStopSec: 900
        OOMScoreAdjust: -600
        app_OOMScoreAdjust: 300
    memory:
      description:
        - The memory budget (MySQLTuner's formula). Keys C(total_bytes), C(allowed_bytes),
          C(fraction), C(server_buffers_bytes), C(per_thread_bytes), C(max_connections),
          C(max_total_bytes), C(fits), C(innodb_buffer_pool_size), C(values) (the sizes
          the budget counts),
          C(innodb_buffer_pool_shrunk_from) (null unless shrunk), C(formula) (the arithmetic).
        - C(total_source) says whose RAM C(total_bytes) is (C(MemTotal), C(cgroup limit),
          C(mem_total_bytes override)), C(total_source_detail) the cgroup file that won;
          C(shrunk) maps each variable the plan shrank to fit (C(key_buffer_size),
          C(aria_pagecache_buffer_size), C(innodb_buffer_pool_size)) to its old value;
          C(line) is the summary line, e.g. "worst case 409 MiB of 410 MiB allowed (40% of
          1024 MiB, cgroup limit)".
      type: dict
    apps:
      description:
        - Per app name - C(db_user), C(db_user_host), C(db_name), C(asgi), C(demand),
          C(demand_web), C(demand_workers), C(kind) (C(web), C(workers), C(web+workers)),
          C(max_user_connections),
          C(effective_idle_timeout), C(longest_idle_seconds), C(margin_seconds),
          C(django) (C(CONN_MAX_AGE), C(CONN_HEALTH_CHECKS), C(OPTIONS) with
          C(connect_timeout), C(read_timeout), C(write_timeout)) and C(sqlalchemy)
          (C(pool_recycle), C(pool_pre_ping), C(pool_size), C(max_overflow), C(connect_args)).
      type: dict
      sample:
        web:
          demand: 10
          max_user_connections: 13
          effective_idle_timeout: 28800
          django: {CONN_MAX_AGE: 28500, CONN_HEALTH_CHECKS: true,
                   OPTIONS: {connect_timeout: 5, read_timeout: 90, write_timeout: 90}}
          sqlalchemy: {pool_recycle: 28500, pool_pre_ping: true, pool_size: 1, max_overflow: 0,
                       connect_args: {connect_timeout: 5, read_timeout: 90, write_timeout: 90}}
    totals:
      description:
        - C(demand), C(reserve), C(headroom_percent), C(user_caps_sum),
          C(required_max_connections), C(max_connections), C(wait_timeout),
          C(effective_idle_timeout), C(upstream_idle_timeout), C(extra_max_connections),
          C(open_files_need).
      type: dict
    mode:
      description: C(managed) for a plan made with O(mode=managed); absent otherwise.
      type: str
      sample: managed
    account:
      description:
        - With O(mode=managed), the login account's C(user), C(host),
          C(max_user_connections) (the cap the demand is checked against),
          C(cap_source), C(wait_timeout) and C(max_connections) as read.
      type: dict
      sample: {user: app, host: "%", max_user_connections: 10, wait_timeout: 300,
               cap_source: "max_user_connections of the account (session value)",
               max_connections: 151}
    warnings:
      description: Things worth a human look (also emitted as Ansible warnings).
      type: list
      elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.steadydb.connection import login_argument_spec
from ansible.module_utils.steadydb.facts import read_facts
from ansible.module_utils.steadydb.plan import (
    DEMAND_DEFAULTS,
    POLICY_DEFAULTS,
    PlanError,
    app_accounts,
    build_managed_plan,
    build_plan,
    merge_server_variables,
)
from ansible.module_utils.steadydb.systemd import DEFAULT_CANDIDATES

APP_OPTIONS = dict(
    name=dict(type='str', required=True),
    db_user=dict(type='str'),
    db_user_host=dict(type='str', default='%'),
    db_name=dict(type='str'),
    # No defaults here: plan.py tells "absent" (worker-only when only workers are given)
    # from an explicit value.
    app_hosts=dict(type='int'),
    processes_per_host=dict(type='int'),
    threads_per_process=dict(type='int'),
    background_workers=dict(type='int', default=0),
    worker_concurrency=dict(type='int', default=1),
    asgi=dict(type='bool', default=False),
    longest_request_seconds=dict(type='int', default=30),
    longest_job_seconds=dict(type='int', default=300),
    longest_query_seconds=dict(type='int', default=60),
    conn_max_age=dict(type='int'),
    pool_recycle=dict(type='int'),
)

# The option's type; its default is plan.py's (DEMAND_DEFAULTS, POLICY_DEFAULTS), so the
# module, the planner and the role cannot disagree. The apps' own connect timeout is
# client_connect_timeout here: connect_timeout is the login option of the read. A size
# is raw, bytes (int) or a size string (32M): plan.normalize_policy converts it
# (units.to_bytes), so both forms give the same plan.
OPTION_TYPES = dict(
    admin_reserve='int', headroom_percent='int', db_host_shared='bool',
    upstream_idle_timeout='int', wait_timeout='int', memory_fraction='float',
    allow_buffer_pool_shrink='bool', min_buffer_pool_size='raw', mem_total_bytes='raw',
    max_connections='int', min_margin_seconds='int', tables_per_join='int',
    max_connect_errors='int', oom_score_adjust='int', app_oom_score_adjust='int',
    restart_sec='int', start_limit_interval_sec='int', start_limit_burst='int',
)
# Plan input -> option name, where they differ.
OPTION_NAMES = {'connect_timeout': 'client_connect_timeout'}


def plan_default(key):
    """The default of a plan input: plan.py's value."""
    return DEMAND_DEFAULTS[key] if key in DEMAND_DEFAULTS else POLICY_DEFAULTS[key]


def argument_spec():
    spec = login_argument_spec()
    spec.update((key, dict(type=kind, default=plan_default(key)))
                for key, kind in OPTION_TYPES.items())
    spec.update(
        facts=dict(type='dict'),
        apps=dict(type='list', elements='dict', options=APP_OPTIONS),
        client_connect_timeout=dict(type='int', default=plan_default('connect_timeout')),
        extra_variables=dict(type='dict', default={}),
        plan=dict(type='dict'),
        mode=dict(type='str', choices=['self_hosted', 'managed'], default='self_hosted'),
        accept_cap_overrun=dict(type='bool', default=False),
        unit_candidates=dict(type='list', elements='str', default=list(DEFAULT_CANDIDATES)),
    )
    return spec


def read_server(module, demand):
    """The facts of the server the login options reach, as mysql_facts reads them: the
    account's own view in managed mode, else the server with the apps' accounts."""
    if module.params['mode'] == 'managed':
        return read_facts(module, scope='account')
    return read_facts(module, accounts=app_accounts(demand),
                      unit_candidates=module.params['unit_candidates'])


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_one_of=[('apps', 'plan')],
                           mutually_exclusive=[('plan', 'facts'), ('plan', 'apps')])
    params = module.params
    demand = dict((key, params[key]) for key in DEMAND_DEFAULTS)
    policy = dict((key, params[OPTION_NAMES.get(key, key)]) for key in POLICY_DEFAULTS)
    ansible_facts = {}
    try:
        if params['plan'] is not None:
            plan = merge_server_variables(params['plan'], params['extra_variables'])
            plan.setdefault('warnings', [])
        else:
            facts = params['facts']
            if facts is None:
                facts = ansible_facts['mysql'] = read_server(module, demand)
            if params['mode'] == 'managed':
                plan = build_managed_plan(facts, demand, policy, params['extra_variables'],
                                          params['accept_cap_overrun'])
            else:
                plan = build_plan(facts, demand, policy, params['extra_variables'])
    except PlanError as exc:
        module.fail_json(msg="mysql_plan: %s" % exc)
    for warning in plan['warnings']:
        module.warn(warning)
    # The plan is returned once, as `plan`; the role keeps it as the host fact
    # steadydb_plan (set_fact, so that it outranks a play variable of that name).
    module.exit_json(changed=False, plan=plan, ansible_facts=ansible_facts)


if __name__ == '__main__':
    main()
