# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What to do when a check finds something: one spelling for every module.

A finding that the run can go on without (an account that does not exist yet, a file read
after the drop-in that sets one of its options) is met by a policy option named
``on_<finding>``: ``fail`` stops before anything changes, ``warn`` goes on with a warning,
``ignore`` goes on silently (the finding is still in the result).
"""

POLICIES = ("fail", "warn", "ignore")


def policy_option(default, aliases=()):
    """The argument_spec entry of an ``on_<finding>`` option."""
    option = dict(type="str", default=default, choices=list(POLICIES))
    if aliases:
        option["aliases"] = list(aliases)
    return option


def act_on(policy, message, fail, warn):
    """Call ``fail(message)`` or ``warn(message)`` as ``policy`` says; nothing for ignore."""
    if policy == "fail":
        fail(message)
    elif policy == "warn":
        warn(message)
