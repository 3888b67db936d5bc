package tech

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Store is what source health reads: the hourly rollups ingest keeps, the
// first and newest alert of each source's rules, the rules' names and the
// organisation's time zone.
type Store interface {
	SourceHours(ctx context.Context, from, to int64) ([]store.SourceHour, error)
	SourceRuleDays(ctx context.Context, from, to int64) ([]store.SourceRuleDay, error)
	SourceRules(ctx context.Context) ([]store.SourceRule, error)
	RuleInfos(ctx context.Context) ([]runbook.RuleInfo, error)
	TimeZone(ctx context.Context) (*time.Location, error)
	// For the detection pipeline: the scheduled intelligence feeds and
	// the imported detection content.
	Feeds(ctx context.Context) ([]store.IntelFeed, error)
	ImportedRules(ctx context.Context) ([]store.ImportedRule, error)
	// The inventory is a setting (SettingInventory).
	Setting(ctx context.Context, name string) (string, error)
}

// Service judges source health from the store's rollups. It keeps the
// history it read for the current hour and re-reads only the last day's
// rollups at each call, so a call costs the recent rows, not the weeks.
// A Service is safe for concurrent use; a server keeps one.
type Service struct {
	Store  Store
	Params Params // DefaultParams when zero

	mu    sync.Mutex
	cache *history
}

// history is the rollups of the hours before the fresh day, read once an
// hour.
type history struct {
	hour   int64 // the current hour when read
	tz     string
	cutoff int64 // hours before this come from the cache
	from   int64
	hours  []store.SourceHour
	rules  []store.SourceRuleDay
}

// freshHours is how many hours before the current one every call re-reads,
// for alerts that arrive late.
const freshHours = 24

// HealthQuery selects what a health report covers.
type HealthQuery struct {
	// At is the instant judged (now when zero): the rollups after it are
	// not read.
	At time.Time
	// Active is how recent a key's newest alert must be for it to be
	// judged (the learned weeks when zero); older ones are counted as
	// retired.
	Active time.Duration
}

// KeyHealth is a source's, or a source's rule's, health.
type KeyHealth struct {
	Source   string    `json:"source"`
	Rule     string    `json:"rule,omitempty"`
	RuleName string    `json:"rule_name,omitempty"`
	First    time.Time `json:"first_alert"`
	Last     time.Time `json:"last_alert"`
	// Alerts are those created in the learned weeks up to now.
	Alerts int64 `json:"alerts_in_span"`
	Health
}

// sum is the alerts of the hours up to now's.
func sum(h *Hours, nowHour int64) int64 {
	var n int64
	for i, c := range h.Alerts {
		if h.Start+int64(i) <= nowHour {
			n += c
		}
	}
	return n
}

// HealthReport is the health of every active source and source × rule.
type HealthReport struct {
	JudgedAt time.Time `json:"judged_at"`
	TimeZone string    `json:"time_zone"`
	// Sources and Rules are ordered worst state first, then by name.
	Sources []KeyHealth `json:"sources"`
	Rules   []KeyHealth `json:"rules"`
	// SourceStates and RuleStates count the keys in each state.
	SourceStates map[State]int `json:"source_states"`
	RuleStates   map[State]int `json:"rule_states"`
	// Retired counts the sources and rules whose newest alert is older
	// than the active span, left out.
	RetiredSources int           `json:"retired_sources"`
	RetiredRules   int           `json:"retired_rules"`
	Active         time.Duration `json:"active_ns"`
	Params         Params        `json:"params"`
	Definition     string        `json:"definition"`
}

// Definition is the health definition every surface shows.
const Definition = "Each source (and each source's rule) is judged against the same hour of the week over the last 8 weeks " +
	"(median and 1.4826 × median absolute deviation, from the hourly rollups kept at ingest), over the 3 complete hours " +
	"before the current one and the current one so far, shifted back by the usual ingest lag. silent: no alert while " +
	"at least 9.2 were expected (each hour's median less its spread: p ≤ 1e-4); quiet: at most half the expected and " +
	"z ≤ −3; noisy: more than twice the expected, 10 more and z ≥ 4; late: median ingest lag (ingested − created) above " +
	"the usual 95th percentile, twice the usual median and the usual median + 1 minute; duplicate-heavy: the share of " +
	"duplicates and re-deliveries at least the usual share plus max(usual, 20 %); learning: fewer than 3 past weeks."

func (s *Service) params() Params {
	if s.Params.Weeks == 0 {
		return DefaultParams
	}
	return s.Params
}

// Health judges every source and source × rule whose newest alert is
// within the active span.
func (s *Service) Health(ctx context.Context, q HealthQuery) (*HealthReport, error) {
	p := s.params()
	now := q.At
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	active := q.Active
	if active <= 0 {
		active = time.Duration(p.Weeks) * 7 * 24 * time.Hour
	}
	tz, err := s.Store.TimeZone(ctx)
	if err != nil {
		return nil, err
	}
	pairs, err := s.Store.SourceRules(ctx)
	if err != nil {
		return nil, err
	}
	hist, fresh, freshRules, err := s.read(ctx, now, tz, p)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	if infos, err := s.Store.RuleInfos(ctx); err != nil {
		return nil, err
	} else {
		for _, r := range infos {
			names[r.ID] = r.Name
		}
	}
	rep := &HealthReport{JudgedAt: now, TimeZone: tz.String(), SourceStates: map[State]int{}, RuleStates: map[State]int{},
		Active: active, Params: p, Definition: Definition, Sources: []KeyHealth{}, Rules: []KeyHealth{}}

	// The keys: sources (first and newest over their rules) and rules,
	// judged only when active.
	type span struct{ first, last time.Time }
	sources := map[string]span{}
	for _, r := range pairs {
		if r.Last.After(now) && r.First.After(now) {
			continue // everything after the instant judged
		}
		sp, ok := sources[r.Source]
		if !ok || r.First.Before(sp.first) {
			sp.first = r.First
		}
		if l := earliest(r.Last, now); l.After(sp.last) {
			sp.last = l
		}
		sources[r.Source] = sp
	}
	start := hist.from
	end := floorHour(now) + 2
	cal := NewCalendar(tz, start, end)
	lagBounds := store.LagBounds[:]

	srcHours := map[string]*Hours{}
	addSource := func(h store.SourceHour) {
		x := srcHours[h.Source]
		if x == nil {
			n := end - start
			x = &Hours{Start: start, Alerts: make([]int64, n), Dups: make([]int64, n), Resent: make([]int64, n), Lag: make([][]int64, n)}
			srcHours[h.Source] = x
		}
		i := h.Hour - start
		if i < 0 || i >= end-start {
			return
		}
		x.Alerts[i], x.Dups[i], x.Resent[i] = h.Alerts, h.Duplicates, h.Resent
		if h.Alerts > 0 {
			l := h.Lag
			x.Lag[i] = l[:]
		}
	}
	for _, h := range hist.hours {
		addSource(h)
	}
	for _, h := range fresh {
		addSource(h)
	}
	// The newest alert at or before now of each source, from the rollups,
	// for judging the past (the stored newest may be after it): the newest
	// hour's last alert, or now when that is after now.
	lastOf := map[string]time.Time{}
	for _, rows := range [][]store.SourceHour{fresh, hist.hours} {
		for _, h := range rows {
			if h.Alerts <= 0 || h.Hour > floorHour(now) {
				continue
			}
			l := earliest(h.LastAt, now)
			if l.After(lastOf[h.Source]) {
				lastOf[h.Source] = l
			}
		}
	}
	usual := map[string]time.Duration{}
	for src, sp := range sources {
		if now.Sub(sp.last) > active {
			rep.RetiredSources++
			continue
		}
		x := srcHours[src]
		if x == nil {
			x = &Hours{Start: start}
		}
		last := sp.last
		if !last.Before(now) {
			last = lastOf[src]
		}
		hh := Judge(x, sp.first, last, now, cal, p, lagBounds, 0)
		usual[src] = hh.UsualLag
		rep.Sources = append(rep.Sources, KeyHealth{Source: src, First: sp.first, Last: last, Alerts: sum(x, floorHour(now)), Health: hh})
		rep.SourceStates[hh.State]++
	}

	ruleHours := map[[2]string]*Hours{}
	addRule := func(d store.SourceRuleDay) {
		k := [2]string{d.Source, d.RuleID}
		x := ruleHours[k]
		if x == nil {
			x = &Hours{Start: start, Alerts: make([]int64, end-start)}
			ruleHours[k] = x
		}
		for j, n := range d.Hours {
			if i := d.Day*24 + int64(j) - start; i >= 0 && i < end-start {
				x.Alerts[i] = n
			}
		}
	}
	for _, h := range hist.rules {
		addRule(h)
	}
	for _, h := range freshRules {
		addRule(h)
	}
	for _, r := range pairs {
		if r.First.After(now) {
			continue
		}
		last := earliest(r.Last, now)
		if now.Sub(last) > active {
			rep.RetiredRules++
			continue
		}
		x := ruleHours[[2]string{r.Source, r.RuleID}]
		if x == nil {
			x = &Hours{Start: start}
		}
		if r.Last.After(now) { // judged in the past: the end of the newest hour with alerts then, at most now
			last = time.Time{}
			for i := min(floorHour(now)-start, int64(len(x.Alerts))-1); i >= 0; i-- {
				if x.Alerts[i] > 0 {
					last = earliest(time.Unix((start+i+1)*3600, 0).UTC(), now)
					break
				}
			}
		}
		hh := Daily(Judge(x, r.First, last, now, cal, p, lagBounds, usual[r.Source]), x, r.First, last, now)
		rep.Rules = append(rep.Rules, KeyHealth{Source: r.Source, Rule: r.RuleID, RuleName: names[r.RuleID], First: r.First, Last: last,
			Alerts: sum(x, floorHour(now)), Health: hh})
		rep.RuleStates[hh.State]++
	}
	sortKeys(rep.Sources)
	sortKeys(rep.Rules)
	return rep, nil
}

// floorDay is the Unix day of a Unix hour.
func floorDay(h int64) int64 {
	if h < 0 {
		return (h - 23) / 24
	}
	return h / 24
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func sortKeys(ks []KeyHealth) {
	slices.SortFunc(ks, func(a, b KeyHealth) int {
		return cmp.Or(cmp.Compare(a.State.Rank(), b.State.Rank()), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Rule, b.Rule))
	})
}

// read returns the cached history (read again when the hour or time zone
// changed) and the fresh rollups of the last day up to now.
func (s *Service) read(ctx context.Context, now time.Time, tz *time.Location, p Params) (*history, []store.SourceHour, []store.SourceRuleDay, error) {
	hour := floorHour(now)
	from := hour - int64(p.Weeks*Slots) - int64(p.Window) - 1
	cutoff := hour - freshHours
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil || s.cache.hour != hour || s.cache.tz != tz.String() {
		hs, err := s.Store.SourceHours(ctx, from, cutoff)
		if err != nil {
			return nil, nil, nil, err
		}
		rs, err := s.Store.SourceRuleDays(ctx, floorDay(from), floorDay(cutoff))
		if err != nil {
			return nil, nil, nil, err
		}
		s.cache = &history{hour: hour, tz: tz.String(), cutoff: cutoff, from: from, hours: hs, rules: rs}
	}
	h := s.cache
	fresh, err := s.Store.SourceHours(ctx, h.cutoff, hour+2)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading recent source health: %w", err)
	}
	freshRules, err := s.Store.SourceRuleDays(ctx, floorDay(h.cutoff), floorDay(hour+1)+1)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading recent rule health: %w", err)
	}
	return h, fresh, freshRules, nil
}

// ParseSpan reads an active span: days ("7d") or a Go duration ("36h"),
// positive, at most ten years.
func ParseSpan(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > 3660 {
			return 0, fmt.Errorf("span %q: want whole days such as 7d", v)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 3660*24*time.Hour {
		return 0, fmt.Errorf("span %q: want days such as 7d or a duration such as 36h", v)
	}
	return d, nil
}
