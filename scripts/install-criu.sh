#!/usr/bin/env bash
# install-criu.sh — make a CRIU 4.x that passes `criu check` available as `criu`.
#
# Debian 12's own criu (3.17) fails `criu check` on recent kernels
# ("Unexpected rt vDSO area bounds"). Debian 13 (trixie) ships CRIU 4.x, but
# installing trixie's criu package normally would drag in trixie's libc6 and
# other system libraries. Instead this script:
#
#   1. uses a *private, temporary* apt configuration (its own sources list,
#      lists, cache and an empty dpkg status) that knows only trixie, so the
#      system's apt sources, state and `apt-get upgrade` are never affected;
#   2. resolves criu's full run-time dependency closure (libc6 included) in
#      trixie and downloads those .debs with `apt-get download`;
#   3. unpacks them with `dpkg-deb -x` into a private prefix
#      (default /opt/berth-criu; nothing is unpacked into / and dpkg's
#      database is never touched);
#   4. installs a wrapper (default /usr/local/bin/criu, ahead of /usr/sbin on
#      PATH, which is where runc looks for `criu`) that runs the trixie binary
#      through trixie's own dynamic loader with --library-path pointing into
#      the prefix. Programs CRIU itself starts (ip, iptables-restore, sh) are
#      ordinary system binaries using the system's libc;
#   5. smoke-tests a real `criu dump` of a throwaway process.
#
# The wrapper sets CRIU_FAULT=130 (CRIU's FI_NO_BREAKPOINTS switch) unless
# CRIU_FAULT is already set or BERTH_CRIU_BREAKPOINTS=1: inside some VMs (the
# Firecracker-style guests berth is developed on) x86 hardware breakpoints
# never fire, and CRIU then hangs forever in "Waiting for <pid> to trap" at
# the end of every dump and restore. Without breakpoints CRIU steps the task
# to its final sigreturn with PTRACE_SYSCALL instead; that works everywhere.
#
# Idempotent: if `criu --version` already reports 4.x, `criu check` passes
# (and, when `criu` is this script's wrapper, the wrapper is current), it
# exits 0 at once. An intact prefix only gets its wrapper rewritten.
# `--force` downloads and reinstalls anyway.
#
# Environment overrides:
#   BERTH_CRIU_PREFIX   install prefix            (default /opt/berth-criu)
#   BERTH_CRIU_WRAPPER  wrapper path              (default /usr/local/bin/criu)
#   BERTH_CRIU_SUITE    Debian suite to take from (default trixie)
#   BERTH_CRIU_MIRROR   Debian mirror             (default http://deb.debian.org/debian)
#   BERTH_CRIU_SECURITY_MIRROR                    (default http://deb.debian.org/debian-security)
set -euo pipefail

PREFIX=${BERTH_CRIU_PREFIX:-/opt/berth-criu}
WRAPPER=${BERTH_CRIU_WRAPPER:-/usr/local/bin/criu}
SUITE=${BERTH_CRIU_SUITE:-trixie}
MIRROR=${BERTH_CRIU_MIRROR:-http://deb.debian.org/debian}
SEC_MIRROR=${BERTH_CRIU_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MARKER="berth install-criu.sh wrapper v2"

log() { printf '[install-criu] %s\n' "$*"; }
die() {
	printf '[install-criu] ERROR: %s\n' "$*" >&2
	exit 1
}

FORCE=0
for arg in "$@"; do
	case "$arg" in
	--force) FORCE=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument: $arg (use --force or --help)" ;;
	esac
done

# criu_version CMD...: print the version CMD reports ("4.1.1"), or nothing.
criu_version() { "$@" --version 2>/dev/null | awk '/^Version:/ {print $2; exit}' || true; }
# is4 VERSION: true for 4.x or newer.
is4() { [[ ${1%%.*} =~ ^[0-9]+$ ]] && ((${1%%.*} >= 4)); }
# criu_ok CMD...: true when CMD reports CRIU >= 4 and `CMD check` passes.
criu_ok() {
	is4 "$(criu_version "$@")" || return 1
	"$@" check >/dev/null 2>&1
}

ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
case "$ARCH" in
amd64 | x86_64) ARCH=amd64 TRIPLET=x86_64-linux-gnu LOADER=ld-linux-x86-64.so.2 ;;
arm64 | aarch64) ARCH=arm64 TRIPLET=aarch64-linux-gnu LOADER=ld-linux-aarch64.so.1 ;;
*) die "unsupported architecture '$ARCH' (supported: amd64, arm64)" ;;
esac

libdirs() { # $1 = root of an unpacked tree: the --library-path value
	local d out=""
	for d in "$1/usr/lib/$TRIPLET" "$1/lib/$TRIPLET" "$1/usr/lib" "$1/lib"; do
		[[ -d $d && ! -L $d ]] && out+="${out:+:}$d"
	done
	printf '%s' "$out"
}
find_loader() { # $1 = root of an unpacked tree
	local c
	for c in "$1/usr/lib/$TRIPLET/$LOADER" "$1/lib/$TRIPLET/$LOADER" "$1/usr/lib64/$LOADER" "$1/lib64/$LOADER"; do
		[[ -e $c ]] && {
			printf '%s' "$c"
			return 0
		}
	done
	return 1
}
# wrapper_text ROOT: the wrapper script for an install rooted at ROOT.
wrapper_text() {
	local root=$1 loader libs
	loader=$(find_loader "$root") || return 1
	libs=$(libdirs "$root")
	cat <<EOF
#!/bin/sh
# $MARKER
# CRIU from Debian $SUITE, unpacked into $root and run through $SUITE's own
# dynamic loader so that the system's libc and libraries stay untouched.
# Re-run berth's scripts/install-criu.sh to reinstall.
#
# CRIU_FAULT=130 is CRIU's "no hardware breakpoints" switch: in some VMs debug
# registers never fire and CRIU would hang at "Waiting for <pid> to trap".
# Set BERTH_CRIU_BREAKPOINTS=1 (or CRIU_FAULT yourself) to override.
if [ -z "\${CRIU_FAULT+x}" ] && [ "\${BERTH_CRIU_BREAKPOINTS:-0}" != 1 ]; then
	CRIU_FAULT=130
	export CRIU_FAULT
fi
exec "$loader" --library-path "$libs" --argv0 criu "$root/usr/sbin/criu" "\$@"
EOF
}

# ---------------------------------------------------------------- fast path
if ((!FORCE)) && command -v criu >/dev/null 2>&1 && criu_ok criu; then
	current=$(command -v criu)
	if ! grep -qs 'install-criu.sh' "$current" 2>/dev/null ||
		{ [[ $current == "$WRAPPER" ]] && [[ $(wrapper_text "$PREFIX" 2>/dev/null) == "$(cat "$WRAPPER")" ]]; }; then
		log "CRIU already works: $current, $(criu_version criu); nothing to do"
		exit 0
	fi
fi

# ------------------------------------------------------------ preconditions
[[ $(id -u) -eq 0 ]] || die "must run as root"
for tool in apt-get dpkg dpkg-deb awk mktemp timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found (this script needs a Debian system)"
done

# CRIU shells out to these system tools when dumping/restoring a container
# network namespace (ip addr/route/rule save+restore, iptables lock rules).
# They come from the system's own Debian release, never from trixie.
missing_pkgs=()
command -v ip >/dev/null 2>&1 || missing_pkgs+=(iproute2)
{ command -v iptables-restore >/dev/null 2>&1 && command -v iptables-save >/dev/null 2>&1; } || missing_pkgs+=(iptables)
if ((${#missing_pkgs[@]})); then
	log "installing CRIU's run-time tools from the system's own suite: ${missing_pkgs[*]}"
	apt-get update -q || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}" ||
		die "apt-get install ${missing_pkgs[*]} failed"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-criu.XXXXXX")
STAGE=""
PROBE_PID=""
cleanup() {
	if [[ -n $PROBE_PID ]]; then
		kill -9 "$PROBE_PID" 2>/dev/null || true
		wait "$PROBE_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
	[[ -n $STAGE ]] && rm -rf "$STAGE"
	return 0
}
trap cleanup EXIT

# write_wrapper: (re)write $WRAPPER for $PREFIX atomically.
write_wrapper() {
	local tmpw
	log "writing wrapper $WRAPPER"
	mkdir -p "$(dirname "$WRAPPER")"
	tmpw=$(mktemp "$WRAPPER.XXXXXX")
	wrapper_text "$PREFIX" >"$tmpw" || {
		rm -f "$tmpw"
		die "no $LOADER under $PREFIX"
	}
	chmod 755 "$tmpw"
	mv -f "$tmpw" "$WRAPPER"
}

# smoke_test: criu --version/check through the wrapper, then a real dump of a
# throwaway process (catches e.g. the breakpoint hang described above).
smoke_test() {
	local ver resolved
	ver=$(criu_version "$WRAPPER")
	is4 "$ver" || die "$WRAPPER --version did not report 4.x (got '${ver:-nothing}')"
	log "running: $WRAPPER check"
	"$WRAPPER" check || die "criu check failed with CRIU $ver from $SUITE (see above)"

	log "smoke test: criu dump --leave-running of a throwaway process"
	mkdir -p "$WORK/dump"
	sleep 600 </dev/null >/dev/null 2>&1 &
	PROBE_PID=$!
	sleep 0.2
	if ! timeout 30 "$WRAPPER" dump -t "$PROBE_PID" -D "$WORK/dump" -o dump.log -v4 --leave-running --shell-job; then
		tail -n 25 "$WORK/dump/dump.log" >&2 || true
		rm -f "$WRAPPER" # so that the next run does not take the fast path
		die "criu dump smoke test failed or hung (log tail above); removed $WRAPPER"
	fi
	kill -9 "$PROBE_PID" 2>/dev/null || true
	wait "$PROBE_PID" 2>/dev/null || true
	PROBE_PID=""
	log "smoke test passed"

	hash -r # forget where an earlier `command -v criu` found criu
	resolved=$(command -v criu || true)
	[[ $resolved == "$WRAPPER" ]] ||
		die "criu $ver installed at $WRAPPER, but 'criu' on PATH resolves to '${resolved:-nothing}'; runc looks criu up on PATH"
	log "done: $WRAPPER -> CRIU $ver (prefix $PREFIX)"
}

# --------------------------------------- intact prefix: rewrite the wrapper
if ((!FORCE)) && P_LOADER=$(find_loader "$PREFIX") && [[ -x $PREFIX/usr/sbin/criu ]] &&
	criu_ok "$P_LOADER" --library-path "$(libdirs "$PREFIX")" "$PREFIX/usr/sbin/criu"; then
	log "$PREFIX already holds a working CRIU; only refreshing the wrapper"
	write_wrapper
	smoke_test
	exit 0
fi

# ------------------------------------------------ private apt configuration
command -v apt-get >/dev/null || die "apt-get not found"
[[ -r $KEYRING ]] || die "$KEYRING missing: install/upgrade the debian-archive-keyring package"
chmod 755 "$WORK" # apt's unprivileged _apt downloader must reach the dirs below
mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/debs" \
	"$WORK/sources.list.d" "$WORK/preferences.d"
if id _apt >/dev/null 2>&1; then chown _apt "$WORK/debs"; fi
: >"$WORK/status" # empty dpkg status: resolve the whole closure from $SUITE

cat >"$WORK/sources.list" <<EOF
deb [signed-by=$KEYRING] $MIRROR $SUITE main
deb [signed-by=$KEYRING] $MIRROR $SUITE-updates main
deb [signed-by=$KEYRING] $SEC_MIRROR $SUITE-security main
EOF
# Keep the system's apt.conf.d (proxies etc.) but drop its hooks, which are
# meant for the system's own package lists, and skip AppStream metadata.
cat >"$WORK/apt.conf" <<'EOF'
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
#clear DPkg::Pre-Invoke;
#clear DPkg::Post-Invoke;
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::Languages "none";
EOF
APT_OPTS=(
	-c "$WORK/apt.conf"
	-o "Dir::Etc::sourcelist=$WORK/sources.list"
	-o "Dir::Etc::sourceparts=$WORK/sources.list.d"
	-o "Dir::Etc::preferences=$WORK/preferences"
	-o "Dir::Etc::preferencesparts=$WORK/preferences.d"
	-o "Dir::State::Lists=$WORK/lists"
	-o "Dir::State::status=$WORK/status"
	-o "Dir::Cache=$WORK/cache"
	-o "Dir::Cache::pkgcache="
	-o "Dir::Cache::srcpkgcache="
	-o "APT::Architecture=$ARCH"
	-o "APT::Architectures::=$ARCH"
	-o "APT::Install-Recommends=false"
	-o "APT::Install-Suggests=false"
)

log "fetching the $SUITE package index into a private temporary apt state ($MIRROR)"
apt-get "${APT_OPTS[@]}" -q update ||
	die "apt-get update for $SUITE failed (network? keyring? an old debian-archive-keyring lacks the $SUITE keys: apt-get install debian-archive-keyring)"

log "resolving criu's run-time dependency closure in $SUITE"
mapfile -t PKGS < <(apt-get "${APT_OPTS[@]}" -s install criu 2>&1 |
	awk '/^Inst / { v = $3; sub(/^\(/, "", v); print $2 "=" v }')
((${#PKGS[@]})) || {
	apt-get "${APT_OPTS[@]}" -s install criu >&2 || true
	die "could not resolve criu in $SUITE"
}
printf '%s\n' "${PKGS[@]}" | grep -q '^criu=4\.' ||
	die "$SUITE does not offer criu 4.x: ${PKGS[*]}"
log "packages (${#PKGS[@]}): ${PKGS[*]}"

log "downloading .debs"
(cd "$WORK/debs" && apt-get "${APT_OPTS[@]}" -q download "${PKGS[@]}") ||
	die "apt-get download failed"
log "downloaded $(du -sh "$WORK/debs" | awk '{print $1}') in $(find "$WORK/debs" -name '*.deb' | wc -l) .debs"

# ------------------------------------------------------- unpack and verify
mkdir -p "$(dirname "$PREFIX")"
STAGE=$(mktemp -d "$PREFIX.new.XXXXXX")
chmod 755 "$STAGE"
log "unpacking into staging dir $STAGE"
for deb in "$WORK"/debs/*.deb; do
	dpkg-deb -x "$deb" "$STAGE" || die "dpkg-deb -x $deb failed"
done
printf '%s\n' "${PKGS[@]}" >"$STAGE/berth-criu.packages"

S_LOADER=$(find_loader "$STAGE") || die "no $LOADER in the unpacked libc6"
S_LIBS=$(libdirs "$STAGE")
[[ -x $STAGE/usr/sbin/criu ]] || die "no usr/sbin/criu in the unpacked criu package"
if "$S_LOADER" --library-path "$S_LIBS" --list "$STAGE/usr/sbin/criu" | grep -q 'not found'; then
	"$S_LOADER" --library-path "$S_LIBS" --list "$STAGE/usr/sbin/criu" >&2
	die "unresolved shared libraries for the unpacked criu"
fi

# --------------------------------------------------------------- install
if [[ -e $PREFIX ]]; then
	log "replacing previous $PREFIX"
	rm -rf "$PREFIX.old"
	mv "$PREFIX" "$PREFIX.old"
fi
mv "$STAGE" "$PREFIX"
STAGE=""
rm -rf "$PREFIX.old"

write_wrapper
smoke_test
