# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The podman connection of containers.podman, with pipelining: one ``podman exec`` per task.

containers.podman's connection runs every module as a file: ``podman mount``, then a
``podman exec`` each to expand ``~``, make the temporary directory, chmod the copied
module, run it and remove the directory. Each ``podman exec`` starts runc and takes
0.15-0.2 s here, so on a small machine a task's time is mostly podman's. Its ``exec``
never passes the module on stdin (no ``-i``), hence ``has_pipelining = False`` there.

This plugin passes ``-i`` when Ansible pipes the module, so a task is one ``podman
exec``, what SSH with ``pipelining = true`` (this repository's ``ansible.cfg``) does for
a real host, and it mounts nothing: without a mount point, copying a file falls back to
``podman cp``. The demo target and the benchmark reach their containers with it; Molecule
keeps containers.podman's connection, which its podman driver sets for every instance.
"""

from __future__ import annotations

DOCUMENTATION = """
name: podman_pipelined
short_description: Run tasks in a podman container, one C(podman exec) per task
description:
  - The C(containers.podman.podman) connection with pipelining. A module is piped to
    C(podman exec -i) instead of being copied into the container first, as SSH does with
    pipelining; nothing is mounted (files are copied with C(podman cp)).
  - Needs the C(containers.podman) collection.
author: steadydb contributors (@steadydb)
extends_documentation_fragment:
  - connection_pipelining
options:
  remote_addr:
    description:
      - The name or ID of the container.
    default: inventory_hostname
    vars:
      - name: ansible_host
      - name: inventory_hostname
      - name: ansible_podman_host
  remote_user:
    description:
      - The user (name or UID) that runs commands inside the container.
    ini:
      - section: defaults
        key: remote_user
    env:
      - name: ANSIBLE_REMOTE_USER
    vars:
      - name: ansible_user
  podman_extra_args:
    description:
      - Extra arguments for the podman command line.
    default: ''
    ini:
      - section: defaults
        key: podman_extra_args
    vars:
      - name: ansible_podman_extra_args
    env:
      - name: ANSIBLE_PODMAN_EXTRA_ARGS
  podman_executable:
    description:
      - The podman executable.
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
"""

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import (
    Connection as PodmanConnection,
)


class Connection(PodmanConnection):
    """containers.podman's connection, with ``podman exec -i`` for piped modules."""

    transport = "podman_pipelined"
    has_pipelining = True

    def _connect(self):
        # No ``podman mount``: a piped module needs no file in the container, and
        # put_file/fetch_file use ``podman cp`` when there is no mount point.
        ConnectionBase._connect(self)
        self._connected = True

    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=False):
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        args = ["exec"]
        if in_data is not None:
            args.append("-i")
        if self.user:
            args.extend(("--user", self.user))
        return self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")),
                            in_data)
