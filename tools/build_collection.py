#!/usr/bin/env python3
"""Build the steadydb Ansible collection from this repository's layout.

The repository stays laid out for running from the clone (ansible.cfg wires library/,
module_utils/, doc_fragments/, filter_plugins/ and roles/). A collection has another
layout and resolves names differently, so this script assembles one in a staging
directory and rewrites what has to change there (never in the repository):

- library/*.py                        -> plugins/modules/
- module_utils/steadydb/*.py          -> plugins/module_utils/
  (imports ``ansible.module_utils.steadydb.X`` -> ``ansible_collections.NS.NAME.plugins.module_utils.X``)
- doc_fragments/*.py                  -> plugins/doc_fragments/
  (``extends_documentation_fragment`` names -> ``NS.NAME.fragment``)
- filter_plugins/*.py and roles/*/filter_plugins/*.py -> plugins/filter/
- roles/*/lookup_plugins/*.py         -> plugins/lookup/
  (a plugin that loads a file relative to ``__file__`` gets the path of that file in the
  collection; a path that cannot be mapped stops the build)
- roles/*                             -> roles/ (without the plugin folders)
- playbooks/harden-db.yml, audit-db.yml -> playbooks/harden_db.yml, audit_db.yml
  (a collection playbook name must be a Python identifier), with their vars/ and templates/

In the copied roles and playbooks, the project's own modules (task keys and
``module_defaults`` keys: short names there fail inside a collection with "Could not
resolve action ansible.legacy.X in module_defaults"), roles, filters and lookups are
written as fully qualified names. The YAML is rewritten by position (found by
composing the YAML), so comments, anchors and layout stay as they are.

The version comes from galaxy.yml only. Usage:

    tools/build_collection.py [--output-dir build] [--staging-only]

Prints the path of the tarball (or of the staging directory).
"""

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLAYBOOKS = {"harden-db.yml": "harden_db.yml", "audit-db.yml": "audit_db.yml"}
PLAYBOOK_DIRS = ("vars", "templates")
ROLE_PLUGIN_DIRS = {"filter_plugins": "plugins/filter", "lookup_plugins": "plugins/lookup"}
TOP_FILES = ("galaxy.yml", "LICENSE", "README.md", "CHANGELOG.md", "meta/runtime.yml")
INCLUDE_ROLE_ACTIONS = {"include_role", "import_role", "ansible.builtin.include_role",
                        "ansible.builtin.import_role", "ansible.legacy.include_role",
                        "ansible.legacy.import_role"}
TASK_LIST_KEYS = ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always")


class BuildError(Exception):
    pass


def read_galaxy(root=ROOT):
    with open(os.path.join(root, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    return galaxy["namespace"], galaxy["name"], galaxy["version"]


# ---------------------------------------------------------------------------------------
# What goes where: (repository path, collection path) for every copied file.

def _py_files(folder):
    path = os.path.join(ROOT, folder)
    if not os.path.isdir(path):
        return []
    return sorted(f for f in os.listdir(path) if f.endswith(".py"))


def roles(root=ROOT):
    return sorted(d for d in os.listdir(os.path.join(root, "roles"))
                  if os.path.isdir(os.path.join(root, "roles", d)))


def file_map():
    """[(repo_rel, coll_rel)] for every file of the collection taken from the repository."""
    pairs = []
    for name in _py_files("library"):
        pairs.append(("library/" + name, "plugins/modules/" + name))
    for name in _py_files("module_utils/steadydb"):
        pairs.append(("module_utils/steadydb/" + name, "plugins/module_utils/" + name))
    for name in _py_files("doc_fragments"):
        pairs.append(("doc_fragments/" + name, "plugins/doc_fragments/" + name))
    for name in _py_files("filter_plugins"):
        pairs.append(("filter_plugins/" + name, "plugins/filter/" + name))
    for role in roles():
        role_dir = os.path.join(ROOT, "roles", role)
        for dirpath, dirnames, filenames in os.walk(role_dir):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            rel_dir = os.path.relpath(dirpath, ROOT)
            top = os.path.relpath(dirpath, role_dir).split(os.sep)[0]
            for filename in sorted(filenames):
                if filename.endswith((".pyc", ".retry")):
                    continue
                rel = os.path.join(rel_dir, filename).replace(os.sep, "/")
                if top in ROLE_PLUGIN_DIRS:
                    if filename.endswith(".py"):
                        pairs.append((rel, ROLE_PLUGIN_DIRS[top] + "/" + filename))
                    continue
                pairs.append((rel, rel))
    for source, target in PLAYBOOKS.items():
        pairs.append(("playbooks/" + source, "playbooks/" + target))
    for folder in PLAYBOOK_DIRS:
        base = os.path.join(ROOT, "playbooks", folder)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for filename in sorted(filenames):
                rel = os.path.relpath(os.path.join(dirpath, filename), ROOT).replace(os.sep, "/")
                pairs.append((rel, rel))
    targets = [t for _, t in pairs]
    clashes = sorted({t for t in targets if targets.count(t) > 1})
    if clashes:
        raise BuildError("two repository files map to the same collection path: %s" % ", ".join(clashes))
    return pairs


# ---------------------------------------------------------------------------------------
# Names the rewrites qualify.

def filter_names(paths):
    """Keys of the dict literal returned by FilterModule.filters() in each file."""
    names = set()
    for path in paths:
        tree = ast.parse(open(path).read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "filters":
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                        names.update(k.value for k in ret.value.keys if isinstance(k, ast.Constant))
    return names


class Names:
    def __init__(self, fqcn, modules, roles, fragments, filters, lookups):
        self.fqcn = fqcn
        self.modules = set(modules)
        self.roles = set(roles)
        self.fragments = set(fragments)
        self.filters = set(filters)
        self.lookups = set(lookups)

    def q(self, name):
        return "%s.%s" % (self.fqcn, name)


def collect_names(fqcn, pairs):
    def stems(prefix):
        return sorted(os.path.basename(t)[:-3] for _, t in pairs if t.startswith(prefix) and t.endswith(".py")
                      and not os.path.basename(t).startswith("__"))
    filter_sources = [os.path.join(ROOT, s) for s, t in pairs if t.startswith("plugins/filter/")]
    return Names(fqcn, stems("plugins/modules/"), roles(), stems("plugins/doc_fragments/"),
                 filter_names(filter_sources), stems("plugins/lookup/"))


# ---------------------------------------------------------------------------------------
# Python rewrites.

def rewrite_module_utils_imports(text, fqcn):
    return re.sub(r"\bansible\.module_utils\.steadydb\b",
                  "ansible_collections.%s.plugins.module_utils" % fqcn, text)


def rewrite_doc_fragments(text, names):
    """Qualify the project's fragments in ``extends_documentation_fragment`` (flow or block list)."""
    def qualify(name):
        base = name.split(".")[0]
        return names.q(name) if base in names.fragments and name.count(".") <= 1 else name

    def flow(match):
        items = [i.strip() for i in match.group(2).split(",")]
        return match.group(1) + ", ".join(qualify(i) for i in items if i) + match.group(3)

    text = re.sub(r"(extends_documentation_fragment:\s*\[)([^\]]*)(\])", flow, text)

    def block(match):
        return re.sub(r"(?m)^([ \t]*-[ \t]*)([\w.]+)[ \t]*$",
                      lambda m: m.group(1) + qualify(m.group(2)), match.group(0))

    return re.sub(r"(?m)^extends_documentation_fragment:\s*\n(?:[ \t]*-[ \t]*[\w.]+[ \t]*\n)+", block, text)


def _is_here(node):
    """``os.path.dirname(os.path.abspath(__file__))`` (or ``os.path.dirname(__file__)``)."""
    src = ast.unparse(node)
    return src in ("os.path.dirname(os.path.abspath(__file__))", "os.path.dirname(__file__)",
                   "os.path.dirname(os.path.realpath(__file__))")


def rewrite_file_paths(text, repo_rel, coll_rel, pairs):
    """Re-point ``os.path.join(<dir of __file__>, os.pardir | "literal", ...)`` at the copy.

    The joined path is resolved in the repository, looked up in the copy map (a folder
    maps through any file under it), and written relative to the file's new place.
    """
    mapping = dict(pairs)
    tree = ast.parse(text)
    edits = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "os.path.join"
                and node.args and _is_here(node.args[0])):
            continue
        parts = []
        for arg in node.args[1:]:
            if ast.unparse(arg) == "os.pardir":
                parts.append("..")
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                parts.append(arg.value)
            else:
                raise BuildError("%s:%d: a path built from %s cannot be mapped into the collection"
                                 % (repo_rel, node.lineno, ast.unparse(arg)))
        target = os.path.normpath(os.path.join(os.path.dirname(repo_rel), *parts)).replace(os.sep, "/")
        if target in mapping:
            new_target = mapping[target]
        else:
            # A folder: map it through the first file under it.
            inside = [(s, t) for s, t in pairs if s.startswith(target + "/")]
            if not inside:
                raise BuildError("%s:%d: %s is not part of the collection" % (repo_rel, node.lineno, target))
            s, t = inside[0]
            suffix = s[len(target):]
            if not t.endswith(suffix):
                raise BuildError("%s:%d: folder %s is not copied as a whole" % (repo_rel, node.lineno, target))
            new_target = t[: -len(suffix)]
        relative = os.path.relpath(new_target, os.path.dirname(coll_rel)).split(os.sep)
        args = ["os.pardir" if p == ".." else repr(p).replace("'", '"') for p in relative]
        new = "os.path.join(%s, %s)" % (ast.unparse(node.args[0]), ", ".join(args))
        edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, new))
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for lineno, col, end_lineno, end_col, new in sorted(edits, reverse=True):
        start = offsets[lineno - 1] + col
        end = offsets[end_lineno - 1] + end_col
        text = text[:start] + new + text[end:]
    return text


# ---------------------------------------------------------------------------------------
# YAML rewrites (by position: comments, anchors and layout stay).

def _key(node):
    return node.value if isinstance(node, yaml.ScalarNode) else None


def yaml_edits(text, names, kind):
    """[(line, column, old, new)] for one task file ("tasks") or playbook ("playbook")."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    edits = []

    def scalar(node, new):
        if isinstance(node, yaml.ScalarNode) and node.style is None:
            edits.append((node.start_mark.line, node.start_mark.column, node.value, new))
        elif isinstance(node, yaml.ScalarNode):  # quoted: keep the quote
            edits.append((node.start_mark.line, node.start_mark.column + 1, node.value, new))

    def module_defaults(node):
        if isinstance(node, yaml.MappingNode):
            for key, _ in node.value:
                if _key(key) in names.modules:
                    scalar(key, names.q(key.value))

    def role_ref(node):
        if isinstance(node, yaml.ScalarNode) and node.value in names.roles:
            scalar(node, names.q(node.value))

    def task_list(node):
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                task(item)

    def task(node):
        if not isinstance(node, yaml.MappingNode):
            return
        for key, value in node.value:
            name = _key(key)
            if name in names.modules:
                scalar(key, names.q(name))
            elif name == "module_defaults":
                module_defaults(value)
            elif name in TASK_LIST_KEYS:
                task_list(value)
            elif name in INCLUDE_ROLE_ACTIONS and isinstance(value, yaml.MappingNode):
                for k, v in value.value:
                    if _key(k) in ("name", "role"):
                        role_ref(v)

    def play(node):
        if not isinstance(node, yaml.MappingNode):
            return
        for key, value in node.value:
            name = _key(key)
            if name == "roles" and isinstance(value, yaml.SequenceNode):
                for entry in value.value:
                    if isinstance(entry, yaml.ScalarNode):
                        role_ref(entry)
                    elif isinstance(entry, yaml.MappingNode):
                        for k, v in entry.value:
                            if _key(k) in ("role", "name"):
                                role_ref(v)
            elif name == "module_defaults":
                module_defaults(value)
            elif name in TASK_LIST_KEYS:
                task_list(value)

    if root is None:
        return edits
    if kind == "playbook":
        if isinstance(root, yaml.SequenceNode):
            for item in root.value:
                play(item)
    else:
        task_list(root)
    return edits


def apply_edits(text, edits, where):
    lines = text.split("\n")
    for line, column, old, new in sorted(set(edits), reverse=True):
        current = lines[line]
        if current[column:column + len(old)] != old:
            raise BuildError("%s:%d: expected %r at column %d" % (where, line + 1, old, column))
        lines[line] = current[:column] + new + current[column + len(old):]
    return "\n".join(lines)


def rewrite_jinja(text, names):
    """Qualify the project's filters and lookups inside Jinja (templates and YAML strings)."""
    if names.filters:
        text = re.sub(r"(\|\s*)(%s)\b(?!\.)" % "|".join(sorted(names.filters, key=len, reverse=True)),
                      lambda m: m.group(1) + names.q(m.group(2)), text)
    if names.lookups:
        text = re.sub(r"\b((?:lookup|query|q)\(\s*)(['\"])(%s)\2" % "|".join(sorted(names.lookups)),
                      lambda m: m.group(1) + m.group(2) + names.q(m.group(3)) + m.group(2), text)
    return text


def rewrite_yaml(text, names, kind, where):
    text = apply_edits(text, yaml_edits(text, names, kind), where)
    return rewrite_jinja(text, names)


# ---------------------------------------------------------------------------------------

def transform(repo_rel, coll_rel, text, names, pairs):
    if coll_rel.endswith(".py") and coll_rel.startswith("plugins/"):
        text = rewrite_module_utils_imports(text, names.fqcn)
        text = rewrite_file_paths(text, repo_rel, coll_rel, pairs)
        if coll_rel.startswith("plugins/modules/"):
            text = rewrite_doc_fragments(text, names)
        return text
    parts = coll_rel.split("/")
    if coll_rel.endswith((".yml", ".yaml")):
        if parts[0] == "playbooks" and len(parts) == 2:
            return rewrite_yaml(text, names, "playbook", repo_rel)
        if parts[0] == "roles" and parts[2] in ("tasks", "handlers"):
            return rewrite_yaml(text, names, "tasks", repo_rel)
        if parts[0] == "roles" and parts[2] in ("defaults", "vars") or parts[:2] == ["playbooks", "vars"]:
            return rewrite_jinja(text, names)
        return text
    if coll_rel.endswith(".j2"):
        return rewrite_jinja(text, names)
    return text


def stage(staging):
    namespace, name, version = read_galaxy()
    fqcn = "%s.%s" % (namespace, name)
    pairs = file_map()
    names = collect_names(fqcn, pairs)
    coll = os.path.join(staging, "ansible_collections", namespace, name)
    if os.path.exists(coll):
        shutil.rmtree(coll)
    for top in TOP_FILES:
        source = os.path.join(ROOT, top)
        if not os.path.exists(source):
            raise BuildError("%s is missing" % top)
        os.makedirs(os.path.dirname(os.path.join(coll, top)), exist_ok=True)
        shutil.copy2(source, os.path.join(coll, top))
    for repo_rel, coll_rel in pairs:
        source = os.path.join(ROOT, repo_rel)
        target = os.path.join(coll, coll_rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        except UnicodeDecodeError:
            shutil.copy2(source, target)
            continue
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(transform(repo_rel, coll_rel, text, names, pairs))
        shutil.copymode(source, target)
    return coll, namespace, name, version


def build(output_dir):
    staging = os.path.join(output_dir, "collection")
    coll, namespace, name, version = stage(staging)
    # build/ holds the tarball of the current version only (execution-environment.yml
    # installs build/NS-NAME-*.tar.gz).
    prefix = "%s-%s-" % (namespace, name)
    if os.path.isdir(output_dir):
        for old in os.listdir(output_dir):
            if old.startswith(prefix) and old.endswith(".tar.gz"):
                os.remove(os.path.join(output_dir, old))
    galaxy = shutil.which("ansible-galaxy") or os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", "--force", "--output-path", os.path.abspath(output_dir), coll],
                   check=True, stdout=subprocess.DEVNULL)
    tarball = os.path.join(output_dir, "%s-%s-%s.tar.gz" % (namespace, name, version))
    if not os.path.exists(tarball):
        raise BuildError("ansible-galaxy did not write %s" % tarball)
    return tarball


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--staging-only", action="store_true",
                        help="assemble the collection tree without building the tarball")
    args = parser.parse_args(argv)
    try:
        if args.staging_only:
            print(stage(os.path.join(args.output_dir, "collection"))[0])
        else:
            print(build(args.output_dir))
    except BuildError as exc:
        print("build_collection: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
