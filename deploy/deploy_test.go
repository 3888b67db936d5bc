// Package deploy holds the files that run Watchfloor as a service: the
// systemd unit and an example configuration. Its test checks both.
package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/cli"
)

// TestExampleConfig: the example configuration passes config check.
func TestExampleConfig(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cli.Main([]string{"config", "check", "watchfloor.yaml"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("config check: %s %s", out.String(), errb.String())
	}
}

// TestUnit runs systemd-analyze verify on the unit (with the binary built
// where the unit expects it) and keeps its sandboxing: systemd-analyze
// security must rate it OK (exposure below 2.0).
func TestUnit(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; skipping the unit check (Debian: apt-get install systemd)")
	}
	unit, err := os.ReadFile("watchfloor.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=watchfloor", "NoNewPrivileges=yes",
		"ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service"} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "watchfloor")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/watchfloor/watchfloor/cmd/watchfloor").CombinedOutput(); err != nil {
		t.Fatalf("building the binary: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "watchfloor.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/bin/watchfloor"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", path).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(sa, "security", "--offline=true", "--threshold=20", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: exposure above 2.0: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out[bytes.LastIndex(out, []byte("\n→"))+1:]))
}
