package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRunbooks opens the runbook library, a runbook whose title,
// steps and body carry markup, and the team skills page in both themes:
// the payloads stay text and nothing runs.
func TestBrowserRunbooks(t *testing.T) {
	ctx, incidents := browser(t)
	f := runbookFixture(t)
	dir := artifacts(t)
	visit(t, ctx, f.ts.URL+"/runbooks", "#name")
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "manager1"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#library-h")),
	)
	if err != nil {
		t.Fatalf("signing in: %v", err)
	}
	screenshot(t, ctx, dir, "runbooks.png")
	visit(t, ctx, f.ts.URL+"/runbooks/irps%2Fevil", "pre.runbook-text")
	xss := eval[int](t, ctx, `window.__xss === undefined ? 0 : window.__xss`)
	markup := eval[int](t, ctx, `document.querySelectorAll("main img, main script").length`)
	jsLinks := eval[int](t, ctx, `document.querySelectorAll('a[href^="javascript:"]').length`)
	if xss != 0 || markup != 0 || jsLinks != 0 {
		t.Errorf("payload executed or became markup: __xss=%d, img/script elements %d, javascript: links %d", xss, markup, jsLinks)
	}
	if h1 := eval[string](t, ctx, `document.querySelector("h1").textContent`); !strings.Contains(h1, xssImg) {
		t.Errorf("title not shown as text: %q", h1)
	}
	if body := eval[string](t, ctx, `document.querySelector("pre.runbook-text").textContent`); !strings.Contains(body, xssScript) {
		t.Errorf("body not shown as text: %q", body)
	}
	screenshot(t, ctx, dir, "runbook.png")
	visit(t, ctx, f.ts.URL+"/team?theme=light", "#matrix-h")
	if theme := eval[string](t, ctx, `document.documentElement.dataset.theme`); theme != "light" {
		t.Errorf("theme %q", theme)
	}
	screenshot(t, ctx, dir, "team-light.png")
	visit(t, ctx, f.ts.URL+"/team?kiosk=1&theme=dark", "#matrix-h")
	if navs := eval[int](t, ctx, `document.querySelectorAll("nav").length`); navs != 0 {
		t.Errorf("wall screen shows %d nav elements", navs)
	}
	if n := incidents.Load(); n != 0 {
		t.Errorf("%d dialogs or exceptions", n)
	}
}
