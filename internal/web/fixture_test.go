package web

import (
	"context"
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

// testNow is the fixture's clock.
var testNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// Attacker-controlled strings planted in the fixture.
const (
	xssImg    = `<img src=x onerror="window.__xss=1">`
	xssScript = `</script><script>window.__xss=2</script>`
	xssLink   = `javascript:window.__xss=3`
)

func at(d time.Duration) string { return testNow.Add(d).Format(time.RFC3339) }

// fixtureNDJSON is a small SOC: an SLA policy, two open cases and a closed
// one, and two alerts. As of testNow:
//   - C1 (P1, new, unassigned, created 2 h ago) is past its 15 min
//     acknowledge target: 1 breached, 1 unassigned critical;
//   - C2 (P2, assigned, created 30 min ago, investigating) is within both
//     targets (acknowledge 1 h, resolve 8 h: 6 % elapsed);
//   - C3 is closed;
//   - A1 was created 10 min ago (1 alert in the last hour), A2 3 h ago.
func fixtureNDJSON() string {
	lines := []string{
		`{"record":"sla_policy","name":"default","version":1,"effective_from":"2020-01-01T00:00:00Z","targets":{"P1":{"acknowledge":900000000000,"resolve":14400000000000},"P2":{"acknowledge":3600000000000,"resolve":28800000000000},"P3":{"acknowledge":14400000000000,"resolve":86400000000000}}}`,
		fmt.Sprintf(`{"record":"case","source":"test","external_id":"C1","title":%q,"priority":"P1","status":"new","created_at":%q,"updated_at":%q}`, xssImg, at(-2*time.Hour), at(-2*time.Hour)),
		fmt.Sprintf(`{"record":"case","source":"test","external_id":"C2","title":"Beaconing from ws-7","priority":"P2","status":"investigating","assignee":"bob","created_at":%q,"acknowledged_at":%q,"updated_at":%q}`, at(-30*time.Minute), at(-20*time.Minute), at(-20*time.Minute)),
		fmt.Sprintf(`{"record":"case","source":"test","external_id":"C3","title":"Phish reported","priority":"P3","status":"closed","assignee":"bob","disposition":"false_positive","created_at":%q,"acknowledged_at":%q,"closed_at":%q,"updated_at":%q}`, at(-48*time.Hour), at(-47*time.Hour), at(-40*time.Hour), at(-40*time.Hour)),
		fmt.Sprintf(`{"record":"alert","source":"test","external_id":"A1","title":%q,"severity":"high","rule_id":"R1","rule_name":"Credential dumping","case_external_id":"C1","created_at":%q,"entities":[{"type":"url","value":%q},{"type":"user","value":%q}]}`, xssScript, at(-10*time.Minute), xssLink, xssImg),
		fmt.Sprintf(`{"record":"alert","source":"test","external_id":"A2","title":"Port scan","severity":"low","rule_id":"R2","rule_name":"Scan","created_at":%q}`, at(-3*time.Hour)),
	}
	return strings.Join(lines, "\n") + "\n"
}

// fixture is a running server over the fixture data with one user and
// token per role.
type fixture struct {
	t      testing.TB
	srv    *Server
	ts     *httptest.Server
	st     *store.Store
	tokens map[auth.Role]string
}

const testPassword = "correct horse battery staple"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

// newFixtureWith lets configure change the server's configuration, given
// the URL the server will have.
func newFixtureWith(t testing.TB, configure func(cfg *Config, url string)) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLitePath(t))
	if _, err := ingest.Run(ctx, st, strings.NewReader(fixtureNDJSON()), "fixture", ingest.Options{Format: "native"}); err != nil {
		t.Fatalf("loading fixture: %v", err)
	}
	clock := func() time.Time { return testNow }
	as := &auth.Service{Store: st, Now: clock, BcryptCost: bcrypt.MinCost}
	f := &fixture{t: t, st: st, tokens: map[auth.Role]string{}}
	for _, r := range auth.Roles {
		pw := testPassword
		if r == auth.Ingest {
			pw = ""
		}
		if _, err := as.CreateUser(ctx, string(r)+"1", r, pw); err != nil {
			t.Fatal(err)
		}
		tok, _, err := as.CreateToken(ctx, string(r)+"1", "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[r] = tok
	}
	f.ts = httptest.NewUnstartedServer(nil)
	cfg := Config{Store: st, Auth: as, Now: clock, PollInterval: -1}
	if configure != nil {
		configure(&cfg, "http://"+f.ts.Listener.Addr().String())
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.ts.Config.Handler = srv.Handler()
	f.ts.Start()
	t.Cleanup(func() {
		srv.Close()
		f.ts.Close()
	})
	return f
}

// do sends a request with the role's token ("" role: anonymous).
func (f *fixture) do(method, path string, role auth.Role, body string, hdr ...string) *http.Response {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[role])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
