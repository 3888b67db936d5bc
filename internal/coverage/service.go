package coverage

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Store is what the coverage service reads and writes.
type Store interface {
	SaveImportedRules(ctx context.Context, rules []store.ImportedRule, now time.Time) (store.ImportCounts, error)
	ImportedRules(ctx context.Context) ([]store.ImportedRule, error)
	RuleCatalog(ctx context.Context) ([]model.Rule, error)
	RuleAlertCounts(ctx context.Context, from, to time.Time) ([]store.RuleAlerts, error)
	SaveCoverageSnapshot(ctx context.Context, at time.Time, label string, doc []byte) (int64, error)
	CoverageSnapshots(ctx context.Context, withDocs bool) ([]store.Document, error)
	BundleStore
}

// Service computes coverage from the store and the KPI engine's rule
// report. It is safe for concurrent use.
type Service struct {
	st  Store
	rep *metrics.Service
	// Catalog returns the ATT&CK catalog and its version: the bundle
	// loaded with LoadBundle, else the embedded one (StoredCatalog).
	Catalog func(ctx context.Context) (*attack.Catalog, string, error)
}

// NewService returns a coverage service over st, whose window figures
// come from rep.
func NewService(st Store, rep *metrics.Service) *Service {
	return &Service{st: st, rep: rep, Catalog: func(ctx context.Context) (*attack.Catalog, string, error) { return StoredCatalog(ctx, st) }}
}

// ImportResult is what an import read and stored.
type ImportResult struct {
	Dir    string `json:"dir"`
	Format string `json:"format"`
	Files  int    `json:"files"`
	Rules  int    `json:"rules"`
	store.ImportCounts
	// Techniques counts the distinct techniques the rules name.
	Techniques int       `json:"techniques"`
	Problems   []Problem `json:"problems"`
}

// Import reads a folder of detection content (see Read) and stores its
// rules. The problems are in the result; an error means nothing was
// stored.
func (s *Service) Import(ctx context.Context, fsys fs.FS, dir, format string) (*ImportResult, error) {
	cat, _, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	l, err := Read(ctx, cat, fsys, format)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Dir: dir, Format: format, Files: l.Files, Rules: len(l.Rules), Problems: l.Problems}
	if res.Format == "" {
		res.Format = "detected per file"
	}
	techs := map[string]bool{}
	for _, r := range l.Rules {
		for _, t := range r.Techniques {
			techs[t] = true
		}
	}
	res.Techniques = len(techs)
	if len(l.Rules) > 0 {
		if res.ImportCounts, err = s.st.SaveImportedRules(ctx, l.Rules, time.Now().UTC()); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Query asks for coverage over a window.
type Query struct {
	metrics.WindowQuery
	Options
}

// Report computes coverage over the query's window (quarterly when no
// timeframe is given).
func (s *Service) Report(ctx context.Context, q Query) (*Report, error) {
	if q.Timeframe == "" && q.From == "" {
		q.Timeframe = string(metrics.Quarterly)
	}
	cat, version, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.rep.Resolve(ctx, q.WindowQuery)
	if err != nil {
		return nil, err
	}
	rr, err := s.rep.Rules(ctx, metrics.RulesQuery{WindowQuery: q.WindowQuery})
	if err != nil {
		return nil, fmt.Errorf("rule report for coverage: %w", err)
	}
	sets, _, err := s.rep.Engine().TechniqueSets(ctx, res.Window)
	if err != nil {
		return nil, fmt.Errorf("alert techniques for coverage: %w", err)
	}
	rules, err := s.st.RuleCatalog(ctx)
	if err != nil {
		return nil, err
	}
	imported, err := s.st.ImportedRules(ctx)
	if err != nil {
		return nil, err
	}
	rep := Compute(Input{Catalog: cat, Rules: rules, Imported: imported, Report: rr, TechniqueSets: sets, Options: q.Options})
	rep.ATTACKVersion = version
	return rep, nil
}

// Snapshot is a dated summary of a coverage report, as stored.
type Snapshot struct {
	ID         int64             `json:"id"`
	TakenAt    time.Time         `json:"taken_at"`
	Window     string            `json:"window"`
	Rules      int               `json:"rules"`
	Active     int               `json:"active_rules"`
	FiredRules int               `json:"fired_rules"`
	Techniques int               `json:"techniques"`
	Covered    int               `json:"covered"`
	Mean       *float64          `json:"mean_score"`
	Tactics    []Tactic          `json:"tactics"`
	Scores     map[string]int    `json:"scores"` // technique and sub-technique id → score, for those above 0
	Rows       map[string][2]int `json:"rows"`   // id → rules, fired, for those with rules
}

// Summarize makes a snapshot of a report (without id and time).
func Summarize(r *Report) Snapshot {
	sn := Snapshot{Window: r.Window, Rules: r.Rules, Active: r.Active, FiredRules: r.FiredRules, Tactics: r.Tactics,
		Scores: map[string]int{}, Rows: map[string][2]int{}}
	var sum summary
	for i := range r.Techniques {
		t := &r.Techniques[i]
		sum.add(t)
		for _, x := range append([]Technique{*t}, t.Subtechniques...) {
			if x.Score > 0 {
				sn.Scores[x.ID] = x.Score
			}
			if x.Rules > 0 {
				sn.Rows[x.ID] = [2]int{x.Rules, x.Fired}
			}
		}
	}
	sn.Techniques, sn.Covered, sn.Mean = sum.n, sum.covered, sum.mean()
	return sn
}

// TakeSnapshot computes coverage and stores its summary, dated now.
func (s *Service) TakeSnapshot(ctx context.Context, q Query, now time.Time) (Snapshot, error) {
	r, err := s.Report(ctx, q)
	if err != nil {
		return Snapshot{}, err
	}
	sn := Summarize(r)
	sn.TakenAt = now.UTC()
	b, err := json.Marshal(sn)
	if err != nil {
		return Snapshot{}, err
	}
	if sn.ID, err = s.st.SaveCoverageSnapshot(ctx, sn.TakenAt, sn.Window, b); err != nil {
		return Snapshot{}, err
	}
	return sn, nil
}

// Snapshots returns the stored snapshots, oldest first.
func (s *Service) Snapshots(ctx context.Context) ([]Snapshot, error) {
	docs, err := s.st.CoverageSnapshots(ctx, true)
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, 0, len(docs))
	for _, d := range docs {
		var sn Snapshot
		if err := json.Unmarshal(d.Doc, &sn); err != nil {
			return nil, fmt.Errorf("coverage snapshot %d: %w", d.ID, err)
		}
		sn.ID, sn.TakenAt = d.ID, d.At
		out = append(out, sn)
	}
	return out, nil
}

// Change is a technique whose score moved between two snapshots.
type Change struct {
	ID   string `json:"id"`
	From int    `json:"from"`
	To   int    `json:"to"`
}

// Compare lists the techniques whose score differs between two snapshots,
// by ID.
func Compare(a, b Snapshot) []Change {
	var out []Change
	for _, id := range sortedKeys(union(a.Scores, b.Scores)) {
		if a.Scores[id] != b.Scores[id] {
			out = append(out, Change{ID: id, From: a.Scores[id], To: b.Scores[id]})
		}
	}
	return out
}

func union(a, b map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// RuleFiring is an imported rule and the alerts credited to it in a span
// of time (matched as Link matches them: the alert's rule id equals the
// rule's id, else its rule name equals the rule's title, case ignored).
type RuleFiring struct {
	Format string    `json:"format"`
	ID     string    `json:"id"`
	Title  string    `json:"title"`
	Status string    `json:"status"`
	Path   string    `json:"path"`
	Alerts int64     `json:"alerts"`
	First  time.Time `json:"first,omitzero"`
	Last   time.Time `json:"last,omitzero"`
	// AlertRules are the alert rules credited, as "source/rule_id".
	AlertRules []string `json:"alert_rules,omitempty"`
}

// FiredStore is what Fired reads.
type FiredStore interface {
	ImportedRules(ctx context.Context) ([]store.ImportedRule, error)
	RuleAlertCounts(ctx context.Context, from, to time.Time) ([]store.RuleAlerts, error)
}

// Fired returns every imported rule with the alerts created in [from, to)
// that are credited to it, with the first and last of them; a rule that
// never fired has Alerts 0. It reads the alerts table (one grouped scan of
// the span: seconds for a million alerts on SQLite); FiredIn answers from
// the KPI rollups, some fifty times faster.
func Fired(ctx context.Context, st FiredStore, from, to time.Time) ([]RuleFiring, error) {
	imported, err := st.ImportedRules(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := st.RuleAlertCounts(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return fired(imported, counts), nil
}

// FiredIn is Fired over a report window (whole days in the organisation's
// time zone), from the KPI engine's daily rule rollups: the counts coverage
// uses, without first and last times. It returns the window it resolved.
func (s *Service) FiredIn(ctx context.Context, q metrics.WindowQuery) ([]RuleFiring, string, error) {
	rep, err := s.rep.Rules(ctx, metrics.RulesQuery{WindowQuery: q})
	if err != nil {
		return nil, "", err
	}
	imported, err := s.st.ImportedRules(ctx)
	if err != nil {
		return nil, "", err
	}
	counts := make([]store.RuleAlerts, 0, len(rep.Rules))
	for _, r := range rep.Rules {
		if !r.WithoutAlerts && r.Alerts > 0 {
			counts = append(counts, store.RuleAlerts{Source: r.Source, RuleID: r.RuleID, RuleName: r.RuleName, Alerts: r.Alerts})
		}
	}
	return fired(imported, counts), rep.Window, nil
}

// fired credits alert counts to imported rules as Link does.
func fired(imported []store.ImportedRule, counts []store.RuleAlerts) []RuleFiring {
	ix := &index{byID: map[string]*Detection{}, byTitle: map[string]*Detection{}}
	out := make([]RuleFiring, len(imported))
	pos := map[*Detection]int{}
	for i, r := range imported {
		out[i] = RuleFiring{Format: r.Source, ID: r.ExternalID, Title: r.Name, Status: r.Status, Path: r.Path}
		d := &Detection{ID: r.ExternalID, Title: r.Name}
		ix.add(d)
		pos[d] = i
	}
	for _, c := range counts {
		d := ix.find(c.RuleID, c.RuleName)
		if d == nil {
			continue
		}
		f := &out[pos[d]]
		f.Alerts += c.Alerts
		f.AlertRules = append(f.AlertRules, c.Source+"/"+c.RuleID)
		if !c.First.IsZero() && (f.First.IsZero() || c.First.Before(f.First)) {
			f.First = c.First
		}
		if c.Last.After(f.Last) {
			f.Last = c.Last
		}
	}
	return out
}
