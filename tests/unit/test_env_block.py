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
