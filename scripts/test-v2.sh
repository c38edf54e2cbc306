#!/usr/bin/env bash
# test-v2.sh — run berth's integration suite on a real cgroup v2 kernel.
#
# Most hosts are cgroup v2 only, and this machine is v1 hybrid, so the suite
# runs a second time inside a QEMU guest (TCG: the host's /dev/kvm cannot run
# a stock kernel) that boots Debian 12's kernel with nothing but cgroup2
# mounted (nsdelegate) and the host's root shared read-only over 9p, under
# an overlay whose writes stay in the guest's RAM. The test binaries and
# berth are built here, run there as root with BERTH_REQUIRE_INTEGRATION=1,
# and each package's output and status come back through a writable share.
#
# It installs what it needs: qemu-system-x86 and busybox-static from Debian,
# and Debian's kernel package unpacked into a private cache (never installed
# on the host). Its qemu is killed by pid on every exit path. It exits with
# the suite's status: 0 only when every package passed.
#
#   BERTH_V2_PACKAGES   packages to run (default: those that touch cgroups)
#   BERTH_V2_RUNTIMES   runtimes to run core's suite with (default: runc crun)
#   BERTH_V2_CACHE      kernel and initramfs cache (default /var/cache/berth-test-v2)
#   BERTH_V2_TIMEOUT    seconds the guest may run (default 840)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${BERTH_V2_CACHE:-/var/cache/berth-test-v2}
TIMEOUT=${BERTH_V2_TIMEOUT:-840}
PACKAGES=${BERTH_V2_PACKAGES:-"./core/ ./host/cgroupfs/ ./shim/ ./watch/ ./doctor/ ./ui/cli/ ./ui/e2e/"}
RUNTIMES=${BERTH_V2_RUNTIMES:-"runc crun"}
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay"

log() { printf '[test-v2] %s\n' "$*"; }
die() {
	printf '[test-v2] ERROR: %s\n' "$*" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root"
export PATH="/usr/local/go/bin:$PATH"

# ------------------------------------------------------------ packages
need=()
for pkg in qemu-system-x86 busybox-static crun; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
	[[ $status == ii* ]] || need+=("$pkg")
done
if ((${#need[@]})); then
	log "installing ${need[*]}"
	apt-get update -q >/dev/null || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
		die "apt-get install ${need[*]} failed"
fi
for bin in qemu-system-x86_64 busybox runc criu go; do
	command -v "$bin" >/dev/null || die "$bin not found (make deps)"
done
BIOS=/usr/share/qemu/qboot.rom
[[ -f $BIOS ]] || die "$BIOS missing (qemu-system-x86)"

# -------------------------------------------------------------- kernel
mkdir -p "$CACHE"
chmod 700 "$CACHE"
kernelPackage() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
KPKG=$(kernelPackage)
if [[ -z $KPKG ]]; then
	apt-get update -q >/dev/null || die "apt-get update failed"
	KPKG=$(kernelPackage)
fi
[[ -n $KPKG ]] || die "cannot tell which kernel package linux-image-amd64 depends on"
KDIR=$CACHE/$KPKG
if [[ ! -f $KDIR/.complete ]]; then
	log "fetching $KPKG (unpacked privately, not installed)"
	rm -rf "$KDIR"
	mkdir -p "$KDIR/dl"
	(cd "$KDIR/dl" && apt-get download "$KPKG" >/dev/null 2>&1) || die "apt-get download $KPKG failed"
	dpkg-deb -x "$KDIR"/dl/*.deb "$KDIR/root"
	rm -rf "$KDIR/dl"
	KV=$(ls "$KDIR/root/lib/modules")
	busybox depmod -b "$KDIR/root" "$KV"
	touch "$KDIR/.complete"
fi
KV=$(ls "$KDIR/root/lib/modules")
KERNEL=$(ls "$KDIR"/root/boot/vmlinuz-*)

# ----------------------------------------------------------- initramfs
INITRD=$CACHE/initramfs-$KV.cpio.gz
if [[ ! -f $INITRD || $0 -nt $INITRD ]]; then
	log "making the initramfs"
	ir=$(mktemp -d)
	trap 'rm -rf "$ir"' EXIT
	mkdir -p "$ir"/{bin,mod,proc,sys,dev,lower,upper,newroot}
	cp "$(command -v busybox)" "$ir/bin/busybox"
	for m in $MODULES; do
		cp "$(find "$KDIR/root/lib/modules/$KV" -name "$m.ko" | head -1)" "$ir/mod/" || die "module $m not found"
	done
	cat >"$ir/init" <<EOF
#!/bin/busybox sh
# Stage 1: the host's root over 9p, read-only, under a RAM overlay.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $MODULES; do insmod /mod/\$m.ko || echo "insmod \$m failed"; done
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /lower || exec sh
mount -t tmpfs -o size=2g tmpfs /upper
mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot || exec sh
# Stage 2 runs as busybox init's sysinit: init, as PID 1, reaps orphans.
mkdir -p /newroot/etc
printf '::sysinit:/bin/busybox sh /etc/berth-stage2\n' >/newroot/etc/inittab
cp /stage2 /newroot/etc/berth-stage2
for d in proc sys dev; do mount --move /\$d /newroot/\$d; done
exec switch_root /newroot /bin/busybox init
EOF
	chmod 755 "$ir/init"
	cat >"$ir/stage2" <<'EOF'
# Stage 2, in the host's root: cgroup v2 only, fresh /tmp and /run, the
# guest's modules, the results share; then the payload, then power off.
bb=/bin/busybox
$bb mount -t cgroup2 -o nsdelegate none /sys/fs/cgroup
for c in cpuset cpu io memory hugetlb pids rdma misc; do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
done
$bb mkdir -p /dev/pts /dev/shm /dev/mqueue
$bb mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
$bb ln -sf pts/ptmx /dev/ptmx
$bb mount -t tmpfs shm /dev/shm
$bb mount -t mqueue mqueue /dev/mqueue
$bb mount -t bpf bpf /sys/fs/bpf 2>/dev/null
$bb mount -t tmpfs -o size=1g tmpfs /tmp
$bb mount -t tmpfs tmpfs /run
$bb ip link set lo up
share=$($bb cat /proc/cmdline | $bb sed -n 's/.*berth.share=\([^ ]*\).*/\1/p')
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 share "$share"
kv=$($bb uname -r)
$bb mkdir -p /lib/modules
$bb mount --bind "$share/../modules" /lib/modules >>"$share/modules.log" 2>&1
$bb ln -sf /bin/busybox /run/modprobe
echo /run/modprobe >/proc/sys/kernel/modprobe
# What CRIU and runc need, loaded up front (on-demand loading by alias is
# not reliable with busybox's modprobe).
for m in veth tun bridge nfnetlink nf_tables nft_compat nf_conntrack inet_diag tcp_diag udp_diag \
	unix_diag netlink_diag af_packet_diag; do
	$bb modprobe "$m" >>"$share/modules.log" 2>&1 || echo "modprobe $m failed" >>"$share/modules.log"
done
$bb sh "$share/payload" >"$share/console.log" 2>&1
echo $? >"$share/payload.rc"
$bb dmesg >"$share/dmesg.log"
$bb sync
$bb poweroff -f
EOF
	(cd "$ir" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$ir"
fi

# ------------------------------------------------------ test binaries
# /tmp and /run are the guest's own, so the work dir lives elsewhere.
WORK=$(mktemp -d /var/tmp/berth-v2.XXXXXX)
QEMU_PID=""
cleanup() {
	if [[ -n $QEMU_PID ]]; then
		kill -9 "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
mkdir -p "$WORK/bin" "$WORK/share"
ln -s "$KDIR/root/lib/modules" "$WORK/modules"
log "building berth and the test binaries"
(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -o "$WORK/bin/berth" .) || die "build berth failed"
(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -o "$WORK/bin/berth-inspect" ./inspect/berth-inspect) || die "build berth-inspect failed"
payload=$WORK/share/payload
cat >"$payload" <<EOF
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=xterm-256color
export BERTH_REQUIRE_INTEGRATION=1 BERTH_TEST_BINARY=$WORK/bin/berth BERTH_TEST_GUEST=1
export GOCACHE=/tmp/gocache GOPROXY=off GOFLAGS=-mod=mod
share=$WORK/share
echo "kernel \$(uname -r); \$(grep ' /sys/fs/cgroup ' /proc/mounts); controllers: \$(cat /sys/fs/cgroup/cgroup.subtree_control)"
cat "\$share/modules.log" 2>/dev/null
criu check 2>&1 | tail -n 20
runpkg() { # name dir VAR=value|- binary [test flags...]
	name=\$1 dir=\$2 var=\$3 bin=\$4
	shift 4
	[ "\$var" = - ] && var=BERTH_TEST_LANE=1
	start=\$(date +%s)
	(cd "\$dir" && env "\$var" "\$bin" "\$@" -test.count=1 -test.timeout=10m) >"\$share/\$name.out" 2>&1
	echo \$? \$((\$(date +%s) - start)) >"\$share/\$name.rc"
	echo "done \$name: \$(cat "\$share/\$name.rc")"
}
EOF
# Two lanes run side by side (the guest has two CPUs and the tests mostly
# wait on emulated fork and exec): core's suite, then again with each other
# runtime (the tests of what differs between runtimes: lifecycle, exec,
# pause, OOM, checkpoints); and every other package.
crunTests='^(TestLifecycle|TestExitStatusAndIDReuse|TestDeleteForce|TestFailedExecKeepsContainer|TestKillPaused|TestOOMKilledExit|TestCgroupV2|TestCheckpoint.*|TestLeaveRunningAndLiveClone|TestLimitsSurviveRestore)$'
laneA="" laneB=""
for pkg in $PACKAGES; do
	dir=$(cd "$REPO" && go list -f '{{.Dir}}' "$pkg")
	name=$(cd "$REPO" && go list -f '{{.ImportPath}}' "$pkg" | tr / _)
	[[ -n $(cd "$REPO" && go list -f '{{or .TestGoFiles .XTestGoFiles}}' "$pkg" | tr -d '[]') ]] || continue
	(cd "$REPO" && CGO_ENABLED=0 go test -c -o "$WORK/bin/$name.test" "$pkg") || die "go test -c $pkg failed"
	if [[ $pkg == ./core/ ]]; then
		laneA+="runpkg $name $dir - $WORK/bin/$name.test"$'\n'
		for rt in $RUNTIMES; do
			[[ $rt == runc ]] && continue
			laneB+="runpkg $name-$rt $dir BERTH_TEST_RUNTIME=$rt $WORK/bin/$name.test -test.run '$crunTests'"$'\n'
		done
	else
		laneB+="runpkg $name $dir - $WORK/bin/$name.test"$'\n'
	fi
done
for lane in "$laneA" "$laneB"; do
	[[ -n $lane ]] && printf '(\n%s) &\n' "$lane" >>"$payload"
done
echo wait >>"$payload"

# ----------------------------------------------------------------- run
log "booting the cgroup v2 guest (kernel $KV; the suite takes several minutes under emulation)"
start=$(date +%s)
qemu-system-x86_64 -nodefaults -no-user-config -accel tcg,thread=multi,tb-size=256 -cpu max \
	-machine pc -bios "$BIOS" -m 4096 -smp 2 -display none -monitor none \
	-serial "file:$WORK/serial.log" -no-reboot -kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=3 berth.share=$WORK/share" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$WORK/share,mount_tag=share,security_model=none,multidevs=remap" &
QEMU_PID=$!
deadline=$((start + TIMEOUT))
while kill -0 "$QEMU_PID" 2>/dev/null; do
	if (($(date +%s) > deadline)); then
		log "the guest ran past ${TIMEOUT}s: killing it"
		kill -9 "$QEMU_PID" 2>/dev/null || true
		break
	fi
	sleep 1
done
# Reaped here, so the pid is never signalled again once it could be reused.
wait "$QEMU_PID" 2>/dev/null || true
QEMU_PID=""
log "guest done in $(($(date +%s) - start))s"

# ------------------------------------------------------------- results
status=0
sed 's/^/[guest] /' "$WORK/share/console.log" 2>/dev/null || true
[[ -f $WORK/share/payload.rc ]] || {
	log "the payload never finished; the guest's console:"
	tail -n 40 "$WORK/serial.log" "$WORK/share/console.log" 2>/dev/null || true
	status=1
}
while read -r _ name _; do
	rcfile=$WORK/share/$name.rc
	if [[ ! -f $rcfile ]]; then
		printf 'MISS\t%s (did not run to the end)\n' "$name"
		[[ -f $WORK/share/$name.out ]] && tail -n 30 "$WORK/share/$name.out"
		status=1
		continue
	fi
	read -r rc secs <"$rcfile"
	if [[ $rc == 0 ]]; then
		printf 'ok  \t%s\t%ss\n' "$name" "$secs"
	else
		printf 'FAIL\t%s\t%ss\n' "$name" "$secs"
		{ grep -E -- '^(--- FAIL|FAIL|panic:|fatal error:|\s+\S+_test\.go:[0-9]+:)' "$WORK/share/$name.out" || tail -n 20 "$WORK/share/$name.out"; } | cut -c1-300 | head -n 60
		status=1
	fi
done < <(grep '^runpkg ' "$payload")
if ((status)); then
	grep -iE 'oom-kill|BUG|panic|Oops' "$WORK/share/dmesg.log" 2>/dev/null | tail -n 5 || true
	log "FAILED on cgroup v2"
else
	log "every package passed on cgroup v2"
fi
exit $status
