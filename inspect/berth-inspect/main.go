// Command berth-inspect decodes one checkpoint's CRIU images for berth:
// it reads a core.InspectRequest as JSON on stdin and writes the
// core.CheckpointInspection as JSON on stdout. Images it cannot decode
// exit with core.InspectorExitImages and one line on stderr saying why.
// berth starts it for each inspection (core.InspectName, installed
// beside berth); it is not meant to be run by hand.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"berth/core"
	"berth/inspect"
)

// maxRequest bounds the request: a directory, metadata and options.
const maxRequest = 1 << 20

func main() {
	if len(os.Args) != 1 {
		fmt.Fprintf(os.Stderr, "usage: %s < request (started by berth)\n", core.InspectName)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	b, err := io.ReadAll(io.LimitReader(os.Stdin, maxRequest+1))
	var req core.InspectRequest
	if err == nil && len(b) > maxRequest {
		err = fmt.Errorf("request over %d bytes", maxRequest)
	}
	if err == nil {
		err = json.Unmarshal(b, &req)
	}
	if err == nil && req.Dir == "" {
		err = errors.New("no checkpoint directory")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: bad request: %v\n", core.InspectName, err)
		os.Exit(2)
	}
	in, err := inspect.Run(ctx, req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(core.InspectorExitImages)
	}
	if err := json.NewEncoder(os.Stdout).Encode(in); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", core.InspectName, err)
		os.Exit(1)
	}
}
