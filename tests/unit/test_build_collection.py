"""tools/build_collection.py: the rewrites that turn the repository's files into the
collection's (pure text transformations; the built collection itself is exercised by
tests/integration/test_collection.py)."""
import os
import sys
import textwrap

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "tools"))

import build_collection as bc  # noqa: E402

NAMES = bc.Names("steadydb.mysql", modules=["mysql_facts", "mysql_plan", "mysql_global_variables"],
                 roles=["steadydb_plan", "mysql_tuning"], fragments=["steadydb_login", "steadydb_shared"],
                 filters=["steadydb_env_split", "steadydb_env"], lookups=["steadydb_app_password"])


def tasks(text):
    return bc.rewrite_yaml(textwrap.dedent(text), NAMES, "tasks", "t.yml")


def playbook(text):
    return bc.rewrite_yaml(textwrap.dedent(text), NAMES, "playbook", "p.yml")


def test_task_keys_and_module_defaults_keys_are_qualified_comments_and_anchors_kept():
    out = tasks("""\
        ---
        - name: Read  # a comment
          mysql_facts:
            login_host: localhost
        - name: Block
          module_defaults:
            mysql_global_variables: &login
              login_user: root
            mysql_plan: *login
          block:
            - name: Inner
              mysql_global_variables:
                variables: {wait_timeout: 60}
          rescue:
            - {name: flow, mysql_plan: {facts: {}}}
        """)
    data = yaml.safe_load(out)
    assert "steadydb.mysql.mysql_facts" in data[0]
    assert set(data[1]["module_defaults"]) == {"steadydb.mysql.mysql_global_variables",
                                               "steadydb.mysql.mysql_plan"}
    assert data[1]["module_defaults"]["steadydb.mysql.mysql_plan"] == {"login_user": "root"}
    assert "steadydb.mysql.mysql_global_variables" in data[1]["block"][0]
    assert "steadydb.mysql.mysql_plan" in data[1]["rescue"][0]
    assert "# a comment" in out and "&login" in out and "*login" in out


def test_only_task_keys_are_qualified_not_variables_or_module_arguments():
    out = tasks("""\
        - name: A fact that shares a module's name stays as it is
          ansible.builtin.set_fact:
            mysql_plan: 1
          vars:
            mysql_facts: {}
        - name: Quoted key
          "mysql_facts":
            login_host: localhost
        """)
    data = yaml.safe_load(out)
    assert data[0]["ansible.builtin.set_fact"] == {"mysql_plan": 1}
    assert data[0]["vars"] == {"mysql_facts": {}}
    assert "steadydb.mysql.mysql_facts" in data[1]


def test_playbook_roles_include_role_and_play_module_defaults():
    out = playbook("""\
        - hosts: db
          module_defaults:
            mysql_facts: {login_host: h}
          roles:
            - role: steadydb_plan
              tags: [always]
            - mysql_tuning
            - other_role
          tasks:
            - name: Include
              ansible.builtin.include_role:
                name: steadydb_plan
            - name: Audit
              mysql_plan: {}
        """)
    play = yaml.safe_load(out)[0]
    assert list(play["module_defaults"]) == ["steadydb.mysql.mysql_facts"]
    assert play["roles"] == [{"role": "steadydb.mysql.steadydb_plan", "tags": ["always"]},
                             "steadydb.mysql.mysql_tuning", "other_role"]
    assert play["tasks"][0]["ansible.builtin.include_role"]["name"] == "steadydb.mysql.steadydb_plan"
    assert "steadydb.mysql.mysql_plan" in play["tasks"][1]


def test_jinja_filters_and_lookups_are_qualified_once():
    text = ("{{ x | steadydb_env_split(a) | steadydb_env }} {{ lookup('steadydb_app_password', 0) }}"
            " {{ y | steadydb.mysql.steadydb_env }} {{ z | steadydb_env_other }}")
    out = bc.rewrite_jinja(text, NAMES)
    assert out == ("{{ x | steadydb.mysql.steadydb_env_split(a) | steadydb.mysql.steadydb_env }}"
                   " {{ lookup('steadydb.mysql.steadydb_app_password', 0) }}"
                   " {{ y | steadydb.mysql.steadydb_env }} {{ z | steadydb_env_other }}")
    assert bc.rewrite_jinja(out, NAMES) == out


def test_module_utils_imports_and_doc_fragments():
    src = textwrap.dedent('''\
        DOCUMENTATION = r"""
        module: m
        extends_documentation_fragment:
          - steadydb_login
          - steadydb_shared.accounts
          - files
        attributes: {}
        """
        OTHER = "extends_documentation_fragment: [steadydb_login, files]"
        from ansible.module_utils.steadydb.connection import connect
        from ansible.module_utils.steadydb import systemd
        ''')
    out = bc.rewrite_doc_fragments(bc.rewrite_module_utils_imports(src, "steadydb.mysql"), NAMES)
    assert ("  - steadydb.mysql.steadydb_login\n  - steadydb.mysql.steadydb_shared.accounts\n"
            "  - files\nattributes: {}") in out
    assert "[steadydb.mysql.steadydb_login, files]" in out
    assert "from ansible_collections.steadydb.mysql.plugins.module_utils.connection import connect" in out
    assert "from ansible_collections.steadydb.mysql.plugins.module_utils import systemd" in out


PAIRS = [("roles/r/filter_plugins/f.py", "plugins/filter/f.py"),
         ("roles/r/files/pkg/envfile.py", "roles/r/files/pkg/envfile.py"),
         ("filter_plugins/g.py", "plugins/filter/g.py")]


def test_file_paths_relative_to_the_plugin_follow_the_copy():
    src = ('P = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "files",\n'
           '                 "pkg", "envfile.py")\n')
    out = bc.rewrite_file_paths(src, "roles/r/filter_plugins/f.py", "plugins/filter/f.py", PAIRS)
    assert out == ('P = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, '
                   '"roles", "r", "files", "pkg", "envfile.py")\n')
    src = ('Q = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "roles", "r",'
           ' "filter_plugins", "f.py")\n')
    out = bc.rewrite_file_paths(src, "filter_plugins/g.py", "plugins/filter/g.py", PAIRS)
    assert out == 'Q = os.path.join(os.path.dirname(os.path.abspath(__file__)), "f.py")\n'
    # A folder maps through the files under it.
    src = 'D = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "files", "pkg")\n'
    out = bc.rewrite_file_paths(src, "roles/r/filter_plugins/f.py", "plugins/filter/f.py", PAIRS)
    assert out.endswith('os.pardir, os.pardir, "roles", "r", "files", "pkg")\n')


def test_a_path_that_cannot_be_mapped_stops_the_build():
    src = 'P = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "nowhere.py")\n'
    with pytest.raises(bc.BuildError, match="not part of the collection"):
        bc.rewrite_file_paths(src, "roles/r/filter_plugins/f.py", "plugins/filter/f.py", PAIRS)
    src = 'P = os.path.join(os.path.dirname(os.path.abspath(__file__)), NAME)\n'
    with pytest.raises(bc.BuildError, match="cannot be mapped"):
        bc.rewrite_file_paths(src, "roles/r/filter_plugins/f.py", "plugins/filter/f.py", PAIRS)


def test_the_repository_maps_without_clashes_and_every_project_module_is_qualified(tmp_path):
    """The whole staging tree: no short name of a project module is left as a task key."""
    coll = bc.stage(str(tmp_path))[0]
    names = bc.collect_names("steadydb.mysql", bc.file_map())
    assert names.modules and names.roles and names.filters and names.lookups
    for dirpath, _, filenames in os.walk(coll):
        for filename in filenames:
            path = os.path.join(dirpath, filename)
            rel = os.path.relpath(path, coll).split(os.sep)
            if filename.endswith(".yml") and (rel[0] == "playbooks" and len(rel) == 2
                                              or len(rel) > 2 and rel[2] in ("tasks", "handlers")):
                with open(path) as handle:
                    text = handle.read()
                kind = "playbook" if rel[0] == "playbooks" else "tasks"
                assert bc.yaml_edits(text, names, kind) == [], path
    assert not os.path.exists(os.path.join(coll, "roles", "django_db_settings", "filter_plugins"))
