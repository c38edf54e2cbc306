package core_test

import (
	"path/filepath"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
	"berth/host/cgroupfs"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A container that writes a 64 MiB file has 64 MiB of page cache charged
// to its cgroup: berth shows it as cache beside a working set that leaves
// it out, as docker does. The file is on a disk filesystem bound into the
// container (the shared rootfs is read-only): on tmpfs it would be shmem,
// which the kernel counts as anonymous memory, not file cache.
func TestStatsWorkingSet(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC {
		t.Skipf("%s is on tmpfs: its files would be shmem, not page cache", dir)
	}
	const mib = 1 << 20
	c := e.Run("cache", []string{"sh", "-c", "dd if=/dev/zero of=/data/f bs=1M count=64 2>/dev/null && sync && touch /data/done; while :; do sleep 1; done"},
		func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: dir, Options: []string{"rbind", "rw"}})
		})
	deadline := time.Now().Add(30 * time.Second)
	var st core.Stats
	for {
		var err error
		if st, err = sample(c, false); err != nil {
			t.Fatal(err)
		}
		if unix.Access(filepath.Join(dir, "done"), unix.F_OK) == nil && st.MemoryCache >= 60*mib {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the 64 MiB file never showed as cache: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	raw, err := cgroupfs.ReadMemory(c.CgroupPaths)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("working set %.1f MiB, cache %.1f MiB, cgroup usage %.1f MiB",
		float64(st.MemoryUsage)/mib, float64(st.MemoryCache)/mib, float64(raw.Usage)/mib)
	if raw.Usage < 60*mib {
		t.Errorf("cgroup usage %d: the file's cache is not charged to the container", raw.Usage)
	}
	if st.MemoryUsage == 0 || st.MemoryUsage > 16*mib {
		t.Errorf("MemoryUsage %d: want the working set, well below the 64 MiB of cache", st.MemoryUsage)
	}
	if st.MemoryUsage+st.MemoryCache < 60*mib || st.MemoryUsage > raw.Usage {
		t.Errorf("MemoryUsage %d, MemoryCache %d against a usage of %d", st.MemoryUsage, st.MemoryCache, raw.Usage)
	}
}

// A container without a network namespace of its own is on the host's
// network: a full sample says so and counts no traffic as its own; one
// with its own namespace is not.
func TestStatsHostNetwork(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	sleep := []string{"sleep", "1000"}
	host := e.Run("hostnet", sleep, func(s *specs.Spec) {
		var ns []specs.LinuxNamespace
		for _, n := range s.Linux.Namespaces {
			if n.Type != specs.NetworkNamespace {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = ns
	})
	own := e.Run("ownnet", sleep, nil)
	st, err := sample(host, true)
	if err != nil {
		t.Fatal(err)
	}
	if !st.NetHost || st.NetRx != 0 || st.NetTx != 0 {
		t.Errorf("host-network container: NetHost %v, NetRx %d, NetTx %d; want true, 0, 0", st.NetHost, st.NetRx, st.NetTx)
	}
	if st, err := sample(host, false); err != nil || st.NetHost {
		t.Errorf("a sample that is not full: NetHost %v, %v", st.NetHost, err)
	}
	if st, err := sample(own, true); err != nil || st.NetHost {
		t.Errorf("container with its own network namespace: NetHost %v, %v", st.NetHost, err)
	}
}
