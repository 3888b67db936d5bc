package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/roadmap"
	"github.com/watchfloor/watchfloor/internal/store"
)

// noisyRule ingests a rule whose name carries markup and 30 alerts from
// it, 25 of them false positives: a noisy rule on the roadmap.
func noisyRule(t *testing.T, f *fixture) {
	t.Helper()
	name, _ := json.Marshal("Noisy " + xssImg + xssScript)
	var b strings.Builder
	fmt.Fprintf(&b, `{"record":"rule","source":"test","external_id":"XR1","name":%s,"techniques":["T1059.001"],"status":"stable"}`+"\n", name)
	for i := range 30 {
		disp := "false_positive"
		if i < 5 {
			disp = "true_positive"
		}
		fmt.Fprintf(&b, `{"record":"alert","source":"test","external_id":"XA%d","title":"t","rule_id":"XR1","rule_name":%s,"disposition":%q,"created_at":%q}`+"\n",
			i, name, disp, at(-time.Duration(i+1)*time.Hour))
	}
	ingestBody(t, f, b.String())
}

// TestStrategyAPI reads coverage, the layer and the roadmap through the
// API, saves a roadmap (audited) and checks who may.
func TestStrategyAPI(t *testing.T) {
	f := newFixture(t)
	noisyRule(t, f)
	var cov coverage.Report
	getJSON(t, f, "/api/v1/coverage?timeframe=weekly", auth.Viewer, &cov)
	if row, ok := cov.Technique("T1059.001"); !ok || row.Rules != 1 || row.Alerts != 30 || row.Score != 3 {
		t.Errorf("coverage of T1059.001: %+v", row)
	}
	resp := f.do("GET", "/api/v1/coverage/layer", auth.Viewer, "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("layer: %d", resp.StatusCode)
	}
	l, err := coverage.ReadLayer(resp.Body)
	resp.Body.Close()
	if err != nil || l.Versions.Layer != coverage.LayerVersion {
		t.Fatalf("layer: %v", err)
	}
	if resp := f.do("GET", "/api/v1/coverage?max_fp_rate=2", auth.Viewer, ""); resp.StatusCode != 400 {
		t.Errorf("max_fp_rate=2: %d", resp.StatusCode)
	}
	var rm roadmap.Roadmap
	getJSON(t, f, "/api/v1/roadmap?horizon=1q", auth.Manager, &rm)
	if rm.ID != 0 || rm.Count(roadmap.KindNoisyRule) != 1 || rm.Horizon != "1q" {
		t.Errorf("roadmap: id %d, %d noisy items, horizon %s", rm.ID, rm.Count(roadmap.KindNoisyRule), rm.Horizon)
	}
	if resp := f.do("GET", "/api/v1/roadmap", auth.Viewer, ""); resp.StatusCode != 403 {
		t.Errorf("viewer roadmap: %d", resp.StatusCode)
	}
	if resp := f.do("GET", "/api/v1/roadmap?horizon=9q", auth.Manager, ""); resp.StatusCode != 400 {
		t.Errorf("horizon 9q: %d", resp.StatusCode)
	}
	resp = f.do("POST", "/api/v1/roadmap", auth.Manager, "")
	if resp.StatusCode != 200 {
		t.Fatalf("save: %d %s", resp.StatusCode, readBody(t, resp))
	}
	if err := json.NewDecoder(resp.Body).Decode(&rm); err != nil || rm.ID == 0 {
		t.Fatalf("saved roadmap: %v %d", err, rm.ID)
	}
	resp.Body.Close()
	entries, err := f.st.AuditEntries(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || e.Action == "POST /api/v1/roadmap" && e.Target == fmt.Sprintf("roadmap:%d", rm.ID)
	}
	if !found {
		t.Error("saving the roadmap is not in the audit log")
	}
}

// TestBrowserStrategy renders the strategy page in Chromium on the demo
// store at 1600×1000 and 1920×1080 in both themes: nothing wider than the
// window; and on a store with a rule named with markup: the name stays
// text.
func TestBrowserStrategy(t *testing.T) {
	ctx, incidents := browserFor(t, 4*time.Minute)
	f := newDemoFixture(t)
	dir := artifacts(t)
	signInTo(t, ctx, f.ts.URL+"/strategy", "#roadmap-h")
	for _, size := range screenSizes {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h)); err != nil {
			t.Fatal(err)
		}
		for _, theme := range []string{"dark", "light"} {
			visit(t, ctx, f.ts.URL+"/strategy?theme="+theme, "#roadmap-h")
			if got := eval[string](t, ctx, `document.documentElement.dataset.theme`); got != theme {
				t.Errorf("theme %q, want %q", got, theme)
			}
			if over := eval[bool](t, ctx, `document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`); over {
				t.Errorf("%dx%d %s: the page is wider than the window", size.w, size.h, theme)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll("#roadmap-h ~ table tbody tr").length`); n < 4 {
				t.Errorf("%d roadmap rows", n)
			}
			screenshot(t, ctx, dir, fmt.Sprintf("strategy-%s-%dx%d.png", theme, size.w, size.h))
		}
	}
	g := newFixture(t)
	noisyRule(t, g)
	signInTo(t, ctx, g.ts.URL+"/strategy?timeframe=monthly", "#roadmap-h")
	if x := eval[int](t, ctx, `window.__xss === undefined ? 0 : window.__xss`); x != 0 {
		t.Errorf("a payload ran (__xss=%d)", x)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("main img, main script").length`); n != 0 {
		t.Errorf("%d img/script elements", n)
	}
	if text := eval[string](t, ctx, `document.querySelector("main").textContent`); !strings.Contains(text, xssImg) {
		t.Errorf("the rule's name is not shown as text:\n%s", text)
	}
	if n := incidents.Load(); n != 0 {
		t.Errorf("%d dialogs or exceptions", n)
	}
}

// signInTo opens a page as an anonymous visitor, signs in as manager1 on
// the sign-in page it is sent to, and waits for the page to show sel.
func signInTo(t *testing.T, ctx context.Context, page string, sel string) {
	t.Helper()
	visit(t, ctx, page, "#name")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "manager1"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS(sel)),
	); err != nil {
		t.Fatalf("signing in to %s: %v", page, err)
	}
}
