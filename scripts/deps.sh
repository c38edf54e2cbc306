#!/usr/bin/env bash
# deps.sh — install what berth needs on a Debian 12 machine (run as root).
#
#   * Debian packages (installed only when missing; `apt-get update` runs
#     only if something has to be installed): busybox-static, iptables, tmux,
#     libseccomp-dev, pkg-config, gcc, libc6-dev, and the container managers
#     the integration tests start privately: docker.io, containerd, podman,
#     and openssh-server (a loopback sshd for migrate's tests).
#     Installing those must not start their daemons: while installing, a
#     policy-rc.d that answers 101 ("not allowed") keeps invoke-rc.d from
#     starting them; it is removed afterwards, and only when this script put
#     it there (nothing on a machine without an init system starts them)
#   * runc built with seccomp support into /usr/local/bin, at the version
#     berth reads the state of (DEFAULT_RUNC_VERSION below; RUNC_VERSION
#     overrides it); skipped when /usr/local/bin/runc already reports that
#     version and was built with libseccomp
#   * CRIU 4.x via scripts/install-criu.sh
#
# Idempotent: a second run changes nothing and takes about a second.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEFAULT_RUNC_VERSION=v1.5.3
RUNC_BIN=/usr/local/bin/runc
APT_PKGS=(busybox-static iptables tmux libseccomp-dev pkg-config gcc libc6-dev docker.io containerd podman openssh-server)
POLICY_RC=/usr/sbin/policy-rc.d

log() { printf '[deps] %s\n' "$*"; }
die() {
	printf '[deps] ERROR: %s\n' "$*" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
	die "dpkg-query/apt-get not found: this script needs Debian"

# ------------------------------------------------------------ apt packages
missing=()
for pkg in "${APT_PKGS[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
	[[ $status == ii* ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
	log "installing missing packages: ${missing[*]}"
	apt-get update -q || die "apt-get update failed"
	made_policy=""
	if [[ ! -e $POLICY_RC ]]; then
		# docker.io and containerd start their services when installed
		# on a machine with an init system; the tests start their own.
		printf '#!/bin/sh\n# deps.sh: no service starts while it installs packages\nexit 101\n' >"$POLICY_RC"
		chmod 755 "$POLICY_RC"
		made_policy=1
		trap 'rm -f "$POLICY_RC"' EXIT
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed"
	if [[ -n $made_policy ]]; then
		rm -f "$POLICY_RC"
		trap - EXIT
	fi
else
	log "apt packages present: ${APT_PKGS[*]}"
fi

# ------------------------------------------------------------------- runc
# The version berth's runc state reader (host/runcstate) and the shim's
# in-process destroy were written against; RUNC_VERSION overrides it.
RUNC_VERSION=${RUNC_VERSION:-$DEFAULT_RUNC_VERSION}
[[ $RUNC_VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]] || die "unexpected runc version '$RUNC_VERSION'"

runc_current() { # "1.5.3" when $RUNC_BIN has libseccomp compiled in, else ""
	local out
	out=$("$RUNC_BIN" --version 2>/dev/null) || return 0
	grep -q '^libseccomp:' <<<"$out" || return 0
	awk '/^runc version/ {print $3; exit}' <<<"$out"
}

if [[ -x $RUNC_BIN && $(runc_current) == "${RUNC_VERSION#v}" ]]; then
	log "runc ${RUNC_VERSION#v} with libseccomp already at $RUNC_BIN"
else
	command -v go >/dev/null 2>&1 || die "go not found on PATH; it is needed to build runc"
	log "building runc $RUNC_VERSION with seccomp into $(dirname "$RUNC_BIN") (go install)"
	(cd / && GOBIN=$(dirname "$RUNC_BIN") CGO_ENABLED=1 GOFLAGS= \
		go install -tags seccomp "github.com/opencontainers/runc@$RUNC_VERSION") ||
		die "go install github.com/opencontainers/runc@$RUNC_VERSION failed"
	got=$(runc_current)
	[[ $got == "${RUNC_VERSION#v}" ]] ||
		die "built $RUNC_BIN reports '${got:-no version or no libseccomp}', expected ${RUNC_VERSION#v} with libseccomp"
fi

hash -r
resolved=$(command -v runc || true)
[[ $resolved == "$RUNC_BIN" ]] ||
	die "'runc' on PATH resolves to '${resolved:-nothing}', not $RUNC_BIN: put $(dirname "$RUNC_BIN") before /usr/sbin in PATH"

# ------------------------------------------------------------------- CRIU
bash "$SCRIPT_DIR/install-criu.sh" || die "scripts/install-criu.sh failed"

# ---------------------------------------------------------------- summary
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox not found on PATH after installing busybox-static"
log "summary:"
log "  runc:    $(command -v runc) $(runc --version | awk '/^runc version/ {print $3}') ($(runc --version | awk -F': ' '/^libseccomp:/ {print "libseccomp " $2}'))"
log "  criu:    $(command -v criu) $(criu --version | awk '/^Version:/ {print $2}')"
log "  busybox: $busybox"
