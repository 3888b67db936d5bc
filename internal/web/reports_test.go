package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/report"
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
	var gen struct {
		ID     int64             `json:"id"`
		Kind   string            `json:"kind"`
		Report *report.Executive `json:"report"`
	}
	if err := json.Unmarshal([]byte(body), &gen); err != nil || gen.ID == 0 || gen.Kind != "executive" || gen.Report == nil || len(gen.Report.Headline) == 0 {
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

// TestReportKindsAPI: the shift handover and the operations review are
// generated, kept, downloaded and scheduled like the executive report, by
// managers only.
func TestReportKindsAPI(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/api/v1/reports/shift", "/api/v1/reports/operations"} {
		for _, role := range []auth.Role{auth.Viewer, auth.Analyst} {
			if resp := f.do("POST", path, role, `{}`); resp.StatusCode != 403 {
				t.Errorf("%s %s: %d", role, path, resp.StatusCode)
			}
		}
	}
	if resp := f.do("POST", "/api/v1/reports/shift", auth.Manager, `{"day":"2026-02-30"}`); resp.StatusCode != 400 {
		t.Errorf("day 2026-02-30: %d %s", resp.StatusCode, readBody(t, resp))
	}
	if resp := f.do("POST", "/api/v1/reports/operations", auth.Manager, `{"from":"2026-03-01"}`); resp.StatusCode != 400 {
		t.Errorf("from without to: %d %s", resp.StatusCode, readBody(t, resp))
	}
	type generated struct {
		ID     int64           `json:"id"`
		Kind   string          `json:"kind"`
		Report json.RawMessage `json:"report"`
	}
	var gens []generated
	for _, c := range []struct{ path, body, kind, title string }{
		{"/api/v1/reports/shift", `{}`, "shift", "# Shift handover\n"},
		{"/api/v1/reports/operations", `{}`, "operations", "# Weekly operations review\n"},
	} {
		resp := f.do("POST", c.path, auth.Manager, c.body)
		body := readBody(t, resp)
		var g generated
		if resp.StatusCode != 201 || json.Unmarshal([]byte(body), &g) != nil || g.Kind != c.kind || g.ID == 0 {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, body)
		}
		gens = append(gens, g)
		resp = f.do("GET", "/api/v1/reports/"+itoa64(g.ID)+"?format=md", auth.Manager, "")
		if b := readBody(t, resp); resp.StatusCode != 200 || !strings.HasPrefix(b, c.title) ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="watchfloor-`+c.kind+"-") {
			t.Errorf("%s as md: %d %q %.40q", c.kind, resp.StatusCode, resp.Header.Get("Content-Disposition"), b)
		}
		resp = f.do("GET", "/api/v1/reports/"+itoa64(g.ID), auth.Manager, "")
		var stored, answered bytes.Buffer
		if b := readBody(t, resp); resp.StatusCode != 200 || json.Compact(&stored, []byte(b)) != nil || json.Compact(&answered, g.Report) != nil ||
			stored.String() != answered.String() {
			t.Errorf("%s data: %d, differs from the answer when generated", c.kind, resp.StatusCode)
		}
		if resp := f.do("GET", "/api/v1/reports/"+itoa64(g.ID)+"?format=pdf", auth.Manager, ""); !strings.HasPrefix(readBody(t, resp), "%PDF-") {
			t.Errorf("%s as PDF", c.kind)
		}
		if resp := f.do("GET", "/api/v1/reports/"+itoa64(g.ID)+"?format=md", auth.Analyst, ""); resp.StatusCode != 403 {
			t.Errorf("an analyst downloaded the %s report: %d", c.kind, resp.StatusCode)
		}
	}
	var shift report.ShiftHandover
	if err := json.Unmarshal(gens[0].Report, &shift); err != nil || shift.Title != "Shift handover" || shift.Day == "" {
		t.Errorf("handover data %+v: %v", shift, err)
	}
	resp := f.do("POST", "/api/v1/report-schedules", auth.Manager, `{"name":"handover","kind":"shift","period":"month","spec":"0 7 * * *"}`)
	if b := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(b, "covers one day") {
		t.Errorf("a month-long handover schedule: %d %s", resp.StatusCode, b)
	}
	resp = f.do("POST", "/api/v1/report-schedules", auth.Manager, `{"name":"handover","kind":"shift","spec":"0 7 * * *"}`)
	var rs store.ReportSchedule
	if b := readBody(t, resp); resp.StatusCode != 201 || json.Unmarshal([]byte(b), &rs) != nil || rs.Kind != "shift" || rs.Period != "day" {
		t.Errorf("handover schedule: %d %s", resp.StatusCode, b)
	}
	// The page names each report's kind, and its forms generate each kind.
	page := readBody(t, f.do("GET", "/reports", auth.Manager, ""))
	for _, want := range []string{"<td>Shift handover</td>", "<td>Weekly operations review</td>", `<input type="hidden" name="kind" value="shift">`,
		`<input type="hidden" name="kind" value="operations">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the reports page lacks %s", want)
		}
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
	for i, form := range []string{"Shift handover", "Weekly operations review"} {
		want := fmt.Sprintf("Report %d generated", 3+i)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[aria-label="`+form+`"] button`))); err != nil {
			t.Fatalf("generating the %s: %v", form, err)
		}
		shown := `(document.querySelector("p.message.ok")?.textContent ?? "").includes("` + want + `")`
		// The form navigates: an evaluation the navigation interrupts is tried again.
		for deadline := time.Now().Add(30 * time.Second); ; {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](shown))
			if err == nil && ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after generating the %s: %v", form, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if msg := eval[string](t, ctx, `document.querySelector("p.message.ok").textContent`); !strings.Contains(msg, want) {
			t.Errorf("after generating the %s: %q", form, msg)
		}
		if got := eval[string](t, ctx, `document.querySelector("table.items tbody tr td:nth-child(2)").textContent`); got != form {
			t.Errorf("the newest report in the history is a %q, want %q", got, form)
		}
	}
}
