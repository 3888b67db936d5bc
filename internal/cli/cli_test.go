package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/shareddata"
)

// run executes the command line against a store and returns the exit
// status, standard output and standard error.
func run(t *testing.T, db string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"--db", db}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestIngestReportsRejectsAndExitStatus(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	in := `{"record":"alert","source":"edr","external_id":"a1","title":"\u001b[31mred\u001b[0m <b>x</b>","severity":"high","created_at":"2026-03-01T10:00:00Z"}
{"record":"alert","source":"edr","title":"no id"}
`
	rejects := filepath.Join(dir, "rejects.ndjson")
	code, out, errOut := run(t, db, in, "ingest", "--reject-file", rejects, "-")
	if code != ExitRejects {
		t.Fatalf("exit %d, want %d; stderr %s", code, ExitRejects, errOut)
	}
	if !strings.Contains(errOut, "rejected stdin:2: alert has no external_id") || !strings.Contains(out, "stdin: native: 2 records, 1 new") {
		t.Fatalf("stdout %q\nstderr %q", out, errOut)
	}
	b, err := os.ReadFile(rejects)
	if err != nil || !strings.Contains(string(b), `"loc":"stdin:2"`) {
		t.Fatalf("reject file %q %v", b, err)
	}
	// The same input again changes nothing; the good record is unchanged.
	_, out, _ = run(t, db, in, "ingest", "-")
	if !strings.Contains(out, "0 new, 0 updated, 1 unchanged") {
		t.Fatalf("second ingest: %q", out)
	}
	// Terminal output shows control characters escaped.
	code, out, _ = run(t, db, "", "alerts", "list")
	if code != 0 || strings.Contains(out, "\x1b") || !strings.Contains(out, `\x1b[31mred\x1b[0m <b>x</b>`) {
		t.Fatalf("alerts list (%d): %q", code, out)
	}
	code, out, _ = run(t, db, "", "alerts", "list", "-o", "markdown")
	if code != 0 || !strings.Contains(out, `&lt;b&gt;x&lt;/b&gt;`) {
		t.Fatalf("markdown: %q", out)
	}
}

func TestUnknownFormatIsAnError(t *testing.T) {
	code, _, errOut := run(t, filepath.Join(t.TempDir(), "wf.db"), "hello\n", "ingest", "-")
	if code != ExitError || !strings.Contains(errOut, "cannot tell the input format") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
	code, _, errOut = run(t, filepath.Join(t.TempDir(), "wf.db"), "", "status", "-o", "xml")
	if code != ExitError || !strings.Contains(errOut, `unknown output format "xml"`) {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
}

func TestServiceNowSampleThroughTheCLI(t *testing.T) {
	csv := shareddata.Path(t, "servicenow-incidents", "incident_event_log.csv")
	db := filepath.Join(t.TempDir(), "wf.db")
	code, out, errOut := run(t, db, "", "ingest", csv)
	if code != 0 || !strings.Contains(out, "servicenow: 7057 records, 890 new") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, db, "", "cases", "show", "servicenow/INC0000045", "-o", "json")
	var got struct {
		Case struct {
			Stage    string `json:"stage"`
			Priority string `json:"priority"`
		} `json:"case"`
		Events []struct {
			Kind string `json:"kind"`
			New  string `json:"new"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("cases show: %v\n%s", err, out)
	}
	if got.Case.Stage != "closed" || got.Case.Priority != "P3" || got.Events[len(got.Events)-1].New != "closed" {
		t.Fatalf("case %+v", got)
	}
}

func TestDemoIsDeterministicAndIdempotent(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	args := []string{"demo", "--days", "3", "--alerts-per-day", "800", "--end", "2026-06-01T00:00:00Z"}
	code, out, errOut := run(t, db, "", args...)
	if code != 0 || !strings.Contains(out, "demo: ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	_, out, _ = run(t, db, "", args...)
	if !strings.Contains(out, " 0 new, 0 updated,") || !strings.Contains(out, " 0 events appended, 0 rejected") {
		t.Fatalf("second demo run stored something: %s", out)
	}
	// The NDJSON export of the same simulation ingests into an identical store.
	file := filepath.Join(t.TempDir(), "demo.ndjson")
	if code, _, errOut := run(t, db, "", append(args, "--ndjson", file)...); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	db2 := filepath.Join(t.TempDir(), "wf2.db")
	if code, _, errOut := run(t, db2, "", "ingest", file); code != 0 {
		t.Fatalf("ingest export: %s", errOut)
	}
	_, s1, _ := run(t, db, "", "status", "-o", "json")
	_, s2, _ := run(t, db2, "", "status", "-o", "json")
	if s1 != s2 {
		t.Fatalf("stored demo and ingested export differ:\n%s\n%s", s1, s2)
	}
}

// TestRollupsRebuild: the repair command recounts the kept alert rollups
// from the rows (one rule on one day: one rollup) and measures the kept
// handle times of the cases (one) again, and refuses a store that does not
// exist.
func TestRollupsRebuild(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	in := `{"record":"alert","source":"edr","external_id":"a1","title":"x","rule_id":"R1","severity":"high","created_at":"2026-03-01T10:00:00Z"}
{"record":"alert","source":"edr","external_id":"a2","title":"y","rule_id":"R1","severity":"low","created_at":"2026-03-01T11:00:00Z"}
{"record":"case","source":"edr","external_id":"C1","title":"c","priority":"P2","created_at":"2026-03-01T11:05:00Z"}
`
	if code, _, errOut := run(t, db, in, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, errOut)
	}
	code, out, errOut := run(t, db, "", "rollups", "rebuild")
	if code != 0 || out != "rebuilt 1 alert rollups from the stored alerts\nmeasured the handle times of 1 cases from their logs\n" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	if code, _, errOut := run(t, filepath.Join(t.TempDir(), "none.db"), "", "rollups", "rebuild"); code == 0 || !strings.Contains(errOut, "no store at") {
		t.Fatalf("missing store: exit %d, stderr %s", code, errOut)
	}
}
