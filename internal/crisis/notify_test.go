package crisis

import (
	"context"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/notify/notifytest"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// receiver is a local HTTP endpoint for webhooks that checks signatures
// and can be told to fail.
type receiver struct {
	mu     sync.Mutex
	secret string
	fail   bool
	bodies []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.secret != "" {
		if err := notify.Verify([]byte(rc.secret), r, body, time.Now(), 24*365*time.Hour*10); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
	}
	if rc.fail {
		http.Error(w, "regulator portal unavailable", http.StatusBadGateway)
		return
	}
	rc.bodies = append(rc.bodies, string(body))
}

func TestNotifyStakeholders(t *testing.T) {
	port, maildir := notifytest.SMTPServer(t)
	st := storetest.Open(t, storetest.SQLitePath(t))
	fill(t, st)
	slack := &receiver{}
	portal := &receiver{secret: "portal-key", fail: true}
	slackSrv, portalSrv := httptest.NewServer(slack), httptest.NewServer(portal)
	defer slackSrv.Close()
	defer portalSrv.Close()

	s, clk := newService(t, st)
	s.Config = &Config{Stakeholders: []Stakeholder{
		{Name: "Dana (General Counsel)", Audience: "legal", Channel: "mail", Address: "dana@example.org"},
		{Name: "Exec bridge", Audience: "executives", Channel: "exec-slack"},
		{Name: "National CSIRT", Audience: "regulator", Channel: "csirt-portal"},
	}}
	if err := s.Config.Prepare(); err != nil {
		t.Fatal(err)
	}
	ncfg := notify.Config{Channels: []notify.Channel{
		{Name: "mail", Kind: notify.Email, SMTP: &notify.SMTP{Host: "127.0.0.1", Port: port, From: "soc@example.org"}},
		{Name: "exec-slack", Kind: notify.Slack, URL: slackSrv.URL},
		{Name: "csirt-portal", Kind: notify.Webhook, URL: portalSrv.URL, SecretEnv: "PORTAL_KEY"},
	}}
	if err := ncfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s.Notifier = &notify.Notifier{Config: ncfg, Log: st, Now: clk.Now,
		Sleep:  func(context.Context, time.Duration) error { return nil },
		Getenv: func(k string) string { return map[string]string{"PORTAL_KEY": "portal-key"}[k] }}
	ctx := context.Background()
	must(s.Declare(ctx, ic, DeclareInput{Severity: "SEV1", Cases: []string{"fx/C-1"}, Regimes: []string{"gdpr"}, AwareAt: atT(-minutes(30))})).get(t)
	clk.set(minutes(20))
	must(s.PostUpdate(ctx, ic, "MI-1", UpdateInput{Conditions: "CFO mailbox forwarded externally", Actions: "Rules removed",
		Needs: "Legal view on GDPR"})).get(t)

	// A dry run renders without sending or writing.
	before := must(s.Get(ctx, "MI-1")).get(t).LastSeq
	res := must(s.Notify(ctx, ic, "MI-1", NotifyInput{Audience: "legal", DryRun: true, Note: "Call me."})).get(t)
	wantBody := "Major incident MI-1: Mailbox rule forwards <script>alert(1)</script> to external\n" +
		"Severity SEV1, status active, declared 2026-03-02 08:00 UTC; incident commander krossi.\n\n" +
		"Regulatory clocks:\n- GDPR Art. 33, Notification of a personal-data breach to the supervisory authority: due 2026-03-05 07:30 UTC\n\n" +
		"Current conditions: CFO mailbox forwarded externally\n\nCall me.\n\n" +
		"Please confirm which notifications apply and who submits them.\n"
	if res.Draft.Subject != "[SEV1] MI-1: regulatory position on Mailbox rule forwards <script>alert(1)</script> to external" ||
		res.Draft.Body != wantBody || len(res.Draft.Recipients) != 1 || len(res.Messages) != 0 {
		t.Fatalf("draft %q\n%q", res.Draft.Subject, res.Draft.Body)
	}
	if after := must(s.Get(ctx, "MI-1")).get(t).LastSeq; after != before || len(notifytest.ReadMaildir(t, maildir)) != 0 {
		t.Fatal("a dry run wrote or sent")
	}

	clk.set(minutes(25))
	res = must(s.Notify(ctx, ic, "MI-1", NotifyInput{Audience: "legal"})).get(t)
	if len(res.Messages) != 1 || res.Messages[0].Status != "sent" || res.Messages[0].Attempts != 1 {
		t.Fatalf("legal messages %+v", res.Messages)
	}
	mails := notifytest.ReadMaildir(t, maildir)
	if len(mails) != 1 || mails[0].Header.Get("To") != "dana@example.org" {
		t.Fatalf("%d mails", len(mails))
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(mails[0].Body))
	if !strings.HasPrefix(strings.ReplaceAll(string(body), "\r\n", "\n"), strings.Replace(wantBody, "\nCall me.\n", "", 1)) {
		t.Fatalf("mail body %q", body)
	}

	res = must(s.Notify(ctx, ic, "MI-1", NotifyInput{Audience: "executives"})).get(t)
	var sp struct {
		Blocks []struct{ Text struct{ Type, Text string } }
	}
	json.Unmarshal([]byte(slack.bodies[0]), &sp)
	if len(slack.bodies) != 1 || res.Messages[0].Status != "sent" || sp.Blocks[1].Text.Type != "mrkdwn" ||
		!strings.HasPrefix(sp.Blocks[1].Text.Text, "Executive update on major incident MI-1: Mailbox rule forwards &lt;script&gt;alert(1)&lt;/script&gt; to external\n") {
		t.Fatalf("slack %v %+v", slack.bodies, res.Messages)
	}

	// The regulator's portal is down: three attempts, then retrying, shown
	// on the timeline and the register.
	res = must(s.Notify(ctx, ic, "MI-1", NotifyInput{Audience: "regulator"})).get(t)
	m := res.Messages[0]
	if m.Status != notify.StatusRetrying || m.Attempts != 3 || !strings.Contains(m.Error, "answered HTTP 502: regulator portal unavailable") {
		t.Fatalf("regulator message %+v", m)
	}
	v := must(s.Status(ctx, "MI-1")).get(t)
	last := v.Timeline[len(v.Timeline)-1]
	if last.Type != EntryCommunication || !strings.HasPrefix(last.Text, `Message "Incident notification MI-1" to National CSIRT (regulator) via csirt-portal retrying after 3 attempt(s)`) {
		t.Fatalf("timeline %+v", last)
	}
	statuses := map[string]string{}
	for _, ss := range v.Stakeholders {
		statuses[ss.Name] = ss.LastStatus
	}
	if statuses["Dana (General Counsel)"] != "sent" || statuses["Exec bridge"] != "sent" || statuses["National CSIRT"] != "retrying" {
		t.Fatalf("register %v", statuses)
	}
	// The portal recovers; the background retry delivers and records it.
	portal.mu.Lock()
	portal.fail = false
	portal.mu.Unlock()
	clk.set(minutes(30))
	if n := must(s.RetryDeliveries(ctx)).get(t); n != 1 {
		t.Fatalf("%d deliveries retried", n)
	}
	inc := must(s.Get(ctx, "MI-1")).get(t)
	lastMsg := inc.Messages[len(inc.Messages)-1]
	if lastMsg.Status != "sent" || lastMsg.Attempts != 4 || lastMsg.Stakeholder != "National CSIRT" || len(portal.bodies) != 1 {
		t.Fatalf("after retry %+v", lastMsg)
	}
	// External audiences get no internal names or case titles in the
	// structured payload.
	var payload struct {
		Data   map[string]any
		Fields []notify.Field
	}
	json.Unmarshal([]byte(portal.bodies[0]), &payload)
	if payload.Data["ref"] != "MI-1" || payload.Data["incident"] != nil || len(payload.Fields) != 1 || payload.Fields[0].Name != "Reference" {
		t.Fatalf("external payload %s", portal.bodies[0])
	}

	// Registering a stakeholder, and the refusals.
	must(s.Notify(ctx, ic, "MI-1", NotifyInput{Audience: "partners", Register: &Stakeholder{Name: "Bank fraud desk", Channel: "mail",
		Address: "fraud@bank.example"}})).get(t)
	_, err := s.Notify(ctx, ic, "MI-1", NotifyInput{Audience: "partners", Register: &Stakeholder{Name: "bank fraud desk", Channel: "mail",
		Address: "x@bank.example"}})
	wantInvalid(t, err, "bank fraud desk is already registered for partners")
	_, err = s.Notify(ctx, ic, "MI-1", NotifyInput{Audience: "partners", Register: &Stakeholder{Name: "X", Channel: "pager"}})
	wantInvalid(t, err, `unknown channel "pager"`)
	_, err = s.Notify(ctx, ic, "MI-1", NotifyInput{Audience: "media"})
	wantInvalid(t, err, "no stakeholder is registered for media")
	_, err = s.Notify(ctx, ic, "MI-1", NotifyInput{Audience: "press"})
	wantInvalid(t, err, `unknown audience "press"`)
	if ext, _ := s.IsExternal("regulator"); !ext {
		t.Error("regulator is not external")
	}
	if ext, _ := s.IsExternal("legal"); ext {
		t.Error("legal is external")
	}
	deliveries, err := st.Deliveries(ctx, store.DeliveryFilter{Ref: "incident:1"})
	if err != nil || len(deliveries) != 3 {
		t.Fatalf("%d deliveries recorded: %v", len(deliveries), err)
	}
}
