package cli

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/shareddata"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestBackupRestoreDoctorCLI runs the three commands end to end: a backup
// of a store with data, a refused restore over it, a restore into a new
// store, doctor on both, a refused corrupt backup; and finds each write in
// the audit log.
func TestBackupRestoreDoctorCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wf.db")
	in := `{"record":"alert","source":"edr","external_id":"a1","title":"one","severity":"high","created_at":"2026-03-01T10:00:00Z"}
{"record":"alert","source":"edr","external_id":"a2","title":"two","severity":"low","created_at":"2026-03-01T11:00:00Z"}
`
	if code, _, errOut := run(t, db, in, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	bk := filepath.Join(dir, "backups", "b1.db")
	code, out, errOut := run(t, db, "", "backup", "--out", bk)
	if code != 0 || !strings.Contains(out, "Backup written and verified") || !strings.Contains(out, "integrity check") {
		t.Fatalf("backup (%d): %s %s", code, out, errOut)
	}
	code, out, _ = run(t, db, "", "backup", "--out", bk, "-o", "json")
	if code == 0 {
		t.Fatalf("a second backup onto the same file succeeded: %s", out)
	}

	// Restore over the store it came from: refused without --force.
	code, _, errOut = run(t, db, "", "restore", bk)
	if code != ExitError || !strings.Contains(errOut, "not empty") || !strings.Contains(errOut, "--force") {
		t.Fatalf("restore over data (%d): %s", code, errOut)
	}
	fresh := filepath.Join(dir, "fresh.db")
	code, out, errOut = run(t, fresh, "", "restore", bk, "-o", "json")
	if code != 0 {
		t.Fatalf("restore (%d): %s", code, errOut)
	}
	var info store.BackupInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.Counts["alerts"] != 2 {
		t.Fatalf("restore JSON %q: %v", out, err)
	}

	code, out, errOut = run(t, fresh, "", "doctor")
	if code != 0 || !strings.Contains(out, "integrity") || !strings.Contains(out, "migrations applied") {
		t.Fatalf("doctor (%d): %s %s", code, out, errOut)
	}
	st := storetest.Open(t, fresh)
	entries, err := st.AuditEntries(t.Context(), store.AuditFilter{})
	if err != nil || len(entries) == 0 || entries[0].Action != "restore" || entries[0].Target != bk {
		t.Fatalf("restored store's audit log: %+v %v", entries, err)
	}
	st.Close()
	src := storetest.Open(t, db)
	entries, _ = src.AuditEntries(t.Context(), store.AuditFilter{})
	if len(entries) != 1 || entries[0].Action != "backup" || !strings.Contains(entries[0].Detail, "integrity check ok") {
		t.Fatalf("source's audit log: %+v", entries)
	}
	src.Close()

	// A corrupt backup is refused; doctor fails on a corrupt store.
	body, _ := os.ReadFile(bk)
	for i := len(body) / 3; i < len(body)/3+4096 && i < len(body); i++ {
		body[i] ^= 0x5a
	}
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, body, 0o600)
	code, _, errOut = run(t, filepath.Join(dir, "other.db"), "", "restore", bad)
	if code != ExitError || !strings.Contains(errOut, "refusing to restore") {
		t.Fatalf("restore of a corrupt file (%d): %s", code, errOut)
	}
	code, out, errOut = run(t, bad, "", "doctor")
	// Where the damage lands depends on the file's layout: a failed check,
	// or a store that cannot even be opened, both exit 1.
	if code != ExitError || !strings.Contains(out, "fail") && !strings.Contains(errOut, "malformed") {
		t.Fatalf("doctor on a corrupt store (%d): %s / %s", code, out, errOut)
	}
	code, _, errOut = run(t, filepath.Join(dir, "missing.db"), "", "doctor")
	if code != ExitError || !strings.Contains(errOut, "no store at") {
		t.Fatalf("doctor on a missing store (%d): %s", code, errOut)
	}
}

// TestRetentionCLI clears the raw payloads of a real ServiceNow export's
// cases: the dry run counts them and changes nothing, the run clears them
// and is audited, and the KPI report is the same before and after.
func TestRetentionCLI(t *testing.T) {
	csv := shareddata.Path(t, "servicenow-incidents", "incident_event_log.csv")
	db := filepath.Join(t.TempDir(), "wf.db")
	if code, _, errOut := run(t, db, "", "ingest", csv); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	report := func() string {
		code, out, errOut := run(t, db, "", "metrics", "soc", "--performance", "--from", "2016-01-01", "--to", "2017-12-31", "-o", "json")
		if code != 0 {
			t.Fatalf("metrics: %s", errOut)
		}
		// The report's "now" is the clock's, not the data's.
		return regexp.MustCompile(`"now": "[^"]*"`).ReplaceAllString(out, "")
	}
	before := report()
	code, out, errOut := run(t, db, "", "retention", "apply", "--raw-payloads", "30d", "--dry-run", "-o", "json")
	if code != 0 {
		t.Fatalf("dry run (%d): %s", code, errOut)
	}
	var dry struct {
		DryRun bool `json:"dry_run"`
		Raw    struct {
			Cases struct{ Rows, Bytes int64 } `json:"cases"`
		} `json:"raw_payloads"`
	}
	if err := json.Unmarshal([]byte(out), &dry); err != nil || !dry.DryRun || dry.Raw.Cases.Rows != 890 || dry.Raw.Cases.Bytes == 0 {
		t.Fatalf("dry run: %s (%v)", out, err)
	}
	code, out, errOut = run(t, db, "", "retention", "apply", "--raw-payloads", "30d")
	if code != 0 || !strings.Contains(out, "raw payloads of cases") || !strings.Contains(out, "890") {
		t.Fatalf("apply (%d): %s %s", code, out, errOut)
	}
	code, out, _ = run(t, db, "", "retention", "apply", "--raw-payloads", "30d", "--dry-run", "-o", "json")
	dry.Raw.Cases.Rows = -1
	if err := json.Unmarshal([]byte(out), &dry); code != 0 || err != nil || dry.Raw.Cases.Rows != 0 {
		t.Fatalf("after apply, the dry run still finds payloads: %s", out)
	}
	if after := report(); after != before {
		t.Errorf("the KPI report changed:\nbefore %s\nafter  %s", before, after)
	}
	st := storetest.Open(t, db)
	entries, _ := st.AuditEntries(t.Context(), store.AuditFilter{})
	if len(entries) != 1 || entries[0].Action != "retention apply" || !strings.Contains(entries[0].Detail, "890 cases") {
		t.Fatalf("audit log: %+v", entries)
	}
	for _, args := range [][]string{{"retention", "apply"}, {"retention", "apply", "--alerts", "30d"}, {"retention", "apply", "--raw-payloads", "soon"}} {
		if code, _, errOut := run(t, db, "", args...); code != ExitError {
			t.Errorf("%v: exit %d %s", args, code, errOut)
		}
	}
}

// TestEraseCLI erases an e-mail address read from standard input: the
// alerts keep their count without it, the audit entry names the type and
// the token but never the value.
func TestEraseCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	in := `{"record":"alert","source":"edr","external_id":"a1","title":"Phish to Carol.Diaz@example.org","severity":"high","created_at":"2026-03-01T10:00:00Z","entities":[{"type":"email","value":"carol.diaz@example.org"}]}
{"record":"alert","source":"edr","external_id":"a2","title":"other","severity":"low","created_at":"2026-03-01T11:00:00Z"}
`
	if code, _, errOut := run(t, db, in, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	code, out, errOut := run(t, db, "carol.diaz@example.org\n", "erase", "--entity", "-", "--type", "email", "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run") || !strings.Contains(out, "alerts") {
		t.Fatalf("dry run (%d): %s %s", code, out, errOut)
	}
	code, out, errOut = run(t, db, "carol.diaz@example.org\n", "erase", "--entity", "-", "-o", "json") // an e-mail address by its @
	if code != 0 {
		t.Fatalf("erase (%d): %s", code, errOut)
	}
	var rep store.ErasureReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Rows != 2 || !strings.HasPrefix(rep.Token, "[erased email ") {
		t.Fatalf("report %s (%v)", out, err)
	}
	_, out, _ = run(t, db, "", "alerts", "list", "-o", "json")
	if strings.Contains(strings.ToLower(out), "carol.diaz") || !strings.Contains(out, rep.Token) || strings.Count(out, `"external_id"`) != 2 {
		t.Fatalf("alerts after erasure: %s", out)
	}
	st := storetest.Open(t, db)
	entries, _ := st.AuditEntries(t.Context(), store.AuditFilter{})
	if len(entries) != 1 || entries[0].Action != "erase" || !strings.Contains(entries[0].Detail, rep.Token) {
		t.Fatalf("audit log %+v", entries)
	}
	if b, _ := json.Marshal(entries); strings.Contains(strings.ToLower(string(b)), "carol") {
		t.Errorf("the audit entry holds the value: %s", b)
	}
	if code, _, errOut := run(t, db, "", "erase", "--entity", "carol", "--type", "email"); code != ExitError || !strings.Contains(errOut, "not an e-mail address") {
		t.Errorf("bad value: %d %s", code, errOut)
	}
}

// TestConfigPrecedence: a flag beats the environment, which beats the
// file, which beats the default; a secret comes from a file; a bad value
// names the file's line.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "oidc-secret")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	dbFile := filepath.Join(dir, "db-url")
	os.WriteFile(dbFile, []byte(filepath.Join(dir, "from-secret-file.db")+"\n"), 0o600)
	cfg := filepath.Join(dir, "watchfloor.yaml")
	os.WriteFile(cfg, []byte(`listen: 127.0.0.1:9000
database_file: `+dbFile+`
poll: 7s
log_level: warn
oidc:
  client_secret_file: `+secret+`
  roles:
    soc-admins: admin
backups:
  dir: `+filepath.Join(dir, "bk")+`
  keep: 3
retention:
  raw_payloads: 90d
`), 0o600)
	serve := func(env map[string]string, args ...string) (*app, *cobra.Command) {
		t.Helper()
		for k, v := range env {
			t.Setenv(k, v)
		}
		a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
		root := a.rootCommand()
		cmd, rest, err := root.Find(append([]string{"serve"}, args...))
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Fatal(err)
		}
		if err := a.applyConfig(cmd, cfg); err != nil {
			t.Fatal(err)
		}
		return a, cmd
	}
	flag := func(cmd *cobra.Command, name string) string { return cmd.Flags().Lookup(name).Value.String() }

	t.Setenv("WATCHFLOOR_DB", "")
	a, cmd := serve(nil)
	if a.db != filepath.Join(dir, "from-secret-file.db") || flag(cmd, "listen") != "127.0.0.1:9000" || flag(cmd, "poll") != "7s" ||
		a.logLevel != "warn" || flag(cmd, "backup-keep") != "3" || a.serveRetention.raw != "90d" ||
		flag(cmd, "oidc-role") != "[soc-admins=admin]" || flag(cmd, "oidc-client-secret-file") != secret {
		t.Errorf("from the file: db %s listen %s poll %s level %s keep %s raw %s roles %s", a.db, flag(cmd, "listen"), flag(cmd, "poll"),
			a.logLevel, flag(cmd, "backup-keep"), a.serveRetention.raw, flag(cmd, "oidc-role"))
	}
	if flag(cmd, "kiosk-rotate") != "1m0s" {
		t.Errorf("a default the file leaves alone: kiosk-rotate %s", flag(cmd, "kiosk-rotate"))
	}
	a, cmd = serve(map[string]string{"WATCHFLOOR_LISTEN": "127.0.0.1:9100", "WATCHFLOOR_DB": filepath.Join(dir, "env.db"), "WATCHFLOOR_BACKUP_KEEP": "5"})
	if flag(cmd, "listen") != "127.0.0.1:9100" || a.db != filepath.Join(dir, "env.db") || flag(cmd, "backup-keep") != "5" || flag(cmd, "poll") != "7s" {
		t.Errorf("the environment over the file: listen %s db %s keep %s poll %s", flag(cmd, "listen"), a.db, flag(cmd, "backup-keep"), flag(cmd, "poll"))
	}
	a, cmd = serve(map[string]string{"WATCHFLOOR_LISTEN": "127.0.0.1:9100"}, "--listen", "127.0.0.1:9200", "--db", filepath.Join(dir, "flag.db"))
	if flag(cmd, "listen") != "127.0.0.1:9200" || a.db != filepath.Join(dir, "flag.db") {
		t.Errorf("the flag over both: listen %s db %s", flag(cmd, "listen"), a.db)
	}

	os.WriteFile(cfg, []byte("listen: 127.0.0.1:1\nbackups:\n  keep: many\n"), 0o600)
	a = &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	root := a.rootCommand()
	cmd, _, _ = root.Find([]string{"serve"})
	cmd.ParseFlags(nil)
	t.Setenv("WATCHFLOOR_BACKUP_KEEP", "")
	if err := a.applyConfig(cmd, cfg); err == nil || !strings.Contains(err.Error(), "watchfloor.yaml:3: backups.keep") {
		t.Errorf("a bad value: %v", err)
	}
	code, out, _ := run(t, filepath.Join(dir, "x.db"), "", "config", "check", cfg)
	if code != ExitError || !strings.Contains(out, "watchfloor.yaml:3: backups.keep") {
		t.Errorf("config check (%d): %s", code, out)
	}
	os.WriteFile(cfg, []byte("listen: 127.0.0.1:1\nbackups:\n  keep: 2\n"), 0o600)
	if code, out, _ := run(t, filepath.Join(dir, "x.db"), "", "config", "check", cfg); code != 0 || !strings.Contains(out, "ok, 2 settings") {
		t.Errorf("config check of a good file (%d): %s", code, out)
	}
	if code, out, _ := run(t, filepath.Join(dir, "x.db"), "", "version"); code != 0 || !strings.Contains(out, "go1.") {
		t.Errorf("version (%d): %s", code, out)
	}
}

// TestCaseLogRetentionCLI: the dry run says exactly which logs would go,
// the run removes them (audited), the case shows when its log was pruned,
// and config check names the line of a case-log retention too short.
func TestCaseLogRetentionCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	in := `{"record":"case","source":"edr","external_id":"c1","title":"Old phish","priority":"P3","status":"new","created_at":"2025-01-10T09:00:00Z","updated_at":"2025-01-10T09:00:00Z"}
{"record":"case_event","case_source":"edr","case_external_id":"c1","external_id":"e1","at":"2025-01-10T09:30:00Z","actor":"ana","source":"edr","kind":"comment","new":"user clicked"}
{"record":"case_event","case_source":"edr","case_external_id":"c1","external_id":"e2","at":"2025-01-10T10:00:00Z","actor":"ana","source":"edr","kind":"stage","old":"new","new":"closed"}
{"record":"case","source":"edr","external_id":"c2","title":"Still open","priority":"P2","status":"new","created_at":"2025-01-11T09:00:00Z","updated_at":"2025-01-11T09:00:00Z"}
`
	if code, _, errOut := run(t, db, in, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	code, out, errOut := run(t, db, "", "retention", "apply", "--case-logs", "90d", "--dry-run")
	if code != 0 {
		t.Fatalf("dry run (%d): %s", code, errOut)
	}
	// c1: created, priority and status from the snapshot, the comment and
	// the close; c2 is open.
	for _, want := range []string{"Retention dry run (nothing changed)", "cases whose log is removed (closed before)", "case events removed",
		"of them comments", "runbook executions kept", "cases kept whole (in open major incidents)"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, db, "", "retention", "apply", "--case-logs", "90d", "--dry-run", "-o", "json")
	var dry struct {
		CaseLogs store.CaseLogsPruned `json:"case_logs"`
	}
	if err := json.Unmarshal([]byte(out), &dry); code != 0 || err != nil {
		t.Fatalf("dry run JSON: %s (%v)", out, err)
	}
	if c := dry.CaseLogs; c.Cases != 1 || c.Events != 5 || c.Comments != 1 || c.RunbookEvents != 0 || c.InIncidents != 0 {
		t.Errorf("dry run %+v, want 1 case, 5 events, 1 comment", c)
	}
	if code, out, errOut := run(t, db, "", "retention", "apply", "--case-logs", "90d"); code != 0 || !strings.Contains(out, "Retention applied") {
		t.Fatalf("apply (%d): %s %s", code, out, errOut)
	}
	code, out, _ = run(t, db, "", "cases", "show", "edr/c1")
	today := time.Now().UTC().Format(time.DateOnly)
	if code != 0 || !strings.Contains(out, "Case log pruned on "+today+" under the case-log retention policy (90d") ||
		!strings.Contains(out, "5 events removed, 1 of them comments") || strings.Contains(out, "user clicked") {
		t.Errorf("case show after pruning (%d):\n%s", code, out)
	}
	if code, out, _ := run(t, db, "", "cases", "show", "edr/c2"); code != 0 || strings.Contains(out, "pruned") {
		t.Errorf("the open case (%d):\n%s", code, out)
	}
	st := storetest.Open(t, db)
	entries, _ := st.AuditEntries(t.Context(), store.AuditFilter{})
	if len(entries) != 1 || entries[0].Action != "retention apply" || entries[0].Target != "raw 0 (keep), alerts 0 (keep), case logs 90d" ||
		!strings.Contains(entries[0].Detail, "1 cases, 5 events (1 comments) removed") {
		t.Errorf("audit log %+v", entries)
	}
	st.Close()
	if code, _, errOut := run(t, db, "", "retention", "apply", "--case-logs", "30d"); code != ExitError || !strings.Contains(errOut, "at least 90d") {
		t.Errorf("30d (%d): %s", code, errOut)
	}

	cfg := filepath.Join(t.TempDir(), "watchfloor.yaml")
	os.WriteFile(cfg, []byte("listen: 127.0.0.1:1\nretention:\n  alerts: 400d\n  case_logs: 30d\n"), 0o600)
	code, out, _ = run(t, db, "", "config", "check", cfg)
	if code != ExitError || !strings.Contains(out, "watchfloor.yaml:4: retention.case_logs: case log retention 30d: want 0 (keep) or at least 90d") ||
		strings.Contains(out, "watchfloor.yaml:3") {
		t.Errorf("config check (%d): %s", code, out)
	}
	os.WriteFile(cfg, []byte("listen: 127.0.0.1:1\nretention:\n  case_logs: 730d\n"), 0o600)
	if code, out, _ := run(t, db, "", "config", "check", cfg); code != 0 || !strings.Contains(out, "ok, 2 settings") {
		t.Errorf("config check of a good file (%d): %s", code, out)
	}
}
