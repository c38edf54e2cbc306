package coretest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// SSHD is a private OpenSSH server on a loopback port, for the tests of
// what crosses to another host (migrate): root logs in with a key made for
// the test, and the "remote" is this machine with another state dir.
type SSHD struct {
	// SSH is the client command that reaches it, Host whom to log in as.
	SSH  []string
	Host string
}

// StartSSHD starts sshd for t and stops it, by pid, when t ends.
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	skipManager(t, "/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen")
	dir := t.TempDir()
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd's privilege separation directory.
	if _, err := os.Stat("/run/sshd"); err != nil {
		if err := os.Mkdir("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove("/run/sshd") })
	}
	port := freePort(t)
	cfg := "Port " + port + "\nListenAddress 127.0.0.1\nHostKey " + filepath.Join(dir, "host") +
		"\nPidFile " + filepath.Join(dir, "sshd.pid") + "\nAuthorizedKeysFile " + filepath.Join(dir, "authorized_keys") +
		"\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "sshd", filepath.Join(dir, "sshd.log"), "/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	t.Cleanup(func() { d.stop(5 * time.Second) })
	s := &SSHD{Host: "root@127.0.0.1", SSH: []string{"ssh", "-p", port, "-i", filepath.Join(dir, "client"),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"}}
	d.waitReady(func() error {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
		}
		return err
	})
	return s
}

// freePort is a loopback port nothing listens on now.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
