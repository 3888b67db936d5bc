package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TestReportsAPI: a manager generates the executive report (kept in the
// history and audited), downloads it in every format rendered from the
// stored data, and schedules it; analysts and viewers may not; bad input
// is a 400 with the reason.
func TestReportsAPI(t *testing.T) {
	f := newFixture(t)
	for _, role := range []auth.Role{auth.Viewer, auth.Analyst} {
		if resp := f.do("POST", "/api/v1/reports/executive", role, `{}`); resp.StatusCode != 403 {
			t.Errorf("%s generating: %d", role, resp.StatusCode)
		}
	}
	resp := f.do("POST", "/api/v1/reports/executive", auth.Manager, `{"period":"fortnight"}`)
	if body := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(body, "fortnight") {
		t.Errorf("bad period: %d %s", resp.StatusCode, body)
	}
	resp = f.do("POST", "/api/v1/reports/executive", auth.Manager, `{"period":"week"}`)
	body := readBody(t, resp)
	if resp.StatusCode != 201 {
		t.Fatalf("generating: %d %s", resp.StatusCode, body)
	}
	var gen GeneratedReport
	if err := json.Unmarshal([]byte(body), &gen); err != nil || gen.ID == 0 || gen.Report == nil || len(gen.Report.Headline) == 0 {
		t.Fatalf("generated %s: %v", body, err)
	}
	var list ReportList
	getJSON(t, f, "/api/v1/reports", auth.Manager, &list)
	if list.Total != 1 || list.Reports[0].ID != gen.ID || list.Reports[0].GeneratedBy != "manager1" {
		t.Errorf("history %+v", list)
	}
	for format, want := range map[string]string{"md": "# Executive security operations summary", "html": "<!DOCTYPE html>", "pdf": "%PDF-"} {
		resp := f.do("GET", "/api/v1/reports/"+itoa64(gen.ID)+"?format="+format, auth.Manager, "")
		b := readBody(t, resp)
		if resp.StatusCode != 200 || !strings.HasPrefix(b, want) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
			t.Errorf("%s: %d %q %.30q", format, resp.StatusCode, resp.Header.Get("Content-Disposition"), b)
		}
	}
	if resp := f.do("GET", "/api/v1/reports/"+itoa64(gen.ID)+"?format=docx", auth.Manager, ""); resp.StatusCode != 400 {
		t.Errorf("format docx: %d", resp.StatusCode)
	}
	if resp := f.do("GET", "/api/v1/reports/999", auth.Manager, ""); resp.StatusCode != 404 {
		t.Errorf("report 999: %d", resp.StatusCode)
	}
	// Schedules.
	resp = f.do("POST", "/api/v1/report-schedules", auth.Manager, `{"name":"weekly","period":"week","spec":"0 7 * * 99"}`)
	if b := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(b, "day of week") {
		t.Errorf("bad spec: %d %s", resp.StatusCode, b)
	}
	resp = f.do("POST", "/api/v1/report-schedules", auth.Manager, `{"name":"weekly","period":"week","spec":"0 7 * * mon"}`)
	if b := readBody(t, resp); resp.StatusCode != 201 || !strings.Contains(b, `"next_run"`) {
		t.Fatalf("schedule: %d %s", resp.StatusCode, b)
	}
	var sch []store.ReportSchedule
	getJSON(t, f, "/api/v1/report-schedules", auth.Manager, &sch)
	if len(sch) != 1 || sch[0].Spec != "0 7 * * mon" || sch[0].CreatedBy != "manager1" {
		t.Errorf("schedules %+v", sch)
	}
	if resp := f.do("DELETE", "/api/v1/report-schedules/"+url.PathEscape("weekly"), auth.Manager, ""); resp.StatusCode != 204 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp := f.do("DELETE", "/api/v1/report-schedules/weekly", auth.Manager, ""); resp.StatusCode != 404 {
		t.Errorf("delete twice: %d", resp.StatusCode)
	}
	// Every write is audited.
	es, err := f.st.AuditEntries(t.Context(), store.AuditFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range es {
		seen = append(seen, e.Action+" "+e.Target)
	}
	for _, want := range []string{"POST /api/v1/reports/executive report:" + itoa64(gen.ID), "POST /api/v1/report-schedules report_schedule:weekly",
		"DELETE /api/v1/report-schedules/{name} report_schedule:weekly"} {
		found := false
		for _, s := range seen {
			found = found || s == want
		}
		if !found {
			t.Errorf("audit log lacks %q: %q", want, seen)
		}
	}
	// The page lists the report with its downloads.
	resp = f.do("GET", "/reports", auth.Manager, "")
	page := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(page, "/api/v1/reports/"+itoa64(gen.ID)+"?format=pdf") {
		t.Errorf("reports page: %d", resp.StatusCode)
	}
	if resp := f.do("GET", "/reports", auth.Analyst, ""); resp.StatusCode != 403 {
		t.Errorf("analyst on the reports page: %d", resp.StatusCode)
	}
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestBrowserReportsPage opens the Reports page with a report and a
// schedule in Chromium at 1600×1000 and 1920×1080 in both themes: nothing
// is wider than the window, the download links are there, and generating
// from the form lands on the page with the new report.
func TestBrowserReportsPage(t *testing.T) {
	ctx, _ := browserFor(t, 4*time.Minute)
	f := newFixture(t)
	if resp := f.do("POST", "/api/v1/reports/executive", auth.Manager, `{"period":"month"}`); resp.StatusCode != 201 {
		t.Fatalf("generating: %d", resp.StatusCode)
	}
	long := `{"name":"` + strings.Repeat("board-", 10) + `","period":"quarter","spec":"0 7 1 */3 *"}`
	if resp := f.do("POST", "/api/v1/report-schedules", auth.Manager, long); resp.StatusCode != 201 {
		t.Fatalf("schedule: %d %s", resp.StatusCode, readBody(t, resp))
	}
	signIn(t, ctx, f.ts.URL, "manager1")
	dir := artifacts(t)
	for _, size := range screenSizes {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h)); err != nil {
			t.Fatal(err)
		}
		for _, theme := range []string{"dark", "light"} {
			// ?theme= sets the cookie. A navigation the previous page's live
			// updates interrupt (net::ERR_ABORTED) is tried again.
			var err error
			for try := 0; try < 3; try++ {
				if err = chromedp.Do(ctx, chromedp.Navigate(f.ts.URL+"/reports?theme="+theme), chromedp.WaitVisible(chromedp.CSS("table.items"))); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("opening the reports page: %v", err)
			}
			if got := eval[string](t, ctx, `document.documentElement.dataset.theme`); got != theme {
				t.Errorf("theme %q, want %q", got, theme)
			}
			if w := eval[float64](t, ctx, `document.documentElement.scrollWidth - innerWidth`); w > 0 {
				t.Errorf("%dx%d %s: the page is %v px wider than the window", size.w, size.h, theme, w)
			}
			if n := eval[float64](t, ctx, `document.querySelectorAll('a[href*="/api/v1/reports/1?format="]').length`); n != 4 {
				t.Errorf("%v download links for report 1, want 4", n)
			}
			if os.Getenv("ARTIFACTS_DIR") != "" {
				screenshot(t, ctx, dir, fmt.Sprintf("reports-%s-%dx%d.png", theme, size.w, size.h))
			}
		}
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`select[name="period"]`), "week"),
		chromedp.Click(chromedp.CSS(`form[action="/reports"] button`)), chromedp.WaitVisible(chromedp.CSS(`p.message.ok`))); err != nil {
		t.Fatal(err)
	}
	if msg := eval[string](t, ctx, `document.querySelector("p.message.ok").textContent`); !strings.Contains(msg, "Report 2 generated") {
		t.Errorf("after generating: %q", msg)
	}
}
