# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's templates rendered on the controller, once per app, in one task.

The app stage writes every file of every app in one module call (app_files), so the
settings snippets and the env file's block are rendered here first: each template of
the role's templates/ with ``item`` set to one checked app, exactly as the template
module would render it in a loop (this calls ansible.builtin.template's lookup).
"""

DOCUMENTATION = r"""
name: steadydb_app_render
short_description: Render the role's templates once per app, with item set to the app
description:
  - Returns one list with, for every entry of O(apps), a dict of template name to the
    rendered text of each template named in O(_terms) (found in the role's
    C(templates/)), rendered with C(item) set to that entry and every other variable as
    the task sees it.
options:
  _terms:
    description: Names of the templates.
    required: true
  apps:
    description: The checked app entries; one rendering of every template per entry.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
rendered: "{{ query('steadydb_app_render', 'steadydb_db.py.j2', apps=checked.apps) | first }}"
"""

RETURN = r"""
_raw:
  description: One list with one dict (template name to text) per app.
  type: list
  elements: list
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, apps=None, **kwargs):
        if kwargs:
            raise AnsibleLookupError("steadydb_app_render: unknown options %s" % ", ".join(sorted(kwargs)))
        if not isinstance(apps, (list, tuple)):
            raise AnsibleLookupError("steadydb_app_render needs apps (a list of app entries)")
        template = lookup_loader.get("ansible.builtin.template", loader=self._loader,
                                     templar=self._templar)
        rendered = []
        for app in apps:
            rendered.append(dict(
                (name, template.run([name], variables or {}, template_vars={"item": app})[0])
                for name in terms))
        return [rendered]
