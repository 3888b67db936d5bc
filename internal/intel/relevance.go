package intel

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/attack"
)

// SettingOrgProfile is the settings key of the organisation profile.
const SettingOrgProfile = "org_profile"

// OrgProfile describes the organisation for threat relevance: its sectors,
// the countries and regions it operates in, and its technology platforms
// (ATT&CK platform names).
type OrgProfile struct {
	Sectors   []string `json:"sectors"`
	Regions   []string `json:"regions"`
	Platforms []string `json:"platforms"`
}

// Empty reports whether nothing is set.
func (o OrgProfile) Empty() bool {
	return len(o.Sectors) == 0 && len(o.Regions) == 0 && len(o.Platforms) == 0
}

// ParseOrgProfile reads a stored profile; "" is the empty profile.
func ParseOrgProfile(s string) (OrgProfile, error) {
	var o OrgProfile
	if s == "" {
		return o, nil
	}
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		return o, fmt.Errorf("reading the organisation profile: %w", err)
	}
	return o, nil
}

// ErrInvalidOrgProfile marks an organisation profile naming an unknown
// place or platform.
var ErrInvalidOrgProfile = errors.New("invalid organisation profile")

// Normalize checks a profile and writes its names canonically: sectors
// lower-cased and mapped onto the sector vocabulary where it knows them,
// places as their country or region names, platforms as ATT&CK spells
// them. A place or platform it does not know is an error naming the
// accepted values.
func (o OrgProfile) Normalize(cat *attack.Catalog) (OrgProfile, error) {
	var out OrgProfile
	for _, s := range splitList(o.Sectors) {
		c, _ := CanonicalSector(s)
		out.Sectors = append(out.Sectors, c)
	}
	for _, r := range splitList(o.Regions) {
		p, ok := ParsePlace(r)
		if !ok {
			return o, fmt.Errorf("%w: region %q is neither a country (name or ISO code) nor a region (%s)", ErrInvalidOrgProfile, r, strings.Join(Regions(), ", "))
		}
		out.Regions = append(out.Regions, p.Name)
	}
	known := Platforms(cat)
	for _, p := range splitList(o.Platforms) {
		i := slices.IndexFunc(known, func(k string) bool { return strings.EqualFold(k, p) })
		if i < 0 {
			return o, fmt.Errorf("%w: platform %q is not an ATT&CK platform (%s)", ErrInvalidOrgProfile, p, strings.Join(known, ", "))
		}
		out.Platforms = append(out.Platforms, known[i])
	}
	out.Sectors, out.Regions, out.Platforms = uniqueSorted(out.Sectors), uniqueSorted(out.Regions), uniqueSorted(out.Platforms)
	return out, nil
}

// splitList splits comma-separated entries and drops empty ones.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Platforms lists the ATT&CK platforms of the catalog's techniques.
func Platforms(cat *attack.Catalog) []string {
	seen := map[string]bool{}
	var out []string
	if cat == nil {
		return out
	}
	for _, t := range cat.Techniques() {
		for _, p := range t.Platforms {
			if !seen[p] && p != "PRE" {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Relevance weights: the most each factor adds to a score of 0–100.
const (
	WeightSector     = 30.0
	WeightRegion     = 25.0
	WeightIndicators = 25.0
	WeightTechniques = 15.0
	WeightPlatforms  = 5.0
)

// RelevanceDefinition says how a profile's relevance is scored.
const RelevanceDefinition = "relevance 0–100 is the sum of: sector (30 when a sector it targets is one of the organisation's, " +
	"10 when it targets a broad category such as the private sector), region (25 when a country it targets is one the organisation " +
	"operates in or lies in one of its regions, 15 when it targets a region holding one of those countries, 10 when it targets globally), " +
	"indicators (15 when its indicators matched the organisation's alerts in the window, plus 1 a matched alert up to 10 more), " +
	"techniques (15 × the share of its ATT&CK techniques, counted by parent technique, seen in the organisation's alerts in the window), " +
	"platforms (5 × the share of its techniques that run on the organisation's platforms). Every score lists its reasons; " +
	"it is relevance to this organisation, not attribution"

// Reason is one factor of a relevance score.
type Reason struct {
	Factor string  `json:"factor"`
	Points float64 `json:"points"`
	Text   string  `json:"text"`
}

// TechniqueSeen is a technique of a profile seen in the organisation's alerts.
type TechniqueSeen struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Alerts int64  `json:"alerts"`
}

// Activity is what the organisation's alerts show in a window: alerts per
// parent technique and indicator matches.
type Activity struct {
	Since, Until time.Time
	// Alerts is the number of alerts in the window.
	Alerts int64
	// Techniques counts the window's alerts by parent technique.
	Techniques map[string]int64
	// Matches are the window's indicator matches: indicator external id →
	// matched alert ids, and the last time each indicator was seen.
	Matches  map[string][]int64
	LastSeen map[string]time.Time
}

// Ranked is a profile with its relevance.
type Ranked struct {
	*Profile
	Score   float64  `json:"score"`
	Reasons []Reason `json:"reasons"`
	// MatchedIndicators of the profile matched MatchedAlerts alerts in the
	// window, last at LastMatch.
	MatchedIndicators int       `json:"matched_indicators"`
	MatchedAlerts     int       `json:"matched_alerts"`
	LastMatch         time.Time `json:"last_match,omitzero"`
	// Seen are its techniques seen in the window's alerts, most alerts first.
	Seen []TechniqueSeen `json:"techniques_seen"`
	// BaseTechniques is the number of its parent techniques.
	BaseTechniques int `json:"base_techniques"`
}

// baseTechnique is a technique id without its sub-technique suffix.
func baseTechnique(id string) string {
	b, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(id)), ".")
	return b
}

// scorer scores profiles for one organisation and window.
type scorer struct {
	org       OrgProfile
	orgPlaces []Place
	orgCanon  map[string]bool
	act       *Activity
	cat       *attack.Catalog
	ps        *ProfileSet
	days      int
	// indicatorsOf maps a profile onto the indicators that indicate it.
	indicatorsOf map[*Profile][]string
}

func newScorer(ps *ProfileSet, org OrgProfile, act *Activity, cat *attack.Catalog, days int) *scorer {
	s := &scorer{org: org, act: act, cat: cat, ps: ps, days: days, orgCanon: map[string]bool{}, indicatorsOf: map[*Profile][]string{}}
	for _, r := range org.Regions {
		if p, ok := ParsePlace(r); ok {
			s.orgPlaces = append(s.orgPlaces, p)
		}
	}
	for _, sec := range org.Sectors {
		c, _ := CanonicalSector(sec)
		s.orgCanon[c] = true
	}
	for ind := range act.Matches {
		for _, p := range ps.ForIndicator(ind) {
			s.indicatorsOf[p] = append(s.indicatorsOf[p], ind)
		}
	}
	return s
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// count is "1 alert" or "n alerts".
func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// score computes one profile's relevance and reasons.
func (s *scorer) score(p *Profile) Ranked {
	r := Ranked{Profile: p, Seen: []TechniqueSeen{}, Reasons: []Reason{}}
	if reason, ok := s.sector(p); ok {
		r.Reasons = append(r.Reasons, reason)
	}
	if reason, ok := s.region(p); ok {
		r.Reasons = append(r.Reasons, reason)
	}
	if reason, ok := s.indicators(p, &r); ok {
		r.Reasons = append(r.Reasons, reason)
	}
	if reason, ok := s.techniques(p, &r); ok {
		r.Reasons = append(r.Reasons, reason)
	}
	if reason, ok := s.platforms(p); ok {
		r.Reasons = append(r.Reasons, reason)
	}
	for _, x := range r.Reasons {
		r.Score += x.Points
	}
	r.Score = round1(r.Score)
	return r
}

func quoteList(vs []string, max int) string {
	q := make([]string, 0, min(len(vs), max))
	for _, v := range vs[:min(len(vs), max)] {
		q = append(q, strconv.Quote(v))
	}
	s := strings.Join(q, ", ")
	if len(vs) > max {
		s += fmt.Sprintf(" and %d more", len(vs)-max)
	}
	return s
}

func (s *scorer) sector(p *Profile) (Reason, bool) {
	if len(s.orgCanon) == 0 || len(p.Sectors) == 0 {
		return Reason{}, false
	}
	matched := map[string][]string{} // org sector → the profile's names for it
	var broad []string
	for _, sec := range p.Sectors {
		c, _ := CanonicalSector(sec)
		if s.orgCanon[c] {
			matched[c] = append(matched[c], sec)
		} else if b := broadSector(sec); b != "" && !slices.Contains(broad, sec) {
			broad = append(broad, sec)
		}
	}
	if len(matched) > 0 {
		var parts []string
		for _, c := range sortedKeys(matched) {
			parts = append(parts, fmt.Sprintf("%s (listed as %s)", c, quoteList(matched[c], 3)))
		}
		return Reason{"sector", WeightSector, "targets the organisation's sector: " + strings.Join(parts, "; ")}, true
	}
	if len(broad) > 0 {
		return Reason{"sector", 10, "targets a broad category that includes the organisation: " + quoteList(broad, 3)}, true
	}
	return Reason{}, false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *scorer) region(p *Profile) (Reason, bool) {
	if len(s.orgPlaces) == 0 || len(p.Victims) == 0 {
		return Reason{}, false
	}
	var exact, wide, global []string
	for _, v := range p.Victims {
		vp, ok := ParsePlace(v)
		if !ok {
			continue
		}
		switch s.placeMatch(vp) {
		case matchCountry:
			exact = append(exact, v)
		case matchRegion:
			wide = append(wide, v)
		case matchGlobal:
			global = append(global, v)
		}
	}
	exact, wide, global = uniqueSorted(exact), uniqueSorted(wide), uniqueSorted(global)
	switch {
	case len(exact) > 0:
		return Reason{"region", WeightRegion, "its suspected victims include " + quoteList(exact, 5) +
			", where the organisation operates (" + strings.Join(s.org.Regions, ", ") + ")"}, true
	case len(wide) > 0:
		return Reason{"region", 15, "it targets " + quoteList(wide, 3) + ", which includes where the organisation operates (" +
			strings.Join(s.org.Regions, ", ") + ")"}, true
	case len(global) > 0:
		return Reason{"region", 10, "it targets victims globally"}, true
	}
	return Reason{}, false
}

// How a victim place matches the organisation's places, best first.
const (
	matchNone = iota
	matchGlobal
	matchRegion
	matchCountry
)

// placeMatch says how well a victim matches the organisation's places: a
// country it operates in or that lies in one of its regions; a region
// holding one of its countries, or one of its regions; everyone.
func (s *scorer) placeMatch(v Place) int {
	best := matchNone
	for _, o := range s.orgPlaces {
		m := matchNone
		switch {
		case v.Name == Global:
			m = matchGlobal
		case v.Country != "" && o.contains(v):
			m = matchCountry
		case v.Country == "" && (v.contains(o) || o.Name == v.Name):
			m = matchRegion
		}
		best = max(best, m)
	}
	return best
}

func (s *scorer) indicators(p *Profile, r *Ranked) (Reason, bool) {
	inds := s.indicatorsOf[p]
	if len(inds) == 0 {
		return Reason{}, false
	}
	alerts := map[int64]bool{}
	for _, ind := range inds {
		for _, a := range s.act.Matches[ind] {
			alerts[a] = true
		}
		if t := s.act.LastSeen[ind]; t.After(r.LastMatch) {
			r.LastMatch = t
		}
	}
	r.MatchedIndicators, r.MatchedAlerts = len(inds), len(alerts)
	pts := 15 + math.Min(10, float64(len(alerts)))
	return Reason{"indicators", pts, fmt.Sprintf("%d of its indicators matched %s in the last %d days (last %s)",
		len(inds), count(len(alerts), "alert"), s.days, r.LastMatch.UTC().Format("2006-01-02 15:04 UTC"))}, true
}

func (s *scorer) techniques(p *Profile, r *Ranked) (Reason, bool) {
	bases := p.bases
	r.BaseTechniques = len(bases)
	if len(bases) == 0 {
		return Reason{}, false
	}
	for _, b := range bases {
		if n := s.act.Techniques[b]; n > 0 {
			name := ""
			if s.cat != nil {
				if t, ok := s.cat.Technique(b); ok {
					name = t.Name
				}
			}
			r.Seen = append(r.Seen, TechniqueSeen{ID: b, Name: name, Alerts: n})
		}
	}
	if len(r.Seen) == 0 {
		return Reason{}, false
	}
	sort.Slice(r.Seen, func(i, j int) bool {
		if r.Seen[i].Alerts != r.Seen[j].Alerts {
			return r.Seen[i].Alerts > r.Seen[j].Alerts
		}
		return r.Seen[i].ID < r.Seen[j].ID
	})
	ids := make([]string, 0, 5)
	for _, t := range r.Seen[:min(5, len(r.Seen))] {
		ids = append(ids, t.ID)
	}
	more := ""
	if len(r.Seen) > 5 {
		more = fmt.Sprintf(" and %d more", len(r.Seen)-5)
	}
	pts := WeightTechniques * float64(len(r.Seen)) / float64(len(bases))
	verb := "were"
	if len(r.Seen) == 1 {
		verb = "was"
	}
	return Reason{"techniques", round1(pts), fmt.Sprintf("%d of its %d techniques %s seen in the organisation's alerts in the last %d days: %s%s",
		len(r.Seen), len(bases), verb, s.days, strings.Join(ids, ", "), more)}, true
}

func (s *scorer) platforms(p *Profile) (Reason, bool) {
	if len(s.org.Platforms) == 0 || len(p.Techniques) == 0 || s.cat == nil {
		return Reason{}, false
	}
	c := s.ps.platformCoverage(s.cat, s.org.Platforms)[p]
	on, total := c[0], c[1]
	if on == 0 || total == 0 {
		return Reason{}, false
	}
	return Reason{"platforms", round1(WeightPlatforms * float64(on) / float64(total)), fmt.Sprintf("%d of its %d techniques run on the organisation's platforms (%s)",
		on, total, strings.Join(s.org.Platforms, ", "))}, true
}

// RankCursor is a ranked profile's place in Rank's order.
type RankCursor struct {
	Score  float64 `json:"score"`
	Alerts int     `json:"alerts"`
	Seen   int     `json:"seen"`
	ID     string  `json:"id"`
}

// Cursor is r's place in Rank's order.
func (r *Ranked) Cursor() RankCursor {
	return RankCursor{Score: r.Score, Alerts: r.MatchedAlerts, Seen: len(r.Seen), ID: r.ID}
}

// Before reports whether a ranks before b: higher score, then more matched
// alerts, then more techniques seen, then the smaller id.
func (a RankCursor) Before(b RankCursor) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.Alerts != b.Alerts {
		return a.Alerts > b.Alerts
	}
	if a.Seen != b.Seen {
		return a.Seen > b.Seen
	}
	return a.ID < b.ID
}

// Rank scores every profile and sorts them: by score, then matched
// alerts, then techniques seen, then id.
func Rank(ps *ProfileSet, org OrgProfile, act *Activity, cat *attack.Catalog, days int) []Ranked {
	s := newScorer(ps, org, act, cat, days)
	scored := make([]Ranked, 0, len(ps.Profiles))
	for _, p := range ps.Profiles {
		scored = append(scored, s.score(p))
	}
	// Sorted through an index: the values are large to move.
	order := make([]int, len(scored))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool {
		return scored[order[i]].Cursor().Before(scored[order[j]].Cursor())
	})
	out := make([]Ranked, len(scored))
	for i, k := range order {
		out[i] = scored[k]
	}
	return out
}
