#!/usr/bin/env python3
"""Generate README.md's role-variable tables from each role's meta/argument_specs.yml.

    python tools/readme_variables.py          # rewrite the block in README.md
    python tools/readme_variables.py --check  # exit 1 when README.md is out of date

The block sits between the markers below; tests/unit/test_readme_variables.py runs
--check so the README can never drift from the argument specs.
"""
import os
import sys

import yaml

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- BEGIN generated role variables (tools/readme_variables.py) -->"
END = "<!-- END generated role variables -->"
ROLE_ORDER = ["steadydb_plan", "mysql_tuning", "mysql_systemd", "django_db_settings"]


def _first_sentence(description):
    if isinstance(description, list):
        description = " ".join(description)
    text = " ".join(str(description or "").split())
    cut = text.find(". ")
    return (text if cut < 0 else text[:cut + 1]).replace("|", "\\|")


def _default(spec):
    if "default" not in spec:
        return "required" if spec.get("required") else ""
    value = spec["default"]
    if isinstance(value, (dict, list)) and len(value) > 3:
        return "see defaults"
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    if text.endswith("\n..."):
        text = text[:-4]
    text = text.replace("\n...", "").replace("|", "\\|")
    return "`%s`" % text if len(text) <= 40 else "see defaults"


def render():
    roles = sorted(os.listdir(os.path.join(TOP, "roles")),
                   key=lambda r: (ROLE_ORDER.index(r) if r in ROLE_ORDER else len(ROLE_ORDER), r))
    out = [BEGIN]
    for role in roles:
        path = os.path.join(TOP, "roles", role, "meta", "argument_specs.yml")
        if not os.path.exists(path):
            continue
        with open(path) as handle:
            specs = yaml.safe_load(handle)["argument_specs"]
        main = specs["main"]
        out += ["", "#### `%s`" % role, "", _first_sentence(main.get("short_description", "")), "",
                "| variable | default | what it is |", "| --- | --- | --- |"]
        for name, spec in main.get("options", {}).items():
            out.append("| `%s` | %s | %s |" % (name, _default(spec), _first_sentence(spec.get("description"))))
    out += ["", END]
    return "\n".join(out)


def main():
    readme = os.path.join(TOP, "README.md")
    with open(readme) as handle:
        text = handle.read()
    if BEGIN not in text or END not in text:
        sys.exit("README.md has no generated-variables markers")
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    updated = text[:start] + render() + text[stop:]
    if "--check" in sys.argv:
        if updated != text:
            sys.exit("README.md role variables are out of date: run python tools/readme_variables.py")
        return
    with open(readme, "w") as handle:
        handle.write(updated)


if __name__ == "__main__":
    main()
