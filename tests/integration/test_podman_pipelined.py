"""connection_plugins/podman_pipelined.py against a real container.

containers.podman's connection runs a module in six podman commands (mount, then an
exec each for ``echo ~``, mkdir, chmod, the run and rm); each exec starts runc, and on
the 2-CPU machines this project runs on a task cost 1.3-2.5 s whatever it did. The plugin pipes the module
to ``podman exec -i``: one podman command per task, as SSH with pipelining does. These
tests show the count, and that everything else a task needs still works over it: file
copies and fetches (``podman cp``), commands without stdin, failures, another user.

Skipped without podman or the image (``make images`` builds it).
"""
import json
import os
import re
import subprocess
import sys
import uuid

import pytest

from conftest import REPO, have_podman_image, podman, podman_env

IMAGE = "localhost/steadydb:bookworm"

pytestmark = [pytest.mark.skipif(not have_podman_image(IMAGE), reason="podman or %s is missing" % IMAGE)]


@pytest.fixture(scope="module")
def container():
    """A plain container of the project's image (no systemd: only a shell and python3)."""
    name = "sdb-itest-pipe-%s" % uuid.uuid4().hex[:8]
    podman("run", "-d", "--name", name, "--network", "none", IMAGE, "sleep", "600")
    try:
        yield name
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def ansible(container, module, args="", connection="podman_pipelined", extra=(), timeout=120):
    """One ad-hoc task in ``container`` with -vvv: ``(result, podman_commands, output)``:
    the module's JSON result (None for command modules, which the minimal callback
    prints as text), the podman subcommands the connection ran, and the whole output."""
    exe = os.path.join(os.path.dirname(sys.executable), "ansible")
    cmd = [exe, "all", "-i", container + ",", "-e", "ansible_connection=" + connection,
           "-e", "ansible_python_interpreter=/usr/bin/python3", "-m", module, "-vvv"]
    if args:
        cmd += ["-a", args]
    cmd += list(extra)
    env = dict(podman_env(), ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    commands = re.findall(r"> RUN \[b'[^']*podman', b'([^']+)'", out)
    match = re.search(r"\| (?:SUCCESS|CHANGED|FAILED!) => (\{.*?\n\})", out, re.S)
    result = json.loads(match.group(1)) if match else None
    return result, commands, out


def test_a_module_is_one_podman_exec(container):
    result, commands, out = ansible(container, "ansible.builtin.ping")
    assert result["ping"] == "pong" and result["changed"] is False, out
    assert commands == ["exec"], out
    assert "b'exec', b'-i'" in out
    assert "PUT " not in out

    # What the plugin saves: the same task over containers.podman's connection.
    result, commands, out = ansible(container, "ansible.builtin.ping",
                                    connection="containers.podman.podman")
    assert result["ping"] == "pong", out
    assert commands[0] == "mount" and commands.count("exec") >= 4, commands


def test_files_are_copied_in_and_fetched_out(container, tmp_path):
    content = "a line\n" + "x" * 200000 + "\n'quotes' \"and\" $dollars\n"
    source = tmp_path / "source.txt"
    source.write_text(content)
    result, commands, out = ansible(container, "ansible.builtin.copy",
                                    "src=%s dest=/tmp/copied.txt mode=0640" % source)
    assert result and result["changed"] is True, out
    assert "cp" in commands  # no mount point: the file goes through `podman cp`
    assert podman("exec", container, "cat", "/tmp/copied.txt").stdout == content
    assert podman("exec", container, "stat", "-c", "%a", "/tmp/copied.txt").stdout.strip() == "640"

    result, _, out = ansible(container, "ansible.builtin.fetch",
                             "src=/tmp/copied.txt dest=%s/ flat=true" % tmp_path)
    assert result and result["changed"] is True, out
    assert (tmp_path / "copied.txt").read_text() == content


def test_a_command_without_stdin_and_a_failure(container):
    _, commands, out = ansible(container, "ansible.builtin.raw", "echo raw-ok")
    assert "raw-ok" in out and commands == ["exec"], out
    assert "b'-i'" not in out  # nothing to pipe: no stdin attached

    _, _, out = ansible(container, "ansible.builtin.command", "false")
    assert re.search(r"\| FAILED \| rc=1 >>", out), out


def test_another_user_runs_the_module(container):
    _, commands, out = ansible(container, "ansible.builtin.command", "id -un",
                                    extra=["-e", "ansible_user=nobody",
                                           "-e", "ansible_remote_tmp=/tmp/.ansible-nobody"])
    assert re.search(r"\| CHANGED \| rc=0 >>\nnobody\n", out), out
    assert commands == ["exec"] and "b'--user', b'nobody'" in out, out
