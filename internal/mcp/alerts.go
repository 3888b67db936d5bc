package mcp

import (
	"context"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// GetAlertsIn are get_security_alerts's arguments (secops-mcp names).
type GetAlertsIn struct {
	HoursBack     int    `json:"hours_back,omitempty" jsonschema:"alerts created in the last N hours, default 24"`
	MaxAlerts     int    `json:"max_alerts,omitempty" jsonschema:"alerts per page, default 10, at most 100"`
	StatusFilter  string `json:"status_filter,omitempty" jsonschema:"'open' = no verdict yet, 'closed' = has a verdict (also as feedback_summary.status != \"CLOSED\" / = \"CLOSED\"), or a source alert status (case-insensitive)"`
	Severity      string `json:"severity,omitempty" jsonschema:"minimum severity: informational, low, medium, high, critical"`
	Rule          string `json:"rule,omitempty" jsonschema:"rule id (exact) or part of the rule name"`
	NextPageToken string `json:"next_page_token,omitempty"`
	ProjectID     string `json:"project_id,omitempty" jsonschema:"accepted for compatibility with Google's secops-mcp; Watchfloor answers from its own store"`
	CustomerID    string `json:"customer_id,omitempty" jsonschema:"accepted for compatibility; ignored"`
	Region        string `json:"region,omitempty" jsonschema:"accepted for compatibility; ignored"`
}

// GetAlertsOut is get_security_alerts's answer.
type GetAlertsOut struct {
	Alerts        []AlertRow `json:"alerts"`
	Since         string     `json:"since"`
	AlertsInRange int64      `json:"alerts_in_range" jsonschema:"all alerts created since 'since', before the status, severity and rule filters"`
	NextPageToken string     `json:"next_page_token"`
	Truncated     bool       `json:"truncated" jsonschema:"true when the answer's size budget cut this page short; next_page_token continues after the last alert returned"`
}

// IoCIn are get_ioc_matches's arguments.
type IoCIn struct {
	HoursBack  int    `json:"hours_back,omitempty" jsonschema:"alerts created in the last N hours, default 24"`
	MaxMatches int    `json:"max_matches,omitempty" jsonschema:"indicators to return, default 20, at most 100"`
	ProjectID  string `json:"project_id,omitempty" jsonschema:"accepted for compatibility with Google's secops-mcp; Watchfloor answers from its own store"`
	CustomerID string `json:"customer_id,omitempty" jsonschema:"accepted for compatibility; ignored"`
	Region     string `json:"region,omitempty" jsonschema:"accepted for compatibility; ignored"`
}

// IoCMatch is one indicator seen in the org's alerts.
type IoCMatch struct {
	Indicator     Text     `json:"indicator"`
	Type          string   `json:"type" jsonschema:"ip, domain, hash or url"`
	Sources       []string `json:"sources" jsonschema:"systems whose alerts carried the indicator"`
	FirstSeen     string   `json:"first_seen"`
	LastSeen      string   `json:"last_seen"`
	AlertCount    int      `json:"alert_count"`
	TruePositives int      `json:"true_positive_alerts"`
	FalsePositive int      `json:"false_positive_alerts"`
	Confidence    float64  `json:"confidence" jsonschema:"true positives ÷ alerts with a TP/benign/FP verdict; 0 when none judged (see confidence_basis)"`
	Basis         string   `json:"confidence_basis"`
	MatchedAlerts []string `json:"matched_alerts" jsonschema:"ids of up to 5 newest alerts"`
	Assets        []Text   `json:"assets" jsonschema:"up to 5 hosts and users seen with the indicator"`
}

// IoCOut is get_ioc_matches's answer.
type IoCOut struct {
	Definition    string     `json:"definition"`
	Since         string     `json:"since"`
	AlertsScanned int        `json:"alerts_scanned"`
	ScanTruncated bool       `json:"scan_truncated" jsonschema:"true when the window held more alerts than one answer scans; narrow hours_back"`
	Indicators    int        `json:"indicators_total"`
	Matches       []IoCMatch `json:"matches"`
	Truncated     bool       `json:"truncated" jsonschema:"true when the answer's size budget returned fewer than max_matches indicators; there is no paging, so lower max_matches or hours_back"`
}

// ThreatProfilesIn are list_threat_profiles's arguments.
type ThreatProfilesIn struct {
	Limit    int `json:"limit,omitempty" jsonschema:"profiles to return, default 10, at most 50"`
	DaysBack int `json:"days_back,omitempty" jsonschema:"alerts created in the last N whole days in the organisation's time zone, today included; default 90"`
}

// ProfileTechnique is an ATT&CK technique a group uses that the org's
// alerts saw.
type ProfileTechnique struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Alerts int    `json:"alerts"`
}

// ThreatProfile is one ATT&CK group ranked by overlap with the org's alerts.
type ThreatProfile struct {
	ID                 string             `json:"id"`
	Name               string             `json:"name"`
	Aliases            []string           `json:"aliases"`
	URL                string             `json:"url"`
	OverlapTechniques  []ProfileTechnique `json:"overlap_techniques"`
	Overlap            int                `json:"overlap"`
	GroupTechniques    int                `json:"group_techniques"`
	Coverage           float64            `json:"coverage" jsonschema:"overlap ÷ group techniques"`
	AlertsOnTechniques int                `json:"alerts_on_overlap"`
}

// ThreatProfilesOut is list_threat_profiles's answer.
type ThreatProfilesOut struct {
	Definition     string          `json:"definition"`
	Since          string          `json:"since"`
	AlertsScanned  int             `json:"alerts_scanned"`
	TechniquesSeen int             `json:"techniques_seen"`
	Profiles       []ThreatProfile `json:"profiles"`
}

const (
	scanBatch = 500
	// scanCap bounds the alerts get_security_alerts reads while filtering,
	// and iocScanCap those get_ioc_matches aggregates, so an answer's cost
	// does not grow with the store; answers say when the cap cut them.
	scanCap    = 20_000
	iocScanCap = 20_000
)

// IoCDefinition says what get_ioc_matches reports.
const IoCDefinition = "indicators are the public IP addresses, domains, file hashes and URLs attached as entities to alerts " +
	"created in the window (private, loopback and link-local addresses are assets, not indicators); ranked by alert count; " +
	"confidence is the share of true positives among the judged alerts that carried the indicator"

// ThreatProfileDefinition says how list_threat_profiles ranks groups.
const ThreatProfileDefinition = "ATT&CK groups from the embedded MITRE catalog ranked by how many distinct techniques they use " +
	"(sub-techniques counted under their parent) were seen in the window's alerts, then by the alerts on those techniques; " +
	"coverage is that overlap ÷ the group's techniques. The window is days_back whole days in the organisation's time zone, " +
	"today included, starting at 'since'. This is overlap with the organisation's detections, not attribution"

func (s *server) addAlertTools(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{Name: "get_security_alerts", Annotations: readOnly("Security alerts"),
		Description: "Recent alerts, newest first, with id, verdict (disposition), rule, severity, times, case link, techniques and entities; paged."},
		s.getAlerts)
	sdk.AddTool(srv, &sdk.Tool{Name: "get_ioc_matches", Annotations: readOnly("IoC matches"),
		Description: "Indicators (public IPs, domains, hashes, URLs) seen in recent alerts, with sources, first/last seen, confidence from verdicts, matched alerts and assets."},
		s.iocMatches)
	sdk.AddTool(srv, &sdk.Tool{Name: "list_threat_profiles", Annotations: readOnly("Threat profiles"),
		Description: "ATT&CK threat groups most relevant to the organisation: ranked by the overlap of their techniques with those seen in its alerts."},
		s.threatProfiles)
}

// scanAlerts calls fn for the alerts f selects, newest id first, reading
// at most limit alerts in pages (the first of first alerts); it reports how
// many it read and whether the limit stopped it. fn returns false to stop.
func (s *server) scanAlerts(ctx context.Context, f store.AlertFilter, first, limit int, fn func(*model.Alert) bool) (int, bool, error) {
	n := 0
	batch := first
	for {
		f.Limit = min(batch, limit-n)
		batch = scanBatch
		if f.Limit <= 0 {
			return n, true, nil
		}
		page, err := s.st.Alerts(ctx, f)
		if err != nil {
			return n, false, err
		}
		for i := range page {
			n++
			if !fn(&page[i]) {
				return n, false, nil
			}
		}
		if len(page) < f.Limit {
			return n, false, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

func (s *server) getAlerts(ctx context.Context, _ *sdk.CallToolRequest, in GetAlertsIn) (*sdk.CallToolResult, GetAlertsOut, error) {
	var out GetAlertsOut
	hours := pageSize(in.HoursBack, 24, 24*366)
	size := pageSize(in.MaxAlerts, 10, 100)
	var minSev model.Severity
	if in.Severity != "" {
		v, err := model.ParseSeverity(in.Severity)
		if err != nil {
			return nil, out, argError("severity: %v", err)
		}
		minSev = v
	}
	var after int64
	if in.NextPageToken != "" {
		n, err := parsePageToken("alerts", in.NextPageToken)
		if err != nil {
			return nil, out, err
		}
		after = int64(n)
	}
	now := s.opts.Now()
	since := now.Add(-time.Duration(hours) * time.Hour)
	total, err := s.st.CountAlerts(ctx, since, now.Add(time.Second))
	if err != nil {
		return nil, out, err
	}
	status := statusFilter(in.StatusFilter)
	rule := strings.ToLower(strings.TrimSpace(in.Rule))
	keep := func(a *model.Alert) bool {
		switch status {
		case "":
		case "open":
			if a.Disposition != "" {
				return false
			}
		case "closed":
			if a.Disposition == "" {
				return false
			}
		default:
			if strings.ToLower(a.Status) != status {
				return false
			}
		}
		return rule == "" || strings.ToLower(a.RuleID) == rule || strings.Contains(strings.ToLower(a.RuleName), rule)
	}
	out.Alerts = []AlertRow{}
	var ids []int64 // of out.Alerts, for a token after a budget cut
	var last, scanned int64
	more := false
	f := store.AlertFilter{Since: since, MinSeverity: minSev, AfterID: after}
	// Without filters applied here, one page of size+1 alerts answers.
	_, truncated, err := s.scanAlerts(ctx, f, size+1, scanCap, func(a *model.Alert) bool {
		if !keep(a) {
			scanned = a.ID
			return true
		}
		if len(out.Alerts) == size {
			more = true
			return false
		}
		out.Alerts = append(out.Alerts, alertRow(a))
		ids = append(ids, a.ID)
		last, scanned = a.ID, a.ID
		return true
	})
	if err != nil {
		return nil, out, err
	}
	switch {
	case more:
		out.NextPageToken = pageToken("alerts", int(last))
	case truncated:
		// The scan cap stopped the search: continue after the last alert looked at.
		out.NextPageToken = pageToken("alerts", int(scanned))
	}
	out.Since, out.AlertsInRange = ts(since), total
	rows := out.Alerts
	out.Alerts = nil
	if keep := fitBudget(s.answerTokens(), approxTokens(out), rows); keep < len(rows) {
		rows, out.Truncated = rows[:keep], true
		out.NextPageToken = pageToken("alerts", int(ids[keep-1]))
	}
	out.Alerts = rows
	return nil, out, nil
}

// statusFilter normalises status_filter. Besides "open", "closed" and a
// source status, it understands secops-mcp's default UDM-style expression
// 'feedback_summary.status != "CLOSED"' (and its = form).
func statusFilter(v string) string {
	t := strings.ToLower(strings.TrimSpace(v))
	if strings.Contains(t, "status") && strings.Contains(t, "closed") {
		if strings.Contains(t, "!=") {
			return "open"
		}
		if strings.Contains(t, "=") {
			return "closed"
		}
	}
	return t
}

// iocTypes maps entity types onto indicator types.
var iocTypes = map[string]string{
	"ip": "ip", "ipv4": "ip", "ipv6": "ip", "ip_address": "ip", "address": "ip",
	"domain": "domain", "domain_name": "domain", "fqdn": "domain",
	"hash": "hash", "filehash": "hash", "file_hash": "hash", "md5": "hash", "sha1": "hash", "sha256": "hash",
	"url": "url", "uri": "url",
}

// assetTypes are the entity types reported as assets.
var assetTypes = map[string]bool{"host": true, "hostname": true, "device": true, "user": true, "resource": true}

type iocAgg struct {
	value, typ   string
	sources      map[string]bool
	first, last  time.Time
	alerts       []int64
	count        int
	tp, fp, judg int
	assets       map[string]bool
	assetOrder   []string
}

func (s *server) iocMatches(ctx context.Context, _ *sdk.CallToolRequest, in IoCIn) (*sdk.CallToolResult, IoCOut, error) {
	out := IoCOut{Definition: IoCDefinition, Matches: []IoCMatch{}}
	hours := pageSize(in.HoursBack, 24, 24*366)
	size := pageSize(in.MaxMatches, 20, 100)
	since := s.opts.Now().Add(-time.Duration(hours) * time.Hour)
	aggs := map[[2]string]*iocAgg{}
	isIndicator := func(t string) bool { _, ok := iocTypes[strings.ToLower(t)]; return ok }
	n, truncated, err := s.st.ScanAlertEntities(ctx, since, s.opts.Now().Add(time.Second), iocScanCap, isIndicator, func(a *store.AlertEntities) bool {
		for _, e := range a.Entities {
			typ, ok := iocTypes[strings.ToLower(e.Type)]
			if !ok || e.Value == "" {
				continue
			}
			v := strings.TrimSpace(e.Value)
			if typ == "ip" {
				ip, err := netip.ParseAddr(v)
				if err != nil || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
					continue
				}
				v = ip.String()
			} else if typ != "url" {
				v = strings.ToLower(v)
			}
			k := [2]string{typ, v}
			g := aggs[k]
			if g == nil {
				g = &iocAgg{value: v, typ: typ, sources: map[string]bool{}, assets: map[string]bool{}}
				aggs[k] = g
			}
			g.count++
			g.sources[a.Source] = true
			if t := a.CreatedAt; !t.IsZero() {
				if g.first.IsZero() || t.Before(g.first) {
					g.first = t
				}
				if t.After(g.last) {
					g.last = t
				}
			}
			if len(g.alerts) < 5 {
				g.alerts = append(g.alerts, a.ID)
			}
			switch a.Disposition {
			case model.DispositionTruePositive:
				g.tp++
				g.judg++
			case model.DispositionFalsePositive:
				g.fp++
				g.judg++
			case model.DispositionBenignPositive:
				g.judg++
			}
			for _, x := range a.Entities {
				if assetTypes[strings.ToLower(x.Type)] && len(g.assetOrder) < 5 && !g.assets[x.Value] {
					g.assets[x.Value] = true
					g.assetOrder = append(g.assetOrder, x.Value)
				}
			}
		}
		return true
	})
	if err != nil {
		return nil, out, err
	}
	list := make([]*iocAgg, 0, len(aggs))
	for _, g := range aggs {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.count != b.count {
			return a.count > b.count
		}
		if !a.last.Equal(b.last) {
			return a.last.After(b.last)
		}
		return a.typ+a.value < b.typ+b.value
	})
	for _, g := range list[:min(size, len(list))] {
		m := IoCMatch{Indicator: untrusted(g.value, shortText), Type: g.typ, FirstSeen: ts(g.first), LastSeen: ts(g.last),
			AlertCount: g.count, TruePositives: g.tp, FalsePositive: g.fp, Basis: "no judged alerts",
			MatchedAlerts: []string{}, Assets: []Text{}, Sources: []string{}}
		if g.judg > 0 {
			m.Confidence = float64(g.tp) / float64(g.judg)
			m.Basis = strconv.Itoa(g.tp) + " true positives of " + strconv.Itoa(g.judg) + " judged alerts"
		}
		for src := range g.sources {
			m.Sources = append(m.Sources, src)
		}
		sort.Strings(m.Sources)
		for _, id := range g.alerts {
			m.MatchedAlerts = append(m.MatchedAlerts, strconv.FormatInt(id, 10))
		}
		for _, v := range g.assetOrder {
			m.Assets = append(m.Assets, untrusted(v, shortText))
		}
		out.Matches = append(out.Matches, m)
	}
	out.Since, out.AlertsScanned, out.ScanTruncated, out.Indicators = ts(since), n, truncated, len(aggs)
	matches := out.Matches
	out.Matches = nil
	if keep := fitBudget(s.answerTokens(), approxTokens(out), matches); keep < len(matches) {
		matches, out.Truncated = matches[:keep], true
	}
	out.Matches = matches
	return nil, out, nil
}

// baseTechnique is a technique id without its sub-technique suffix.
func baseTechnique(id string) string {
	b, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(id)), ".")
	return b
}

func (s *server) threatProfiles(ctx context.Context, _ *sdk.CallToolRequest, in ThreatProfilesIn) (*sdk.CallToolResult, ThreatProfilesOut, error) {
	out := ThreatProfilesOut{Definition: ThreatProfileDefinition, Profiles: []ThreatProfile{}}
	limit := pageSize(in.Limit, 10, 50)
	days := pageSize(in.DaysBack, 90, 3660)
	cat, err := s.catalog()
	if err != nil {
		return nil, out, err
	}
	loc, err := s.st.TimeZone(ctx)
	if err != nil {
		return nil, out, err
	}
	// Whole days, so the counts come from the daily rollups.
	w := metrics.WindowEnding(s.opts.Now(), days, loc)
	since := w.From
	sets, n, err := s.eng.TechniqueSets(ctx, w)
	if err != nil {
		return nil, out, err
	}
	seen := map[string]int{} // base technique → alerts
	for _, set := range sets {
		bases := map[string]bool{}
		for _, t := range set.Techniques {
			bases[baseTechnique(t)] = true
		}
		for b := range bases {
			seen[b] += int(set.Alerts)
		}
	}
	out.Since, out.AlertsScanned, out.TechniquesSeen = ts(since), int(n), len(seen)
	for _, g := range cat.Groups() {
		techs := map[string]bool{}
		for _, t := range cat.GroupTechniques(g.ID) {
			techs[baseTechnique(t.ID)] = true
		}
		p := ThreatProfile{ID: g.ID, Name: g.Name, Aliases: nonNil(g.Aliases), URL: g.URL(), GroupTechniques: len(techs),
			OverlapTechniques: []ProfileTechnique{}}
		for b := range techs {
			if c := seen[b]; c > 0 {
				name := ""
				if t, ok := cat.Technique(b); ok {
					name = t.Name
				}
				p.OverlapTechniques = append(p.OverlapTechniques, ProfileTechnique{ID: b, Name: name, Alerts: c})
				p.AlertsOnTechniques += c
			}
		}
		p.Overlap = len(p.OverlapTechniques)
		if p.Overlap == 0 {
			continue
		}
		p.Coverage = float64(p.Overlap) / float64(p.GroupTechniques)
		sort.Slice(p.OverlapTechniques, func(i, j int) bool {
			a, b := p.OverlapTechniques[i], p.OverlapTechniques[j]
			if a.Alerts != b.Alerts {
				return a.Alerts > b.Alerts
			}
			return a.ID < b.ID
		})
		out.Profiles = append(out.Profiles, p)
	}
	sort.Slice(out.Profiles, func(i, j int) bool {
		a, b := out.Profiles[i], out.Profiles[j]
		if a.Overlap != b.Overlap {
			return a.Overlap > b.Overlap
		}
		if a.AlertsOnTechniques != b.AlertsOnTechniques {
			return a.AlertsOnTechniques > b.AlertsOnTechniques
		}
		return a.ID < b.ID
	})
	if len(out.Profiles) > limit {
		out.Profiles = out.Profiles[:limit]
	}
	for i := range out.Profiles { // keep answers compact
		if t := out.Profiles[i].OverlapTechniques; len(t) > 15 {
			out.Profiles[i].OverlapTechniques = t[:15]
		}
	}
	return nil, out, nil
}
