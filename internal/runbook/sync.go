package runbook

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi"
)

// Change is what a sync did to one runbook.
type Change struct {
	ID      string `json:"id"`
	Path    string `json:"path"`
	Version int    `json:"version"`
	// Action is added, updated, unchanged, restored (back in its folder,
	// unchanged) or removed (no longer in its folder).
	Action string `json:"action"`
}

// Sync actions.
const (
	Added     = "added"
	Updated   = "updated"
	Unchanged = "unchanged"
	Restored  = "restored"
	Removed   = "removed"
)

// SyncResult is the outcome of syncing a folder.
type SyncResult struct {
	ID       int64         `json:"sync_id"`
	Source   string        `json:"source"`
	At       time.Time     `json:"at"`
	Files    int           `json:"files"`
	Changes  []Change      `json:"changes"`
	Problems []*ParseError `json:"problems"`
	Broken   []BrokenLink  `json:"broken_links"`
}

// Count returns how many changes had the action.
func (r *SyncResult) Count(action string) int {
	n := 0
	for _, c := range r.Changes {
		if c.Action == action {
			n++
		}
	}
	return n
}

// Saver stores a synced folder: a new version of each runbook whose file
// changed, nothing for the others, and the removal of runbooks of the
// same source no longer in it, all in one transaction, plus a record of
// the sync.
type Saver interface {
	SaveRunbooks(ctx context.Context, source string, at time.Time, f *Folder) (SyncResult, error)
}

// Sync loads a folder (see [Load]) and stores it under source (the
// folder's name for the registry: runbooks of the same source missing from
// the folder are marked removed).
func Sync(ctx context.Context, st Saver, fsys fs.FS, root, source string, at time.Time) (SyncResult, error) {
	if strings.TrimSpace(source) == "" {
		return SyncResult{}, fmt.Errorf("syncing runbooks: no source name")
	}
	f, err := Load(fsys, root)
	if err != nil {
		return SyncResult{}, err
	}
	return st.SaveRunbooks(ctx, source, at.UTC(), f)
}

// Source is what a report reads from the store.
type Source interface {
	RunbookEntries(ctx context.Context) ([]*Entry, error)
	// RunbookEvents returns the runbook events of the cases created in
	// [from, to) or with a runbook event in it, by case, time and id.
	RunbookEvents(ctx context.Context, from, to time.Time) ([]Event, error)
	// RunbookLastRuns returns, by runbook name as recorded, the newest
	// runbook event.
	RunbookLastRuns(ctx context.Context) (map[string]time.Time, error)
	// RuleInfos returns the stored rules with their techniques and tactics.
	RuleInfos(ctx context.Context) ([]RuleInfo, error)
	RefreshFacts(ctx context.Context) (int, error)
	// RuleCaseCounts counts, by rule, the cases created on the days
	// [fromDay, toDay) (YYYYMMDD) that the KPIs count.
	RuleCaseCounts(ctx context.Context, fromDay, toDay int64) (map[string]int, error)
	// CaseRules returns the rules of the cases with these ids.
	CaseRules(ctx context.Context, ids []int64) ([]string, error)
	// RuleFacts calls fn with the facts of the cases created on the days
	// [fromDay, toDay) whose rule is one of rules, by day and case id.
	RuleFacts(ctx context.Context, fromDay, toDay int64, rules []string, fn func(*kpi.Facts)) error
}

// Measure reads a window [from, to) (local midnights in the organisation's
// time zone) and builds the report as of asOf. alerts are the rules' alert
// counts in the window (the rule report's, see metrics.RuleReport); a rule
// named only there is added with its count.
func Measure(ctx context.Context, src Source, window string, from, to, asOf time.Time, alerts []RuleInfo) (*Report, error) {
	reg, execs, bad, err := Executions(ctx, src, from, to)
	if err != nil {
		return nil, err
	}
	if _, err := src.RefreshFacts(ctx); err != nil {
		return nil, fmt.Errorf("refreshing case facts: %w", err)
	}
	in := Input{Registry: reg, Executions: execs, Unreadable: len(bad), Window: window, From: from, To: to, AsOf: asOf,
		LastRuns: map[string]time.Time{}}
	// The comparison needs the facts of the strata (priority, rule) that
	// cases with runs fall in, and the coverage gaps only counts per rule:
	// a million-case quarter with few runbook runs reads few facts.
	fromDay, toDay := dayNumber(from), dayNumber(to)
	if in.RuleCases, err = src.RuleCaseCounts(ctx, fromDay, toDay); err != nil {
		return nil, err
	}
	if ids := caseIDs(execs); len(ids) > 0 {
		rules, err := src.CaseRules(ctx, ids)
		if err != nil {
			return nil, err
		}
		if len(rules) > 0 {
			if err := src.RuleFacts(ctx, fromDay, toDay, rules, func(f *kpi.Facts) { in.Facts = append(in.Facts, *f) }); err != nil {
				return nil, err
			}
		}
	}
	if in.Rules, err = src.RuleInfos(ctx); err != nil {
		return nil, err
	}
	in.Rules = withAlerts(in.Rules, alerts)
	last, err := src.RunbookLastRuns(ctx)
	if err != nil {
		return nil, err
	}
	for name, t := range last {
		id := name
		if e := reg.Lookup(name); e != nil {
			id = e.ID
		}
		if t.After(in.LastRuns[id]) {
			in.LastRuns[id] = t
		}
	}
	return Build(in), nil
}

// dayNumber is t's day as the case facts key it: YYYYMMDD of t's date in
// t's location.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return int64(y*10000 + int(m)*100 + d)
}

// caseIDs returns the distinct cases the runs are on, in ascending order.
func caseIDs(execs []Execution) []int64 {
	seen := map[int64]bool{}
	var ids []int64
	for _, x := range execs {
		if !seen[x.CaseID] {
			seen[x.CaseID] = true
			ids = append(ids, x.CaseID)
		}
	}
	slices.Sort(ids)
	return ids
}

// Executions reads the registry and derives the runs of the cases created
// in [from, to) or with a runbook event in it.
func Executions(ctx context.Context, src Source, from, to time.Time) (*Registry, []Execution, []Unreadable, error) {
	entries, err := src.RunbookEntries(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	reg := NewRegistry(entries)
	evs, err := src.RunbookEvents(ctx, from, to)
	if err != nil {
		return nil, nil, nil, err
	}
	execs, bad := Derive(reg, evs)
	return reg, execs, bad, nil
}

// withAlerts adds alert counts to rules, and the rules only the counts
// name.
func withAlerts(rules, alerts []RuleInfo) []RuleInfo {
	idx := map[string]int{}
	for i, r := range rules {
		idx[r.ID] = i
	}
	for _, a := range alerts {
		if a.ID == "" {
			continue
		}
		if i, ok := idx[a.ID]; ok {
			rules[i].Alerts += a.Alerts
			continue
		}
		idx[a.ID] = len(rules)
		rules = append(rules, a)
	}
	return rules
}
