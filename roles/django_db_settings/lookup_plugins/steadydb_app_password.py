# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The password of one django_db_settings app, read without evaluating it.

Why a lookup: in ansible-core 2.19 every string of a vars file is *trusted as a
template*, and a file encrypted whole with ansible-vault is no exception. Reading
such a variable the ordinary way ({{ var }}, lookup('vars', ...)) evaluates any Jinja
inside it, so the password ``ab{{ 7*7 }}cd`` arrives as ``ab49cd`` and ``{% raw %}``
stops the run. This lookup reads the variable's stored value (Python access to the
variables, no templating) and returns it marked unsafe, so nothing templates it later.

Rules (the same for db_password_var and for db_password: "{{ name }}"):

- the value of the named variable is the password, byte for byte;
- except a value that is exactly one variable reference, ``{{ other_var }}`` (the
  usual "plain var points at the vault var" indirection), which is followed, at most
  MAX_HOPS times;
- a value that is wholly another expression (``{{ lookup(...) }}``, ``{{ a ~ b }}``)
  is refused: it may be a template or a password, and evaluating it would evaluate
  the vault values it reaches too. Put such an expression in db_password instead, or
  mark a literal password !unsafe;
- values that are not trusted templates (inline !vault, !unsafe, set_fact results)
  are always literal;
- a password must be a non-empty string without newline, carriage return or NUL
  (no env-file reader agrees on those); errors name the app and the variable, never
  the value.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: steadydb_app_password
short_description: The password of one django_db_settings app, not evaluated as a template
description:
  - Returns the password of entry O(_terms[0]) of C(django_db_settings_apps) as a dict
    with C(value) (the password, or null), C(variable) (the variable it came from, or
    empty) and C(problem) (a sentence without the value, or empty); without a term, one
    such dict per entry, in order.
  - The variable named by C(db_password_var), or referenced as C(db_password) C("{{ name }}"),
    is read as stored, without evaluating Jinja inside it; a value that is exactly
    C({{ other_var }}) is followed; any other whole expression is refused.
options:
  _terms:
    description: Index of the app entry in C(django_db_settings_apps); none for every entry.
    required: false
"""

EXAMPLES = r"""
password: "{{ lookup('steadydb_app_password', 0) }}"
passwords: "{{ query('steadydb_app_password') }}"
"""

RETURN = r"""
_raw:
  description: One dict with value, variable and problem.
  type: list
  elements: dict
"""

import re

from collections.abc import Mapping

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:  # ansible-core >= 2.19: strings carry a "trusted as template" tag
    from ansible.template import is_trusted_as_template
except ImportError:  # pragma: no cover - older ansible-core: only !unsafe marks a literal
    def is_trusted_as_template(value):
        return not getattr(value, "__UNSAFE__", False)

from ansible.utils.unsafe_proxy import wrap_var

MAX_HOPS = 8
_REFERENCE = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}")
_FORBIDDEN = (("\n", "a newline"), ("\r", "a carriage return"), ("\x00", "a NUL byte"))
_MISSING = object()


def password_problem(value):
    """Why ``value`` cannot be written as a password ("" when it can). Never quotes it."""
    if not isinstance(value, str):
        return "is not a string (quote it in the vault file)"
    if not value:
        return "is empty"
    found = [label for char, label in _FORBIDDEN if char in value]
    if found:
        return ("contains %s, which no env-file format carries safely (shell, systemd "
                "EnvironmentFile= and django-environ read it differently); choose a password "
                "without line breaks or NUL bytes" % " and ".join(found))
    return ""


def plain_text(value):
    """A stored value as text: inline !vault values are decrypted here."""
    if isinstance(value, str) or value is None:
        return value
    if type(value).__name__ == "EncryptedString":
        return str(value)
    return value


def resolve_variable(name, variables, trusted=is_trusted_as_template, what="db_password_var"):
    """Read variable ``name`` from ``variables`` as stored; see the module docstring.

    Returns ``(value, variable, problem)``: the literal password (or None), the variable
    that held it, and a sentence naming the variables (never the value) or "".
    """
    chain = [name]
    current = name
    while True:
        value = plain_text(variables.get(current, _MISSING))
        via = " (via %s)" % " -> ".join(chain) if len(chain) > 1 else ""
        if value is _MISSING:
            return None, current, (
                "the password variable '%s' (%s)%s is not defined; is the Vault file with it "
                "loaded (vars_files, group_vars, --ask-vault-pass)?" % (current, what, via))
        if not isinstance(value, str):
            return None, current, "the password variable '%s' (%s)%s %s" % (
                current, what, via, password_problem(value))
        stripped = value.strip()
        if trusted(value) and stripped.startswith("{{") and stripped.endswith("}}"):
            match = _REFERENCE.fullmatch(stripped)
            if not match:
                return None, current, (
                    "the password variable '%s' (%s)%s holds a Jinja expression, which would "
                    "evaluate the vault values it reaches as templates too; name the variable "
                    "that holds the password itself, or put the expression in db_password, or "
                    "mark a literal password !unsafe" % (current, what, via))
            target = match.group(1)
            if target in chain:
                return None, current, "the password variable '%s' (%s) refers back to itself (%s)" % (
                    name, what, " -> ".join(chain + [target]))
            if len(chain) > MAX_HOPS:
                return None, current, "the password variable '%s' (%s) goes through more than %d references" % (
                    name, what, MAX_HOPS)
            chain.append(target)
            current = target
            continue
        problem = password_problem(value)
        if problem:
            return None, current, "the password variable '%s' (%s)%s %s" % (current, what, via, problem)
        return value, current, ""


def app_password(raw_apps, index, variables, template, trusted=is_trusted_as_template):
    """The password of entry ``index`` of the stored django_db_settings_apps.

    ``template`` evaluates a stored value the ordinary Ansible way; it is used only for
    names and for a db_password that is not a plain variable reference.
    """
    if not isinstance(raw_apps, list):
        raw_apps = template(raw_apps)  # the list itself is an expression: evaluate it
    entry = raw_apps[index] if isinstance(raw_apps, list) and 0 <= index < len(raw_apps) else None
    if not isinstance(entry, Mapping):
        entry = template(entry)
    if not isinstance(entry, Mapping):
        return None, "", "is not a mapping"
    var_name = template(entry.get("db_password_var")) if entry.get("db_password_var") else ""
    if var_name:
        return resolve_variable(str(var_name), variables, trusted)
    raw = plain_text(entry.get("db_password"))
    if isinstance(raw, str) and trusted(raw):
        match = _REFERENCE.fullmatch(raw.strip())
        if match:
            return resolve_variable(match.group(1), variables, trusted, what="db_password")
    if raw is None:
        name = entry.get("name") or "app"
        return None, "", (
            'no password: db_password is missing or names an undefined variable; set db_password: '
            '"{{ vault_%s_db_password }}" (from Ansible Vault) or db_password_var: vault_%s_db_password'
            % (name, name))
    value = template(raw)
    problem = password_problem(value)
    return (None, "", "the password (db_password) " + problem) if problem else (value, "", "")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        apps = variables.get("django_db_settings_apps", [])
        if not terms:
            # query('steadydb_app_password'): one dict per entry, in order.
            indexes = range(len(apps)) if isinstance(apps, (list, tuple)) else []
        elif len(terms) == 1:
            try:
                indexes = [int(terms[0])]
            except (TypeError, ValueError):
                raise AnsibleLookupError("steadydb_app_password: the term must be an index, not %r"
                                         % (terms[0],))
        else:
            raise AnsibleLookupError("steadydb_app_password takes one term (the index of the app "
                                     "entry) or none (every entry)")
        found = []
        for index in indexes:
            value, variable, problem = app_password(apps, index, variables, self._templar.template)
            # wrap_var: the password is data, never a template, wherever it goes next.
            found.append({"value": wrap_var(value), "variable": variable, "problem": problem})
        return found
