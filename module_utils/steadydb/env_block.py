# -*- coding: utf-8 -*-
# Copyright: steadydb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The managed block of a deploy's env file: found, merged, and shown with its secrets masked.

steadydb owns one block per app in an env file the deploy also writes to::

    SECRET_KEY='...'                                  <- the deploy's lines, kept verbatim
    # BEGIN steadydb django_db_settings app=shop
    DB_HOST='db1'                                     <- steadydb's lines, replaced whole
    # END steadydb django_db_settings app=shop

The rules live here once. The write call (``app_files``, ``tree_files.plan_trees``) merges
the new block into the file on the host, in the same round trip that writes it, and makes
its masked diff; the controller-side filters (``steadydb_env_split``, the audit's
``steadydb_env_settings``) load this file by path. Standard library only, for that reason.
"""
import difflib
import re

# A line that sets a variable (``KEY=...``, ``export KEY=...``), leniently: spaces around
# the name are allowed, because sh-like readers that accept them would read the key too.
ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
MASK = "********"


def lines_of(text):
    """The lines of ``text``, split at ``\n`` only and kept as they are (a ``\r`` or a
    form feed stays in its line): the deploy's lines are written back byte for byte."""
    lines = (text or "").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def split(text, managed_keys, begin_marker, end_marker):
    """Split an existing env file around the managed block.

    Returns a dict: ``before`` and ``after`` (lists of the deploy's own lines, kept
    verbatim), ``inside`` (the block's lines, markers excluded), ``had_block``, ``conflicts`` (list
    of "KEY (line N)" for lines outside the block that set a key the block manages) and
    ``problem`` (a sentence, or "").
    """
    lines = lines_of(text)
    parts = {"before": [], "inside": [], "after": []}
    state = "before"
    problem = ""
    for line in lines:
        stripped = line.strip()
        if stripped == begin_marker:
            if state != "before":
                problem = "the env file has more than one steadydb block start line"
                break
            state = "inside"
            continue
        if stripped == end_marker:
            if state != "inside":
                problem = "the env file has a steadydb block end line without a start line"
                break
            state = "after"
            continue
        parts[state].append(line)
    if not problem and state == "inside":
        problem = "the env file has a steadydb block start line but no end line"
    # Lines outside the block that set a key the block manages: both would be read,
    # and the consumers disagree on which wins (shell and systemd: the last one,
    # django-environ: the first one). Refuse instead of guessing.
    managed = set(managed_keys)
    conflicts = []
    state = "before"
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == begin_marker:
            state = "inside"
            continue
        if stripped == end_marker:
            state = "after"
            continue
        if state == "inside":
            continue
        # A reader that splits lines like str.splitlines (django-environ) also reads a
        # key that stands behind a form feed or another such line break.
        for piece in line.splitlines():
            match = ASSIGN.match(piece)
            if match and match.group(1) in managed:
                conflicts.append("%s (line %d)" % (match.group(1), number))
    return {
        "before": parts["before"],
        "after": parts["after"],
        "inside": parts["inside"],
        "had_block": begin_marker in (line.strip() for line in lines),
        "conflicts": conflicts,
        "problem": problem,
    }


def refusal(parts):
    """Why the block cannot be merged into the file ``split`` read ("" when it can)."""
    if parts["problem"]:
        return parts["problem"]
    if parts["conflicts"]:
        return ("sets keys that steadydb manages outside its block: %s. Remove those lines "
                "(the block will carry the values) and run again" % ", ".join(parts["conflicts"]))
    return ""


def merged(parts, block):
    """The whole env file: the deploy's lines before the block, the block (with its
    markers), the lines after."""
    return "\n".join(parts["before"] + block.rstrip("\n").split("\n") + parts["after"]) + "\n"


def masked_line(line, shown_keys):
    """``line`` with its value hidden unless its key is one of ``shown_keys``."""
    match = ASSIGN.match(line)
    if not match:
        # A comment, a blank line or a marker; anything else (a continuation line of a
        # multi-line value, say) may be part of a secret.
        stripped = line.strip()
        return line if not stripped or stripped.startswith("#") else MASK
    if match.group(1) in shown_keys:
        return line
    return line[:match.end()] + MASK


def masked_diff(old_text, new_text, shown_keys, path="env file"):
    """A unified diff of an env file with every value hidden but those of ``shown_keys``.

    The diff is made from the real texts, then masked, so a changed secret still shows
    as a changed line: ``-DB_PASSWORD=********`` / ``+DB_PASSWORD=********``. Returns
    the diff as one text ("" when nothing changes).
    """
    shown = set(shown_keys)
    out = []
    for line in difflib.unified_diff(lines_of(old_text), lines_of(new_text),
                                     "%s (before)" % path, "%s (after)" % path, n=1, lineterm=""):
        if line.startswith(("---", "+++", "@@")):
            out.append(line)
        else:
            out.append(line[0] + masked_line(line[1:], shown))
    return "\n".join(out)
