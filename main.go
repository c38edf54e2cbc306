// Command berth is a keyboard-driven terminal container manager for runc,
// and the same operations as plain commands for scripts.
//
// The binary has two lives: as `berth shim DIR` it is the small per-container
// process that supervises one container process, and that mode is dispatched
// here before any CLI or UI code runs; otherwise it is the CLI.
package main

import (
	"os"

	"berth/shim"
	"berth/ui/cli"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "shim" {
		os.Exit(shim.Main(os.Args[2:]))
	}
	os.Exit(cli.Main(os.Args[1:]))
}
