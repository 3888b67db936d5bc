package maintain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
)

// MinAlertRetention is the shortest alert retention allowed: threat
// intelligence retro-hunts look back 90 days (intel.DefaultHuntDays) and the
// staffing model 28 (staffing.DefaultHistoryDays), and both read alerts,
// not rollups.
const MinAlertRetention = 90 * 24 * time.Hour

// MinCaseLogRetention is the shortest case-log retention allowed, counted
// from a case's closing: the logs of recently closed cases are what
// reviews, reopenings and audits read.
const MinCaseLogRetention = 90 * 24 * time.Hour

// MinRawRetention is the shortest raw-payload retention allowed: a day, so
// a payload is there while its record is investigated.
const MinRawRetention = 24 * time.Hour

// Policy is how long data is kept. A zero duration keeps everything (the
// default).
type Policy struct {
	// RawPayloads is how long the raw source record (the JSON or CSV row
	// as received) of alerts, cases and findings is kept; the fields
	// Watchfloor models from it stay.
	RawPayloads time.Duration
	// Alerts is how long alerts that belong to no case and matched no
	// indicator are kept; the alert rollups kept at ingest still count
	// them, so every report over the removed days answers as before.
	Alerts time.Duration
	// CaseLogs is how long the log (events and comments) of a closed case
	// is kept after its closing; runbook executions, the case record and
	// its KPI facts stay, and so does the log of a case in a major incident
	// still open. Every KPI, trend and staffing history over those days
	// answers as before.
	CaseLogs time.Duration
}

// MarshalJSON writes the periods as ParseDays reads them ("90d"; "0"
// keeps everything).
func (p Policy) MarshalJSON() ([]byte, error) {
	f := func(d time.Duration) string {
		if d == 0 {
			return "0"
		}
		return FormatDays(d)
	}
	return json.Marshal(struct {
		RawPayloads string `json:"raw_payloads"`
		Alerts      string `json:"alerts"`
		CaseLogs    string `json:"case_logs"`
	}{f(p.RawPayloads), f(p.Alerts), f(p.CaseLogs)})
}

// Validate checks the policy's bounds.
func (p Policy) Validate() error {
	var errs []error
	if p.RawPayloads < 0 || (p.RawPayloads > 0 && p.RawPayloads < MinRawRetention) {
		errs = append(errs, fmt.Errorf("raw payload retention %s: want 0 (keep) or at least 1d", FormatDays(p.RawPayloads)))
	}
	if p.Alerts < 0 || (p.Alerts > 0 && p.Alerts < MinAlertRetention) {
		errs = append(errs, fmt.Errorf("alert retention %s: want 0 (keep) or at least 90d (retro-hunts read 90 days of alerts, the staffing model 28)", FormatDays(p.Alerts)))
	}
	if p.CaseLogs < 0 || (p.CaseLogs > 0 && p.CaseLogs < MinCaseLogRetention) {
		errs = append(errs, fmt.Errorf("case log retention %s: want 0 (keep) or at least 90d after a case closes", FormatDays(p.CaseLogs)))
	}
	return errors.Join(errs...)
}

// Empty reports whether the policy keeps everything.
func (p Policy) Empty() bool { return p.RawPayloads == 0 && p.Alerts == 0 && p.CaseLogs == 0 }

// ParseDays reads a retention period: a number of days ("90d"), a Go
// duration ("2160h"), or "" / "0" to keep everything.
func ParseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q: want a number of days such as 90d, or a duration such as 2160h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a number of days such as 90d, or a duration such as 2160h", s)
	}
	return d, nil
}

// FormatDays prints a retention period as ParseDays reads it.
func FormatDays(d time.Duration) string {
	if d == 0 {
		return "0 (keep)"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// Retention applies a Policy to a store.
type Retention struct {
	Store  *store.Store
	Policy Policy
	Log    *slog.Logger
	Audit  Auditor
	// Actor, Role and Remote name who applies it in the audit log.
	Actor, Role, Remote string
	Now                 func() time.Time // the clock; time.Now when nil
}

// RetentionReport is what one application of the policy changed (or, in
// a dry run, would change).
type RetentionReport struct {
	DryRun bool                `json:"dry_run"`
	At     time.Time           `json:"at"`
	Policy Policy              `json:"policy"`
	Raw    *store.RawPruned    `json:"raw_payloads,omitempty"`
	Alerts *store.AlertsPruned `json:"alerts,omitempty"`
	// CaseLogs is nil when the policy keeps them.
	CaseLogs *store.CaseLogsPruned `json:"case_logs,omitempty"`
}

// Summary is the report in one line, for logs and the audit log.
func (r RetentionReport) Summary() string {
	var parts []string
	if r.Raw != nil {
		parts = append(parts, fmt.Sprintf("raw payloads before %s: %d alerts, %d cases, %d findings (%d bytes)",
			r.Raw.Before.Format(time.RFC3339), r.Raw.Alerts.Rows, r.Raw.Cases.Rows, r.Raw.Findings.Rows,
			r.Raw.Alerts.Bytes+r.Raw.Cases.Bytes+r.Raw.Findings.Bytes))
	}
	if r.Alerts != nil {
		parts = append(parts, fmt.Sprintf("alerts before %s: %d removed with %d change events, %d kept (of cases or matched)",
			r.Alerts.Before.Format(time.RFC3339), r.Alerts.Alerts, r.Alerts.AlertEvents, r.Alerts.Kept))
	}
	if c := r.CaseLogs; c != nil {
		parts = append(parts, fmt.Sprintf("case logs of cases closed before %s: %d cases, %d events (%d comments) removed, %d runbook executions kept, %d cases kept (in open major incidents)",
			c.Before.Format(time.RFC3339), c.Cases, c.Events, c.Comments, c.RunbookEvents, c.InIncidents))
	}
	if len(parts) == 0 {
		return "nothing to do: the policy keeps everything"
	}
	return strings.Join(parts, "; ")
}

func (r *Retention) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Apply applies the policy once: raw payloads older than RawPayloads are
// cleared; alerts created before the horizon (the start of the
// organisation day Alerts ago) that belong to no case and matched no
// indicator are removed — the alert rollups kept at ingest still count
// them, so every report over those days is unchanged; the logs of cases
// closed before the start of the organisation day CaseLogs ago are
// removed (see store.PruneCaseLogs) — the case facts, day aggregates and
// what reports read from the logs are kept.
// A dry run counts and changes nothing. A real run is audited.
func (r *Retention) Apply(ctx context.Context, dry bool) (RetentionReport, error) {
	if err := r.Policy.Validate(); err != nil {
		return RetentionReport{}, err
	}
	now := r.now().UTC()
	rep := RetentionReport{DryRun: dry, At: now, Policy: r.Policy}
	if r.Policy.RawPayloads > 0 {
		raw, err := r.Store.PruneRawPayloads(ctx, now.Add(-r.Policy.RawPayloads), dry)
		if err != nil {
			return rep, err
		}
		rep.Raw = &raw
	}
	if r.Policy.Alerts > 0 {
		loc, err := r.Store.TimeZone(ctx)
		if err != nil {
			return rep, err
		}
		al, err := r.Store.PruneAlerts(ctx, dayStart(now.Add(-r.Policy.Alerts), loc), dry)
		if err != nil {
			return rep, err
		}
		rep.Alerts = &al
	}
	if r.Policy.CaseLogs > 0 {
		loc, err := r.Store.TimeZone(ctx)
		if err != nil {
			return rep, err
		}
		cl, err := r.Store.PruneCaseLogs(ctx, store.CaseLogPrune{Before: dayStart(now.Add(-r.Policy.CaseLogs), loc),
			Policy: FormatDays(r.Policy.CaseLogs), Now: now}, dry)
		if err != nil {
			return rep, err
		}
		rep.CaseLogs = &cl
	}
	if !dry && r.Audit != nil {
		if err := r.Audit.Audit(ctx, store.AuditEntry{At: now, Actor: r.Actor, Role: r.Role, Action: "retention apply",
			Target: "raw " + FormatDays(r.Policy.RawPayloads) + ", alerts " + FormatDays(r.Policy.Alerts) + ", case logs " + FormatDays(r.Policy.CaseLogs),
			Remote: r.Remote, Detail: rep.Summary()}); err != nil {
			return rep, fmt.Errorf("writing audit log: %w", err)
		}
	}
	return rep, nil
}

// dayStart is the start, in UTC, of the organisation day holding t.
func dayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
}

// Run applies the policy every interval until ctx ends, the first time
// one interval after the start (so a restart loop does not prune in a
// burst).
func (r *Retention) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep, err := r.Apply(ctx, false)
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Error("retention failed", "err", err)
			}
			continue
		}
		r.Log.Info("retention applied", "summary", rep.Summary())
	}
}
