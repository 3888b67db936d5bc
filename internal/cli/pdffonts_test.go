package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"

	"github.com/watchfloor/watchfloor/internal/report"
)

// TestConfigCheckPDFFonts: config check loads the plan config's PDF fonts
// and names the setting, index and path of one that is no TrueType font.
func TestConfigCheckPDFFonts(t *testing.T) {
	dir := t.TempDir()
	ttf, ttc := filepath.Join(dir, "go.ttf"), filepath.Join(dir, "fonts.ttc")
	if err := os.WriteFile(ttf, goregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ttc, []byte("ttcf not a font"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = report.UsePDFFont("") })
	plan, cfg := filepath.Join(dir, "plan.yaml"), filepath.Join(dir, "watchfloor.yaml")
	if err := os.WriteFile(cfg, []byte("listen: 127.0.0.1:1\nplan_config: "+plan+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(plan, []byte("report:\n  pdf_fonts:\n    - "+ttf+"\n    - "+ttc+"\n"), 0o600)
	code, out, _ := run(t, filepath.Join(dir, "x.db"), "", "config", "check", cfg)
	if code != ExitError || !strings.Contains(out, "watchfloor.yaml:2: plan_config: report.pdf_fonts[1]: "+ttc+": not a TrueType font") {
		t.Errorf("config check of a .ttc font (%d): %s", code, out)
	}
	os.WriteFile(plan, []byte("report:\n  pdf_font: "+ttf+"\n  pdf_fonts: ["+ttf+"]\n"), 0o600)
	if code, out, _ := run(t, filepath.Join(dir, "x.db"), "", "config", "check", cfg); code != 0 || !strings.Contains(out, "ok, 2 settings") {
		t.Errorf("config check of good fonts (%d): %s", code, out)
	}
}
