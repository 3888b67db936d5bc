package mcp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// IoCDefinition says what get_ioc_matches reports.
const IoCDefinition = "an IoC match is an indicator from a threat-intelligence feed (STIX/TAXII, MISP, CSV) whose normalised value " +
	"equals an alert entity's (domains also match their subdomains, networks the addresses they hold, a URL's host and an e-mail " +
	"address's domain the domain and address indicators); found when the alert was ingested or by a retro-hunt over the last 90 days " +
	"when the indicator arrived. Only indicators that detect (MISP to_ids), are not revoked and had not expired at matching time match. " +
	"The window selects matches by the alert's time (last_seen)"

// PrevalenceDefinition says what get_observable_prevalence reports.
const PrevalenceDefinition = intel.PrevalenceDefinition

// ThreatProfileDefinition says how list_threat_profiles ranks profiles.
const ThreatProfileDefinition = "threat profiles are the embedded MITRE ATT&CK groups, campaigns and malware merged by ATT&CK id and alias " +
	"with what feeds said (STIX intrusion sets, campaigns, malware; MISP galaxy threat actors and ransomware families); " +
	intel.RelevanceDefinition + ". The window is days_back whole days in the organisation's time zone, today included"

// IoCIn are get_ioc_matches's arguments.
type IoCIn struct {
	HoursBack     int    `json:"hours_back,omitempty" jsonschema:"matches whose alert was created in the last N hours, default 24, at most 8784"`
	MaxMatches    int    `json:"max_matches,omitempty" jsonschema:"indicators per page, default 20, at most 100"`
	Type          string `json:"type,omitempty" jsonschema:"indicator type: ip, cidr, domain, url, email, md5, sha1, sha256, sha512"`
	MinConfidence int    `json:"min_confidence,omitempty" jsonschema:"keep indicators whose feed confidence is at least this (0–100)"`
	NextPageToken string `json:"next_page_token,omitempty"`
	WindowArgs
	ProjectID  string `json:"project_id,omitempty" jsonschema:"accepted for compatibility with Google's secops-mcp; Watchfloor answers from its own store"`
	CustomerID string `json:"customer_id,omitempty" jsonschema:"accepted for compatibility; ignored"`
	Region     string `json:"region,omitempty" jsonschema:"accepted for compatibility; ignored"`
}

// ProfileLink names a threat profile.
type ProfileLink struct {
	ID   string `json:"id" jsonschema:"threat profile id, for get_threat_profile"`
	Name Text   `json:"name"`
}

// IoCMatch is one indicator from a feed that matched the organisation's alerts.
type IoCMatch struct {
	IndicatorID string `json:"indicator_id"`
	Indicator   Text   `json:"indicator" jsonschema:"the indicator's value as the feed wrote it"`
	Type        string `json:"type"`
	Source      string `json:"source" jsonschema:"the feed"`
	Name        Text   `json:"name" jsonschema:"the indicator's or its MISP event's title"`
	Confidence  *int   `json:"confidence" jsonschema:"the feed's confidence 0–100; null when the feed gives none"`
	TLP         string `json:"tlp"`
	ValidUntil  string `json:"valid_until"`
	FirstSeen   string `json:"first_seen" jsonschema:"earliest activity time of the matched alerts in the window"`
	LastSeen    string `json:"last_seen"`
	FirstFound  string `json:"first_found" jsonschema:"when Watchfloor first found one of these matches"`
	FoundBy     string `json:"found_by" jsonschema:"ingest, or retro-hunt when a match was found in alerts stored before the indicator arrived"`
	AlertCount  int64  `json:"alert_count"`
	// MatchedAlerts are Watchfloor alert ids, for get_security_alerts
	// and the API.
	MatchedAlerts []string      `json:"matched_alerts" jsonschema:"ids of up to 5 newest matched alerts"`
	Observables   []Text        `json:"observables" jsonschema:"the values the alerts carried (up to 5)"`
	Assets        []Text        `json:"assets" jsonschema:"up to 5 hosts and users in the matched alerts, as type:value"`
	Profiles      []ProfileLink `json:"threat_profiles" jsonschema:"profiles the feed says the indicator indicates"`
}

// IoCOut is get_ioc_matches's answer.
type IoCOut struct {
	Definition    string     `json:"definition"`
	Since         string     `json:"since"`
	Total         int64      `json:"total" jsonschema:"indicators that matched in the window, all pages"`
	Matches       []IoCMatch `json:"matches"`
	NextPageToken string     `json:"next_page_token" jsonschema:"empty when this is the last page"`
	Truncated     bool       `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last row returned"`
	KPIWindow     KPIWindow  `json:"kpi_window"`
}

// PrevalenceIn are get_observable_prevalence's arguments.
type PrevalenceIn struct {
	HoursBack      int `json:"hours_back,omitempty" jsonschema:"alerts created in the last N hours, default 24, at most 8784"`
	MaxObservables int `json:"max_observables,omitempty" jsonschema:"observables to return, default 20, at most 100"`
	WindowArgs
}

// ObservableRow is one observable seen in the organisation's alerts.
type ObservableRow struct {
	Observable    Text     `json:"observable"`
	Type          string   `json:"type" jsonschema:"ip, domain, hash or url"`
	Sources       []string `json:"sources" jsonschema:"systems whose alerts carried the observable"`
	FirstSeen     string   `json:"first_seen"`
	LastSeen      string   `json:"last_seen"`
	AlertCount    int      `json:"alert_count"`
	TruePositives int      `json:"true_positive_alerts"`
	FalsePositive int      `json:"false_positive_alerts"`
	Confidence    float64  `json:"confidence" jsonschema:"true positives ÷ alerts with a TP/benign/FP verdict; 0 when none judged (see confidence_basis)"`
	Basis         string   `json:"confidence_basis"`
	MatchedAlerts []string `json:"alerts" jsonschema:"ids of up to 5 newest alerts"`
	Assets        []Text   `json:"assets" jsonschema:"up to 5 hosts and users seen with the observable"`
}

// PrevalenceOut is get_observable_prevalence's answer.
type PrevalenceOut struct {
	Definition    string          `json:"definition"`
	Since         string          `json:"since"`
	AlertsScanned int             `json:"alerts_scanned"`
	ScanTruncated bool            `json:"scan_truncated" jsonschema:"true when the window held more alerts than one answer scans; narrow hours_back"`
	Total         int             `json:"observables_total"`
	Observables   []ObservableRow `json:"observables"`
	Truncated     bool            `json:"truncated" jsonschema:"true when the answer's size budget returned fewer than max_observables; there is no paging, so lower max_observables or hours_back"`
	KPIWindow     KPIWindow       `json:"kpi_window"`
}

// ThreatProfilesIn are list_threat_profiles's arguments.
type ThreatProfilesIn struct {
	Limit         int    `json:"limit,omitempty" jsonschema:"profiles per page, default 10, at most 50"`
	DaysBack      int    `json:"days_back,omitempty" jsonschema:"activity window: whole days in the organisation's time zone, today included; default 90, at most 3660"`
	Kind          string `json:"kind,omitempty" jsonschema:"actor, campaign, malware or ransomware"`
	RelevantOnly  *bool  `json:"relevant_only,omitempty" jsonschema:"only profiles with a relevance above zero; default true"`
	NextPageToken string `json:"next_page_token,omitempty"`
	WindowArgs
}

// ReasonRow is one factor of a relevance score; its text quotes feed data.
type ReasonRow struct {
	Factor string  `json:"factor" jsonschema:"sector, region, indicators, techniques or platforms"`
	Points float64 `json:"points"`
	Text   Text    `json:"text"`
}

// ThreatProfileRow is one ranked profile, compact.
type ThreatProfileRow struct {
	ID                string      `json:"id" jsonschema:"profile id, for get_threat_profile"`
	Name              Text        `json:"name"`
	Kind              string      `json:"kind"`
	Score             float64     `json:"relevance" jsonschema:"0–100, the sum of the reasons' points"`
	Reasons           []ReasonRow `json:"reasons"`
	Aliases           []Text      `json:"aliases" jsonschema:"up to 5"`
	Country           string      `json:"country"`
	TechniquesSeen    []string    `json:"techniques_seen" jsonschema:"its ATT&CK techniques (parents) seen in the organisation's alerts, most alerts first, up to 10"`
	Techniques        int         `json:"techniques" jsonschema:"its parent techniques"`
	MatchedAlerts     int         `json:"matched_alerts"`
	MatchedIndicators int         `json:"matched_indicators"`
	LastMatch         string      `json:"last_match"`
}

// OrgProfileOut is the organisation profile relevance was scored for.
type OrgProfileOut struct {
	Sectors   []string `json:"sectors"`
	Regions   []string `json:"regions"`
	Platforms []string `json:"platforms"`
	Set       bool     `json:"set" jsonschema:"false when no organisation profile is set: only activity can score (watchfloor settings org)"`
}

// ThreatProfilesOut is list_threat_profiles's answer.
type ThreatProfilesOut struct {
	Definition     string             `json:"definition"`
	Organisation   OrgProfileOut      `json:"organisation"`
	Since          string             `json:"since"`
	AlertsInWindow int64              `json:"alerts_in_window"`
	TechniquesSeen int                `json:"techniques_seen" jsonschema:"parent techniques the window's alerts carry"`
	Total          int                `json:"total" jsonschema:"profiles selected, all pages"`
	Profiles       []ThreatProfileRow `json:"profiles"`
	NextPageToken  string             `json:"next_page_token"`
	Truncated      bool               `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last row returned"`
	KPIWindow      KPIWindow          `json:"kpi_window"`
}

// GetThreatProfileIn are get_threat_profile's arguments.
type GetThreatProfileIn struct {
	ProfileID string `json:"profile_id" jsonschema:"id from list_threat_profiles (G0007, TP-…), or a name or alias"`
	DaysBack  int    `json:"days_back,omitempty" jsonschema:"activity window in days, default 90, at most 3660"`
	WindowArgs
}

// TechniqueRow is a technique of a profile.
type TechniqueRow struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Alerts int64  `json:"alerts_in_window"`
}

// SourceRow is a source object merged into a profile.
type SourceRow struct {
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
	Name       Text   `json:"name"`
	Kind       string `json:"kind"`
}

// GetThreatProfileOut is one profile in full.
type GetThreatProfileOut struct {
	Definition   string           `json:"definition"`
	KPIWindow    KPIWindow        `json:"kpi_window"`
	Rank         int              `json:"rank" jsonschema:"1 is the most relevant profile"`
	Profile      ThreatProfileRow `json:"profile"`
	Description  Text             `json:"description"`
	Aliases      []Text           `json:"aliases"`
	Victims      []Text           `json:"victims"`
	Sectors      []Text           `json:"sectors"`
	Motivation   Text             `json:"motivation"`
	AttackIDs    []string         `json:"attack_ids"`
	AttributedTo []string         `json:"attributed_to"`
	URL          string           `json:"url"`
	Refs         []Text           `json:"refs"`
	FirstSeen    string           `json:"first_seen"`
	LastSeen     string           `json:"last_seen"`
	Techniques   []TechniqueRow   `json:"techniques" jsonschema:"all its techniques, those seen in the window first"`
	Sources      []SourceRow      `json:"sources"`
	Organisation OrgProfileOut    `json:"organisation"`
}

func (s *server) addIntelTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "get_ioc_matches", Annotations: readOnly("IoC matches"),
		Description: "Indicators from threat-intelligence feeds that matched the organisation's alerts: the indicator, its feed, confidence and TLP, " +
			"matched alert ids, first/last seen, affected assets and the threat profiles it indicates; paged; filters by time, type and confidence."},
		s.iocMatches)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_observable_prevalence", Annotations: readOnly("Observable prevalence"),
		Description: "Public IPs, domains, hashes and URLs found in recent alerts ranked by how many alerts carried them, with verdict counts, " +
			"alert ids and assets (no threat intelligence involved)."},
		s.observablePrevalence)
	sdk.AddTool(srv, &sdk.Tool{Name: "list_threat_profiles", Annotations: readOnly("Threat profiles"),
		Description: "Threat actors, campaigns and malware ranked by relevance to the organisation (sector, region, indicator matches, " +
			"techniques seen in its alerts, platforms), each with its score, reasons and techniques seen; paged."},
		s.threatProfiles)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_threat_profile", Annotations: readOnly("Threat profile"),
		Description: "One threat profile in full: relevance with reasons, aliases, origin, victims and sectors targeted, techniques, sources merged."},
		s.getThreatProfile)
}

func (s *server) iocMatches(ctx context.Context, _ *sdk.CallToolRequest, in IoCIn) (*sdk.CallToolResult, IoCOut, error) {
	out := IoCOut{Definition: IoCDefinition, Matches: []IoCMatch{}}
	hours := pageSize(in.HoursBack, 24, 24*366)
	size := pageSize(in.MaxMatches, 20, 100)
	if in.MinConfidence < 0 || in.MinConfidence > 100 {
		return nil, out, argError("min_confidence %d is not 0–100", in.MinConfidence)
	}
	typ := ""
	if in.Type != "" {
		k, _ := observable.KindOf(in.Type)
		if !observable.IsKnown(k) || k == observable.Hash {
			return nil, out, argError("type %q: want ip, cidr, domain, url, email, md5, sha1, sha256 or sha512", in.Type)
		}
		typ = string(k)
	}
	offset, err := parsePageToken("ioc", in.NextPageToken)
	if err != nil {
		return nil, out, err
	}
	since, until, kw, err := s.hoursWindow(ctx, hours, in.HoursBack, in.WindowArgs)
	if err != nil {
		return nil, out, err
	}
	page, err := s.intel.Matches(ctx, store.MatchQuery{Since: since, Until: until, Type: typ, MinConfidence: in.MinConfidence,
		Offset: offset, Limit: size + 1})
	if err != nil {
		return nil, out, err
	}
	out.Since, out.Total, out.KPIWindow = ts(since), page.Total, kw
	rows := page.Rows
	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	for _, r := range rows {
		out.Matches = append(out.Matches, iocMatch(r))
	}
	if more {
		out.NextPageToken = pageToken("ioc", offset+size)
	}
	matches := out.Matches
	out.Matches = nil
	if keep := fitBudget(s.answerTokens(), approxTokens(out), matches); keep < len(matches) {
		matches, out.Truncated = matches[:keep], true
		out.NextPageToken = pageToken("ioc", offset+keep)
	}
	out.Matches = matches
	return nil, out, nil
}

func iocMatch(r intel.MatchRow) IoCMatch {
	in := r.Indicator
	m := IoCMatch{IndicatorID: strconv.FormatInt(in.ID, 10), Indicator: untrusted(in.Value, shortText), Type: in.Type, Source: in.Source,
		Name: untrusted(in.Name, shortText), TLP: in.TLP, ValidUntil: ts(in.ValidUntil), FirstSeen: ts(r.FirstSeen), LastSeen: ts(r.LastSeen),
		FirstFound: ts(r.FirstFound), FoundBy: store.MatchedAtIngest, AlertCount: r.Alerts, MatchedAlerts: []string{}, Observables: []Text{},
		Assets: []Text{}, Profiles: []ProfileLink{}}
	if in.Confidence != model.ConfidenceUnknown {
		c := in.Confidence
		m.Confidence = &c
	}
	if r.RetroHunt {
		m.FoundBy = store.MatchedRetroHunt
	}
	for _, id := range r.AlertIDs {
		m.MatchedAlerts = append(m.MatchedAlerts, strconv.FormatInt(id, 10))
	}
	for _, o := range r.Observables {
		m.Observables = append(m.Observables, untrusted(o, shortText))
	}
	for _, a := range r.Assets {
		m.Assets = append(m.Assets, untrusted(a.Type+":"+a.Value, shortText))
	}
	for _, p := range r.Profiles {
		m.Profiles = append(m.Profiles, ProfileLink{ID: p.ID, Name: untrusted(p.Name, shortText)})
	}
	return m
}

func (s *server) observablePrevalence(ctx context.Context, _ *sdk.CallToolRequest, in PrevalenceIn) (*sdk.CallToolResult, PrevalenceOut, error) {
	out := PrevalenceOut{Definition: PrevalenceDefinition, Observables: []ObservableRow{}}
	hours := pageSize(in.HoursBack, 24, 24*366)
	size := pageSize(in.MaxObservables, 20, 100)
	since, until, kw, err := s.hoursWindow(ctx, hours, in.HoursBack, in.WindowArgs)
	if err != nil {
		return nil, out, err
	}
	out.KPIWindow = kw
	res, err := intel.ObservablePrevalence(ctx, s.st, since, until, size, prevalenceScanCap)
	if err != nil {
		return nil, out, err
	}
	for _, p := range res.Top {
		row := ObservableRow{Observable: untrusted(p.Value, shortText), Type: p.Type, Sources: nonNil(p.Sources), FirstSeen: ts(p.FirstSeen),
			LastSeen: ts(p.LastSeen), AlertCount: p.Alerts, TruePositives: p.TruePositives, FalsePositive: p.FalsePositives,
			Basis: "no judged alerts", MatchedAlerts: []string{}, Assets: []Text{}}
		if p.Judged > 0 {
			row.Confidence = float64(p.TruePositives) / float64(p.Judged)
			row.Basis = fmt.Sprintf("%d true positives of %d judged alerts", p.TruePositives, p.Judged)
		}
		for _, id := range p.AlertIDs {
			row.MatchedAlerts = append(row.MatchedAlerts, strconv.FormatInt(id, 10))
		}
		for _, v := range p.Assets {
			row.Assets = append(row.Assets, untrusted(v, shortText))
		}
		out.Observables = append(out.Observables, row)
	}
	out.Since, out.AlertsScanned, out.ScanTruncated, out.Total = ts(since), res.AlertsScanned, res.ScanTruncated, res.Observables
	rows := out.Observables
	out.Observables = nil
	if keep := fitBudget(s.answerTokens(), approxTokens(out), rows); keep < len(rows) {
		rows, out.Truncated = rows[:keep], true
	}
	out.Observables = rows
	return nil, out, nil
}

func orgOut(o intel.OrgProfile) OrgProfileOut {
	return OrgProfileOut{Sectors: nonNil(o.Sectors), Regions: nonNil(o.Regions), Platforms: nonNil(o.Platforms), Set: !o.Empty()}
}

// profileRow is a ranked profile, compact.
func profileRow(r intel.Ranked) ThreatProfileRow {
	row := ThreatProfileRow{ID: r.ID, Name: untrusted(r.Name, shortText), Kind: r.Kind, Score: r.Score, Reasons: []ReasonRow{},
		Aliases: []Text{}, Country: r.Country, TechniquesSeen: []string{}, Techniques: r.BaseTechniques, MatchedAlerts: r.MatchedAlerts,
		MatchedIndicators: r.MatchedIndicators, LastMatch: ts(r.LastMatch)}
	for _, x := range r.Reasons {
		row.Reasons = append(row.Reasons, ReasonRow{Factor: x.Factor, Points: x.Points, Text: untrusted(x.Text, shortText*2)})
	}
	for _, a := range r.Aliases[:min(5, len(r.Aliases))] {
		row.Aliases = append(row.Aliases, untrusted(a, shortText))
	}
	for _, t := range r.Seen[:min(10, len(r.Seen))] {
		row.TechniquesSeen = append(row.TechniquesSeen, t.ID)
	}
	return row
}

func (s *server) threatProfiles(ctx context.Context, _ *sdk.CallToolRequest, in ThreatProfilesIn) (*sdk.CallToolResult, ThreatProfilesOut, error) {
	out := ThreatProfilesOut{Definition: ThreatProfileDefinition, Profiles: []ThreatProfileRow{}}
	limit := pageSize(in.Limit, 10, 50)
	days := pageSize(in.DaysBack, intel.DefaultProfileDays, 3660)
	switch in.Kind {
	case "", intel.KindActor, intel.KindCampaign, intel.KindMalware, intel.KindRansomware:
	default:
		return nil, out, argError("kind %q: want actor, campaign, malware or ransomware", in.Kind)
	}
	offset, err := parsePageToken("profiles", in.NextPageToken)
	if err != nil {
		return nil, out, err
	}
	relevant := in.RelevantOnly == nil || *in.RelevantOnly
	q, err := s.rankWindow(ctx, days, in.DaysBack, in.WindowArgs)
	if err != nil {
		return nil, out, err
	}
	q.Relevant, q.Kind, q.Offset, q.Limit = relevant, in.Kind, offset, limit
	r, err := s.intel.Rank(ctx, q)
	if err != nil {
		return nil, out, err
	}
	if out.KPIWindow, err = s.kpiWindowOf(ctx, metrics.Window{From: r.Since, To: r.Until}); err != nil {
		return nil, out, err
	}
	out.Organisation, out.Since, out.AlertsInWindow, out.TechniquesSeen, out.Total = orgOut(r.Org), ts(r.Since), r.Alerts, r.TechniquesSeen, r.Total
	for _, p := range r.Profiles {
		out.Profiles = append(out.Profiles, profileRow(p))
	}
	if offset+len(r.Profiles) < r.Total {
		out.NextPageToken = pageToken("profiles", offset+len(r.Profiles))
	}
	rows := out.Profiles
	out.Profiles = nil
	if keep := fitBudget(s.answerTokens(), approxTokens(out), rows); keep < len(rows) {
		rows, out.Truncated = rows[:keep], true
		out.NextPageToken = pageToken("profiles", offset+keep)
	}
	out.Profiles = rows
	return nil, out, nil
}

func (s *server) getThreatProfile(ctx context.Context, _ *sdk.CallToolRequest, in GetThreatProfileIn) (*sdk.CallToolResult, GetThreatProfileOut, error) {
	out := GetThreatProfileOut{Definition: ThreatProfileDefinition}
	if strings.TrimSpace(in.ProfileID) == "" {
		return nil, out, argError("profile_id is required")
	}
	days := pageSize(in.DaysBack, intel.DefaultProfileDays, 3660)
	q, err := s.rankWindow(ctx, days, in.DaysBack, in.WindowArgs)
	if err != nil {
		return nil, out, err
	}
	r, rank, err := s.intel.ProfileIn(ctx, in.ProfileID, q)
	if errors.Is(err, store.ErrNotFound) {
		return nil, out, fmt.Errorf("no threat profile %q (use an id from list_threat_profiles, a name or an alias)", in.ProfileID)
	}
	if err != nil {
		return nil, out, err
	}
	org, err := s.intel.OrgProfile(ctx)
	if err != nil {
		return nil, out, err
	}
	cat, err := s.catalog()
	if err != nil {
		return nil, out, err
	}
	w := q.Window
	if w.From.IsZero() {
		loc, err := s.st.TimeZone(ctx)
		if err != nil {
			return nil, out, err
		}
		w = metrics.WindowEnding(s.opts.Now(), days, loc)
	}
	if out.KPIWindow, err = s.kpiWindowOf(ctx, w); err != nil {
		return nil, out, err
	}
	out.Rank, out.Profile, out.Organisation = rank, profileRow(r), orgOut(org)
	out.Description, out.Motivation = untrusted(r.Description, longText), untrusted(r.Motivation, shortText)
	out.Aliases, out.Victims, out.Sectors, out.Refs = texts(r.Aliases, len(r.Aliases)), texts(r.Victims, len(r.Victims)),
		texts(r.Sectors, len(r.Sectors)), texts(r.Refs, len(r.Refs))
	out.AttackIDs, out.AttributedTo, out.URL = nonNil(r.AttackIDs), nonNil(r.AttributedTo), r.URL
	out.FirstSeen, out.LastSeen = ts(r.FirstSeen), ts(r.LastSeen)
	out.Techniques = []TechniqueRow{}
	seen := map[string]bool{}
	for _, t := range r.Seen {
		out.Techniques = append(out.Techniques, TechniqueRow{ID: t.ID, Name: t.Name, Alerts: t.Alerts})
		seen[t.ID] = true
	}
	for _, id := range r.Techniques {
		if seen[id] {
			continue
		}
		name := ""
		if t, ok := cat.Technique(id); ok {
			name = t.Name
		}
		out.Techniques = append(out.Techniques, TechniqueRow{ID: id, Name: name})
	}
	out.Sources = []SourceRow{}
	for _, src := range r.Sources {
		out.Sources = append(out.Sources, SourceRow{Source: src.Source, ExternalID: src.ExternalID, Name: untrusted(src.Name, shortText), Kind: src.Kind})
	}
	return nil, out, nil
}

// hoursWindow is the window of a tool measured over the last hours: from
// and to when given (whole days), else the hours up to now.
func (s *server) hoursWindow(ctx context.Context, hours, hoursBack int, wa WindowArgs) (since, until time.Time, k KPIWindow, err error) {
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return since, until, k, err
	}
	w, explicit, err := parseWindow(wa.From, wa.To, loc)
	if err != nil {
		return since, until, k, err
	}
	if explicit && hoursBack > 0 {
		return since, until, k, argError("hours_back and from/to both set the window: give one")
	}
	through, err := s.dataThrough(ctx)
	if err != nil {
		return since, until, k, err
	}
	now := s.opts.Now()
	if explicit {
		return w.From, w.To, kpiWindow(w.Window, through, now), nil
	}
	since, until = now.Add(-time.Duration(hours)*time.Hour), now.Add(time.Second)
	return since, until, kpiSpan(since, now, through, now, loc), nil
}

// rankWindow is the activity window of the threat-profile tools: from and
// to when given, else the last days.
func (s *server) rankWindow(ctx context.Context, days, daysBack int, wa WindowArgs) (intel.RankQuery, error) {
	q := intel.RankQuery{Days: days}
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return q, err
	}
	w, explicit, err := parseWindow(wa.From, wa.To, loc)
	if err != nil {
		return q, err
	}
	if explicit && daysBack > 0 {
		return q, argError("days_back and from/to both set the window: give one")
	}
	if explicit {
		q.Window = w.Window
	}
	return q, nil
}
