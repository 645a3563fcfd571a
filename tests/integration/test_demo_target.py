"""The demo target behind ``make run`` (playbooks/demo.sh), in a throwaway container.

podman keeps a record of every container, and the record can outlive the container's
processes: when conmon and the container's init are killed together (an OOM kill of
both, a login session whose processes are all reaped), podman still says "running",
every ``podman exec`` fails ("cannot exec in a stopped container"), and ``podman
stop``/``start`` refuse the container's state. ``make run`` then waited 60 s for a
server that could not answer and stopped with podman's error. It must make the demo
target again instead: nothing in it is lost that the next run does not recreate.

Skipped without podman or the image (``make images`` builds it).
"""
import os
import subprocess
import uuid

import pytest

from conftest import REPO, have_podman_image, podman, podman_env

IMAGE = "localhost/steadydb:bookworm"

pytestmark = [pytest.mark.skipif(not have_podman_image(IMAGE), reason="podman or %s is missing" % IMAGE)]


def demo_target(name, timeout=150):
    """``playbooks/demo.sh target`` for the container ``name`` (bounded)."""
    env = dict(podman_env(), STEADYDB_DEMO_CONTAINER=name)
    return subprocess.run([os.path.join(REPO, "playbooks", "demo.sh"), "target"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=timeout)


def answers(name):
    return podman("exec", name, "mariadb-admin", "--silent", "ping", check=False).returncode == 0


@pytest.fixture
def container_name():
    name = "sdb-itest-demo-%s" % uuid.uuid4().hex[:8]
    try:
        yield name
    finally:
        podman("rm", "-f", "-t", "5", name, check=False)


def test_a_container_whose_processes_are_gone_is_made_again(container_name):
    first = demo_target(container_name)
    assert first.returncode == 0, first.stdout + first.stderr
    assert answers(container_name)

    # The failure this prevents: kill conmon and init together; podman still says
    # "running", and nothing can be run in the container.
    state = podman("container", "inspect", "-f", "{{.State.ConmonPid}} {{.State.Pid}}",
                   container_name).stdout.split()
    for pid in state:
        os.kill(int(pid), 9)
    running = podman("container", "inspect", "-f", "{{.State.Running}}", container_name)
    assert running.stdout.strip() == "true"
    # Only the failure counts, as in demo.sh: its words depend on timing ("cannot exec in
    # a stopped container" once runc finds no process, "error executing setns process"
    # while the killed init is still being reaped; CI saw both).
    stale = podman("exec", container_name, "true", check=False)
    assert stale.returncode != 0, stale.stdout

    again = demo_target(container_name)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "recreating" in again.stdout
    assert answers(container_name)


def test_a_running_demo_target_is_reused(container_name):
    assert demo_target(container_name).returncode == 0
    before = podman("container", "inspect", "-f", "{{.Id}}", container_name).stdout
    again = demo_target(container_name)
    assert again.returncode == 0, again.stdout + again.stderr
    assert podman("container", "inspect", "-f", "{{.Id}}", container_name).stdout == before
    assert "creating" not in again.stdout
