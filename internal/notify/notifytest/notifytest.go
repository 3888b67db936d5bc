// Package notifytest gives tests a real SMTP server: Debian's aiosmtpd
// (package python3-aiosmtpd) started on a free local port, delivering to a
// maildir the test reads. Tests skip, saying so, when it is not installed.
package notifytest

import (
	"bytes"
	"fmt"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// SMTPServer starts aiosmtpd on 127.0.0.1 and returns its port and the
// maildir it delivers to; it stops when the test ends.
func SMTPServer(t testing.TB) (port int, maildir string) {
	t.Helper()
	var python string
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import aiosmtpd").Run() == nil {
			python = path
			break
		}
	}
	if python == "" {
		t.Skip("aiosmtpd is not installed (Debian: apt-get install python3-aiosmtpd); skipping the delivery test against a real SMTP server")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	maildir = filepath.Join(t.TempDir(), "mail")
	cmd := exec.Command(python, "-m", "aiosmtpd", "-n", "-l", fmt.Sprintf("127.0.0.1:%d", port), "-c", "aiosmtpd.handlers.Mailbox", maildir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting aiosmtpd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return port, maildir
		}
		if i == 200 {
			t.Fatalf("aiosmtpd did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ReadMaildir returns the messages delivered to a maildir.
func ReadMaildir(t testing.TB, dir string) []*mail.Message {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
	var out []*mail.Message
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, m)
	}
	return out
}
