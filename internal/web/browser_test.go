package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/metrics"
)

// chromiumEnv overrides the browser used by the browser tests.
const chromiumEnv = "WATCHFLOOR_CHROMIUM"

// browser starts headless Chromium, or skips the test when it is absent.
// Dialogs (alert, confirm) and uncaught exceptions are counted: a payload
// that executes would show up there or in window.__xss.
func browser(t *testing.T) (context.Context, *atomic.Int32) {
	t.Helper()
	return browserFor(t, 90*time.Second)
}

// browserFor is browser with a longer limit for long walks.
func browserFor(t *testing.T, limit time.Duration) (context.Context, *atomic.Int32) {
	t.Helper()
	path := os.Getenv(chromiumEnv)
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no browser at %s (install Debian's chromium with `apt-get install -y chromium`, or set %s); skipping the browser test", path, chromiumEnv)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1440, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, limit)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	var incidents atomic.Int32
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			incidents.Add(1)
			t.Errorf("a dialog opened: %q", e.Message)
		case page.EventJavascriptDialogOpening:
			incidents.Add(1)
			t.Errorf("a dialog opened: %q", e.Message)
		case *runtime.EventExceptionThrown:
			incidents.Add(1)
			t.Errorf("uncaught exception in the page: %v", e.ExceptionDetails)
		case runtime.EventExceptionThrown:
			incidents.Add(1)
			t.Errorf("uncaught exception in the page: %v", e.ExceptionDetails)
		}
	})
	if err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx, &incidents
}

// artifacts is where screenshots go: $ARTIFACTS_DIR/browser when set, else
// a temporary folder.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

// headline reads the overview's headline numbers.
func headline(t *testing.T, ctx context.Context) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range []string{"kpi-open", "kpi-breached", "kpi-at-risk", "kpi-unassigned-critical", "kpi-alerts-hour"} {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("reading %s: %v", id, err)
		}
		out[id] = strings.TrimSpace(s)
	}
	return out
}

func apiHeadline(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	var d metrics.Dashboard
	getJSON(t, f, "/api/v1/dashboard", auth.Viewer, &d)
	return map[string]string{
		"kpi-open":                strconv.Itoa(d.Open),
		"kpi-breached":            strconv.Itoa(len(d.Breached)),
		"kpi-at-risk":             strconv.Itoa(len(d.AtRisk)),
		"kpi-unassigned-critical": strconv.Itoa(len(d.UnassignedCritical)),
		"kpi-alerts-hour":         strconv.FormatInt(d.Inflow.LastHour, 10),
	}
}

func sameHeadline(t *testing.T, what string, page, api map[string]string) {
	t.Helper()
	for k, v := range api {
		if page[k] != v {
			t.Errorf("%s: page shows %s = %q, the API %q", what, k, page[k], v)
		}
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({open: document.getElementById("kpi-open") && document.getElementById("kpi-open").textContent, hour: document.getElementById("kpi-alerts-hour") && document.getElementById("kpi-alerts-hour").textContent, status: document.getElementById("live-status").textContent, updates: document.body.dataset.updates, refreshed: document.body.dataset.refreshed, version: document.body.dataset.version})`))
		t.Fatalf("waiting for %s: %v (page state %s)", what, err, state)
	}
}

func visit(t *testing.T, ctx context.Context, url string, visible chromedp.CSS) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(visible)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
}

func TestBrowserDashboard(t *testing.T) {
	ctx, incidents := browser(t)
	f := newFixture(t)
	dir := artifacts(t)

	// Signing in from the redirect lands on the page first asked for.
	visit(t, ctx, f.ts.URL+"/", "#name")
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/login?next=%2F") {
		t.Fatalf("anonymous visit went to %s", loc)
	}
	screenshot(t, ctx, dir, "login.png")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "analyst1"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#kpi-open")),
	)
	if err != nil {
		t.Fatalf("signing in: %v", err)
	}
	waitFor(t, ctx, "the live stream", `document.getElementById("live-status").textContent === "live"`)
	before := apiHeadline(t, f)
	want := map[string]string{"kpi-open": "2", "kpi-breached": "1", "kpi-at-risk": "0", "kpi-unassigned-critical": "1", "kpi-alerts-hour": "1"}
	sameHeadline(t, "fixture", want, before)
	sameHeadline(t, "overview", headline(t, ctx), before)
	screenshot(t, ctx, dir, "overview-dark.png")

	// An ingest through the API reaches the open page over SSE.
	body := fmt.Sprintf(`{"record":"alert","source":"siem","external_id":"L1","title":%q,"severity":"high","created_at":%q}
{"record":"case","source":"siem","external_id":"L2","title":"Live case","priority":"P1","status":"new","created_at":%q,"updated_at":%q}
`, "Live alert "+xssImg, at(-5*time.Minute), at(-4*time.Minute), at(-4*time.Minute))
	resp := f.do("POST", "/api/v1/ingest?format=native", auth.Ingest, body)
	var res IngestResponse
	if err := json.Unmarshal([]byte(readBody(t, resp)), &res); err != nil || resp.StatusCode != 200 || res.Records != 2 || res.Rejected != 0 {
		t.Fatalf("ingest: %d %+v %v", resp.StatusCode, res, err)
	}
	waitFor(t, ctx, "the live update",
		`document.getElementById("kpi-alerts-hour").textContent === "2" && document.getElementById("kpi-open").textContent === "3" && document.body.hasAttribute("data-refreshed")`)
	after := apiHeadline(t, f)
	if after["kpi-open"] != "3" || after["kpi-unassigned-critical"] != "2" {
		t.Fatalf("API after the ingest: %v", after)
	}
	sameHeadline(t, "overview after the live update", headline(t, ctx), after)
	screenshot(t, ctx, dir, "overview-live-update.png")

	// The case page shows the planted payloads as text.
	visit(t, ctx, f.ts.URL+"/cases/test/C1", ".alert-title")
	xss := eval[int](t, ctx, `window.__xss === undefined ? 0 : window.__xss`)
	markup := eval[int](t, ctx, `document.querySelectorAll("main img, main script").length`)
	jsLinks := eval[int](t, ctx, `document.querySelectorAll('a[href^="javascript:"]').length`)
	if xss != 0 || markup != 0 || jsLinks != 0 {
		t.Errorf("payload executed or became markup: __xss=%d, img/script elements %d, javascript: links %d", xss, markup, jsLinks)
	}
	title := eval[string](t, ctx, `document.querySelector(".alert-title").textContent`)
	entities := eval[string](t, ctx, `document.querySelector(".entities").textContent`)
	if strings.TrimSpace(title) != xssScript || !strings.Contains(entities, xssLink) || !strings.Contains(entities, xssImg) {
		t.Errorf("payloads not shown as text: title %q, entities %q", title, entities)
	}
	screenshot(t, ctx, dir, "case-detail.png")

	// The overview lists the payload-titled cases as text too.
	visit(t, ctx, f.ts.URL+"/", "#kpi-open")
	if n := eval[int](t, ctx, `document.querySelectorAll("main img, main script").length`); n != 0 {
		t.Errorf("overview has %d img/script elements", n)
	}

	// Charts, rule quality, the light theme and the wall-screen mode.
	visit(t, ctx, f.ts.URL+"/performance", "svg.chart")
	if n := eval[int](t, ctx, `document.querySelectorAll("svg.chart").length`); n != 6 {
		t.Errorf("performance page has %d charts, want 6", n)
	}
	screenshot(t, ctx, dir, "performance.png")
	visit(t, ctx, f.ts.URL+"/rules", "table.items")
	screenshot(t, ctx, dir, "rules.png")
	visit(t, ctx, f.ts.URL+"/?kiosk=1&theme=light", "#kpi-open")
	kiosk := eval[bool](t, ctx, `document.body.classList.contains("kiosk")`)
	navs := eval[int](t, ctx, `document.querySelectorAll("nav").length`)
	theme := eval[string](t, ctx, `document.documentElement.dataset.theme`)
	if !kiosk || navs != 0 || theme != "light" {
		t.Errorf("wall screen: kiosk %v, %d nav elements, theme %q", kiosk, navs, theme)
	}
	sameHeadline(t, "wall screen", headline(t, ctx), after)
	screenshot(t, ctx, dir, "kiosk-light.png")

	// The keyboard reaches the skip link first.
	visit(t, ctx, f.ts.URL+"/", "#kpi-open")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
		t.Fatal(err)
	}
	if focused := eval[string](t, ctx, `document.activeElement.className + ":" + document.activeElement.getAttribute("href")`); focused != "skip:#main" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}
	if n := incidents.Load(); n != 0 {
		t.Errorf("%d dialogs or exceptions", n)
	}
}

// TestBrowserSingleSignOn signs in through the test OpenID Connect
// provider from the sign-in page's button and lands on the page first
// asked for, signed in as the provider's user with the mapped role.
func TestBrowserSingleSignOn(t *testing.T) {
	ctx, incidents := browser(t)
	f, _ := oidcFixture(t)
	visit(t, ctx, f.ts.URL+"/cases", "#sso")
	screenshot(t, ctx, artifacts(t), "login-sso.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#sso")), chromedp.WaitVisible(chromedp.CSS(".who"))); err != nil {
		t.Fatalf("single sign-on: %v", err)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".who")))
	if err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/cases") || !strings.Contains(who, "alice") || !strings.Contains(who, "analyst") {
		t.Errorf("after single sign-on: at %s as %q", loc, who)
	}
	if incidents.Load() != 0 {
		t.Errorf("%d incidents in the page", incidents.Load())
	}
}
