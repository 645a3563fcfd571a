#!/usr/bin/env bash
# The embedded default target behind `make run` (and `make audit`).
#
# Creates, or reuses, a local podman container from localhost/steadydb:bookworm with
# systemd as PID 1 and MariaDB as a service: a one-box "droplet" running both the
# database and a Django app called shop. Creates the app's database account once
# (a random password kept in an Ansible Vault file under .cache/demo/, out of git),
# then runs playbooks/harden-db.yml (or audit-db.yml) against inventories/demo.
#
#   playbooks/demo.sh            harden the demo target
#   playbooks/demo.sh audit      audit it (exit 2 on critical findings)
#   playbooks/demo.sh baseline   a second, never-hardened container to audit against
#   playbooks/demo.sh target     only make sure the container runs and its server answers
#
# STEADYDB_DEMO_CONTAINER names the container (the tests use throwaway names).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-harden}
case "$mode" in
  harden|audit|target) name=${STEADYDB_DEMO_CONTAINER:-steadydb-demo} ;;
  baseline) name=${STEADYDB_DEMO_CONTAINER:-steadydb-demo-baseline} ;;
  *) echo "usage: playbooks/demo.sh [harden|audit|baseline|target]" >&2; exit 2 ;;
esac
image=localhost/steadydb:bookworm
state=.cache/demo
mkdir -p "$state"
# The README's 1 GB droplet: the kernel enforces 1 GiB (no swap) on everything in the
# container, whatever the machine's RAM; the plan reads that limit (mysql_facts host.
# mem_limit_bytes) and fits it. A container from before the limit is made again.
memory=1073741824

if podman container exists "$name" &&
   [ "$(podman container inspect -f '{{.HostConfig.Memory}}' "$name")" != "$memory" ]; then
  echo "demo: recreating container $name with a 1 GiB memory limit"
  podman rm -f "$name" >/dev/null
fi
# podman's record can outlive the container's processes: with conmon and init killed
# together it still says "running", every exec fails ("cannot exec in a stopped
# container") and stop/start refuse the state. Nothing in the demo is lost by making it
# again (demo-prepare.yml recreates the account from the vaulted secret).
if podman container exists "$name" &&
   [ "$(podman container inspect -f '{{.State.Running}}' "$name")" = true ] &&
   ! podman exec "$name" true >/dev/null 2>&1; then
  echo "demo: container $name is marked running but its processes are gone; recreating it"
  # The first removal times out waiting for the exit file conmon never wrote, and
  # leaves the record "stopped"; the second removes it.
  podman rm -f "$name" >/dev/null 2>&1 || podman rm -f "$name" >/dev/null
fi
if ! podman container exists "$name"; then
  echo "demo: creating container $name from $image"
  podman run -d --name "$name" --hostname "$name" --label steadydb.demo=1 \
    --systemd=always --network none --memory "$memory" --memory-swap "$memory" \
    --ulimit nofile=10000:10000 --ulimit nproc=4096:4096 \
    "$image" /sbin/init >/dev/null
elif [ "$(podman container inspect -f '{{.State.Running}}' "$name")" != true ]; then
  echo "demo: starting container $name"
  podman start "$name" >/dev/null
fi
# Wait (bounded) for systemd to finish booting and the server to answer. MariaDB
# ships mariadb-admin, Oracle MySQL only mysqladmin.
ping=(sh -c 'admin=$(command -v mariadb-admin || command -v mysqladmin) && "$admin" --silent ping')
for _ in $(seq 1 60); do
  if podman exec "$name" "${ping[@]}" >/dev/null 2>&1; then break; fi
  sleep 1
done
podman exec "$name" "${ping[@]}" >/dev/null
[ "$mode" = target ] && exit 0

# The app's secret lives in a Vault file; its vault password file stays out of git.
umask 077
if [ ! -s "$state/vault-pass" ]; then
  head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$state/vault-pass"
fi
if [ ! -s "$state/secrets.yml" ]; then
  password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')#\$ 'q\""
  printf 'vault_shop_db_password: %s\n' "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$password")" \
    > "$state/secrets.yml"
  ansible-vault encrypt --vault-password-file "$state/vault-pass" "$state/secrets.yml" >/dev/null
fi

vault_args=(--vault-password-file "$state/vault-pass" -e "@$state/secrets.yml")
inventory=(-i inventories/demo/hosts.yml -e "steadydb_demo_container=$name")

# The demo app's database and account (steadydb tunes accounts, it does not create them).
ansible-playbook "${inventory[@]}" "${vault_args[@]}" playbooks/demo-prepare.yml

case "$mode" in
  harden)
    ansible-playbook "${inventory[@]}" "${vault_args[@]}" playbooks/harden-db.yml
    echo
    echo "demo: rendered app files live in the container $name under /srv/shop:"
    podman exec "$name" sh -c 'ls -l /srv/shop/settings /srv/shop/shop.env 2>/dev/null' || true
    echo "demo: look at them with: podman exec $name cat /srv/shop/settings/steadydb_db.py"
    ;;
  audit|baseline)
    ansible-playbook "${inventory[@]}" "${vault_args[@]}" playbooks/audit-db.yml \
      -e "steadydb_audit_report=$PWD/$state/audit-$name.json"
    ;;
esac
