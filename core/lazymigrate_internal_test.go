package core

import (
	"encoding/binary"
	"io"
	"net"
	"path/filepath"
	"testing"
)

// The page bridge passes the daemon's requests on whole; a daemon that
// goes away before its flush-and-close (the remote died mid-transfer) is
// never passed on as an end, which CRIU would take for success and kill
// the tasks: CRIU gets a request it refuses instead. After the daemon's
// own close, its end is passed on as it is.
func TestPageBridge(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmds    []uint32
		partial bool // the daemon dies mid-request
		want    []uint32
	}{
		{"finished", []uint32{7, 7, psFlushAndClose}, false, []uint32{7, 7, psFlushAndClose}},
		{"died", []uint32{7, 7}, false, []uint32{7, 7, psRefused}},
		{"died mid-request", []uint32{7}, true, []uint32{7, psRefused}},
		{"flags in the high bits", []uint32{7 | 1<<16, psFlushAndClose | 1<<16}, false, []uint32{7 | 1<<16, psFlushAndClose | 1<<16}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			criu, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer criu.Close()
			conn, err := net.Dial("tcp", criu.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			server, err := criu.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			sock := filepath.Join(t.TempDir(), lazySocket)
			l, err := net.Listen("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			b := &pageBridge{conn: conn.(*net.TCPConn)}
			done := make(chan struct{})
			go func() { b.serve(l); close(done) }()
			daemon, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.cmds {
				var req [psRequestSize]byte
				binary.LittleEndian.PutUint32(req[:4], c)
				daemon.Write(req[:])
			}
			if tc.partial {
				daemon.Write([]byte{1, 2, 3})
			}
			// A page going the other way is counted.
			server.Write(make([]byte, 4096))
			io.ReadFull(daemon, make([]byte, 4096))
			daemon.Close()
			got, err := io.ReadAll(server)
			if err != nil {
				t.Fatal(err)
			}
			<-done
			if len(got) != len(tc.want)*psRequestSize {
				t.Fatalf("CRIU got %d bytes, want %d requests", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if c := binary.LittleEndian.Uint32(got[i*psRequestSize:]); c != w {
					t.Fatalf("request %d: %#x, want %#x", i, c, w)
				}
			}
			if n := b.served.Load(); n != 4096 {
				t.Fatalf("served %d bytes", n)
			}
			// An abandon after the end changes nothing.
			b.abandon()
		})
	}
}
