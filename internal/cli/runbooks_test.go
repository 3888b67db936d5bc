package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/training"
)

// TestRunbookCommands syncs a folder (one file bad, a title with a
// terminal escape), records a run on an ingested case, lists it, measures
// the program, imports TheHive tasks and certifications, and assesses the
// team.
func TestRunbookCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	books := filepath.Join(dir, "books")
	for name, text := range map[string]string{
		"irps/x.md":      "---\ntitle: \"X \\e[31mred\"\ntype: irp\nrequired_skills: [\"alert triage:2\"]\nrequired_certifications: [GIAC GCIH]\n---\n## Phase 1: Work\n1. Identify `../missing.md`\n2. Contain\n",
		"bad.md":         "---\ntitle: [\n---\n",
		"common/step.md": "---\ntitle: Step\ntype: runbook\n---\n1. Do\n",
	} {
		p := filepath.Join(books, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := run(t, db, "", "runbooks", "sync", books)
	if code != ExitRejects || !strings.Contains(out, "2 added") || !strings.Contains(out, "bad.md") || !strings.Contains(out, "missing.md") ||
		!strings.Contains(errOut, "1 of 3 files are not valid runbooks") {
		t.Fatalf("sync (%d): %s\n%s", code, out, errOut)
	}
	if code, out, _ = run(t, db, "", "runbooks", "sync", books); !strings.Contains(out, "0 added, 0 updated, 2 unchanged") {
		t.Fatalf("second sync (%d): %s", code, out)
	}
	code, out, _ = run(t, db, "", "runbooks", "list")
	if code != 0 || strings.Contains(out, "\x1b") || !strings.Contains(out, `X \x1b[31mred`) {
		t.Fatalf("list (%d): %q", code, out)
	}
	var rows []runbook.Row
	_, out, _ = run(t, db, "", "runbooks", "list", "-o", "json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 || rows[1].BrokenLinks != 1 {
		t.Fatalf("list json %s: %v", out, err)
	}
	if code, out, _ = run(t, db, "", "runbooks", "show", "irps/x", "--body"); code != 0 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "1.2") {
		t.Fatalf("show (%d): %s", code, out)
	}

	cases := `{"record":"analyst","external_id":"ana","name":"Ana","shift":"Day","active":true,"skills":[{"name":"alert triage","level":3}],"certifications":["GIAC GCIH"]}
{"record":"shift","name":"Day","start":"08:00","duration":28800000000000}
{"record":"case","source":"soar","external_id":"C1","title":"Case one","priority":"P2","status":"new","created_at":"2026-03-02T09:00:00Z","updated_at":"2026-03-02T09:00:00Z"}
`
	if code, _, errOut := run(t, db, cases, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	code, out, errOut = run(t, db, "", "runbooks", "record", "soar/C1", "--runbook", "irps/x", "--run", "r1", "--completed", "1.1",
		"--skipped", "1.2", "--outcome", "completed", "--started", "2026-03-02T09:10:00Z", "--finished", "2026-03-02T09:40:00Z", "--actor", "ana")
	if code != 0 || !strings.Contains(out, "Recorded 2 events on case soar/C1") || !strings.Contains(out, "30m00s") {
		t.Fatalf("record (%d): %s\n%s", code, out, errOut)
	}
	if code, _, errOut = run(t, db, "", "runbooks", "record", "soar/C1", "--runbook", "irps/x", "--run", "r2", "--completed", "9.9", "--actor", "ana"); code != ExitError ||
		!strings.Contains(errOut, `step "9.9" is not a step of irps/x`) {
		t.Fatalf("bad record (%d): %s", code, errOut)
	}
	var runs []runbook.Execution
	_, out, _ = run(t, db, "", "runbooks", "runs", "--case", "soar/C1", "-o", "json")
	if err := json.Unmarshal([]byte(out), &runs); err != nil || len(runs) != 1 || runs[0].Skipped != 1 {
		t.Fatalf("runs %s: %v", out, err)
	}
	var rep runbook.Report
	_, out, _ = run(t, db, "", "runbooks", "metrics", "--from", "2026-03-01", "--to", "2026-03-02", "-o", "json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Runs != 1 || rep.Runbooks[0].Duration.Median != 1800 {
		t.Fatalf("metrics %s: %v", out, err)
	}
	if code, out, _ = run(t, db, "", "runbooks", "metrics", "--from", "2026-03-01", "--to", "2026-03-02", "--runbook", "irps/x"); code != 0 ||
		!strings.Contains(out, "irps/x version 1") || !strings.Contains(out, "100.0%") {
		t.Fatalf("metrics table (%d): %s", code, out)
	}

	tasks := `[{"_id":"~1","_type":"Task","title":"Contain","status":"Completed","startDate":1772445900000,"endDate":1772447400000,"assignee":"ana"},
{"_id":"~2","_type":"Task","title":"Odd","status":"Paused"}]`
	code, out, errOut = run(t, db, tasks, "runbooks", "import-tasks", "-", "--case", "soar/C1", "--runbook", "irps/x")
	if code != ExitRejects || !strings.Contains(out, "1 tasks read, 1 new events") || !strings.Contains(errOut, `-: $[1]: task ~2: status "Paused"`) {
		t.Fatalf("import-tasks (%d): %s\n%s", code, out, errOut)
	}

	certs := "analyst,certification,issued,expires\nana,GIAC GCIH,2022-01-10,2026-01-10\nana,OSCP,,\nben,,2020-01-01,\nana,CISSP,2024-01-01,2023-01-01\n"
	code, out, errOut = run(t, db, certs, "training", "certifications", "import", "-")
	if code != ExitRejects || !strings.Contains(out, "2 certifications stored (2 new, 0 updated)") || !strings.Contains(errOut, "stdin:4: analyst and certification are required") ||
		!strings.Contains(errOut, "stdin:5: expires before it was issued") {
		t.Fatalf("certifications (%d): %s\n%s", code, out, errOut)
	}
	var as training.Assessment
	code, out, errOut = run(t, db, "", "training", "assess", "--team-skills", "--certification-tracking", "--at", "2026-03-02T12:00:00Z", "-o", "json")
	if err := json.Unmarshal([]byte(out), &as); err != nil || code != 0 {
		t.Fatalf("assess (%d): %s %s %v", code, out, errOut, err)
	}
	// Ana's GCIH expired on 2026-01-10, so nobody can run irps/x.
	if len(as.Requirements) != 1 || len(as.Requirements[0].Holders) != 0 || as.Program.CertsExpired != 1 || len(as.Gaps) != 1 || as.Gaps[0].Hours != 168 {
		t.Fatalf("assessment %+v", as)
	}
	if code, out, _ = run(t, db, "", "training", "assess", "--team-skills", "--at", "2026-03-02T12:00:00Z"); code != 0 || !strings.Contains(out, "Training plan") {
		t.Fatalf("assess table (%d): %s", code, out)
	}
	if code, _, errOut = run(t, db, "", "training", "assess"); code != ExitError || !strings.Contains(errOut, "--team-skills") {
		t.Fatalf("assess without a view (%d): %s", code, errOut)
	}
}
