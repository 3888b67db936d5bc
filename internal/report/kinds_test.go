package report

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/notify/notifytest"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// kindsStore holds, on Wednesday 2 December, one open P1 case (a payload
// in its title, owned by an analyst with a non-Latin name) with a comment
// left on it that day, and one P3 case closed within two hours.
func kindsStore(t *testing.T, st *store.Store) {
	t.Helper()
	created := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	done := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	b := &store.Batch{
		Analysts: []model.Analyst{{ExternalID: "akuz", Name: "Анна Кузнецова", Tier: "L2", Active: true}},
		Cases: []model.Case{
			{Source: "edr", ExternalID: "c1", Title: "Ransomware <b>on</b> FS-01", Priority: model.P1, Stage: model.StageInvestigating,
				Assignee: "akuz", CreatedAt: created, UpdatedAt: created},
			{Source: "edr", ExternalID: "c2", Title: "Phishing report", Priority: model.P3, Stage: model.StageClosed,
				CreatedAt: done.Add(-2 * time.Hour), UpdatedAt: done, ResolvedAt: done, ClosedAt: done},
		},
		Events: []model.CaseEvent{{CaseSource: "edr", CaseExternalID: "c1", At: created.Add(3 * time.Hour), Actor: "akuz", Source: "edr",
			Kind: model.EventComment, New: "Isolated FS-01; backups checked."}},
	}
	if _, err := st.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// TestKindSchedules: the shift handover and the operations review are
// scheduled like the executive report: checked when created, generated when
// due, kept in the history (rendered again from it in every format), sent
// by e-mail through a real SMTP server and by webhook, each delivery
// recorded; a webhook that fails is retried until it succeeds.
func TestKindSchedules(t *testing.T) {
	port, maildir := notifytest.SMTPServer(t)
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		kindsStore(t, st)
		var mu sync.Mutex
		var bodies []string
		fail := true
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if fail {
				fail = false
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			bodies = append(bodies, string(b))
		}))
		defer hook.Close()
		now := time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC) // a Sunday
		clock := func() time.Time { return now }
		n := &notify.Notifier{Config: notify.Config{Channels: []notify.Channel{
			{Name: "leads", Kind: notify.Email, SMTP: &notify.SMTP{Host: "127.0.0.1", Port: port, From: "Watchfloor <soc@example.org>"}, To: []string{"soc-leads@example.org"}},
			{Name: "hook", Kind: notify.Webhook, URL: hook.URL, SecretEnv: "HOOK_KEY"}},
			Retry: notify.Retry{Attempts: 1, MaxAttempts: 3}},
			Log: st, Now: clock, Sleep: func(context.Context, time.Duration) error { return nil },
			Getenv: func(string) string { return "test-signing-key" }}
		sc := &Schedules{Sources: Sources{Store: st, Metrics: metrics.NewService(st, clock)}, Notifier: n, Now: clock}

		for _, in := range []ScheduleInput{
			{Name: "handover", Kind: KindShift, Period: "month", Spec: "0 7 * * *"},
			{Name: "review", Kind: KindOperations, Period: "day", Spec: "0 7 * * 1"},
			{Name: "other", Kind: "board-pack", Spec: "0 7 * * 1"},
		} {
			if _, err := sc.Create(ctx, in); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v, want a refusal", in, err)
			}
		}
		hand, err := sc.Create(ctx, ScheduleInput{Name: "handover", Kind: KindShift, Spec: "0 7 * * *", Channels: []string{"leads"}, By: "mgr"})
		if err != nil || hand.Kind != KindShift || hand.Period != "day" || !hand.NextRun.Equal(time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)) {
			t.Fatalf("handover schedule %+v: %v", hand, err)
		}
		rev, err := sc.Create(ctx, ScheduleInput{Name: "review", Kind: KindOperations, Period: "weekly", Spec: "0 7 * * mon", Channels: []string{"hook"}, By: "mgr"})
		if err != nil || rev.Kind != KindOperations || rev.Period != "week" {
			t.Fatalf("review schedule %+v: %v", rev, err)
		}
		now = time.Date(2026, 12, 7, 7, 0, 30, 0, time.UTC)
		if ran, err := sc.RunDue(ctx); err != nil || ran != 2 {
			t.Fatalf("due: ran %d, %v", ran, err)
		}
		all, err := st.ReportSchedules(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("%d schedules, %v", len(all), err)
		}
		byName := map[string]store.ReportSchedule{}
		for _, s := range all {
			byName[s.Name] = s
		}
		if h := byName["handover"]; h.LastError != "" || h.LastReport == 0 || !h.NextRun.Equal(time.Date(2026, 12, 8, 7, 0, 0, 0, time.UTC)) {
			t.Errorf("handover after its run: %+v", h)
		}
		r := byName["review"]
		if r.LastReport == 0 || r.LastError != "" {
			t.Errorf("review after its run (a retrying delivery is no failure yet): %+v", r)
		}

		// The history keeps both, each rendered again from its data.
		sh, err := st.ReportByID(ctx, byName["handover"].LastReport)
		if err != nil || sh.Kind != KindShift || sh.Period != "day" || sh.From != "2026-12-02" || sh.To != "2026-12-02" || sh.GeneratedBy != "schedule handover" {
			t.Fatalf("stored handover %+v %v", sh, err)
		}
		so, err := st.ReportByID(ctx, r.LastReport)
		if err != nil || so.Kind != KindOperations || so.Period != "week" || so.From != "2026-11-26" || so.To != "2026-12-02" || so.Schedule != "review" {
			t.Fatalf("stored review %+v %v", so, err)
		}
		for _, s := range []store.StoredReport{sh, so} {
			rep, err := Load(s)
			if err != nil {
				t.Fatal(err)
			}
			if c := rep.Covers(); c.Kind != s.Kind || c.From != s.From || c.To != s.To || !c.GeneratedAt.Equal(now) {
				t.Errorf("report %d loaded as %+v", s.ID, c)
			}
			for _, f := range Formats {
				var b strings.Builder
				if err := rep.Render(&b, f); err != nil || b.Len() == 0 {
					t.Errorf("report %d as %s: %v", s.ID, f, err)
				}
			}
		}
		if rep, _ := Load(so); rep.(*Operations).Document().Window != "2026-11-26 to 2026-12-02 (UTC); compared with 2026-11-19 to 2026-11-25 (the data begins on 2026-12-02, after the previous period)" {
			t.Errorf("review window %q", rep.(*Operations).Document().Window)
		}
		if got := baselineNote("2026-11-20", "2026-11-25"); got != "the data begins on 2026-11-20, inside the previous period" {
			t.Errorf("baseline note %q", got)
		}

		// The e-mail: the handover as text, its counts as fields.
		var mail string
		for _, m := range notifytest.ReadMaildir(t, maildir) {
			if m.Header.Get("X-Watchfloor-Ref") != "report:"+itoa(sh.ID) {
				continue
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			if subject != "Shift handover, 2026-12-02" || m.Header.Get("To") != "soc-leads@example.org" {
				t.Errorf("mail %q to %q", subject, m.Header.Get("To"))
			}
			b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
			if err != nil {
				t.Fatal(err)
			}
			mail = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
		want := "Shift handover\nPeriod: 2026-12-02 (UTC)\n\n" +
			"Open P1 and P2 cases\n- 1 P1 and 0 P2 open now, of 1 case open.\n" +
			"- Case: edr/c1; Title: Ransomware <b>on</b> FS-01; Priority: P1; Stage: investigating; Assignee: akuz; Age: 4d22h\n\n" +
			"SLA breaches and clocks at risk\nNo SLA policy is stored: no clock to judge.\n\n" +
			"The shift's work\n- 2 cases and 0 alerts created.\n- MTTA (median): 0s; acknowledge SLA adherence: no data (0 met, 0 breached).\n- False-positive rate: no data.\n\n" +
			"Notable alerts\nNo critical or high alert and no intelligence match on 2026-12-02.\n\n" +
			"On-shift load\n- No analyst is on shift by the roster now; 0 alerts in the last hour.\n" +
			"- Analyst: akuz; Name: Анна Кузнецова; Tier: L2; On shift: no; Open cases: 1; Open P1/P2: 1\n\n" +
			"Hand-over notes\nThe latest comments on open cases during the day:\n- When: 2026-12-02 12:00Z; Case: edr/c1; By: akuz; Note: Isolated FS-01; backups checked.\n\n" +
			"Sources\n- watchfloor monitor operations --soc-dashboard -o json: open, queue, sla_breached, sla_at_risk, analysts, inflow\n" +
			"- watchfloor metrics soc --performance --from DAY --to DAY -o json: groups[all].cases, kpis[mtta].median_seconds, sla_acknowledge\n" +
			"- watchfloor metrics rules --noisy --from DAY --to DAY -o json: alerts, by_severity, false_positive_rate\n" +
			"- watchfloor intel matches --since DAY: matched indicators\n\n" +
			"The full report is number " + itoa(sh.ID) + " in Watchfloor's report history (watchfloor report show " + itoa(sh.ID) + " --format pdf, or the Reports page).\n\n" +
			"Open P1: 1\nOpen P2: 0\nSLA clocks breached: 0\nSLA clocks at risk: 0\nCases created: 2\nAlerts: 0\n"
		if mail != want {
			t.Errorf("mail body:\n%q\nwant:\n%q", mail, want)
		}

		// The webhook failed once: its delivery is recorded as retrying and
		// sent by the retry loop.
		ds, err := st.Deliveries(ctx, store.DeliveryFilter{Ref: "report:" + itoa(so.ID)})
		if err != nil || len(ds) != 1 || ds[0].Status != notify.StatusRetrying || ds[0].Attempts != 1 || ds[0].Event != "report.operations" ||
			ds[0].Subject != "Weekly operations review, 2026-11-26 to 2026-12-02" {
			t.Fatalf("review deliveries %+v %v", ds, err)
		}
		now = now.Add(time.Hour)
		if tried, err := n.RetryDue(ctx); err != nil || len(tried) != 1 || tried[0].Status != notify.StatusSent || tried[0].Attempts != 2 {
			t.Fatalf("retry: %+v %v", tried, err)
		}
		ds, _ = st.Deliveries(ctx, store.DeliveryFilter{Ref: "report:" + itoa(sh.ID)})
		if len(ds) != 1 || ds[0].Status != notify.StatusSent || ds[0].Kind != "email" || ds[0].Recipients != "soc-leads@example.org" {
			t.Errorf("handover deliveries %+v", ds)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(bodies) != 1 {
			t.Fatalf("%d webhook bodies", len(bodies))
		}
		var body struct {
			Event   string `json:"event"`
			Subject string `json:"subject"`
			Data    struct {
				From string       `json:"from"`
				All  GroupFigures `json:"all"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(bodies[0]), &body); err != nil || body.Event != "report.operations" || body.Data.From != "2026-11-26" ||
			body.Data.All.Cases != 2 || body.Data.All.Done != 1 {
			t.Errorf("webhook body %s: %v", bodies[0], err)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
