"""Every module in library/ documents what an installable collection needs (issue 17).

What ansible-test's validate-modules checks (tests/lint.sh runs it on the staged
collection when it can set up its environment) and what it does not:

- ``author`` entries read ``Name (@handle)``;
- ``extends_documentation_fragment`` has ``ansible.builtin.action_common_attributes`` and
  ``attributes`` gives ``check_mode``, ``diff_mode`` and ``platform`` a support level
  with the platforms, and the level matches the code: ``supports_check_mode`` for
  check_mode, a ``diff`` in the result for diff_mode;
- an option that takes a filesystem path is ``type='path'`` (or ``elements='path'``) in
  the argument spec and in the documentation, which agree on every option's type;
- no Python 2 boilerplate (ansible-core >= 2.19 runs modules on Python 3 only).

The argument spec is read from what each module's main() passes to AnsibleModule.
"""
import glob
import importlib
import os
import re

import pytest
import yaml
from ansible.plugins.loader import fragment_loader, init_plugin_loader
from ansible.utils.plugin_docs import get_docstring

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "library", "*.py")))
SUPPORT = {"full", "partial", "none", "N/A"}
AUTHOR = re.compile(r"^\S.* \(@[A-Za-z0-9-]+\)$")
# Option names that name a file, a directory, a socket or a binary.
PATHLIKE = re.compile(r"(^|_)(path|paths|file|dir|datadir|directories|socket|cert|key|binary)$")
SETS_DIFF = re.compile(r"""\[["']diff["']\]\s*=|\bdiff\s*=\s*dict\(""")

# The fragments as ansible-doc finds them (ansible.cfg's doc_fragment_plugins).
init_plugin_loader()
fragment_loader.add_directory(os.path.join(REPO, "doc_fragments"))


class Captured(Exception):
    pass


def source(name):
    with open(os.path.join(REPO, "library", name + ".py")) as handle:
        return handle.read()


def source_with_utils(name):
    """The module's source plus the project module_utils it imports (a thin main() sets
    its diff in the module_utils it calls)."""
    text = source(name)
    for util in re.findall(r"from ansible\.module_utils\.steadydb\.(\w+) import", text):
        with open(os.path.join(REPO, "module_utils", "steadydb", util + ".py")) as handle:
            text += handle.read()
    return text


def documentation(name):
    """What ansible-doc shows: the module's documentation with its fragments merged by
    Ansible itself (ansible.utils.plugin_docs, where the first of two places that give
    the same attribute key wins), and the fragment names as the module lists them."""
    path = os.path.join(REPO, "library", name + ".py")
    doc = get_docstring(path, fragment_loader, is_module=True)[0]
    fragments = yaml.safe_load(importlib.import_module(name).DOCUMENTATION).get(
        "extends_documentation_fragment") or []
    return doc, fragments, doc.get("options") or {}, doc.get("attributes") or {}


def module_kwargs(name, monkeypatch):
    """The keyword arguments main() gives AnsibleModule (nothing runs past that)."""
    module = importlib.import_module(name)
    seen = {}

    def fake(*args, **kwargs):
        assert not args, "%s: AnsibleModule arguments are passed by keyword" % name
        seen.update(kwargs)
        raise Captured()

    monkeypatch.setattr(module, "AnsibleModule", fake)
    with pytest.raises(Captured):
        module.main()
    return seen


def walk(spec, docs, where):
    """(where, name, spec entry, doc entry) for every option and suboption of the spec."""
    for name, arg in spec.items():
        doc = docs.get(name)
        assert doc is not None, "%s.%s is in the argument spec but not documented" % (where, name)
        yield where, name, arg, doc
        if arg.get("options"):
            yield from walk(arg["options"], doc.get("suboptions") or {}, where + "." + name)


def test_every_module_is_checked():
    assert len(MODULES) >= 9, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_authors_are_name_and_handle(name):
    doc = documentation(name)[0]
    authors = doc["author"] if isinstance(doc["author"], list) else [doc["author"]]
    assert authors
    for author in authors:
        assert AUTHOR.match(author), "%s: author %r is not 'Name (@handle)'" % (name, author)


@pytest.mark.parametrize("name", MODULES)
def test_attributes_match_the_code(name, monkeypatch):
    _doc, fragments, _options, attributes = documentation(name)
    assert "ansible.builtin.action_common_attributes" in fragments, name
    for key in ("check_mode", "diff_mode", "platform"):
        assert key in attributes, "%s: attributes.%s is missing" % (name, key)
        assert attributes[key].get("description"), (name, key)
        assert attributes[key].get("support") in SUPPORT, (name, key, attributes[key].get("support"))
    # action_common_attributes says N/A for platform; every module here has platforms, and
    # a shared part listed after that fragment would be shadowed by its N/A.
    assert attributes["platform"]["support"] != "N/A", name
    assert attributes["platform"].get("platforms"), name
    kwargs = module_kwargs(name, monkeypatch)
    assert (attributes["check_mode"]["support"] != "none") == bool(kwargs.get("supports_check_mode")), name
    sets_diff = bool(SETS_DIFF.search(source_with_utils(name)))
    assert (attributes["diff_mode"]["support"] != "none") == sets_diff, (
        "%s: diff_mode support is %s but the module %s a diff"
        % (name, attributes["diff_mode"]["support"], "returns" if sets_diff else "returns no"))


@pytest.mark.parametrize("name", MODULES)
def test_path_options_are_type_path(name, monkeypatch):
    options = documentation(name)[2]
    spec = module_kwargs(name, monkeypatch)["argument_spec"]
    for where, option, arg, doc in walk(spec, options, name):
        spec_type, doc_type = arg.get("type", "str"), doc.get("type", "str")
        assert spec_type == doc_type, "%s.%s: argument spec type %s, documented %s" % (
            where, option, spec_type, doc_type)
        assert arg.get("elements") == doc.get("elements"), (where, option)
        names = [option] + list(arg.get("aliases") or [])
        if any(PATHLIKE.search(n) for n in names) and spec_type not in ("bool", "int", "float"):
            assert "path" in (spec_type, arg.get("elements")), (
                "%s.%s takes a filesystem path: use type='path'" % (where, option))


def test_no_python2_boilerplate():
    files = (glob.glob(os.path.join(REPO, "library", "*.py"))
             + glob.glob(os.path.join(REPO, "module_utils", "steadydb", "*.py"))
             + glob.glob(os.path.join(REPO, "doc_fragments", "*.py")))
    for path in files:
        with open(path) as handle:
            text = handle.read()
        assert "__metaclass__" not in text and "from __future__ import absolute_import" not in text, path


def test_the_checks_can_fail():
    """The patterns above catch what they are meant to catch."""
    assert not AUTHOR.match("steadydb contributors")
    assert AUTHOR.match("steadydb contributors (@steadydb)")
    for option in ("config_file", "login_unix_socket", "ca_cert", "client_key", "datadir",
                   "server_binary", "defaults_file", "directories", "path"):
        assert PATHLIKE.search(option), option
    for option in ("dropin_name", "check_hostname", "keep", "facts", "login_host"):
        assert not PATHLIKE.search(option), option
    assert SETS_DIFF.search('result["diff"] = dict(before="")')
    assert not SETS_DIFF.search('"diff_mode": none')
