// Command berth-shim is the shim alone: the same shim.Main that berth runs
// as `berth shim DIR`, in a binary that links neither the UI nor the CLI.
// Installed beside berth, it is what berth starts for each container
// process: a shim's process start is on the path of every container start,
// and its pages are resident for the container's whole life, so both shrink
// with the binary. It takes the same arguments as berth's shim mode.
//
// The shim runs on one P (core starts it with GOMAXPROCS=1, and shim.Main
// sets it too), so the runtime's look at the cgroup's CPU limit at start
// (mountinfo, /proc/self/cgroup, two files held open) and its periodic
// re-check are work and descriptors for nothing.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"fmt"
	"os"

	"berth/shim"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "shim" {
		fmt.Fprintln(os.Stderr, "usage: berth-shim shim PROCESS-DIR (started by berth)")
		os.Exit(2)
	}
	os.Exit(shim.Main(os.Args[2:]))
}
