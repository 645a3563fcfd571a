"""The tree writer behind app_files (one call for the shipped package)."""
import pytest

from ansible.module_utils.steadydb.tree_files import changed_files, check_relative, directories_of


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x.py", "a/../../x", "a//b", "./a",
                                  "a\\b", "a\x00b", None])
def test_only_paths_inside_dest(path):
    with pytest.raises(ValueError):
        check_relative(path)


def test_directories_parents_first():
    assert directories_of(["a.py", "m/c/x.py", "m/y.py", "b/z.py"]) == ["b", "m", "m/c"]
    assert check_relative("m/c/x.py") == ["m", "c", "x.py"]


def test_only_files_whose_content_differs(tmp_path):
    (tmp_path / "same.py").write_text("x = 1\n")
    (tmp_path / "old.py").write_text("x = 1\n")
    files = {"same.py": "x = 1\n", "old.py": "x = 2\n", "new/n.py": "pass\n"}
    assert changed_files(str(tmp_path), files) == ["new/n.py", "old.py"]
