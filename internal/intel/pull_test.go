package intel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/intel/taxii/taxiitest"
	"github.com/watchfloor/watchfloor/internal/shareddata"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

const indicatorCollection = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"

func taxiiServer(t *testing.T) *taxiitest.Server {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, "taxii", "default_data.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := taxiitest.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	srv := taxiitest.New(d)
	t.Cleanup(srv.Close)
	return srv
}

// expectedAfter is the independent reading of the collection: the last
// version of each object added after a time, by type, and the newest
// "date added" among them.
func expectedAfter(t *testing.T, srv *taxiitest.Server, after string) (map[string]int, string) {
	t.Helper()
	col := srv.Data.Roots["trustgroup1"].Collections[2]
	if col.ID != indicatorCollection {
		t.Fatalf("test data changed: collection %s", col.ID)
	}
	last := map[string]taxiitest.ManifestEntry{}
	for _, m := range col.Manifest {
		if m.DateAdded <= after && after != "" {
			continue
		}
		if cur, ok := last[m.ID]; !ok || m.Version > cur.Version {
			last[m.ID] = m
		}
	}
	types, newest := map[string]int{}, ""
	for id, m := range last {
		types[strings.Split(id, "--")[0]]++
		newest = max(newest, m.DateAdded)
	}
	return types, newest
}

func TestPullTAXII(t *testing.T) {
	srv := taxiiServer(t)
	srv.Username, srv.Password, srv.PageSize = "reader", "s3cret", 2
	st := storetest.Open(t, storetest.SQLitePath(t))
	ctx := context.Background()
	var rejects []string
	p := &intel.Puller{Store: st, Now: func() time.Time { return now }, OnReject: func(loc string, err error) { rejects = append(rejects, loc+": "+err.Error()) }}
	auth := intel.Auth{Username: "reader", Password: "s3cret"}

	// Wrong credentials: the server's answer, without the secret.
	if _, err := p.PullTAXII(ctx, srv.URL+"/taxii2/", indicatorCollection, "", intel.Auth{Username: "reader", Password: "wrong"}); err == nil ||
		!strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("bad credentials: %v", err)
	}
	types, newest := expectedAfter(t, srv, "")
	res, err := p.PullTAXII(ctx, srv.URL+"/taxii2/", indicatorCollection, "", auth)
	if err != nil {
		t.Fatal(err)
	}
	objects := types["indicator"] + types["relationship"] + types["malware"] + types["marking-definition"]
	wantPages := (objects + 1) / 2
	if res.Pages != wantPages || res.Inserted != types["indicator"]+types["relationship"]+types["malware"] || res.Rejected != 0 ||
		res.Cursor != newest || !strings.HasPrefix(res.Source, "taxii:127.0.0.1:") || len(rejects) != 0 {
		t.Fatalf("first pull %+v (want %d pages, %v), rejects %v", res, wantPages, types, rejects)
	}
	rows, err := st.ListIndicators(ctx, store.IndicatorQuery{Limit: 10})
	if err != nil || len(rows) != 2 {
		t.Fatalf("indicators %+v %v", rows, err)
	}
	// The URL indicator is stored in its last version.
	for _, r := range rows {
		if r.ExternalID == "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e" && r.Observables[0].Value != "http://x4z9arb.cn/4712" {
			t.Errorf("URL indicator %+v", r)
		}
	}
	// The next pull asks for what was added since and finds nothing new.
	before := len(srv.Requests())
	res2, err := p.PullTAXII(ctx, srv.URL+"/taxii2/", indicatorCollection, "", auth)
	if err != nil || res2.Records != 0 || res2.Pages != 1 {
		t.Fatalf("second pull: %+v, %v", res2, err)
	}
	reqs := srv.Requests()[before:]
	if !strings.Contains(reqs[len(reqs)-1], "added_after="+strings.ReplaceAll(strings.ReplaceAll(newest, ":", "%3A"), "+", "%2B")) {
		t.Errorf("second pull did not send added_after: %v", reqs)
	}
}

// TestPullTAXIIAddedAfter: a stored cursor selects what was added since.
func TestPullTAXIIAddedAfter(t *testing.T) {
	srv := taxiiServer(t)
	st := storetest.Open(t, storetest.SQLitePath(t))
	ctx := context.Background()
	src := "taxii:test"
	after := "2016-12-31T00:00:00.000000Z"
	if err := st.SetCursors(ctx, src, map[string]string{"added_after": after}, now); err != nil {
		t.Fatal(err)
	}
	types, _ := expectedAfter(t, srv, after)
	res, err := (&intel.Puller{Store: st}).PullTAXII(ctx, srv.URL+"/trustgroup1/", indicatorCollection, src, intel.Auth{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != types["indicator"]+types["malware"]+types["relationship"] || res.Inserted != 2 {
		t.Fatalf("%+v, want %v", res, types)
	}
}

// TestPullTAXIIBadServer: a server answering 500 part-way, or garbage, is
// reported with where; what came before is kept and the next pull resumes.
func TestPullTAXIIBadServer(t *testing.T) {
	srv := taxiiServer(t)
	srv.PageSize = 2
	st := storetest.Open(t, storetest.SQLitePath(t))
	ctx := context.Background()
	p := &intel.Puller{Store: st}
	failing := true
	srv.Fail = func(r *http.Request) (int, string, bool) {
		if failing && r.URL.Query().Get("next") == "2" {
			return http.StatusInternalServerError, `{"title": "database unavailable"}`, true
		}
		return 0, "", false
	}
	res, err := p.PullTAXII(ctx, srv.URL+"/taxii2/", indicatorCollection, "taxii:bad", intel.Auth{})
	if err == nil || !strings.Contains(err.Error(), "page 2: ") || !strings.Contains(err.Error(), "HTTP 500 Internal Server Error: database unavailable") ||
		!strings.Contains(err.Error(), "/collections/"+indicatorCollection+"/objects/?") {
		t.Fatalf("500: %v", err)
	}
	if res.Pages != 1 || res.Inserted != 2 {
		t.Fatalf("before the failure: %+v", res)
	}
	cur, _ := st.Cursors(ctx, "taxii:bad")
	// Page 1 held the first two objects added: the relationship (2014) and
	// the hash indicator, added 2016-11-01T03:04:05.
	if cur["added_after"] != "2016-11-01T03:04:05.000000Z" {
		t.Fatalf("cursor after the first page: %q", cur["added_after"])
	}
	failing = false
	res, err = p.PullTAXII(ctx, srv.URL+"/taxii2/", indicatorCollection, "taxii:bad", intel.Auth{})
	if err != nil || res.Inserted != 2 || res.Unchanged != 0 {
		t.Fatalf("resumed pull: %+v, %v", res, err)
	}
	// Garbage instead of JSON.
	srv.Fail = func(r *http.Request) (int, string, bool) {
		if strings.HasSuffix(r.URL.Path, "/collections/") {
			return 200, "<html>\x00maintenance</html>", true
		}
		return 0, "", false
	}
	_, err = p.PullTAXII(ctx, srv.URL+"/trustgroup1/", indicatorCollection, "taxii:bad", intel.Auth{})
	if err == nil || !strings.Contains(err.Error(), `/trustgroup1/collections/: not a TAXII answer (text/html; charset=utf-8, starting "<html>.maintenance</html>")`) {
		t.Fatalf("garbage: %v", err)
	}
}

// TestPullTAXIIMalformedObject: a malformed object in a page is rejected
// with its page and JSON path; the page's other objects are stored.
func TestPullTAXIIMalformedObject(t *testing.T) {
	srv := taxiiServer(t)
	col := srv.Data.Roots["trustgroup1"].Collections[2]
	col.Objects = append(col.Objects, json.RawMessage(`{"type": "indicator", "id": "indicator--bad", "spec_version": "2.1", "modified": "2018-01-01T00:00:00Z", "pattern": "[ipv4-addr:value = ", "valid_from": "2018-01-01T00:00:00Z"}`))
	col.Manifest = append(col.Manifest, taxiitest.ManifestEntry{ID: "indicator--bad", DateAdded: "2018-01-01T00:00:00.000000Z", Version: "2018-01-01T00:00:00Z"})
	st := storetest.Open(t, storetest.SQLitePath(t))
	var rejects []string
	p := &intel.Puller{Store: st, OnReject: func(loc string, err error) { rejects = append(rejects, loc+": "+err.Error()) }}
	res, err := p.PullTAXII(context.Background(), srv.URL+"/taxii2/", indicatorCollection, "", intel.Auth{})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s/trustgroup1/collections/%s/objects/ page 1:$.objects[5]: indicator--bad: pattern \"[ipv4-addr:value = \": comparison on ipv4-addr:value needs a value", srv.URL, indicatorCollection)
	if res.Rejected != 1 || len(rejects) != 1 || rejects[0] != want || res.Inserted != 4 {
		t.Fatalf("%+v, rejects %q\nwant %q", res, rejects, want)
	}
}

// TestPullMISPFeed pulls the shared MISP feed from a copy in a temporary
// folder, then an event with an unknown attribute type and a missing one.
func TestPullMISPFeed(t *testing.T) {
	src := shareddata.Path(t, "misp-feed")
	dir := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(src, "*.json"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o600)
	}
	// The independent walk: events in the manifest and their attributes.
	var manifest map[string]json.RawMessage
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	json.Unmarshal(b, &manifest)
	attrs, toIDs := 0, 0
	for id := range manifest {
		var ev struct {
			Event struct {
				Attribute []struct {
					ToIDs bool `json:"to_ids"`
				} `json:"Attribute"`
			} `json:"Event"`
		}
		b, _ := os.ReadFile(filepath.Join(dir, id+".json"))
		json.Unmarshal(b, &ev)
		attrs += len(ev.Event.Attribute)
		for _, a := range ev.Event.Attribute {
			if a.ToIDs {
				toIDs++
			}
		}
	}
	st := storetest.Open(t, storetest.SQLitePath(t))
	ctx := context.Background()
	p := &intel.Puller{Store: st, Now: func() time.Time { return now }}
	res, err := p.PullMISPFeed(ctx, dir, "", intel.Auth{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != len(manifest) || res.Records != attrs || res.Inserted != attrs || res.Rejected != 0 {
		t.Fatalf("pull %+v; the feed has %d events, %d attributes", res, len(manifest), attrs)
	}
	srcs, _ := st.IntelSources(ctx, now)
	if len(srcs) != 1 || srcs[0].Source != "misp:chrome-mal-ids" || srcs[0].Indicators != int64(attrs) || srcs[0].Active != int64(toIDs) ||
		srcs[0].Context != int64(attrs-toIDs) {
		t.Fatalf("sources %+v, want %d indicators, %d active", srcs, attrs, toIDs)
	}
	t.Logf("MISP feed: %d events, %d attributes, %d for detection", len(manifest), attrs, toIDs)
	// Unchanged events are not fetched again.
	res, err = p.PullMISPFeed(ctx, dir, "", intel.Auth{})
	if err != nil || res.Pages != 0 || res.Records != 0 {
		t.Fatalf("second pull %+v %v", res, err)
	}
	// A new event with an unknown attribute type, and one the manifest
	// lists but the feed lacks.
	ev := `{"Event": {"uuid": "11111111-1111-1111-1111-111111111111", "info": "bad types", "timestamp": "1800000000", "Orgc": {"name": "chrome-mal-ids"},
	  "Attribute": [{"uuid": "b1", "type": "mystery-type", "value": "x", "to_ids": true},
	                {"uuid": "b2", "type": "domain", "value": "evil.example", "to_ids": true}]}}`
	os.WriteFile(filepath.Join(dir, "11111111-1111-1111-1111-111111111111.json"), []byte(ev), 0o600)
	manifest["11111111-1111-1111-1111-111111111111"] = json.RawMessage(`{"info": "bad types", "timestamp": "1800000000"}`)
	manifest["22222222-2222-2222-2222-222222222222"] = json.RawMessage(`{"info": "missing", "timestamp": "1800000000"}`)
	mb, _ := json.Marshal(manifest)
	os.WriteFile(filepath.Join(dir, "manifest.json"), mb, 0o600)
	var rejects []string
	p.OnReject = func(loc string, err error) { rejects = append(rejects, loc+": "+err.Error()) }
	res, err = p.PullMISPFeed(ctx, dir, "", intel.Auth{})
	if err == nil || !strings.Contains(err.Error(), "event 22222222-2222-2222-2222-222222222222") || res.Inserted != 1 || res.Rejected != 1 {
		t.Fatalf("pull with a bad event: %+v, %v", res, err)
	}
	wantReject := filepath.Join(dir, "11111111-1111-1111-1111-111111111111.json") + `:$.Event.Attribute[0]: attribute b1: unknown MISP attribute type "mystery-type"`
	if len(rejects) != 1 || rejects[0] != wantReject {
		t.Fatalf("rejects %q, want %q", rejects, wantReject)
	}
	// Once the missing event appears, the next pull fetches only it.
	os.WriteFile(filepath.Join(dir, "22222222-2222-2222-2222-222222222222.json"),
		[]byte(`{"Event": {"uuid": "22222222-2222-2222-2222-222222222222", "info": "late", "Orgc": {"name": "chrome-mal-ids"}, "Attribute": [{"uuid": "c1", "type": "url", "value": "hxxp://late[.]example/x", "to_ids": true}]}}`), 0o600)
	res, err = p.PullMISPFeed(ctx, dir, "", intel.Auth{})
	if err != nil || res.Pages != 1 || res.Inserted != 1 {
		t.Fatalf("resumed pull: %+v, %v", res, err)
	}
}

// TestPullMISPFeedOverHTTP pulls a MISP feed served over HTTP with a
// bearer token, and reports a missing manifest with its URL.
func TestPullMISPFeedOverHTTP(t *testing.T) {
	dir := t.TempDir()
	ev := `{"Event": {"uuid": "e1", "info": "over http", "Orgc": {"name": "acme"}, "Attribute": [{"uuid": "a1", "type": "domain", "value": "evil.example", "to_ids": true}]}}`
	os.WriteFile(filepath.Join(dir, "e1.json"), []byte(ev), 0o600)
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"e1": {"info": "over http", "timestamp": "1700000000"}}`), 0o600)
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	st := storetest.Open(t, storetest.SQLitePath(t))
	p := &intel.Puller{Store: st}
	res, err := p.PullMISPFeed(context.Background(), srv.URL+"/", "acme-misp", intel.Auth{Token: "k"})
	if err != nil || res.Inserted != 1 || res.Source != "acme-misp" {
		t.Fatalf("pull: %+v, %v", res, err)
	}
	if _, err := p.PullMISPFeed(context.Background(), srv.URL+"/nowhere/", "", intel.Auth{Token: "k"}); err == nil ||
		!strings.Contains(err.Error(), srv.URL+"/nowhere/manifest.json: HTTP 404") {
		t.Fatalf("missing manifest: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n        int
		interval time.Duration
		want     time.Duration
	}{
		{1, 6 * time.Hour, time.Minute}, {2, 6 * time.Hour, 2 * time.Minute}, {5, 6 * time.Hour, 16 * time.Minute},
		{9, 6 * time.Hour, 256 * time.Minute}, {10, 6 * time.Hour, 6 * time.Hour}, {30, 6 * time.Hour, 6 * time.Hour},
		{7, 5 * time.Minute, time.Hour}, {3, 5 * time.Minute, 4 * time.Minute},
	} {
		if got := intel.Backoff(tc.n, tc.interval); got != tc.want {
			t.Errorf("Backoff(%d, %s) = %s, want %s", tc.n, tc.interval, got, tc.want)
		}
	}
}

// TestScheduler: a due feed is pulled; a failing one backs off and keeps
// the reason; another process cannot pull a claimed feed.
func TestScheduler(t *testing.T) {
	srv := taxiiServer(t)
	srv.Token = "tok"
	t.Setenv("WF_TEST_TAXII_TOKEN", "tok")
	st := storetest.Open(t, storetest.SQLitePath(t))
	ctx := context.Background()
	clock := now
	sched := &intel.Scheduler{Store: st, Now: func() time.Time { return clock }, Puller: &intel.Puller{Store: st, Now: func() time.Time { return clock }}}
	good := store.IntelFeed{Name: "acme-taxii", Kind: intel.FeedTAXII, URL: srv.URL + "/taxii2/", Collection: indicatorCollection,
		Auth: "bearer", SecretEnv: "WF_TEST_TAXII_TOKEN", Interval: time.Hour, Enabled: true}
	bad := store.IntelFeed{Name: "broken", Kind: intel.FeedSTIX, URL: srv.URL + "/nothing.json", Interval: 6 * time.Hour, Enabled: true}
	for _, f := range []store.IntelFeed{good, bad} {
		if err := st.SaveFeed(ctx, f, clock); err != nil {
			t.Fatal(err)
		}
	}
	n, err := sched.RunDue(ctx)
	if err != nil || n != 2 {
		t.Fatalf("RunDue: %d, %v", n, err)
	}
	feeds, _ := st.Feeds(ctx)
	sort.Slice(feeds, func(i, j int) bool { return feeds[i].Name < feeds[j].Name })
	g, b := feeds[0], feeds[1]
	if !g.LastSuccess.Equal(clock) || g.Failures != 0 || !g.NextRun.Equal(clock.Add(time.Hour)) || g.LastRecords != 4 {
		t.Errorf("good feed: %+v", g)
	}
	if !b.LastSuccess.IsZero() || b.Failures != 1 || !b.NextRun.Equal(clock.Add(time.Minute)) || !strings.Contains(b.LastError, "nothing.json: HTTP 401") {
		t.Errorf("failing feed: %+v", b)
	}
	srcs, _ := (&intel.Service{Store: st, Now: func() time.Time { return clock }}).Sources(ctx)
	if len(srcs) != 2 || srcs[0].Source != "acme-taxii" || srcs[0].Indicators != 2 || srcs[0].Feed == nil || srcs[1].Feed == nil {
		t.Errorf("sources: %+v", srcs)
	}
	// Not due yet: nothing happens.
	clock = clock.Add(30 * time.Second)
	if n, _ := sched.RunDue(ctx); n != 0 {
		t.Errorf("pulled %d feeds before they were due", n)
	}
	// The failing feed retries after a minute, then after two.
	clock = now.Add(time.Minute)
	if n, _ := sched.RunDue(ctx); n != 1 {
		t.Errorf("retry: %d", n)
	}
	f, _ := st.Feed(ctx, "broken")
	if f.Failures != 2 || !f.NextRun.Equal(clock.Add(2*time.Minute)) {
		t.Errorf("after the second failure: %+v", f)
	}
	// A feed claimed by another process is left alone.
	clock = now.Add(2 * time.Hour)
	if ok, err := st.ClaimFeed(ctx, "acme-taxii", clock, clock.Add(30*time.Minute)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	f0, _ := st.Feed(ctx, "acme-taxii")
	sched.RunDue(ctx)
	f1, _ := st.Feed(ctx, "acme-taxii")
	if !f1.LastSuccess.Equal(f0.LastSuccess) {
		t.Errorf("a claimed feed was pulled: %+v", f1)
	}
}
