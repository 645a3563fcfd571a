"""module_utils/steadydb/env_block.py: the managed block of an env file, found, merged
and diffed with its secrets masked (the rules app_files applies on the host and the
django_db_settings and audit filters read)."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible.module_utils.steadydb import env_block

BEGIN, END = "# BEGIN x", "# END x"


def test_split_conflicts_and_markers():
    got = env_block.split("A=1\n# BEGIN x\nDB_HOST=h\n# END x\nDB_HOST=y\n", ["DB_HOST"], BEGIN, END)
    assert got["before"] == ["A=1"] and got["after"] == ["DB_HOST=y"] and got["inside"] == ["DB_HOST=h"]
    assert got["had_block"] and got["conflicts"] == ["DB_HOST (line 5)"] and got["problem"] == ""
    assert env_block.refusal(got) == ("sets keys that steadydb manages outside its block: DB_HOST (line 5). "
                                      "Remove those lines (the block will carry the values) and run again")


@pytest.mark.parametrize("text, problem", [
    ("# END x\n", "the env file has a steadydb block end line without a start line"),
    ("# BEGIN x\n# END x\n# BEGIN x\n# END x\n", "the env file has more than one steadydb block start line"),
    ("  # BEGIN x  \nA=1\n", "the env file has a steadydb block start line but no end line"),
    ("# BEGIN x\n# END x\n# END x\n", "the env file has a steadydb block end line without a start line"),
])
def test_broken_markers_refused(text, problem):
    parts = env_block.split(text, [], BEGIN, END)
    assert parts["problem"] == problem and env_block.refusal(parts) == problem


@pytest.mark.parametrize("line", ["DB_HOST=x", "export DB_HOST=x", "  DB_HOST = x", "export   DB_HOST='x'"])
def test_every_spelling_a_reader_accepts_is_a_conflict(line):
    assert env_block.split(line + "\n", ["DB_HOST"], BEGIN, END)["conflicts"] == ["DB_HOST (line 1)"]


def test_merged_keeps_the_deploys_lines_around_the_block():
    parts = env_block.split("A=1\n# BEGIN x\nold\n# END x\nB=2\n", [], BEGIN, END)
    assert env_block.merged(parts, "# BEGIN x\nnew\n# END x\n") == "A=1\n# BEGIN x\nnew\n# END x\nB=2\n"
    assert env_block.merged(env_block.split("", [], BEGIN, END), "# BEGIN x\n# END x") == "# BEGIN x\n# END x\n"


@pytest.mark.parametrize("line", [
    "SECRET_KEY='a\x0cb'", "NOTE='x\u2028y'", "NOTE='x\x85y'", "K='a\x1cb\x1dc\x1ed'",
    "K='a\x0bb'", "WIN=1\r", "K='a\rb'",
])
def test_the_deploys_lines_are_kept_byte_for_byte(line):
    # str.splitlines broke the deploy's line at \f, \u2028, \x85, ... and the merge
    # wrote it back as two lines (its value cut in two, the second half a line of its
    # own that sh refuses), and a CRLF file lost its carriage returns.
    text = "A=1\n%s\n# BEGIN x\nold\n# END x\n%s\nB=2\n" % (line, line)
    parts = env_block.split(text, ["DB_HOST"], BEGIN, END)
    assert parts["problem"] == "" and parts["conflicts"] == []
    merged = env_block.merged(parts, "# BEGIN x\nDB_HOST=h\n# END x\n")
    assert merged == "A=1\n%s\n# BEGIN x\nDB_HOST=h\n# END x\n%s\nB=2\n" % (line, line)


def test_crlf_markers_are_found_and_a_key_behind_a_line_break_is_a_conflict():
    # A reader that splits lines like str.splitlines (django-environ) reads DB_HOST here.
    text = "# BEGIN x\r\nold\r\n# END x\r\nA=1\x0cDB_HOST=y\n"
    parts = env_block.split(text, ["DB_HOST"], BEGIN, END)
    assert parts["had_block"] and parts["problem"] == "" and parts["inside"] == ["old\r"]
    assert parts["conflicts"] == ["DB_HOST (line 4)"]


_LINE = st.text(alphabet="AB=#x \t'", max_size=12)


@given(st.lists(_LINE, max_size=6), st.lists(_LINE, max_size=6))
def test_merge_is_idempotent_and_keeps_every_line_outside(before, after):
    # Lines of the deploy that are not markers survive the merge verbatim (blank ones
    # too: a lone blank line used to be dropped), and merging again changes nothing.
    before = [line for line in before if line.strip() not in (BEGIN, END)]
    after = [line for line in after if line.strip() not in (BEGIN, END)]
    block = "# BEGIN x\nDB=1\n# END x\n"
    text = "\n".join(before + ["# BEGIN x", "old", "# END x"] + after) + "\n"
    once = env_block.merged(env_block.split(text, [], BEGIN, END), block)
    assert env_block.merged(env_block.split(once, [], BEGIN, END), block) == once
    assert once.splitlines() == before + block.splitlines() + after


def test_masked_line():
    assert env_block.masked_line("DB_HOST='h'", {"DB_HOST"}) == "DB_HOST='h'"
    assert env_block.masked_line("export DB_PASSWORD='p'", {"DB_HOST"}) == "export DB_PASSWORD=" + env_block.MASK
    assert env_block.masked_line("# a comment", ()) == "# a comment"
    assert env_block.masked_line("a continuation of a secret", ()) == env_block.MASK


def test_masked_diff_shows_a_changed_secret_as_a_changed_line():
    diff = env_block.masked_diff("P='a'\nH='1'\n", "P='b'\nH='1'\n", ["H"], "f")
    assert diff.split("\n") == ["--- f (before)", "+++ f (after)", "@@ -1,2 +1,2 @@",
                                "-P=********", "+P=********", " H='1'"]
    assert env_block.masked_diff("same\n", "same\n", []) == ""


def test_masked_diff_masks_a_whole_line_of_the_deploy():
    # Split at the form feed, the part after it looked like a line of a shown key and
    # showed the rest of the secret.
    diff = env_block.masked_diff("S='ab\x0cH=cd'\n", "S='ab\x0cH=cd'\nH='1'\n", ["H"], "f")
    assert "cd" not in diff and "+H='1'" in diff
