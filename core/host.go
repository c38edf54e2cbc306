package core

import "berth/host/procfs"

// HostStats is one reading of the host's CPU times, memory and load (see
// procfs.Host): what the list's header and berth host show beside the
// containers. A CPU percentage needs two readings (procfs.CPUPercent).
type HostStats = procfs.Host

// HostStats reads /proc/stat, /proc/meminfo and /proc/loadavg: three
// small reads, cheap enough for every refresh tick.
func (m *Manager) HostStats() (HostStats, error) {
	return procfs.ReadHost("/proc")
}

// HostCPUPercent is the share of all CPUs in use between two readings;
// ok is false when none can be told (no time passed, counters reset).
func HostCPUPercent(prev, cur HostStats) (float64, bool) {
	return procfs.CPUPercent(prev.CPU, cur.CPU)
}
