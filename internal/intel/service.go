package intel

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
)

// DefaultProfileDays is the window of threat-profile activity by default.
const DefaultProfileDays = 90

// Service answers intelligence questions from the store for the command
// line, the web server and the MCP server. It keeps the merged threat
// profiles between calls until the stored threat objects change. It is
// safe for concurrent use.
type Service struct {
	Store *store.Store
	// Engine reads the alerts' technique counts from the daily rollups;
	// nil makes one.
	Engine *metrics.Engine
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	mu       sync.Mutex
	profiles *ProfileSet
	version  int64
	loaded   bool
	// matches keeps the last window's indicator matches until the stored
	// matches change.
	matches matchCache
	// sources keeps the indicator counts per source for a minute while
	// the indicators are unchanged (counting a million takes a moment).
	sources sourceCache
}

type sourceCache struct {
	version int64
	minute  time.Time
	srcs    []store.IntelSource
}

type matchCache struct {
	since   time.Time
	until   time.Time
	version int64
	ok      bool
	byInd   map[string][]int64
	last    map[string]time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) engine() *metrics.Engine {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Engine == nil {
		s.Engine = &metrics.Engine{Store: s.Store}
	}
	return s.Engine
}

// Catalog is the embedded ATT&CK catalog.
func (s *Service) Catalog() (*attack.Catalog, error) { return attack.Load() }

// ProfileSet returns the merged threat profiles, rebuilt when the stored
// threat objects or relationships changed.
func (s *Service) ProfileSet(ctx context.Context) (*ProfileSet, error) {
	v, err := s.Store.IntelVersions(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && s.version == v.Threats {
		return s.profiles, nil
	}
	cat, err := attack.Load()
	if err != nil {
		return nil, fmt.Errorf("loading the ATT&CK catalog: %w", err)
	}
	objs, err := s.Store.ThreatObjects(ctx)
	if err != nil {
		return nil, err
	}
	rels, err := s.Store.IntelRelations(ctx)
	if err != nil {
		return nil, err
	}
	s.profiles, s.version, s.loaded = BuildProfiles(cat, objs, rels), v.Threats, true
	return s.profiles, nil
}

// OrgProfile reads the organisation profile.
func (s *Service) OrgProfile(ctx context.Context) (OrgProfile, error) {
	v, err := s.Store.Setting(ctx, SettingOrgProfile)
	if err != nil {
		return OrgProfile{}, err
	}
	return ParseOrgProfile(v)
}

// SetOrgProfile checks, normalises and stores the organisation profile,
// returning it as stored.
func (s *Service) SetOrgProfile(ctx context.Context, o OrgProfile) (OrgProfile, error) {
	cat, err := attack.Load()
	if err != nil {
		return o, err
	}
	n, err := o.Normalize(cat)
	if err != nil {
		return o, err
	}
	v := ""
	if !n.Empty() {
		b, err := json.Marshal(n)
		if err != nil {
			return n, err
		}
		v = string(b)
	}
	return n, s.Store.SetSetting(ctx, SettingOrgProfile, v)
}

// Activity reads what the last days' alerts show (whole days in the
// organisation's time zone, today included): alerts by parent technique,
// from the daily rollups, and indicator matches.
func (s *Service) Activity(ctx context.Context, days int) (*Activity, error) {
	if days <= 0 {
		days = DefaultProfileDays
	}
	loc, err := s.Store.TimeZone(ctx)
	if err != nil {
		return nil, err
	}
	return s.ActivityIn(ctx, metrics.WindowEnding(s.now(), days, loc))
}

// ActivityIn reads what the alerts of a window show, as Activity does.
func (s *Service) ActivityIn(ctx context.Context, w metrics.Window) (*Activity, error) {
	sets, n, err := s.engine().TechniqueSets(ctx, w)
	if err != nil {
		return nil, err
	}
	act := &Activity{Since: w.From, Until: w.To, Alerts: n, Techniques: map[string]int64{}, Matches: map[string][]int64{},
		LastSeen: map[string]time.Time{}}
	for _, set := range sets {
		bases := map[string]bool{}
		for _, t := range set.Techniques {
			bases[baseTechnique(t)] = true
		}
		for b := range bases {
			act.Techniques[b] += set.Alerts
		}
	}
	act.Matches, act.LastSeen, err = s.windowMatches(ctx, w.From, w.To)
	return act, err
}

// windowMatches reads the indicator matches seen in [since, until),
// reusing the last answer while the stored matches are unchanged. A window
// that ends before the newest match (a past period's report) leaves the
// later matches out.
func (s *Service) windowMatches(ctx context.Context, since, until time.Time) (map[string][]int64, map[string]time.Time, error) {
	v, err := s.Store.IntelVersions(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	c := s.matches
	s.mu.Unlock()
	if c.ok && c.version == v.Matches && c.since.Equal(since) && c.until.Equal(until) {
		return c.byInd, c.last, nil
	}
	pairs, err := s.Store.MatchPairs(ctx, since)
	if err != nil {
		return nil, nil, err
	}
	c = matchCache{since: since, until: until, version: v.Matches, ok: true, byInd: map[string][]int64{}, last: map[string]time.Time{}}
	for _, p := range pairs {
		if !until.IsZero() && !p.LastSeen.Before(until) {
			continue
		}
		c.byInd[p.IndicatorExternalID] = append(c.byInd[p.IndicatorExternalID], p.AlertID)
		if p.LastSeen.After(c.last[p.IndicatorExternalID]) {
			c.last[p.IndicatorExternalID] = p.LastSeen
		}
	}
	s.mu.Lock()
	s.matches = c
	s.mu.Unlock()
	return c.byInd, c.last, nil
}

// RankQuery selects ranked profiles.
type RankQuery struct {
	// Days is the activity window (DefaultProfileDays when 0).
	Days int
	// Window, when set, is the activity window instead of the last Days.
	Window metrics.Window
	// Relevant keeps profiles with a score above zero.
	Relevant bool
	// Kind keeps one kind: actor, campaign, malware, ransomware.
	Kind          string
	Offset, Limit int
}

// Ranking is a page of ranked profiles.
type Ranking struct {
	Org   OrgProfile `json:"organisation"`
	Since time.Time  `json:"since"`
	Until time.Time  `json:"until"`
	Days  int        `json:"days"`
	// Alerts in the window; TechniquesSeen the parent techniques they carry.
	Alerts         int64 `json:"alerts"`
	TechniquesSeen int   `json:"techniques_seen"`
	// Total counts the profiles the query selects, all pages.
	Total      int      `json:"total"`
	Profiles   []Ranked `json:"profiles"`
	Definition string   `json:"definition"`
}

// Rank scores the profiles for the organisation and returns a page.
func (s *Service) Rank(ctx context.Context, q RankQuery) (Ranking, error) {
	var r Ranking
	ps, org, act, cat, err := s.rankInputs(ctx, q)
	if err != nil {
		return r, err
	}
	q.Days = q.days()
	r.Org, r.Since, r.Until, r.Days, r.Alerts, r.TechniquesSeen = org, act.Since, act.Until, q.Days, act.Alerts, len(act.Techniques)
	all := Rank(ps, org, act, cat, q.Days)
	var sel []Ranked
	for _, x := range all {
		if (q.Relevant && x.Score <= 0) || (q.Kind != "" && x.Kind != q.Kind) {
			continue
		}
		sel = append(sel, x)
	}
	r.Total = len(sel)
	if q.Offset < len(sel) {
		sel = sel[q.Offset:]
	} else {
		sel = nil
	}
	if q.Limit > 0 && len(sel) > q.Limit {
		sel = sel[:q.Limit]
	}
	r.Profiles = append([]Ranked{}, sel...)
	r.Definition = RelevanceDefinition
	return r, nil
}

// days is the length of the query's activity window.
func (q RankQuery) days() int {
	switch {
	case !q.Window.From.IsZero():
		return q.Window.Days()
	case q.Days <= 0:
		return DefaultProfileDays
	}
	return q.Days
}

func (s *Service) rankInputs(ctx context.Context, q RankQuery) (*ProfileSet, OrgProfile, *Activity, *attack.Catalog, error) {
	ps, err := s.ProfileSet(ctx)
	if err != nil {
		return nil, OrgProfile{}, nil, nil, err
	}
	org, err := s.OrgProfile(ctx)
	if err != nil {
		return nil, org, nil, nil, err
	}
	var act *Activity
	if q.Window.From.IsZero() {
		act, err = s.Activity(ctx, q.Days)
	} else {
		act, err = s.ActivityIn(ctx, q.Window)
	}
	if err != nil {
		return nil, org, nil, nil, err
	}
	cat, err := attack.Load()
	if err != nil {
		return nil, org, nil, nil, err
	}
	return ps, org, act, cat, nil
}

// Profile returns one profile (by id, name or alias) with its relevance
// and its rank among all profiles (1 is the most relevant).
func (s *Service) Profile(ctx context.Context, ref string, days int) (Ranked, int, error) {
	return s.ProfileIn(ctx, ref, RankQuery{Days: days})
}

// ProfileIn is Profile over the query's activity window (Days or Window).
func (s *Service) ProfileIn(ctx context.Context, ref string, q RankQuery) (Ranked, int, error) {
	ps, org, act, cat, err := s.rankInputs(ctx, q)
	if err != nil {
		return Ranked{}, 0, err
	}
	p, ok := ps.Find(ref)
	if !ok {
		return Ranked{}, 0, fmt.Errorf("threat profile %q: %w", ref, store.ErrNotFound)
	}
	for i, x := range Rank(ps, org, act, cat, q.days()) {
		if x.Profile == p {
			return x, i + 1, nil
		}
	}
	return Ranked{}, 0, fmt.Errorf("threat profile %q: %w", ref, store.ErrNotFound)
}

// ProfileRef names a profile.
type ProfileRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AlertRef names a stored alert.
type AlertRef struct {
	ID         int64  `json:"id"`
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
}

// MatchRow is an indicator that matched alerts, with the alerts' source
// keys and the profiles the indicator indicates.
type MatchRow struct {
	store.IndicatorMatches
	// Alerts name the newest matched alerts (AlertIDs) by source and
	// external id.
	AlertRefs []AlertRef   `json:"alerts"`
	Profiles  []ProfileRef `json:"threat_profiles"`
}

// MatchPage is a page of matches.
type MatchPage struct {
	Total int64      `json:"total"`
	Rows  []MatchRow `json:"matches"`
}

// Matches lists indicators that matched alerts, most recently seen first.
func (s *Service) Matches(ctx context.Context, q store.MatchQuery) (MatchPage, error) {
	var page MatchPage
	rows, total, err := s.Store.IntelMatches(ctx, q)
	if err != nil {
		return page, err
	}
	ps, err := s.ProfileSet(ctx)
	if err != nil {
		return page, err
	}
	page.Total, page.Rows = total, []MatchRow{}
	for _, r := range rows {
		keys, err := s.Store.AlertKeys(ctx, r.AlertIDs)
		if err != nil {
			return page, err
		}
		row := MatchRow{IndicatorMatches: r, AlertRefs: []AlertRef{}, Profiles: []ProfileRef{}}
		for _, id := range r.AlertIDs {
			if k, ok := keys[id]; ok {
				row.AlertRefs = append(row.AlertRefs, AlertRef{id, k[0], k[1]})
			}
		}
		for _, p := range ps.ForIndicator(r.Indicator.ExternalID) {
			row.Profiles = append(row.Profiles, ProfileRef{p.ID, p.Name})
		}
		page.Rows = append(page.Rows, row)
	}
	return page, nil
}

// SourceStatus is a feed's freshness: what its indicators are and, for a
// scheduled feed, how its pulls went.
type SourceStatus struct {
	store.IntelSource
	Feed *store.IntelFeed `json:"feed,omitempty"`
}

// Sources lists every source of indicators and every scheduled feed.
func (s *Service) Sources(ctx context.Context) ([]SourceStatus, error) {
	v, err := s.Store.IntelVersions(ctx)
	if err != nil {
		return nil, err
	}
	minute := s.now().Truncate(time.Minute)
	s.mu.Lock()
	c := s.sources
	s.mu.Unlock()
	srcs := c.srcs
	if c.srcs == nil || c.version != v.Indicators || !c.minute.Equal(minute) {
		if srcs, err = s.Store.IntelSources(ctx, s.now()); err != nil {
			return nil, err
		}
		if srcs == nil {
			srcs = []store.IntelSource{}
		}
		s.mu.Lock()
		s.sources = sourceCache{version: v.Indicators, minute: minute, srcs: srcs}
		s.mu.Unlock()
	}
	feeds, err := s.Store.Feeds(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]*store.IntelFeed{}
	for i := range feeds {
		byName[feeds[i].Name] = &feeds[i]
	}
	var out []SourceStatus
	for _, src := range srcs {
		st := SourceStatus{IntelSource: src, Feed: byName[src.Source]}
		delete(byName, src.Source)
		out = append(out, st)
	}
	for _, f := range feeds {
		if _, left := byName[f.Name]; left {
			out = append(out, SourceStatus{IntelSource: store.IntelSource{Source: f.Name}, Feed: byName[f.Name]})
		}
	}
	return out, nil
}
