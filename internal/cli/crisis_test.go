package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
)

func TestCrisisCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	cases := `{"record":"case","source":"mail","external_id":"BEC-1","title":"CFO mailbox \u001b[31mforwarding\u001b[0m <b>rule</b>","priority":"P1","created_at":"2026-03-02T07:00:00Z"}
{"record":"analyst","external_id":"krossi","name":"Kofi Rossi","tier":"L3","active":true,"hourly_cost":100}
`
	if code, _, errOut := run(t, db, cases, "ingest", "-"); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	mi := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, db, "", append([]string{"crisis", "manage", "--major-incident"}, args...)...)
	}
	// Without --major-incident the command says what it needs.
	if code, _, errOut := run(t, db, "", "crisis", "manage", "list"); code != ExitError || !strings.Contains(errOut, "say what to manage: --major-incident") {
		t.Fatalf("no flag: %d %s", code, errOut)
	}
	aware := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	code, out, errOut := mi("declare", "--severity", "SEV1", "--case", "mail/BEC-1", "--aware-at", aware.Format(time.RFC3339),
		"--regimes", "gdpr,nis2,sec", "--commander", "krossi", "-o", "json")
	if code != 0 {
		t.Fatalf("declare: %d %s", code, errOut)
	}
	var v struct {
		Ref    string
		Title  string
		Clocks []struct {
			Regime, Report, State string
			DueAt                 *time.Time `json:"due_at"`
			SubmittedAt           *time.Time `json:"submitted_at"`
		}
		Commander string
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("declare -o json: %v\n%s", err, out)
	}
	if v.Ref != "MI-1" || v.Commander != "krossi" || len(v.Clocks) != 5 || v.Title != "CFO mailbox \x1b[31mforwarding\x1b[0m <b>rule</b>" {
		t.Fatalf("declared %+v", v)
	}
	// status -o json lists each clock with regime, report, due_at,
	// submitted_at (null until submitted) and state.
	for _, field := range []string{`"regime": "gdpr"`, `"report": "notification"`, `"due_at": "` + aware.Add(72*time.Hour).Format(time.RFC3339) + `"`,
		`"submitted_at": null`, `"state": "running"`, `"report": "form-8k"`, `"state": "waiting"`} {
		if !strings.Contains(out, field) {
			t.Errorf("status JSON lacks %s", field)
		}
	}
	if code, _, errOut = mi("event", "MI-1", "--type", "notified", "--regime", "nis2", "--report", "early-warning", "--reference", "CSIRT-1"); code != 0 {
		t.Fatalf("event: %s", errOut)
	}
	if code, out, _ = mi("status", "1", "-o", "json"); code != 0 || !strings.Contains(out, `"reference": "CSIRT-1"`) {
		t.Fatalf("status after submission: %s", out)
	}
	// Terminal output escapes the title's escape sequence.
	code, out, _ = mi("status", "MI-1")
	if code != 0 || strings.Contains(out, "\x1b") || !strings.Contains(out, `CFO mailbox \x1b[31mforwarding\x1b[0m <b>rule</b>`) ||
		!strings.Contains(out, "early-warning") || !strings.Contains(out, "submitted") {
		t.Fatalf("status table: %s", out)
	}
	code, out, _ = mi("list", "-o", "markdown")
	if code != 0 || !strings.Contains(out, `&lt;b&gt;rule&lt;/b&gt;`) {
		t.Fatalf("list markdown: %s", out)
	}

	// Bad input: clear errors, exit 1, nothing written.
	before := logLength(t, db)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"declare", "--title", "x", "--severity", "SEV1", "--regimes", "gdpr,ccpa"}, `unknown regime "ccpa"`},
		{[]string{"role", "MI-1", "--assign", "commander", "--to", "zzimmer"}, "a second incident commander is not allowed"},
		{[]string{"close", "MI-1"}, "closing needs a commander hand-over"},
		{[]string{"event", "MI-1", "--type", "notified", "--regime", "sec"}, "the clock of sec form-8k has not started"},
		{[]string{"task", "MI-1", "--add", "x", "--due", "-1h"}, "a task cannot be due before it is created"},
		{[]string{"event", "MI-1", "--type", "aware", "--at", "yesterday"}, `--at "yesterday": want RFC 3339`},
		{[]string{"status", "MI-7"}, "incident MI-7: not found"},
		{[]string{"notify", "MI-1", "--audience", "legal"}, "no stakeholder is registered for legal"},
	} {
		code, _, errOut := mi(tc.args...)
		if code != ExitError || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
	if after := logLength(t, db); after != before {
		t.Fatalf("refused commands wrote %d log entries", after-before)
	}

	// Role hand-over, a task, an update, closing with a hand-over, review.
	for _, args := range [][]string{
		{"role", "MI-1", "--assign", "scribe", "--to", "ann"},
		{"role", "MI-1", "--assign", "commander", "--to", "zzimmer", "--handover"},
		{"task", "MI-1", "--add", "Search mail logs", "--owner", "ann", "--due", "+2h"},
		{"task", "MI-1", "--done", "1"},
		{"update", "MI-1", "--conditions", "contained", "--actions", "forensics", "--needs", "none", "--status", "stable"},
		{"event", "MI-1", "--type", "decision", "--text", "Notify the DPA", "--pin"},
		{"close", "MI-1", "--handover-to", "ann", "--summary", "stood down"},
		{"review", "MI-1", "--roadmap-lesson", "Detect external forwarding rules", "--category", "detection",
			"--action", "Write the forwarding-rule detection", "--owner", "ann", "--due", "+336h"},
	} {
		if code, _, errOut := mi(args...); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	code, out, _ = mi("review", "MI-1", "-o", "json")
	var r struct {
		Status        string
		Handover      string
		RoadmapInputs []struct{ Text, Category string } `json:"roadmap_inputs"`
		FollowUps     []struct{ Title, Owner string }   `json:"follow_up_actions"`
		Phases        []struct {
			Name    string
			Seconds *float64
		} `json:"durations"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
		t.Fatalf("review: %v %s", err, out)
	}
	if r.Status != "closed" || r.Handover != "ann" || len(r.RoadmapInputs) != 1 || r.RoadmapInputs[0].Category != "detection" ||
		len(r.FollowUps) != 1 || r.FollowUps[0].Owner != "ann" || len(r.Phases) != 5 || r.Phases[4].Name != "resolve" || r.Phases[4].Seconds == nil {
		t.Fatalf("review %+v", r)
	}
	// Every write is in the audit log, refused ones with their reason.
	audit := auditActions(t, db)
	if !strings.Contains(audit, "crisis declare") || !strings.Contains(audit, "crisis close") || !strings.Contains(audit, "refused: incident MI-1: the role incident commander is held by krossi") {
		t.Fatalf("audit log: %s", audit)
	}
}

// logLength counts the incident log entries in the store.
func logLength(t *testing.T, db string) int {
	t.Helper()
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, log, err := st.IncidentLog(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return len(log)
}

func auditActions(t *testing.T, db string) string {
	t.Helper()
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.AuditEntries(t.Context(), store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Action + " " + e.Detail + "\n")
	}
	return b.String()
}
