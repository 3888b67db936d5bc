package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixtureLines is a small store: an SLA policy, a closed and an open case
// with their alerts, and an analyst whose skill names are hostile.
const fixtureLines = `{"record":"sla_policy","name":"std","version":1,"effective_from":"2026-01-01T00:00:00Z","targets":{"P1":{"acknowledge":900000000000,"resolve":14400000000000},"P2":{"acknowledge":3600000000000,"resolve":28800000000000}}}
{"record":"case","source":"edr","external_id":"c1","title":"=HYPERLINK(\"http://evil\")","priority":"P1","status":"closed","created_at":"2026-03-02T10:00:00Z","acknowledged_at":"2026-03-02T10:10:00Z","closed_at":"2026-03-02T12:00:00Z","updated_at":"2026-03-02T12:00:00Z"}
{"record":"case","source":"edr","external_id":"c2","title":"open; =1+1","priority":"P2","status":"new","created_at":"2026-03-03T10:00:00Z","updated_at":"2026-03-03T10:00:00Z"}
{"record":"alert","source":"edr","external_id":"a1","title":"t","rule_id":"R1","rule_name":"@SUM(1)","case_external_id":"c1","created_at":"2026-03-02T09:55:00Z"}
`

func fixtureStore(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "wf.db")
	if code, out, errOut := run(t, db, fixtureLines, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: %d %s %s", code, out, errOut)
	}
	return db
}

// TestMissingStoreIsAnError: a read command on a --db that does not exist
// fails naming how to create one, and creates nothing; an empty store
// prints that hint instead of a page of zeros. Commands that write still
// create the store.
func TestMissingStoreIsAnError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nonexistent", "dir")
	db := filepath.Join(dir, "x.db")
	for _, args := range [][]string{
		{"status"}, {"metrics", "soc", "--performance"}, {"metrics", "rules", "--noisy"}, {"monitor", "operations", "--soc-dashboard"},
		{"alerts", "list"}, {"cases", "list"}, {"cases", "show", "edr/c1"}, {"sla", "list"}, {"settings", "show"},
		{"runbooks", "list"}, {"runbooks", "show", "triage"}, {"runbooks", "metrics"}, {"runbooks", "runs"},
		{"training", "assess", "--team-skills"},
		{"intel", "matches"}, {"intel", "profiles"}, {"intel", "profile", "APT28"}, {"intel", "indicators"}, {"intel", "feeds"},
		{"settings", "org"},
		{"report", "executive", "--summary"}, {"report", "list"}, {"report", "show", "1"}, {"report", "schedule", "list"},
		{"crisis", "manage", "--major-incident", "list"}, {"crisis", "manage", "--major-incident", "status", "1"},
	} {
		code, out, errOut := run(t, db, "", args...)
		want := "no store at " + db + " — create one with `watchfloor ingest` or `--demo`"
		if code != ExitError || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, code, out, errOut, want)
		}
	}
	if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
		t.Errorf("a read command created %s", filepath.Dir(dir))
	}
	// A store that exists but holds nothing: the hint, not zeros.
	empty := filepath.Join(t.TempDir(), "empty.db")
	if code, _, errOut := run(t, empty, "", "settings", "timezone", "UTC"); code != 0 {
		t.Fatalf("settings: %s", errOut)
	}
	for _, args := range [][]string{{"status"}, {"metrics", "soc", "--performance"}, {"monitor", "operations", "--soc-dashboard"},
		{"metrics", "soc", "--performance", "-o", "json"}} {
		code, out, errOut := run(t, empty, "", args...)
		if code != 0 || out != "" || !strings.Contains(errOut, "holds no alerts or cases yet — add some with `watchfloor ingest` or `--demo`") {
			t.Errorf("%v on an empty store: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	// Writing commands create the store.
	created := filepath.Join(t.TempDir(), "new", "w.db")
	if code, _, errOut := run(t, created, fixtureLines, "ingest", "-"); code != 0 {
		t.Fatalf("ingest into a new store: %s", errOut)
	}
}

// TestCSVIsOneNeutralisedTable: -o csv prints one RFC 4180 table and
// nothing else, chosen with --table when a command has several (their
// names are listed when it is missing or unknown); cells and headers that
// a spreadsheet would run are neutralised, separators quoted.
func TestCSVIsOneNeutralisedTable(t *testing.T) {
	db := fixtureStore(t)
	code, out, errOut := run(t, db, "", "metrics", "soc", "--performance", "--from", "2026-03-01", "--to", "2026-03-07", "-o", "csv")
	if code != ExitError || out != "" || !strings.Contains(errOut, "choose one with --table NAME: groups, sla, kpis, rules") {
		t.Fatalf("several tables without --table: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = run(t, db, "", "metrics", "soc", "--performance", "-o", "csv", "--table", "nope")
	if code != ExitError || !strings.Contains(errOut, `--table "nope": this command's tables are groups, sla, kpis, rules`) {
		t.Errorf("unknown table: %d %q", code, errOut)
	}
	if code, _, errOut = run(t, db, "", "status", "--table", "sources"); code != ExitError || !strings.Contains(errOut, "--table goes with -o csv") {
		t.Errorf("--table without csv: %d %q", code, errOut)
	}
	for _, c := range []struct {
		args   []string
		header []string
	}{
		{[]string{"metrics", "soc", "--performance", "--from", "2026-03-01", "--to", "2026-03-07", "--table", "kpis"},
			[]string{"group", "kpi", "count", "median", "p90", "mean", "open", "missing", "clamped", "imputed", "prev median"}},
		{[]string{"metrics", "soc", "--performance", "--from", "2026-03-01", "--to", "2026-03-07", "--table", "sla"},
			[]string{"group", "clock", "adherence", "met", "breached", "in flight", "open", "at risk", "no target"}},
		{[]string{"metrics", "rules", "--noisy", "--from", "2026-03-01", "--to", "2026-03-07"}, nil},
		{[]string{"status", "--table", "sources"}, []string{"source", "alerts"}},
		{[]string{"cases", "list"}, nil},
		{[]string{"monitor", "operations", "--soc-dashboard", "--table", "queue"}, nil},
	} {
		code, out, errOut := run(t, db, "", append(c.args, "-o", "csv")...)
		if code != 0 {
			t.Errorf("%v: exit %d, %s", c.args, code, errOut)
			continue
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) == 0 {
			t.Errorf("%v is not one CSV table (%v):\n%s", c.args, err, out)
			continue
		}
		if c.header != nil && !slices.Equal(recs[0], c.header) {
			t.Errorf("%v header %q", c.args, recs[0])
		}
		for _, r := range recs {
			for _, cell := range r {
				if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
					t.Errorf("%v: cell %q would run as a formula", c.args, cell)
				}
			}
		}
		if !strings.HasSuffix(out, "\r\n") {
			t.Errorf("%v: lines do not end with CRLF", c.args)
		}
	}
	// The case whose title is a formula, and the one with ";=": neutralised
	// and quoted.
	_, out, _ = run(t, db, "", "cases", "list", "-o", "csv")
	if !strings.Contains(out, `"'=HYPERLINK(""http://evil"")"`) || !strings.Contains(out, `"open; =1+1"`) {
		t.Errorf("cases csv:\n%s", out)
	}
	// No data is "—" in every human format, null in JSON.
	_, out, _ = run(t, db, "", "metrics", "soc", "--performance", "--from", "2026-03-03", "--to", "2026-03-03", "--table", "kpis", "-o", "csv")
	if !strings.Contains(out, "all,MTTR,0,—,—,—,1,") {
		t.Errorf("MTTR of a day without closed cases:\n%s", out)
	}
	_, out, _ = run(t, db, "", "metrics", "soc", "--performance", "--from", "2026-03-03", "--to", "2026-03-03", "-o", "markdown")
	if !strings.Contains(out, "| all | MTTR | 0 | — | — | — | 1 |") {
		t.Errorf("markdown:\n%s", out)
	}
}

// TestFutureAlertDoesNotMoveTheCLIWindow: one alert dated 2031 leaves the
// default window where the data is, and the report says so.
func TestFutureAlertDoesNotMoveTheCLIWindow(t *testing.T) {
	db := fixtureStore(t)
	future := `{"record":"alert","source":"edr","external_id":"f1","title":"t","created_at":"2031-01-01T00:00:00Z"}` + "\n"
	code, _, errOut := run(t, db, future, "ingest", "-")
	if code != 0 || !strings.Contains(errOut, "is 1") || !strings.Contains(errOut, "ahead of the clock: stored and flagged") {
		t.Fatalf("ingest: %d %q", code, errOut)
	}
	code, out, errOut := run(t, db, "", "metrics", "soc", "--performance", "-o", "json")
	if code != 0 {
		t.Fatalf("metrics: %s", errOut)
	}
	var rep struct {
		From, To    string
		FutureDated int      `json:"future_dated"`
		DataQuality []string `json:"data_quality"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.To != "2026-03-03" || rep.From != "2026-02-25" || rep.FutureDated != 1 || len(rep.DataQuality) != 1 {
		t.Errorf("window %s … %s, future %d, quality %q", rep.From, rep.To, rep.FutureDated, rep.DataQuality)
	}
}

// TestSLACommands lists, shows and disables policy versions; the disable
// is audited and the report then says no policy is stored.
func TestSLACommands(t *testing.T) {
	db := fixtureStore(t)
	code, out, _ := run(t, db, "", "sla", "list")
	if code != 0 || !strings.Contains(out, "std   1        2026-01-01 00:00:00Z  in_force  15m00s  4h00m       1h00m   8h00m") {
		t.Fatalf("sla list (%d):\n%s", code, out)
	}
	if code, out, _ = run(t, db, "", "sla", "show", "std", "v1"); code != 0 || !strings.Contains(out, "P2        1h00m        8h00m") {
		t.Errorf("sla show (%d):\n%s", code, out)
	}
	if code, _, errOut := run(t, db, "", "sla", "disable", "std", "1"); code != ExitError || !strings.Contains(errOut, "--reason") {
		t.Errorf("disable without a reason: %d %q", code, errOut)
	}
	if code, out, errOut := run(t, db, "", "sla", "disable", "std", "1", "--reason", "wrong targets"); code != 0 || !strings.Contains(out, "disabled") {
		t.Fatalf("disable: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := run(t, db, "", "sla", "disable", "std", "1", "--reason", "again"); code != ExitError || !strings.Contains(errOut, "already disabled") {
		t.Errorf("disable twice: %d %q", code, errOut)
	}
	_, out, _ = run(t, db, "", "sla", "list", "-o", "json")
	if !strings.Contains(out, `"state": "disabled"`) || !strings.Contains(out, `"disabled_reason": "wrong targets"`) {
		t.Errorf("sla list json:\n%s", out)
	}
	_, out, _ = run(t, db, "", "metrics", "soc", "--performance", "--from", "2026-03-01", "--to", "2026-03-07")
	if !strings.Contains(out, "Warning: no SLA policy is stored") || !strings.Contains(out, "all    acknowledge  —") {
		t.Errorf("report without a policy:\n%s", out)
	}
}
