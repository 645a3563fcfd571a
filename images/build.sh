#!/usr/bin/env bash
# Build (or reuse) a local Debian image with systemd as PID 1 and MariaDB or Oracle
# MySQL as a systemd service, for Molecule, the demo target and the benchmark.
#
#   images/build.sh SUITE      # bookworm (MariaDB 10.11), trixie (11.8), bullseye (10.5)
#   images/build.sh mysql      # Debian unstable with Oracle MySQL (9.7 LTS today)
#
# The mysql image moves with Debian unstable: it is built once, labelled with the
# MySQL and systemd versions it got, and rebuilt only when its recipe changes (or
# after `podman rmi localhost/steadydb:mysql`). Its systemd (>= 258) needs the
# container started with a private cgroup namespace and CAP_SYS_ADMIN; the image's
# /sbin/init (images/mysql/init) explains why.
#
# No registry is involved: debootstrap builds a root file system from the Debian
# mirror this machine already uses, and `podman import` turns it into
# localhost/steadydb:SUITE. The image carries a label with a hash of its recipe
# (this script, the package list, the Python requirements); a second run with the
# same recipe reuses the image instead of building again.
set -euo pipefail

suite=${1:?usage: images/build.sh SUITE}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
image="localhost/steadydb:${suite}"

# Packages baked into every image. PyMySQL comes from Debian, as a user would
# install it on a DB host; Django and gunicorn (app-side tests only) come from
# images/app-requirements.txt, installed with the host's pip into /opt/steadydb.
base_packages=systemd,systemd-sysv,dbus,python3,python3-pymysql,procps,iproute2,ca-certificates,less
case "$suite" in
  bullseye|bookworm|trixie)
    dist=$suite server_packages=mariadb-server,mariadb-client ;;
  mysql)
    dist=sid server_packages=mysql-server,mysql-client,mount,util-linux ;;
  *) echo "images/build.sh: unsupported suite '$suite' (bullseye, bookworm, trixie, mysql)" >&2; exit 2 ;;
esac
packages=$base_packages,$server_packages

recipe_hash=$(cat "$0" "$here/app-requirements.txt" "$here/mysql/init" <(echo "$suite $dist $packages") \
  | sha256sum | cut -c1-16)

if podman image exists "$image"; then
  have=$(podman image inspect "$image" --format '{{ index .Labels "steadydb.recipe" }}' 2>/dev/null || true)
  if [ "$have" = "$recipe_hash" ]; then
    echo "images/build.sh: $image is up to date (recipe $recipe_hash)"
    exit 0
  fi
fi

# The mirror is the machine's own: first Debian archive URI in the apt sources.
mirror=$(grep -hoE '^(URIs:|deb)[[:space:]]+[^[:space:]]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | awk '{print $2}' | grep -v -- '-security' | grep -m1 '/debian/\?$' || true)
if [ -z "$mirror" ]; then
  echo "images/build.sh: no Debian mirror found in the apt sources of this machine" >&2
  exit 1
fi

cache="$top/.cache/debootstrap/$dist"
work=$(mktemp -d "${TMPDIR:-/tmp}/steadydb-rootfs-$suite.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"
echo "images/build.sh: bootstrapping $dist ($suite) from the local apt mirror into $work"
if ! debootstrap --variant=minbase --include="$packages" --cache-dir="$cache" "$dist" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 40 "$work/debootstrap.log" >&2
  if [ "$dist" = sid ]; then
    echo "images/build.sh: bootstrapping Debian unstable failed (it changes daily; the log's tail is above)." >&2
    echo "images/build.sh: the MariaDB images are not affected; retry later, or run without the mysql platform." >&2
  fi
  exit 1
fi

root="$work/root"
# App-side Python packages (Django 5.2 LTS, gunicorn) for the Django proof and the
# benchmark; Debian's own python3 finds them through a .pth file.
pip_target="$root/opt/steadydb/pylib"
mkdir -p "$pip_target"
"${PYTHON:-$top/.venv/bin/python}" -m pip install --quiet --no-compile --disable-pip-version-check \
  --target "$pip_target" -r "$here/app-requirements.txt"
echo /opt/steadydb/pylib > "$root/usr/lib/python3/dist-packages/steadydb-pylib.pth"

# A container, not a machine: no consoles, no udev, no time sync; keep the
# journal small and persistent enough to read after a crash.
for unit in getty@tty1.service console-getty.service systemd-udevd.service \
            systemd-udev-trigger.service systemd-timesyncd.service apt-daily.timer \
            apt-daily-upgrade.timer e2scrub_reap.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
: > "$root/etc/machine-id"
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' > "$root/etc/systemd/journald.conf.d/steadydb.conf"
# debootstrap's policy-rc.d (if any) would stop services from starting.
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

labels=()
if [ "$suite" = mysql ]; then
  # The real init moves aside (dpkg knows, so an upgrade keeps the wrapper).
  init_path=$(chroot "$root" dpkg-query -L systemd-sysv | grep -m1 -E '/s?bin/init$')
  chroot "$root" dpkg-divert --quiet --local --rename --divert "$init_path.systemd" --add "$init_path"
  install -m 0755 "$here/mysql/init" "$root$init_path"
  labels+=(--change "LABEL steadydb.mysql_version=$(chroot "$root" dpkg-query -W -f='${Version}' mysql-server)")
  labels+=(--change "LABEL steadydb.systemd_version=$(chroot "$root" dpkg-query -W -f='${Version}' systemd)")
fi

echo "images/build.sh: importing $image"
tar -C "$root" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=podman' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change "LABEL steadydb.recipe=$recipe_hash" \
  --change "LABEL steadydb.suite=$suite" \
  "${labels[@]}" \
  - "$image" >/dev/null
echo "images/build.sh: built $image (recipe $recipe_hash)"
