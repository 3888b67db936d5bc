package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/store"
)

// intelBundle is a feed's STIX bundle: an indicator on c2.evil.example
// (its name an HTML payload) indicating an intrusion set (its name a
// script payload) that targets banks in Germany.
func intelBundle() string {
	return fmt.Sprintf(`{"type": "bundle", "id": "bundle--1", "objects": [
 {"type": "indicator", "id": "indicator--c2", "spec_version": "2.1", "name": %q, "pattern": "[domain-name:value = 'c2.evil[.]example']",
  "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "confidence": 90, "modified": "2026-01-01T00:00:00Z"},
 {"type": "intrusion-set", "id": "intrusion-set--x", "name": %q, "modified": "2026-01-01T00:00:00Z"},
 {"type": "identity", "id": "identity--banks", "name": "Banks", "sectors": ["financial-services"]},
 {"type": "location", "id": "location--de", "country": "DE"},
 {"type": "relationship", "id": "relationship--1", "relationship_type": "indicates", "source_ref": "indicator--c2", "target_ref": "intrusion-set--x"},
 {"type": "relationship", "id": "relationship--2", "relationship_type": "targets", "source_ref": "intrusion-set--x", "target_ref": "identity--banks"},
 {"type": "relationship", "id": "relationship--3", "relationship_type": "targets", "source_ref": "intrusion-set--x", "target_ref": "location--de"}
]}`, xssImg, xssScript)
}

func alertLine(id string, ago time.Duration, domain string) string {
	return fmt.Sprintf(`{"record":"alert","source":"test","external_id":%q,"title":"DNS to c2","severity":"high","created_at":%q,"entities":[{"type":"domain","value":%q},{"type":"host","value":"ws-9"}]}`+"\n",
		id, at(-ago), domain)
}

func ingestBody(t *testing.T, f *fixture, body string) IngestResponse {
	t.Helper()
	resp := f.do("POST", "/api/v1/ingest", auth.Ingest, body)
	if resp.StatusCode != 200 {
		t.Fatalf("ingest: %d %s", resp.StatusCode, readBody(t, resp))
	}
	var out IngestResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return out
}

func TestIntelAPIAndPages(t *testing.T) {
	f := newFixture(t)
	// An alert before the indicator arrives (found by the retro-hunt the
	// ingest starts), then the feed, then an alert matched at ingest.
	ingestBody(t, f, alertLine("A-old", 2*time.Hour, "c2.evil.example"))
	if r := ingestBody(t, f, intelBundle()); r.Format != "stix" || r.Rejected != 0 {
		t.Fatalf("bundle: %+v", r)
	}
	ingestBody(t, f, alertLine("A-new", time.Hour, "WWW.C2.evil.example."))

	var page intel.MatchPage
	getJSON(t, f, "/api/v1/intel/matches?last=24h", auth.Analyst, &page)
	if page.Total != 1 || len(page.Rows) != 1 {
		t.Fatalf("matches: %+v", page)
	}
	m := page.Rows[0]
	if m.Indicator.Value != "c2.evil[.]example" || m.Indicator.Confidence != 90 || m.Alerts != 2 || !m.RetroHunt ||
		len(m.AlertRefs) != 2 || m.AlertRefs[0].ExternalID != "A-new" || m.Assets[0].Value != "ws-9" || len(m.Profiles) != 1 ||
		!m.LastSeen.Equal(testNow.Add(-time.Hour)) {
		t.Fatalf("match row: %+v", m)
	}
	if resp := f.do("GET", "/api/v1/intel/matches", auth.Viewer, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer reads matches: %d", resp.StatusCode)
	}
	if resp := f.do("GET", "/api/v1/intel/matches?last=soon", auth.Analyst, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad window: %d", resp.StatusCode)
	}
	var inds []store.IndicatorRow
	getJSON(t, f, "/api/v1/intel/indicators?type=domain&active=true", auth.Analyst, &inds)
	if len(inds) != 1 || inds[0].MatchedAlerts != 2 || inds[0].Observables[0].Value != "c2.evil.example" {
		t.Fatalf("indicators: %+v", inds)
	}

	// The organisation profile: managers set it, analysts may not, bad
	// places are refused; every attempt is audited.
	if resp := f.do("PUT", "/api/v1/settings/org", auth.Analyst, `{"sectors":["finance"]}`); resp.StatusCode != http.StatusForbidden {
		t.Errorf("analyst sets the profile: %d", resp.StatusCode)
	}
	resp := f.do("PUT", "/api/v1/settings/org", auth.Manager, `{"regions":["Atlantis"]}`)
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Atlantis") {
		t.Errorf("bad region: %d %s", resp.StatusCode, body)
	}
	var org intel.OrgProfile
	resp = f.do("PUT", "/api/v1/settings/org", auth.Manager, `{"sectors":["Banking"],"regions":["de"],"platforms":["windows"]}`)
	if err := json.NewDecoder(resp.Body).Decode(&org); err != nil || resp.StatusCode != 200 || org.Sectors[0] != "finance" ||
		org.Regions[0] != "Germany" || org.Platforms[0] != "Windows" {
		t.Fatalf("set profile: %d %+v %v", resp.StatusCode, org, err)
	}
	resp.Body.Close()
	entries, err := f.st.AuditEntries(t.Context(), store.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	audited := 0
	for _, e := range entries {
		if e.Action == "PUT /api/v1/settings/org" {
			audited++
		}
	}
	if audited != 3 {
		t.Errorf("%d audit entries for the profile, want 3: %+v", audited, entries)
	}

	// Profiles ranked for it: the feed's actor scores sector 30 + region
	// 25 + indicators 15 + 2 matched alerts.
	var rank intel.Ranking
	getJSON(t, f, "/api/v1/intel/profiles?relevant=true&limit=3", auth.Viewer, &rank)
	if len(rank.Profiles) != 3 || rank.Profiles[0].Name != xssScript || rank.Profiles[0].Score != 72 || len(rank.Profiles[0].Reasons) != 3 {
		t.Fatalf("ranking: %+v", rank.Profiles[0])
	}
	id := rank.Profiles[0].ID
	var one ProfileResponse
	getJSON(t, f, "/api/v1/intel/profiles/"+id, auth.Viewer, &one)
	if one.Rank != 1 || one.ID != id {
		t.Fatalf("profile: %+v", one)
	}
	if resp := f.do("GET", "/api/v1/intel/profiles/nobody-at-all", auth.Viewer, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown profile: %d", resp.StatusCode)
	}

	// Pages escape the feed's text.
	for _, path := range []string{"/intel", "/intel?last=168h", "/intel/profiles/" + id} {
		resp := f.do("GET", path, auth.Analyst, "")
		body := readBody(t, resp)
		if resp.StatusCode != 200 || strings.Contains(body, "<img src=x") || strings.Contains(body, "<script>window") ||
			!strings.Contains(body, "&lt;/script&gt;&lt;script&gt;window.__xss=2&lt;/script&gt;") {
			t.Errorf("%s: %d, payload not escaped:\n%s", path, resp.StatusCode, body)
		}
	}
	// The settings page shows the form to managers only; the form saves.
	if body := readBody(t, f.do("GET", "/settings", auth.Viewer, "")); strings.Contains(body, `action="/settings/org"`) || !strings.Contains(body, "Germany") {
		t.Errorf("viewer's settings page:\n%s", body)
	}
	form := url.Values{"sectors": {"healthcare"}, "regions": {"Japan, KR"}, "platforms": {""}}
	resp = f.do("POST", "/settings/org", auth.Manager, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings?saved=1" {
		t.Fatalf("form: %d %s", resp.StatusCode, readBody(t, resp))
	}
	getJSON(t, f, "/api/v1/settings/org", auth.Viewer, &org)
	if org.Sectors[0] != "healthcare" || len(org.Regions) != 2 || len(org.Platforms) != 0 {
		t.Errorf("after the form: %+v", org)
	}
	resp = f.do("POST", "/settings/org", auth.Manager, url.Values{"regions": {"Narnia"}}.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Narnia") {
		t.Errorf("bad form: %d", resp.StatusCode)
	}

	// Freshness per feed, in the API and in /metrics.
	if err := f.st.SaveFeed(t.Context(), store.IntelFeed{Name: "acme", Kind: "taxii", URL: "https://cti.example/taxii2/", Collection: "c1",
		Interval: time.Hour, Enabled: true}, testNow); err != nil {
		t.Fatal(err)
	}
	var srcs []intel.SourceStatus
	getJSON(t, f, "/api/v1/intel/feeds", auth.Viewer, &srcs)
	if len(srcs) != 2 || srcs[0].Source != "stix" || srcs[0].Active != 1 || srcs[1].Feed == nil || srcs[1].Feed.IntervalSeconds != 3600 {
		t.Fatalf("feeds: %+v", srcs)
	}
	metrics := readBody(t, f.do("GET", "/metrics", auth.Viewer, ""))
	for _, want := range []string{`watchfloor_intel_indicators{source="stix",state="active"} 1`,
		`watchfloor_intel_feed_last_success_timestamp_seconds{feed="acme"} 0`, `watchfloor_intel_feed_consecutive_failures{feed="acme"} 0`,
		fmt.Sprintf(`watchfloor_intel_feed_next_pull_timestamp_seconds{feed="acme"} %g`, float64(testNow.Unix()))} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestBrowserIntel renders the intelligence pages in Chromium, in both
// themes and on the wall screen: the feed's payloads stay text, nothing
// runs, and the tables fit the window.
func TestBrowserIntel(t *testing.T) {
	ctx, incidents := browser(t)
	f := newFixture(t)
	dir := artifacts(t)
	ingestBody(t, f, alertLine("A-old", 2*time.Hour, "c2.evil.example"))
	ingestBody(t, f, intelBundle())
	resp := f.do("PUT", "/api/v1/settings/org", auth.Manager, `{"sectors":["finance"],"regions":["Germany"]}`)
	resp.Body.Close()
	// The sign-in page has a #main too: wait for the sign-out form, so the
	// next navigation does not abort the redirect after the form.
	signInTo(t, ctx, f.ts.URL+"/login", `form[action="/logout"]`)
	for _, page := range []struct{ path, shot string }{
		{"/intel", "intel-dark.png"}, {"/intel?theme=light", "intel-light.png"}, {"/intel?kiosk=1", "intel-kiosk.png"},
		{"/intel/profiles/" + url.PathEscape(profileID(t, f)), "intel-profile.png"}, {"/settings", "settings.png"},
	} {
		visit(t, ctx, f.ts.URL+page.path, "#main")
		if n := eval[int](t, ctx, `document.querySelectorAll("main img, main script").length`); n != 0 {
			t.Errorf("%s: %d img/script elements", page.path, n)
		}
		if x := eval[int](t, ctx, `window.__xss === undefined ? 0 : window.__xss`); x != 0 {
			t.Errorf("%s: a payload ran (__xss=%d)", page.path, x)
		}
		if over := eval[bool](t, ctx, `document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`); over {
			t.Errorf("%s: the page is wider than the window", page.path)
		}
		screenshot(t, ctx, dir, page.shot)
	}
	visit(t, ctx, f.ts.URL+"/intel", "#main")
	text := eval[string](t, ctx, `document.querySelector("main").textContent`)
	if !strings.Contains(text, xssScript) || !strings.Contains(text, xssImg) || !strings.Contains(text, "retro-hunt") {
		t.Errorf("the intel page does not show the feed's text as text:\n%s", text)
	}
	if n := incidents.Load(); n != 0 {
		t.Errorf("%d dialogs or exceptions", n)
	}
}

// profileID is the feed actor's profile id.
func profileID(t *testing.T, f *fixture) string {
	t.Helper()
	var rank intel.Ranking
	getJSON(t, f, "/api/v1/intel/profiles?relevant=true&limit=1", auth.Viewer, &rank)
	if len(rank.Profiles) == 0 {
		t.Fatal("no relevant profile")
	}
	return rank.Profiles[0].ID
}
