package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/store"
)

// intelService returns the server's intelligence service, on the report
// service's engine (its technique counts come from the same rollups).
func (s *Server) intelService() *intel.Service {
	s.intelOnce.Do(func() {
		s.intelSvc = &intel.Service{Store: s.st, Engine: s.svc.Engine(), Now: s.now}
	})
	return s.intelSvc
}

// flagParam is boolParam with its error marked as the request's fault.
func flagParam(q url.Values, name string) (bool, error) {
	b, err := boolParam(q, name)
	if err != nil {
		return false, badRequest{err}
	}
	return b, nil
}

// matchQuery reads the matches query: last (a duration, default 24h; 0 for
// all), min_confidence, type, source, found, limit, offset.
func (s *Server) matchQuery(q url.Values) (store.MatchQuery, string, error) {
	var mq store.MatchQuery
	last := q.Get("last")
	if last == "" {
		last = "24h"
	}
	d, err := time.ParseDuration(last)
	if err != nil || d < 0 {
		return mq, last, badRequest{errors.New("last: want a duration such as 24h or 168h (0 for all)")}
	}
	if d > 0 {
		mq.Since = s.now().Add(-d)
	}
	if mq.MinConfidence, err = intParam(q, "min_confidence", 0, 100); err != nil {
		return mq, last, err
	}
	if t := q.Get("type"); t != "" {
		k, _ := observable.KindOf(t)
		if !observable.IsKnown(k) || k == observable.Hash {
			return mq, last, badRequest{fmt.Errorf("type %q: want ip, cidr, domain, url, email, md5, sha1, sha256 or sha512", t)}
		}
		mq.Type = string(k)
	}
	mq.Source = q.Get("source")
	if mq.ByFound, err = flagParam(q, "found"); err != nil {
		return mq, last, err
	}
	if mq.Limit, err = intParam(q, "limit", 50, 500); err != nil {
		return mq, last, err
	}
	mq.Offset, err = intParam(q, "offset", 0, 1<<30)
	return mq, last, err
}

func (s *Server) apiIntelMatches(w http.ResponseWriter, r *http.Request) {
	mq, _, err := s.matchQuery(r.URL.Query())
	if err != nil {
		s.answer(w, "", nil, err)
		return
	}
	page, err := s.intelService().Matches(r.Context(), mq)
	s.answer(w, "listing indicator matches", page, err)
}

func (s *Server) apiIntelIndicators(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	iq := store.IndicatorQuery{Source: q.Get("source"), Search: q.Get("search")}
	if t := q.Get("type"); t != "" {
		k, _ := observable.KindOf(t)
		iq.Type = string(k)
	}
	active, err := flagParam(q, "active")
	if err == nil && active {
		iq.ActiveAt = s.now()
	}
	if err == nil {
		iq.Limit, err = intParam(q, "limit", 50, 1000)
	}
	var before int
	if err == nil {
		before, err = intParam(q, "before_id", 0, 1<<62)
		iq.AfterID = int64(before)
	}
	if err != nil {
		s.answer(w, "", nil, err)
		return
	}
	rows, err := s.st.ListIndicators(r.Context(), iq)
	if rows == nil {
		rows = []store.IndicatorRow{}
	}
	s.answer(w, "listing indicators", rows, err)
}

func (s *Server) rankQuery(q url.Values) (intel.RankQuery, error) {
	var rq intel.RankQuery
	var err error
	if rq.Relevant, err = flagParam(q, "relevant"); err != nil {
		return rq, err
	}
	rq.Kind = q.Get("kind")
	switch rq.Kind {
	case "", intel.KindActor, intel.KindCampaign, intel.KindMalware, intel.KindRansomware:
	default:
		return rq, badRequest{fmt.Errorf("kind %q: want actor, campaign, malware or ransomware", rq.Kind)}
	}
	if rq.Days, err = intParam(q, "days", intel.DefaultProfileDays, 3660); err != nil {
		return rq, err
	}
	if rq.Limit, err = intParam(q, "limit", 20, 500); err != nil {
		return rq, err
	}
	rq.Offset, err = intParam(q, "offset", 0, 1<<30)
	return rq, err
}

func (s *Server) apiIntelProfiles(w http.ResponseWriter, r *http.Request) {
	rq, err := s.rankQuery(r.URL.Query())
	if err != nil {
		s.answer(w, "", nil, err)
		return
	}
	rank, err := s.intelService().Rank(r.Context(), rq)
	s.answer(w, "ranking threat profiles", rank, err)
}

// ProfileResponse is one threat profile with its rank.
type ProfileResponse struct {
	Rank int `json:"rank"`
	intel.Ranked
}

func (s *Server) profile(r *http.Request) (ProfileResponse, error) {
	days, err := intParam(r.URL.Query(), "days", intel.DefaultProfileDays, 3660)
	if err != nil {
		return ProfileResponse{}, err
	}
	p, rank, err := s.intelService().Profile(r.Context(), r.PathValue("id"), days)
	return ProfileResponse{rank, p}, err
}

func (s *Server) apiIntelProfile(w http.ResponseWriter, r *http.Request) {
	p, err := s.profile(r)
	s.answer(w, "reading the threat profile", p, err)
}

func (s *Server) apiIntelFeeds(w http.ResponseWriter, r *http.Request) {
	srcs, err := s.intelService().Sources(r.Context())
	if srcs == nil {
		srcs = []intel.SourceStatus{}
	}
	s.answer(w, "listing feeds", srcs, err)
}

func (s *Server) apiOrgProfile(w http.ResponseWriter, r *http.Request) {
	o, err := s.intelService().OrgProfile(r.Context())
	s.answer(w, "reading the organisation profile", orgJSON(o), err)
}

// orgJSON lists empty parts as empty lists, not null.
func orgJSON(o intel.OrgProfile) intel.OrgProfile {
	for _, l := range []*[]string{&o.Sectors, &o.Regions, &o.Platforms} {
		if *l == nil {
			*l = []string{}
		}
	}
	return o
}

func (s *Server) apiSetOrgProfile(w http.ResponseWriter, r *http.Request) {
	var o intel.OrgProfile
	if !decodeBody(w, r, &o) {
		auditDetail(r, "invalid body")
		return
	}
	n, err := s.intelService().SetOrgProfile(r.Context(), o)
	if err != nil {
		auditDetail(r, "rejected: "+err.Error())
		if errors.Is(err, intel.ErrInvalidOrgProfile) {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.fail(w, "saving the organisation profile", err)
		return
	}
	auditDetail(r, fmt.Sprintf("sectors=%s regions=%s platforms=%s", strings.Join(n.Sectors, ","), strings.Join(n.Regions, ","), strings.Join(n.Platforms, ",")))
	s.changed(context.WithoutCancel(r.Context()))
	writeJSON(w, http.StatusOK, orgJSON(n))
}

// windowChoice is a window the intelligence page offers.
type windowChoice struct{ Value, Label string }

// intelPageData is what the intelligence page shows.
type intelPageData struct {
	Last    string
	Lasts   []windowChoice
	Matches intel.MatchPage
	Ranking intel.Ranking
	Sources []intel.SourceStatus
}

func (s *Server) intelPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	mq, last, err := s.matchQuery(q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	svc := s.intelService()
	d := intelPageData{Last: last, Lasts: []windowChoice{{"24h", "last 24 hours"}, {"168h", "7 days"}, {"720h", "30 days"}, {"2160h", "90 days"}}}
	if d.Matches, err = svc.Matches(r.Context(), mq); err == nil {
		if d.Ranking, err = svc.Rank(r.Context(), intel.RankQuery{Relevant: true, Limit: 10}); err == nil {
			d.Sources, err = svc.Sources(r.Context())
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "intel", "Threat intelligence")
	v.Data = d
	s.render(w, http.StatusOK, "intel", v)
}

func (s *Server) intelProfilePage(w http.ResponseWriter, r *http.Request) {
	p, err := s.profile(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "intel", "Threat profile "+p.Name)
	v.Data = p
	s.render(w, http.StatusOK, "intel_profile", v)
}

// settingsData is what the settings page shows.
type settingsData struct {
	TimeZone  string
	Org       intel.OrgProfile
	Form      intel.OrgProfile
	Sectors   []string
	Regions   []string
	Platforms []string
	Error     string
	Saved     bool
}

func (s *Server) settingsView(w http.ResponseWriter, r *http.Request) (view, *settingsData, error) {
	loc, err := s.st.TimeZone(r.Context())
	if err != nil {
		return view{}, nil, err
	}
	org, err := s.intelService().OrgProfile(r.Context())
	if err != nil {
		return view{}, nil, err
	}
	cat, err := s.intelService().Catalog()
	if err != nil {
		return view{}, nil, err
	}
	d := &settingsData{TimeZone: loc.String(), Org: org, Form: org, Sectors: intel.Sectors(), Regions: intel.Regions(), Platforms: intel.Platforms(cat)}
	v := s.newView(w, r, "settings", "Settings")
	v.Data = d
	return v, d, nil
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) {
	v, d, err := s.settingsView(w, r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d.Saved = r.URL.Query().Get("saved") == "1"
	s.render(w, http.StatusOK, "settings", v)
}

func (s *Server) settingsOrgSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		httpError(w, http.StatusBadRequest, "invalid form")
		return
	}
	o := intel.OrgProfile{Sectors: []string{r.PostFormValue("sectors")}, Regions: []string{r.PostFormValue("regions")},
		Platforms: []string{r.PostFormValue("platforms")}}
	n, err := s.intelService().SetOrgProfile(r.Context(), o)
	if err != nil {
		auditDetail(r, "rejected: "+err.Error())
		v, d, verr := s.settingsView(w, r)
		if verr != nil {
			s.pageError(w, r, verr)
			return
		}
		d.Form, d.Error = intel.OrgProfile{Sectors: o.Sectors, Regions: o.Regions, Platforms: o.Platforms}, err.Error()
		s.render(w, http.StatusBadRequest, "settings", v)
		return
	}
	auditDetail(r, fmt.Sprintf("sectors=%s regions=%s platforms=%s", strings.Join(n.Sectors, ","), strings.Join(n.Regions, ","), strings.Join(n.Platforms, ",")))
	s.changed(context.WithoutCancel(r.Context()))
	http.Redirect(w, r, "/settings?saved=1", http.StatusSeeOther)
}

// intelCollector reports feed freshness and indicator counts at scrape
// time (the intelligence service counts the indicators at most once a
// minute while they are unchanged).
type intelCollector struct{ s *Server }

var (
	descIndicators   = prometheus.NewDesc("watchfloor_intel_indicators", "Stored threat-intelligence indicators by source and state (active, expired, revoked, context: not for detection).", []string{"source", "state"}, nil)
	descFeedSuccess  = prometheus.NewDesc("watchfloor_intel_feed_last_success_timestamp_seconds", "When a scheduled feed was last pulled without error (Unix seconds; 0 never).", []string{"feed"}, nil)
	descFeedAttempt  = prometheus.NewDesc("watchfloor_intel_feed_last_attempt_timestamp_seconds", "When a scheduled feed was last pulled (Unix seconds; 0 never).", []string{"feed"}, nil)
	descFeedFailures = prometheus.NewDesc("watchfloor_intel_feed_consecutive_failures", "Pulls of a scheduled feed that failed since its last success.", []string{"feed"}, nil)
	descFeedNext     = prometheus.NewDesc("watchfloor_intel_feed_next_pull_timestamp_seconds", "When a scheduled feed is due (Unix seconds), after its interval or a back-off.", []string{"feed"}, nil)
)

// Describe sends the collector's descriptors.
func (c *intelCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descIndicators, descFeedSuccess, descFeedAttempt, descFeedFailures, descFeedNext} {
		ch <- d
	}
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

// Collect reads the sources and feeds; a failure fails the scrape.
func (c *intelCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	srcs, err := c.s.intelService().Sources(ctx)
	cancel()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descIndicators, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, src := range srcs {
		if src.Indicators > 0 {
			gauge(descIndicators, float64(src.Active), src.Source, "active")
			gauge(descIndicators, float64(src.Expired), src.Source, "expired")
			gauge(descIndicators, float64(src.Revoked), src.Source, "revoked")
			gauge(descIndicators, float64(src.Context), src.Source, "context")
		}
		if f := src.Feed; f != nil {
			gauge(descFeedSuccess, unixSeconds(f.LastSuccess), f.Name)
			gauge(descFeedAttempt, unixSeconds(f.LastAttempt), f.Name)
			gauge(descFeedFailures, float64(f.Failures), f.Name)
			gauge(descFeedNext, unixSeconds(f.NextRun), f.Name)
		}
	}
}

// huntAfterIngest retro-hunts after an ingest stored new or changed
// indicators.
func (s *Server) huntAfterIngest(ctx context.Context, sum ingest.Summary) error {
	if sum.Inserted[store.KindIndicator]+sum.Updated[store.KindIndicator] == 0 {
		return nil
	}
	res, err := intel.RetroHunt(ctx, s.st, intel.DefaultHuntDays, s.now())
	if err != nil {
		return fmt.Errorf("retro-hunting the new indicators: %w", err)
	}
	s.log.Info("retro-hunt after ingest", "indicators", res.Indicators, "alerts", res.Alerts, "matches", res.Matches)
	return nil
}
