# steadydb: one entry point for people and CI.
#
#   make run    harden the embedded demo target (a local podman container with
#               systemd + MariaDB) with playbooks/harden-db.yml
#   make test   everything: lint, unit, integration (real MariaDB), Molecule
#
# Both install what they need on a fresh Debian 12 machine (as root, or with sudo).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUITES ?= bookworm trixie mysql
SCENARIOS ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := podman runc debootstrap uidmap python3-venv python3-pip git make ca-certificates
# Only the tests need a server on this machine (throwaway mariadbd processes); `make run`
# hardens the container, so it never installs one here.
TEST_APT_PACKAGES := mariadb-server mariadb-client

# podman reads the project's own settings (runc, explicit rlimits), never /etc.
export CONTAINERS_CONF := $(CURDIR)/.config/containers.conf
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help deps apt test-apt install-packages venv images test lint unit integration hostile molecule run audit bench clean collection

# Every target with a "## " comment is listed by `make help` (the comment is the help text).
help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 20

deps: apt venv  ## Debian packages and the venv (what every other target needs)

# System packages, installed only when one is missing.
apt:  ## install the Debian packages that are missing
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES)"

test-apt:  ## install the Debian packages the tests also need (a local mariadbd)
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(APT_PACKAGES) $(TEST_APT_PACKAGES)"

install-packages:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The virtual environment is rebuilt when a requirements file changes.
venv: $(VENV)/.installed  ## the Python virtual environment in .venv/
$(VENV)/.installed: requirements/runtime.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

images: deps  ## build (or reuse) the container images for Molecule and the demo
	@for suite in $(SUITES); do PYTHON=$(BIN)/python images/build.sh $$suite; done

lint: deps  ## ansible-lint production, ansible-doc, playbook syntax
	tests/lint.sh

unit: deps test-apt  ## unit tests of the pure logic
	$(BIN)/pytest tests/unit

integration: deps test-apt  ## integration tests against real throwaway mariadbd servers
	$(BIN)/pytest tests/integration

# Only the hostile cases (also part of `integration`).
hostile: deps test-apt  ## only the hostile cases (part of integration)
	$(BIN)/pytest tests/integration -m hostile

molecule: images  ## every Molecule scenario (SCENARIOS=name for one)
	tests/molecule.sh $(SCENARIOS)

test: deps images lint unit integration molecule  ## everything: lint, unit, integration, Molecule
	@echo "make test: all stages passed"

# The demo target needs only the bookworm image.
run: deps  ## harden the embedded demo target with playbooks/harden-db.yml
	PYTHON=$(BIN)/python images/build.sh bookworm
	playbooks/demo.sh

audit: deps  ## read-only audit of the demo target
	PYTHON=$(BIN)/python images/build.sh bookworm
	playbooks/demo.sh audit

bench: images  ## resilience and speed benchmark (prints tables)
	$(BIN)/python bench/resilience.py

# The Ansible collection (namespace.name and version from galaxy.yml), built from this
# repository's layout; tests/integration/test_collection.py installs and runs it.
collection: deps  ## build the steadydb.mysql collection tarball into build/
	$(BIN)/python tools/build_collection.py --output-dir build

# Remove the demo containers, the venv and the caches (images stay; `podman rmi` them).
clean:  ## remove the demo containers, the venv, the caches and build/
	-podman ps -aq --filter label=steadydb.demo | xargs -r podman rm -f
	rm -rf $(VENV) .cache build
