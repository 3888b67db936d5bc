package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/notify/notifytest"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// testNotifier is a notifier on a fresh SQLite store with a settable
// clock; Sleep advances the clock and records the waits.
type testNotifier struct {
	*Notifier
	st    *store.Store
	now   time.Time
	waits []time.Duration
	env   map[string]string
}

func newNotifier(t *testing.T, channels ...Channel) *testNotifier {
	t.Helper()
	tn := &testNotifier{st: storetest.Open(t, storetest.SQLitePath(t)), now: t0, env: map[string]string{}}
	cfg := Config{Channels: channels}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tn.Notifier = &Notifier{Config: cfg, Log: tn.st, Now: func() time.Time { return tn.now },
		Sleep: func(_ context.Context, d time.Duration) error {
			tn.waits = append(tn.waits, d)
			tn.now = tn.now.Add(d)
			return nil
		},
		Getenv: func(k string) string { return tn.env[k] }}
	return tn
}

// hostile is message text an attacker controls (an alert title).
const hostile = "<!channel> <https://evil.example|click here> & *urgent* [link](https://evil.example)"

func TestWebhookSignedAndRetried(t *testing.T) {
	secret := "s3cr3t-hmac-key"
	var mu sync.Mutex
	var bodies []string
	var deliveryIDs []string
	fails := 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		// The receiver verifies against its own clock: the attempt's time.
		ts := r.Header.Get(TimestampHeader)
		var sec int64
		fmt.Sscan(ts, &sec)
		if err := Verify([]byte(secret), r, body, time.Unix(sec, 0), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		bodies = append(bodies, string(body))
		deliveryIDs = append(deliveryIDs, r.Header.Get(DeliveryHeader))
		if fails > 0 {
			fails--
			http.Error(w, "receiver busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	tn := newNotifier(t, Channel{Name: "soar", Kind: Webhook, URL: srv.URL, SecretEnv: "SOAR_SECRET"})
	tn.env["SOAR_SECRET"] = secret
	d, err := tn.Send(context.Background(), "soar", nil, Message{Event: "major_incident.notification", Subject: "MI-1\r\nX-Evil: 1",
		Text: hostile, Ref: "incident:1", Fields: []Field{{"Severity", "SEV1"}}, Data: map[string]any{"ref": "MI-1"}})
	if err != nil {
		t.Fatal(err)
	}
	// Two 503s, then success on the third attempt, waiting 2 s then 4 s.
	if d.Status != StatusSent || d.Attempts != 3 || d.LastError != "" || !d.SentAt.Equal(t0.Add(6*time.Second)) ||
		fmt.Sprint(tn.waits) != "[2s 4s]" {
		t.Fatalf("delivery %+v, waits %v", d, tn.waits)
	}
	if len(bodies) != 3 || bodies[0] != bodies[2] || deliveryIDs[0] != fmt.Sprint(d.ID) || deliveryIDs[2] != deliveryIDs[0] {
		t.Fatalf("attempts differ: %q %v", bodies, deliveryIDs)
	}
	var got struct {
		Event, Subject, Text, Ref string
		Fields                    []Field
		Data                      map[string]string
	}
	if err := json.Unmarshal([]byte(bodies[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Event != "major_incident.notification" || got.Subject != "MI-1 X-Evil: 1" || got.Text != hostile || got.Ref != "incident:1" ||
		got.Data["ref"] != "MI-1" || len(got.Fields) != 1 || strings.Contains(bodies[0], "<!channel>") {
		t.Fatalf("payload %s", bodies[0])
	}
	stored, err := tn.st.DeliveryByID(context.Background(), d.ID)
	if err != nil || stored.Status != StatusSent || stored.Attempts != 3 || stored.Payload != bodies[0] || stored.Recipients != srv.URL {
		t.Fatalf("stored delivery %+v, %v", stored, err)
	}

	// A forged or replayed request fails verification.
	req := httptest.NewRequest("POST", "/", nil)
	req.Header.Set(TimestampHeader, fmt.Sprint(t0.Unix()))
	req.Header.Set(SignatureHeader, Sign([]byte(secret), t0.Unix(), []byte("{}")))
	if err := Verify([]byte(secret), req, []byte("{}"), t0, time.Minute); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	if err := Verify([]byte("other"), req, []byte("{}"), t0, time.Minute); err == nil || err.Error() != "signature does not match" {
		t.Errorf("wrong key: %v", err)
	}
	if err := Verify([]byte(secret), req, []byte(`{"x":1}`), t0, time.Minute); err == nil {
		t.Error("altered body accepted")
	}
	if err := Verify([]byte(secret), req, []byte("{}"), t0.Add(10*time.Minute), time.Minute); err == nil || !strings.Contains(err.Error(), "10m0s away") {
		t.Errorf("replay: %v", err)
	}
}

func TestWebhookFailuresShown(t *testing.T) {
	status := http.StatusServiceUnavailable
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		http.Error(w, "<b>down</b>\x1b[31m", status)
	}))
	defer srv.Close()
	tn := newNotifier(t, Channel{Name: "hook", Kind: Webhook, URL: srv.URL, SecretEnv: "K"})
	tn.env["K"] = "k"
	tn.Config.Retry = Retry{Attempts: 2, Backoff: staffing.Duration(time.Minute), MaxAttempts: 4, MaxBackoff: staffing.Duration(time.Hour)}
	ctx := context.Background()
	d, err := tn.Send(ctx, "hook", nil, Message{Subject: "s", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	// Two attempts in the call (1 min apart), then waiting for the
	// background loop: next attempt 2 min after the second.
	wantErr := srv.URL + ` answered HTTP 503: <b>down</b>\x1b[31m`
	if d.Status != StatusRetrying || d.Attempts != 2 || d.LastError != wantErr || !d.NextAttemptAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("after Send: %+v", d)
	}
	if due, _ := tn.RetryDue(ctx); len(due) != 0 {
		t.Fatalf("retried before due: %+v", due)
	}
	tn.now = t0.Add(3 * time.Minute)
	due, err := tn.RetryDue(ctx)
	if err != nil || len(due) != 1 || due[0].Status != StatusRetrying || due[0].Attempts != 3 || !due[0].NextAttemptAt.Equal(t0.Add(7*time.Minute)) {
		t.Fatalf("third attempt: %+v %v", due, err)
	}
	tn.now = t0.Add(7 * time.Minute)
	due, err = tn.RetryDue(ctx)
	if err != nil || len(due) != 1 || due[0].Status != StatusFailed || due[0].Attempts != 4 || !due[0].NextAttemptAt.IsZero() {
		t.Fatalf("fourth attempt gives up: %+v %v", due, err)
	}
	failed, err := tn.st.Deliveries(ctx, store.DeliveryFilter{Status: StatusFailed})
	if err != nil || len(failed) != 1 || failed[0].LastError != wantErr || calls != 4 {
		t.Fatalf("failed deliveries %+v (%d calls) %v", failed, calls, err)
	}

	// A 4xx other than 408/429 is not retried.
	status = http.StatusBadRequest
	d, err = tn.Send(ctx, "hook", nil, Message{Subject: "s", Text: "t"})
	if err != nil || d.Status != StatusFailed || d.Attempts != 1 || calls != 5 {
		t.Fatalf("permanent failure: %+v (%d calls) %v", d, calls, err)
	}
}

func TestWebhookURLSecretNotRecorded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the post fails
	tn := newNotifier(t, Channel{Name: "slack", Kind: Slack, URLEnv: "SLACK_URL"})
	tn.env["SLACK_URL"] = "http://" + addr + "/services/T000/B000/SECRETTOKEN"
	tn.Config.Retry.Attempts = 1
	d, err := tn.Send(context.Background(), "slack", nil, Message{Subject: "s", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusRetrying || d.Recipients != "http://"+addr || strings.Contains(d.LastError, "SECRET") ||
		!strings.Contains(d.LastError, "posting to http://"+addr) {
		t.Fatalf("delivery %+v", d)
	}
	// Unset variable: a permanent, explained failure.
	delete(tn.env, "SLACK_URL")
	d, _ = tn.Send(context.Background(), "slack", nil, Message{Subject: "s", Text: "t"})
	if d.Status != StatusFailed || d.LastError != "webhook URL variable SLACK_URL is empty" {
		t.Fatalf("unset URL: %+v", d)
	}
}

func TestSlackAndTeamsPayloads(t *testing.T) {
	m := Message{Subject: "[SEV1] MI-3 <b>BEC</b>", Text: hostile, Fields: []Field{{"Commander", "k_rossi"}}}
	body, err := webhookBody(Slack, m, t0)
	if err != nil {
		t.Fatal(err)
	}
	var slack struct {
		Text   string
		Blocks []struct {
			Type string
			Text struct {
				Type, Text string
			}
			Fields []struct{ Type, Text string }
		}
	}
	if err := json.Unmarshal([]byte(body), &slack); err != nil {
		t.Fatal(err)
	}
	if slack.Text != "[SEV1] MI-3 &lt;b&gt;BEC&lt;/b&gt;" || len(slack.Blocks) != 3 || slack.Blocks[0].Type != "header" ||
		slack.Blocks[0].Text.Type != "plain_text" || slack.Blocks[0].Text.Text != "[SEV1] MI-3 <b>BEC</b>" ||
		slack.Blocks[1].Text.Text != "&lt;!channel&gt; &lt;https://evil.example|click here&gt; &amp; *urgent* [link](https://evil.example)" ||
		slack.Blocks[2].Fields[0].Text != "*Commander*\nk_rossi" {
		t.Fatalf("slack payload %s", body)
	}
	body, err = webhookBody(Teams, m, t0)
	if err != nil {
		t.Fatal(err)
	}
	var teams struct {
		Type        string
		Attachments []struct {
			ContentType string
			Content     struct {
				Type, Version string
				Body          []map[string]any
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &teams); err != nil {
		t.Fatal(err)
	}
	card := teams.Attachments[0].Content
	if teams.Type != "message" || teams.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" || card.Type != "AdaptiveCard" ||
		card.Body[1]["text"] != `<\!channel\> <https://evil.example|click here\> & \*urgent\* \[link\]\(https://evil.example\)` {
		t.Fatalf("teams payload %s", body)
	}
}

func TestEmailToRealSMTPServer(t *testing.T) {
	port, maildir := notifytest.SMTPServer(t)
	tn := newNotifier(t, Channel{Name: "mail", Kind: Email, SMTP: &SMTP{Host: "127.0.0.1", Port: port, From: "Watchfloor <soc@example.org>"}})
	subject := "[SEV1] MI-3 Störung\r\nBcc: attacker@evil.example"
	text := "Conditions: mailbox rules forward to evil.example\nActions: rules removed\nNeeds: none\n"
	d, err := tn.Send(context.Background(), "mail", []string{"Dana Legal <dana@example.org>", "cfo@example.org"},
		Message{Subject: subject, Text: text, Ref: "incident:3", Fields: []Field{{"Severity", "SEV1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusSent || d.Attempts != 1 || d.Recipients != "dana@example.org, cfo@example.org" {
		t.Fatalf("delivery %+v", d)
	}
	msgs := notifytest.ReadMaildir(t, maildir)
	if len(msgs) != 1 {
		t.Fatalf("%d messages in the maildir, want 1", len(msgs))
	}
	m := msgs[0]
	gotSubject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || gotSubject != "[SEV1] MI-3 Störung Bcc: attacker@evil.example" {
		t.Fatalf("subject %q (%v)", gotSubject, err)
	}
	if m.Header.Get("Bcc") != "" || m.Header.Get("To") != "dana@example.org, cfo@example.org" || m.Header.Get("From") != `"Watchfloor" <soc@example.org>` ||
		m.Header.Get("X-Watchfloor-Ref") != "incident:3" || !strings.HasSuffix(m.Header.Get("Message-Id"), "@example.org>") {
		t.Fatalf("headers %v", m.Header)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != text+"\nSeverity: SEV1\n" {
		t.Fatalf("body %q", got)
	}

	// Nothing listens on the next port: the attempts fail and are kept.
	tn.Config.Channels[0].SMTP.Port = port + 1
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port+1)); err == nil {
		c.Close()
		t.Skip("the port after the SMTP server is in use")
	}
	d, err = tn.Send(context.Background(), "mail", []string{"dana@example.org"}, Message{Subject: "s", Text: "t"})
	if err != nil || d.Status != StatusRetrying || d.Attempts != 3 || !strings.Contains(d.LastError, "connection refused") {
		t.Fatalf("refused delivery %+v %v", d, err)
	}
	if _, err := tn.Send(context.Background(), "mail", []string{"not an address"}, Message{Subject: "s"}); err == nil ||
		!strings.Contains(err.Error(), `address "not an address"`) {
		t.Fatalf("bad recipient: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"notify: {channels: [{name: a, kind: pager}]}", `kind "pager"`},
		{"notify: {channels: [{name: a, kind: webhook, url: 'https://x.example/h'}]}", "needs secret_env"},
		{"notify: {channels: [{name: a, kind: slack}]}", "needs url or url_env"},
		{"notify: {channels: [{name: a, kind: email, smtp: {host: h}}]}", "needs smtp.host and smtp.from"},
		{"notify: {channels: [{name: a, kind: email, smtp: {host: h, from: x, tls: ssl}}]}", "smtp.from"},
		{"notify: {channels: [{name: a, kind: slack, url: 'ftp://x'}]}", "want an http or https URL"},
		{"notify: {channels: [{name: a, kind: slack, url_env: A}, {name: a, kind: slack, url_env: B}]}", "needs a unique name"},
		{"notify: {channels: [{name: a, kind: slack, url_env: A, colour: red}]}", "field colour not found"},
	} {
		if _, err := DecodeConfig(strings.NewReader(tc.yaml), "c.yaml"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		}
	}
	c, err := DecodeConfig(strings.NewReader("notify: {channels: [{name: a, kind: teams, url_env: A}]}"), "c.yaml")
	if err != nil || c.Retry.Attempts != 3 || c.Retry.MaxAttempts != 8 || time.Duration(c.Retry.Backoff) != 2*time.Second {
		t.Fatalf("defaults %+v %v", c.Retry, err)
	}
	if _, err := c.Channel("b"); err == nil || err.Error() != `unknown channel "b" (configured: a)` {
		t.Fatalf("unknown channel: %v", err)
	}
}

func TestExampleConfig(t *testing.T) {
	c, err := LoadConfig("../../docs/crisis-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Channels) != 4 || c.Retry.MaxAttempts != 8 || time.Duration(c.Retry.MaxBackoff) != time.Hour {
		t.Fatalf("config %+v", c)
	}
}
