package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/watchfloor/watchfloor/internal/auth"
)

// TestBrowserWarRoom opens the war room of an incident whose title is a
// planted payload: the payload stays text, the clocks count down in the
// page, an entry recorded through the form appears pinned, and the wall
// screen shows the clocks without the form.
func TestBrowserWarRoom(t *testing.T) {
	ctx, incidents := browser(t)
	f := newFixture(t)
	dir := artifacts(t)
	resp := f.do("POST", "/api/v1/incidents", auth.Analyst, `{"severity":"SEV1","cases":["test/C1"],"aware_at":"`+at(-time.Hour)+`","regimes":["gdpr","nis2","sec"]}`,
		"Content-Type", "application/json")
	if resp.StatusCode != 201 {
		t.Fatalf("declare: %d %s", resp.StatusCode, readBody(t, resp))
	}
	resp.Body.Close()
	visit(t, ctx, f.ts.URL+"/incidents/1", "#name")
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "analyst1"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("table.reg-clocks")),
	)
	if err != nil {
		t.Fatalf("signing in: %v", err)
	}
	// The countdowns replace the static due times within a second.
	waitFor(t, ctx, "the countdown", `Array.from(document.querySelectorAll("table.reg-clocks time[data-countdown]")).every(e => /(left|overdue)/.test(e.textContent))`)
	// Counted on the server's clock: GDPR's 72 h started an hour before it.
	if gdpr := eval[string](t, ctx, `document.querySelector("table.reg-clocks time[data-countdown]").textContent`); gdpr != "2d 22h left" && gdpr != "2d 23h left" {
		t.Errorf("GDPR countdown %q, want 2d 22h or 2d 23h left", gdpr)
	}
	n := eval[int](t, ctx, `document.querySelectorAll("table.reg-clocks time[data-countdown]").length`)
	if n != 3 { // GDPR and NIS2's early warning and notification run; NIS2 final and SEC wait
		t.Errorf("%d running clocks shown, want 3", n)
	}
	if xss := eval[int](t, ctx, `window.__xss === undefined ? 0 : window.__xss`); xss != 0 {
		t.Errorf("payload executed: __xss=%d", xss)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("main img, main script:not([src])").length`); n != 0 {
		t.Errorf("%d img or inline script elements in the war room", n)
	}
	if title := eval[string](t, ctx, `document.querySelector("h1 .incident-title").textContent`); title != xssImg {
		t.Errorf("title shown as %q", title)
	}
	screenshot(t, ctx, dir, "war-room.png")

	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#e-text"), "Isolate the CFO's laptop"),
		chromedp.Click(chromedp.CSS(`.entry-form input[name="pin"]`)),
		chromedp.Click(chromedp.CSS(".entry-form button")),
		chromedp.WaitVisible(chromedp.CSS(`p.ok[role="status"]`)),
	)
	if err != nil {
		t.Fatalf("recording an entry: %v", err)
	}
	if pinned := eval[string](t, ctx, `document.querySelector("section[aria-labelledby=pinned-h] ol").textContent`); !strings.Contains(pinned, "Isolate the CFO's laptop") {
		t.Errorf("pinned entries: %q", pinned)
	}

	visit(t, ctx, f.ts.URL+"/incidents/1?kiosk=1", "table.reg-clocks")
	if forms := eval[int](t, ctx, `document.querySelectorAll("form.entry-form").length`); forms != 0 || !eval[bool](t, ctx, `document.body.classList.contains("kiosk")`) {
		t.Errorf("wall screen has %d entry forms", forms)
	}
	waitFor(t, ctx, "the wall-screen countdown", `document.querySelector(".tile time[data-countdown]") !== null && /(left|overdue)/.test(document.querySelector(".tile time[data-countdown]").textContent)`)
	screenshot(t, ctx, dir, "war-room-kiosk.png")
	if n := incidents.Load(); n != 0 {
		t.Errorf("%d dialogs or exceptions", n)
	}
}
