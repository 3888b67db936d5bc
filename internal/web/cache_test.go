package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// replica is one server of a two-replica test: its own Store (its own
// connections, like another process) on the shared database.
type replica struct {
	srv *Server
	ts  *httptest.Server
	st  *store.Store
}

// twoReplicas loads the fixture through the first store open returns and
// starts two servers, each on a store of its own, with polling off: what
// one replica writes can reach the other only through the data version
// each request reads. tokens holds one token per role.
func twoReplicas(t *testing.T, open func() *store.Store) (reps [2]replica, tokens map[auth.Role]string) {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return testNow }
	tokens = map[auth.Role]string{}
	for i := range reps {
		st := open()
		as := &auth.Service{Store: st, Now: clock, BcryptCost: bcrypt.MinCost}
		if i == 0 {
			if _, err := ingest.Run(ctx, st, strings.NewReader(fixtureNDJSON()), "fixture", ingest.Options{Format: "native"}); err != nil {
				t.Fatalf("loading fixture: %v", err)
			}
			for _, r := range []auth.Role{auth.Viewer, auth.Analyst, auth.Admin, auth.Ingest} {
				if _, err := as.CreateUser(ctx, string(r)+"1", r, testPassword); err != nil {
					t.Fatal(err)
				}
				tok, _, err := as.CreateToken(ctx, string(r)+"1", "test", 0)
				if err != nil {
					t.Fatal(err)
				}
				tokens[r] = tok
			}
		}
		srv, err := New(Config{Store: st, Auth: as, Now: clock, PollInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { srv.Close(); ts.Close() })
		reps[i] = replica{srv: srv, ts: ts, st: st}
	}
	return reps, tokens
}

func get(t *testing.T, rep replica, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", rep.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r replica) builds() int64 {
	r.srv.answers.mu.Lock()
	defer r.srv.answers.mu.Unlock()
	return r.srv.answers.builds
}

// TestAnswersKeptPerDataVersion: rule quality, metrics and the dashboard
// are kept per data version and role; a repeated request is answered from
// what was kept, and a write through either replica, or straight into the
// store, is in the other replica's very next answer, without polling, on
// both engines.
func TestAnswersKeptPerDataVersion(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		reps, tok := twoReplicas(t, open)
		a, b := reps[0], reps[1]
		const rules = "/api/v1/rules?timeframe=weekly"
		decodeRules := func(body string) RulesResponse {
			t.Helper()
			var r RulesResponse
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			return r
		}
		code, first := get(t, b, rules, tok[auth.Viewer])
		if r := decodeRules(first); code != 200 || r.TotalRules != 3 || r.Alerts != 2 {
			t.Fatalf("rules: %d %s", code, first)
		}
		if _, again := get(t, b, rules, tok[auth.Viewer]); again != first || b.builds() != 1 {
			t.Fatalf("a repeated request built %d answers (want 1); same answer %v", b.builds(), again == first)
		}
		// Another role gets its own answer (here the same), never the viewer's
		// kept one; a role without the permission is refused as before.
		if _, other := get(t, b, rules, tok[auth.Analyst]); other != first || b.builds() != 2 {
			t.Fatalf("analyst: %d builds, same answer %v", b.builds(), other == first)
		}
		if code, _ := get(t, b, rules, tok[auth.Ingest]); code != http.StatusForbidden {
			t.Fatalf("ingest role: %d", code)
		}
		// The query is part of the key.
		if _, other := get(t, b, rules+"&limit=1", tok[auth.Viewer]); len(decodeRules(other).Rules) != 1 || b.builds() != 3 {
			t.Fatalf("limit=1: %d builds: %s", b.builds(), other)
		}

		// A write through replica a: b's next answers hold it.
		code, dash := get(t, b, "/api/v1/dashboard", tok[auth.Viewer])
		if code != 200 || !strings.Contains(dash, `"open":2,`) {
			t.Fatalf("dashboard before: %d %s", code, dash)
		}
		_, metricsBefore := get(t, b, "/api/v1/metrics?group_by=priority", tok[auth.Viewer])
		body := fmt.Sprintf(`{"record":"alert","source":"test","external_id":"A3","title":"New","severity":"medium","rule_id":"R3","rule_name":"Third","created_at":%q}`+"\n"+
			`{"record":"case","source":"test","external_id":"C4","title":"New case","priority":"P3","status":"new","created_at":%q,"updated_at":%q}`+"\n",
			at(-5*time.Minute), at(-5*time.Minute), at(-5*time.Minute))
		req, _ := http.NewRequest("POST", a.ts.URL+"/api/v1/ingest?format=native", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok[auth.Admin])
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("ingest through a: %v %v", resp, err)
		}
		resp.Body.Close()
		if r := decodeRules(func() string { _, s := get(t, b, rules, tok[auth.Viewer]); return s }()); r.TotalRules != 4 || r.Alerts != 3 {
			t.Fatalf("b after a's ingest: %d rules, %d alerts; want 4, 3", r.TotalRules, r.Alerts)
		}
		if _, dash := get(t, b, "/api/v1/dashboard", tok[auth.Viewer]); !strings.Contains(dash, `"open":3,`) {
			t.Fatalf("b's dashboard after a's ingest: %s", dash)
		}
		_, metricsAfter := get(t, b, "/api/v1/metrics?group_by=priority", tok[auth.Viewer])
		var mb, ma struct {
			Groups []struct {
				Group string
				Cases int64
			}
		}
		json.Unmarshal([]byte(metricsBefore), &mb)
		json.Unmarshal([]byte(metricsAfter), &ma)
		cases := func(gs []struct {
			Group string
			Cases int64
		}, g string) int64 {
			for _, x := range gs {
				if x.Group == g {
					return x.Cases
				}
			}
			return 0
		}
		if cases(mb.Groups, "P3") != 1 || cases(ma.Groups, "P3") != 2 {
			t.Fatalf("b's P3 cases before and after a's ingest: %d, %d; want 1, 2\n%s", cases(mb.Groups, "P3"), cases(ma.Groups, "P3"), metricsAfter)
		}

		// A write straight into the store (a command-line ingest, another
		// process): a's kept answer is built again.
		_, beforeA := get(t, a, rules, tok[auth.Viewer])
		n := a.builds()
		if _, again := get(t, a, rules, tok[auth.Viewer]); again != beforeA || a.builds() != n {
			t.Fatalf("a kept nothing: %d builds, want %d", a.builds(), n)
		}
		if err := b.st.SetSetting(context.Background(), "org_profile", `{"name":"Example"}`); err != nil {
			t.Fatal(err)
		}
		if _, again := get(t, a, rules, tok[auth.Viewer]); again != beforeA || a.builds() != n+1 {
			t.Fatalf("after a setting changed: %d builds, want %d", a.builds(), n+1)
		}
	})
}

// TestAnswerCacheAgesInBackground: an answer older than its time to live is
// served while one build runs again; an answer of an older data version is
// never served.
func TestAnswerCacheAgesInBackground(t *testing.T) {
	var c answerCache
	now := testNow
	clock := func() time.Time { return now }
	k := answerKey{route: "GET /x", role: "viewer"}
	n := 0
	release := make(chan struct{})
	build := func(context.Context) ([]byte, error) {
		n++
		if n == 2 {
			<-release
		}
		return []byte(fmt.Sprint(n)), nil
	}
	ctx := context.Background()
	if b, _ := c.get(ctx, k, 7, time.Minute, clock, build); string(b) != "1" {
		t.Fatalf("first: %s", b)
	}
	now = now.Add(2 * time.Minute)
	if b, _ := c.get(ctx, k, 7, time.Minute, clock, build); string(b) != "1" {
		t.Fatalf("aged: %s, want the kept answer while it is built again", b)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		b := string(c.m[k].body)
		c.mu.Unlock()
		if b == "2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background build never landed")
		}
		time.Sleep(time.Millisecond)
	}
	if b, _ := c.get(ctx, k, 8, time.Minute, clock, build); string(b) != "3" {
		t.Fatalf("new data version: %s, want a new build", b)
	}
	if b, _ := c.get(ctx, k, 7, time.Minute, clock, build); string(b) != "3" {
		t.Fatalf("a request that read the older version: %s, want the newer answer", b)
	}
}
