package web

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserTechnology shows the technology page and the overview with a
// silent source in Chromium, both themes, at 1600×1000 and 1920×1080: the
// page is no wider than the window, and on the wall screen the overview
// (with its source banner) and the technology page fit with no scrollbar
// and no overflowing panel.
func TestBrowserTechnology(t *testing.T) {
	ctx, _ := browserFor(t, 4*time.Minute)
	f := newDemoFixture(t)
	storeSteadySource(t, f)
	dir := artifacts(t)
	keep := os.Getenv("ARTIFACTS_DIR") != ""
	signIn(t, ctx, f.ts.URL, "admin1")
	for _, size := range screenSizes {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h)); err != nil {
			t.Fatal(err)
		}
		for _, theme := range []string{"dark", "light"} {
			visit(t, ctx, f.ts.URL+"/?theme="+theme, "#kpi-open")
			visit(t, ctx, f.ts.URL+"/technology", "#tech-sources")
			if got := eval[string](t, ctx, `document.documentElement.dataset.theme`); got != theme {
				t.Errorf("theme %q, want %q", got, theme)
			}
			if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > int(size.w) {
				t.Errorf("technology page %dx%d (%s) is %d px wide", size.w, size.h, theme, w)
			}
			if got := eval[string](t, ctx, `document.querySelector("#sources-table tbody tr .badge").textContent`); got != "silent" {
				t.Errorf("first source's state %q, want silent at the top", got)
			}
			if keep {
				screenshot(t, ctx, dir, fmt.Sprintf("technology-%s-%dx%d.png", theme, size.w, size.h))
			}
			for _, p := range []struct{ path, wait string }{{"/?kiosk=1", "#source-alarms"}, {"/technology?kiosk=1", "#tech-sources"}} {
				visit(t, ctx, f.ts.URL+p.path, chromedp.CSS(p.wait))
				waitFor(t, ctx, "the wall screen's fitting", `document.body.hasAttribute("data-fitted")`)
				var fit fitReport
				if err := json.Unmarshal([]byte(eval[string](t, ctx, fitScript)), &fit); err != nil {
					t.Fatal(err)
				}
				where := fmt.Sprintf("wall screen %s at %dx%d (%s)", p.path, size.w, size.h, theme)
				if fit.ScrollHeight > fit.InnerHeight || fit.ScrollWidth > fit.InnerWidth {
					t.Errorf("%s scrolls: page %dx%d in a %dx%d window", where, fit.ScrollWidth, fit.ScrollHeight, fit.InnerWidth, fit.InnerHeight)
				}
				if len(fit.Overflowing) > 0 {
					t.Errorf("%s: panels overflow: %v", where, fit.Overflowing)
				}
				if fit.BodyFont < 15 {
					t.Errorf("%s: body text %.1f px", where, fit.BodyFont)
				}
				if keep {
					screenshot(t, ctx, dir, fmt.Sprintf("kiosk-tech%s-%s-%dx%d.png", map[bool]string{true: "-overview"}[p.path == "/?kiosk=1"], theme, size.w, size.h))
				}
			}
		}
	}
}
