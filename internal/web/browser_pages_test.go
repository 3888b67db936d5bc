package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/staffing"
)

// newDemoFixture is a server over a small demo SOC (21 days, 1,500 alerts
// a day, ending at testNow) with the example staffing and budget
// configuration, one user per role, and one case at risk of its
// acknowledge target: AR1, P3 (4 h), created 3 h 30 min ago, untouched.
func newDemoFixture(t testing.TB) *fixture {
	t.Helper()
	scfg, err := staffing.LoadConfig("../../docs/staffing-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bcfg, err := budget.LoadConfig("../../docs/staffing-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, func(cfg *Config, _ string) {
		cfg.Staffing, cfg.Budget = scfg, &bcfg
	})
	ctx := context.Background()
	dcfg := demo.Config{Days: 21, AlertsPerDay: 1500, End: testNow}.WithDefaults()
	if _, err := ingest.RunFormat(ctx, f.st, demo.Format(dcfg), nil, "demo", ingest.Options{BatchSize: 10000}); err != nil {
		t.Fatalf("storing the demo: %v", err)
	}
	atRisk := fmt.Sprintf(`{"record":"case","source":"test","external_id":"AR1","title":"Beaconing to a rare domain from WS-0042","priority":"P3","status":"new","created_at":%q,"updated_at":%q}`+"\n",
		at(-210*time.Minute), at(-210*time.Minute))
	if _, err := ingest.Run(ctx, f.st, strings.NewReader(atRisk), "at-risk", ingest.Options{Format: "native"}); err != nil {
		t.Fatal(err)
	}
	f.srv.Changed()
	return f
}

// signIn signs in through the form.
func signIn(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), name), chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		// The sign-in page has a #main too: wait for the sign-out form,
		// which only a signed-in page shows, so the next navigation does
		// not abort the redirect after the form.
		chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.WaitVisible(chromedp.CSS("#main")))
	if err != nil {
		t.Fatalf("signing in as %s: %v", name, err)
	}
}

func location(t *testing.T, ctx context.Context) *url.URL {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS("#main"))); err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
}

// fitReport is what the wall-screen check measures.
type fitReport struct {
	ScrollHeight, ScrollWidth, InnerHeight, InnerWidth int
	Overflowing                                        []string
	BodyFont, MinChartFont                             float64
	Panels                                             int
}

// fitScript measures the page: the document against the viewport, and
// every visible panel, chart and tile against its own box (overflow
// hidden still counts: clipped content is overflow) and the viewport.
const fitScript = `(() => {
  const de = document.documentElement;
  const r = {ScrollHeight: de.scrollHeight, ScrollWidth: de.scrollWidth, InnerHeight: innerHeight, InnerWidth: innerWidth,
    Overflowing: [], BodyFont: parseFloat(getComputedStyle(document.body).fontSize), MinChartFont: 1000, Panels: 0};
  document.querySelectorAll("main .panel, main figure, main .tile").forEach(e => {
    if (e.offsetParent === null) return;
    r.Panels++;
    const b = e.getBoundingClientRect();
    const name = (e.id || e.getAttribute("aria-labelledby") || e.getAttribute("aria-label") || e.className);
    if (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1) {
      r.Overflowing.push(name + ": content " + e.scrollWidth + "x" + e.scrollHeight + " in " + e.clientWidth + "x" + e.clientHeight);
    }
    if (b.bottom > innerHeight + 0.5 || b.right > innerWidth + 0.5) {
      r.Overflowing.push(name + ": box ends at " + Math.round(b.right) + "," + Math.round(b.bottom));
    }
  });
  document.querySelectorAll("main svg.chart").forEach(s => {
    if (s.closest("figure") && s.closest("figure").offsetParent === null) return;
    const m = s.getScreenCTM();
    if (m) r.MinChartFont = Math.min(r.MinChartFont, parseFloat(s.getAttribute("font-size")) * m.a);
  });
  return JSON.stringify(r);
})()`

// screenSizes are the wall screens the kiosk must fit.
var screenSizes = []struct{ w, h int64 }{{1600, 1000}, {1920, 1080}}

// TestBrowserPages visits every page of a demo store in both themes at
// 1600×1000 and 1920×1080 and the wall screen's three pages, checks the
// wall screen fits with no scrollbar and no overflowing panel, and
// exercises the links that must keep their query, the at-risk list, a
// case's SLA state and rule paging. Screenshots go to $ARTIFACTS_DIR.
func TestBrowserPages(t *testing.T) {
	ctx, incidents := browserFor(t, 6*time.Minute)
	f := newDemoFixture(t)
	dir := artifacts(t)
	signIn(t, ctx, f.ts.URL, "admin1")

	var d metrics.Dashboard
	getJSON(t, f, "/api/v1/dashboard", auth.Viewer, &d)
	if len(d.Breached) == 0 {
		t.Fatal("the demo fixture has no breached case to show")
	}
	breached := d.Breached[0]
	pages := []struct{ name, path, wait string }{
		{"overview", "/", "#kpi-open"},
		{"performance", "/performance?timeframe=weekly&group_by=priority", "svg.chart"},
		{"sla", "/sla", "#sla-breached"},
		{"cases", "/cases?open=false", "#case-list"},
		{"case", "/cases/" + breached.Source + "/" + breached.ExternalID, "#case-sla"},
		{"rules", "/rules", "#rules-table"},
		{"staffing", "/staffing", "#triage-scope"},
		{"skills", "/staffing/skills", "#skill-matrix"},
		{"budget", "/budget", "#budget-table"},
		{"audit", "/audit", "table.items"},
	}
	// Every page at both sizes when the screenshots are kept; without
	// ARTIFACTS_DIR, every page at the first size and the wall screen at
	// both (full-page screenshots are the slow part).
	keep := os.Getenv("ARTIFACTS_DIR") != ""
	for si, size := range screenSizes {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h)); err != nil {
			t.Fatal(err)
		}
		for _, theme := range []string{"dark", "light"} {
			// ?theme= sets the cookie; the pages after it keep the theme.
			visit(t, ctx, f.ts.URL+"/?theme="+theme, "#kpi-open")
			for _, p := range pages {
				if !keep && si > 0 {
					break
				}
				visit(t, ctx, f.ts.URL+p.path, chromedp.CSS(p.wait))
				if got := eval[string](t, ctx, `document.documentElement.dataset.theme`); got != theme {
					t.Errorf("%s: theme %q, want %q", p.name, got, theme)
				}
				if keep {
					screenshot(t, ctx, dir, fmt.Sprintf("%s-%s-%dx%d.png", p.name, theme, size.w, size.h))
				}
			}
			for _, p := range []string{"/", "/performance", "/sla"} {
				visit(t, ctx, f.ts.URL+p+"?kiosk=1", "main")
				waitFor(t, ctx, "the wall screen's fitting", `document.body.hasAttribute("data-fitted")`)
				var fit fitReport
				if err := json.Unmarshal([]byte(eval[string](t, ctx, fitScript)), &fit); err != nil {
					t.Fatal(err)
				}
				where := fmt.Sprintf("wall screen %s at %dx%d (%s)", p, size.w, size.h, theme)
				if fit.ScrollHeight > fit.InnerHeight || fit.ScrollWidth > fit.InnerWidth {
					t.Errorf("%s scrolls: page %dx%d in a %dx%d window", where, fit.ScrollWidth, fit.ScrollHeight, fit.InnerWidth, fit.InnerHeight)
				}
				if len(fit.Overflowing) > 0 {
					t.Errorf("%s: panels overflow: %v", where, fit.Overflowing)
				}
				if fit.Panels < 4 {
					t.Errorf("%s shows %d panels", where, fit.Panels)
				}
				// Text for a room: 15 px and up, charts' text no smaller.
				if fit.BodyFont < 15 || (p != "/" && fit.MinChartFont < 14) {
					t.Errorf("%s: body text %.1f px, smallest chart text %.1f px", where, fit.BodyFont, fit.MinChartFont)
				}
				name := strings.Trim(strings.ReplaceAll(p, "/", ""), " ")
				if name == "" {
					name = "overview"
				}
				if keep {
					screenshot(t, ctx, dir, fmt.Sprintf("kiosk-%s-%s-%dx%d.png", name, theme, size.w, size.h))
				}
			}
		}
	}
	visit(t, ctx, f.ts.URL+"/?theme=dark", "#kpi-open")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1600, 1000)); err != nil {
		t.Fatal(err)
	}

	t.Run("wall screen rotates", func(t *testing.T) {
		visit(t, ctx, f.ts.URL+"/?kiosk=1&rotate=45", "#kpi-open")
		refresh := eval[string](t, ctx, `document.querySelector('meta[http-equiv="refresh"]').getAttribute("content")`)
		if refresh != "45;url=/performance?kiosk=1&rotate=45&theme=dark" {
			t.Errorf("overview turns with %q", refresh)
		}
		visit(t, ctx, f.ts.URL+"/sla?kiosk=1", "#sla-breached")
		refresh = eval[string](t, ctx, `document.querySelector('meta[http-equiv="refresh"]').getAttribute("content")`)
		if refresh != "60;url=/?kiosk=1&rotate=60&theme=dark" {
			t.Errorf("the SLA page turns with %q (default 60 s, back to the overview)", refresh)
		}
		visit(t, ctx, f.ts.URL+"/?kiosk=1&rotate=0", "#kpi-open")
		if n := eval[int](t, ctx, `document.querySelectorAll('meta[http-equiv="refresh"]').length`); n != 0 {
			t.Error("rotate=0 still rotates")
		}
	})

	t.Run("theme and wall-screen links keep the filters", func(t *testing.T) {
		visit(t, ctx, f.ts.URL+"/performance?timeframe=monthly&group_by=team", "#kpi-h")
		click(t, ctx, "#theme-link")
		u := location(t, ctx)
		if q := u.Query(); q.Get("timeframe") != "monthly" || q.Get("group_by") != "team" || q.Get("theme") != "light" {
			t.Errorf("theme link went to %s", u)
		}
		if cur := eval[string](t, ctx, `document.querySelector('nav[aria-label="Timeframe"] a[aria-current="page"]').textContent`); cur != "monthly" {
			t.Errorf("after the theme link the window is %q", cur)
		}
		click(t, ctx, "#kiosk-link")
		u = location(t, ctx)
		if q := u.Query(); q.Get("timeframe") != "monthly" || q.Get("group_by") != "team" || q.Get("kiosk") != "1" {
			t.Errorf("wall-screen link went to %s", u)
		}
		if got := strings.TrimSpace(eval[string](t, ctx, `document.querySelector(".value.window").textContent`)); got != "monthly" {
			t.Errorf("the wall screen shows the %q window", got)
		}
		click(t, ctx, ".kiosk-bar .leave")
		u = location(t, ctx)
		if q := u.Query(); q.Get("timeframe") != "monthly" || q.Get("group_by") != "team" || q.Has("kiosk") {
			t.Errorf("leaving the wall screen went to %s", u)
		}
		visit(t, ctx, f.ts.URL+"/?theme=dark", "#kpi-open")
	})

	t.Run("next page of cases", func(t *testing.T) {
		visit(t, ctx, f.ts.URL+"/cases?open=false&priority=P3", "#case-list")
		first := eval[string](t, ctx, `document.querySelector("#case-list tbody tr a").getAttribute("href")`)
		click(t, ctx, "#next-page")
		u := location(t, ctx)
		if q := u.Query(); q.Get("open") != "false" || q.Get("priority") != "P3" || q.Get("after") == "" {
			t.Fatalf("next page went to %s", u)
		}
		rows := eval[int](t, ctx, `document.querySelectorAll("#case-list tbody tr").length`)
		prios := eval[string](t, ctx, `Array.from(document.querySelectorAll("#case-list tbody .prio")).map(e => e.textContent).join(",")`)
		second := eval[string](t, ctx, `document.querySelector("#case-list tbody tr a").getAttribute("href")`)
		if rows == 0 || second == first || strings.Trim(strings.ReplaceAll(prios, "P3", ""), ",") != "" {
			t.Errorf("page 2: %d rows starting with %s (page 1 started with %s), priorities %s", rows, second, first, prios)
		}
		if !eval[bool](t, ctx, `document.querySelector("#f-open").value === "false" && document.querySelector("#f-priority").value === "P3"`) {
			t.Error("page 2's filter form lost the filters")
		}
	})

	t.Run("at-risk list", func(t *testing.T) {
		visit(t, ctx, f.ts.URL+"/", "#at-risk")
		text := eval[string](t, ctx, `document.querySelector("#at-risk").textContent`)
		if !strings.Contains(text, "Beaconing to a rare domain from WS-0042") || !strings.Contains(text, "30m") {
			t.Errorf("the overview's at-risk list: %q", text)
		}
		visit(t, ctx, f.ts.URL+"/sla", "#sla-at-risk")
		if text := eval[string](t, ctx, `document.querySelector("#sla-at-risk").textContent`); !strings.Contains(text, "WS-0042") {
			t.Errorf("the SLA page's at-risk list: %q", text)
		}
	})

	t.Run("case SLA state", func(t *testing.T) {
		visit(t, ctx, f.ts.URL+"/cases/"+breached.Source+"/"+breached.ExternalID, "#case-sla")
		sel := fmt.Sprintf(`document.querySelector('.clock[data-clock=%q]')`, breached.Clock)
		state := eval[string](t, ctx, sel+`.querySelector(".state").textContent`)
		left := eval[string](t, ctx, sel+`.querySelector(".clock-left").textContent`)
		if state != "overdue" || left != humanDuration(breached.Overdue) {
			t.Errorf("case %s %s clock: %q, %q; the dashboard says overdue by %s", breached.ExternalID, breached.Clock, state, left, humanDuration(breached.Overdue))
		}
		if stage := eval[string](t, ctx, `document.querySelector("#case-stage").textContent`); strings.Contains(stage, "()") || stage == "" {
			t.Errorf("stage %q", stage)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll(".timeline li").length`); n == 0 {
			t.Error("no timeline")
		}
		if raw := eval[int](t, ctx, `Array.from(document.querySelectorAll("main li, main td")).filter(e => e.textContent.includes('{"runbook"')).length`); raw != 0 {
			t.Errorf("%d runbook entries shown as JSON", raw)
		}
	})

	t.Run("rule paging", func(t *testing.T) {
		visit(t, ctx, f.ts.URL+"/rules?timeframe=monthly", "#rules-table")
		count := eval[string](t, ctx, `document.querySelector("#rules-count").textContent`)
		if !strings.HasPrefix(count, "Rules 1–25 of ") {
			t.Fatalf("rules count %q", count)
		}
		total := strings.Fields(strings.TrimPrefix(count, "Rules 1–25 of "))[0]
		total = strings.TrimSuffix(total, ",")
		click(t, ctx, "#next-rules")
		if got := eval[string](t, ctx, `document.querySelector("#rules-count").textContent`); !strings.HasPrefix(got, "Rules 26–50 of "+total) {
			t.Errorf("page 2 says %q", got)
		}
		if q := location(t, ctx).Query(); q.Get("timeframe") != "monthly" || q.Get("page") != "2" {
			t.Errorf("next rules went to %s", location(t, ctx))
		}
		// Sorting by alerts starts again at the first page, largest first.
		click(t, ctx, `#rules-table thead a[href*="sort=alerts"]`)
		alerts := eval[string](t, ctx, `Array.from(document.querySelectorAll("#rules-table tbody tr")).map(r => r.children[1].textContent.replace(/,/g, "")).join(" ")`)
		var prev int
		for i, s := range strings.Fields(alerts) {
			var n int
			fmt.Sscan(s, &n)
			if i > 0 && n > prev {
				t.Fatalf("sorted by alerts but %d follows %d: %s", n, prev, alerts)
			}
			prev = n
		}
		if got := eval[string](t, ctx, `document.querySelector("#rules-count").textContent`); !strings.HasPrefix(got, "Rules 1–25 of "+total) || !strings.Contains(got, "sorted by alerts (largest first)") {
			t.Errorf("after sorting: %q", got)
		}
	})

	if n := incidents.Load(); n != 0 {
		t.Errorf("%d dialogs or exceptions in the pages", n)
	}
}
