package report

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// TestSchedules: a schedule is checked when created, runs when due on one
// replica only, stores the report in the history (rendered again from it
// in every format) and sends it to its channel; a channel that fails is
// recorded on the schedule while the report stays.
func TestSchedules(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		created := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		c := model.Case{Source: "edr", ExternalID: "c1", Title: "Case <b>one</b>", Priority: model.P2, Stage: model.StageNew, CreatedAt: created, UpdatedAt: created}
		if _, err := st.Apply(ctx, &store.Batch{Cases: []model.Case{c}}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var bodies []string
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			mu.Unlock()
		}))
		defer hook.Close()
		now := time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC) // a Sunday
		clock := func() time.Time { return now }
		ms := metrics.NewService(st, clock)
		n := &notify.Notifier{Config: notify.Config{Channels: []notify.Channel{{Name: "board", Kind: notify.Webhook, URL: hook.URL, SecretEnv: "HOOK_KEY"},
			{Name: "broken", Kind: notify.Webhook, URL: "http://127.0.0.1:1/nowhere", SecretEnv: "HOOK_KEY"}}, Retry: notify.Retry{Attempts: 1}},
			Log: st, Now: clock, Sleep: func(context.Context, time.Duration) error { return nil },
			Getenv: func(string) string { return "test-signing-key" }}
		sc := &Schedules{Sources: Sources{Store: st, Metrics: ms}, Notifier: n, Now: clock}

		for _, in := range []ScheduleInput{
			{Name: "", Period: "week", Spec: "0 7 * * 1"},
			{Name: "weekly", Period: "fortnight", Spec: "0 7 * * 1"},
			{Name: "weekly", Period: "week", Spec: "0 7 * *"},
			{Name: "weekly", Period: "week", Spec: "0 7 * * 1", Channels: []string{"pager"}},
			{Name: "weekly", Period: "week", Spec: "0 7 * * 1", Recipients: []string{"ciso"}},
		} {
			if _, err := sc.Create(ctx, in); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v, want a refusal", in, err)
			}
		}
		rs, err := sc.Create(ctx, ScheduleInput{Name: "weekly board", Period: "week", Spec: "0 7 * * 1", Channels: []string{"board"}, By: "mgr"})
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC); !rs.NextRun.Equal(want) {
			t.Errorf("next run %v, want %v", rs.NextRun, want)
		}
		if _, err := sc.Create(ctx, ScheduleInput{Name: "weekly board", Period: "week", Spec: "@daily"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("a second schedule of the same name: %v", err)
		}
		if _, err := sc.Create(ctx, ScheduleInput{Name: "broken", Period: "month", Spec: "0 7 * * 1", Channels: []string{"broken"}}); err != nil {
			t.Fatal(err)
		}
		if ran, err := sc.RunDue(ctx); err != nil || ran != 0 {
			t.Fatalf("before it is due: ran %d, %v", ran, err)
		}
		now = time.Date(2026, 12, 7, 7, 0, 30, 0, time.UTC)
		ran, err := sc.RunDue(ctx)
		if err != nil || ran != 2 {
			t.Fatalf("due: ran %d, %v", ran, err)
		}
		// Another replica reading the schedules as they were finds the run
		// claimed.
		if ok, err := st.ClaimReportRun(ctx, rs.ID, rs.NextRun, rs.NextRun.AddDate(0, 0, 7)); err != nil || ok {
			t.Errorf("second claim of the same run: %v %v", ok, err)
		}
		if ran, _ := sc.RunDue(ctx); ran != 0 {
			t.Errorf("ran %d again in the same minute", ran)
		}
		all, err := st.ReportSchedules(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("%d schedules, %v", len(all), err)
		}
		byName := map[string]store.ReportSchedule{}
		for _, s := range all {
			byName[s.Name] = s
		}
		good, bad := byName["weekly board"], byName["broken"]
		if good.LastError != "" || good.LastReport == 0 || !good.NextRun.Equal(time.Date(2026, 12, 14, 7, 0, 0, 0, time.UTC)) {
			t.Errorf("weekly board after its run: %+v", good)
		}
		if bad.LastReport == 0 || !strings.Contains(bad.LastError, "delivery failed: broken") {
			t.Errorf("broken after its run: %+v", bad)
		}
		list, total, err := st.Reports(ctx, 0, 10)
		if err != nil || total != 2 || len(list) != 2 || list[0].Doc != nil {
			t.Fatalf("history: %d of %d, %v", len(list), total, err)
		}
		r, err := st.ReportByID(ctx, good.LastReport)
		if err != nil || r.Schedule != "weekly board" || r.GeneratedBy != "schedule weekly board" || r.Period != "week" {
			t.Fatalf("stored report %+v %v", r, err)
		}
		loaded, err := Load(r)
		e, _ := loaded.(*Executive)
		// The week ends with the day of the newest data (2 December).
		if err != nil || e == nil || e.From != "2026-11-26" || e.To != "2026-12-02" || e.Headline[len(e.Headline)-4].Key != "cases" || *e.Headline[len(e.Headline)-4].Value != 1 {
			t.Fatalf("loaded %s to %s: %v", e.From, e.To, err)
		}
		// The data begins after the previous week: no change against it.
		changes := map[string]string{}
		for _, r := range e.HeadlineRows() {
			changes[r[0]] = r[3]
		}
		if e.PreviousPartial != "the data begins on 2026-12-02, after the previous period, so changes against it are not shown" ||
			changes["Cases opened"] != "not compared" || changes["MTTR (median)"] != "—" || changes["SLA breaches in flight"] != "—" {
			t.Errorf("previous week %q, changes %q", e.PreviousPartial, changes)
		}
		for _, f := range Formats {
			var b strings.Builder
			if err := e.Render(&b, f); err != nil || b.Len() == 0 {
				t.Errorf("render %s from the history: %v", f, err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(bodies) != 1 || !strings.Contains(bodies[0], `"report.executive"`) || !strings.Contains(bodies[0], "Executive security operations summary, 2026-11-26 to 2026-12-02") {
			t.Fatalf("webhook bodies %q", bodies)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(bodies[0]), &body); err != nil {
			t.Errorf("webhook body is not JSON: %v", err)
		}
		if err := st.DeleteReportSchedule(ctx, "broken"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteReportSchedule(ctx, "broken"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		if _, err := st.ReportByID(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("report 9999: %v", err)
		}
	})
}
