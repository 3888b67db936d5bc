package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Headers of generic webhooks.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256, keyed with
	// the channel's secret, of the timestamp, a dot and the body.
	SignatureHeader = "X-Watchfloor-Signature"
	// TimestampHeader is the Unix time of the attempt; receivers should
	// refuse old ones (see Verify).
	TimestampHeader = "X-Watchfloor-Timestamp"
	// DeliveryHeader is the delivery id: the same on every retry, so a
	// receiver can drop duplicates.
	DeliveryHeader = "X-Watchfloor-Delivery"
	// EventHeader names the message type.
	EventHeader = "X-Watchfloor-Event"
)

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("url: want an http or https URL")
	}
	return nil
}

func (n *Notifier) webhookURL(ch Channel) (string, error) {
	if ch.URL != "" {
		return ch.URL, nil
	}
	u := n.getenv(ch.URLEnv)
	if u == "" {
		return "", permanent(fmt.Errorf("webhook URL variable %s is empty", ch.URLEnv))
	}
	if err := checkURL(u); err != nil {
		return "", permanent(fmt.Errorf("%s: %w", ch.URLEnv, err))
	}
	return u, nil
}

// webhookHost names a webhook's destination for the record: scheme and
// host only, since the path of Slack and Teams URLs is their secret.
func (n *Notifier) webhookHost(ch Channel) string {
	u, err := n.webhookURL(ch)
	if err != nil {
		return "(" + ch.URLEnv + " unset)"
	}
	p, err := url.Parse(u)
	if err != nil {
		return "(invalid URL)"
	}
	return p.Scheme + "://" + p.Host
}

// Sign returns the signature header value for a body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a generic webhook's signature and refuses timestamps more
// than tolerance away from now, so a captured request cannot be replayed
// later. Receivers call it with the raw body.
func Verify(secret []byte, r *http.Request, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(r.Header.Get(TimestampHeader), 10, 64)
	if err != nil {
		return errors.New("missing or malformed " + TimestampHeader)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%s is %s away from now", TimestampHeader, d.Round(time.Second))
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(r.Header.Get(SignatureHeader))) {
		return errors.New("signature does not match")
	}
	return nil
}

// postWebhook posts d's stored body once.
func (n *Notifier) postWebhook(ctx context.Context, ch Channel, d *store.Delivery) error {
	u, err := n.webhookURL(ch)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(d.Payload))
	if err != nil {
		return permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Watchfloor-Notify/1")
	if ch.Kind == Webhook {
		secret := n.getenv(ch.SecretEnv)
		if secret == "" {
			return permanent(fmt.Errorf("webhook secret variable %s is empty", ch.SecretEnv))
		}
		ts := n.now().Unix()
		req.Header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
		req.Header.Set(SignatureHeader, Sign([]byte(secret), ts, []byte(d.Payload)))
		req.Header.Set(DeliveryHeader, strconv.FormatInt(d.ID, 10))
		req.Header.Set(EventHeader, d.Event)
	}
	client := n.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold the channel's secret
		}
		return fmt.Errorf("posting to %s: %w", n.webhookHost(ch), err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("%s answered HTTP %d: %s", n.webhookHost(ch), resp.StatusCode, output.Terminal(strings.TrimSpace(string(snippet))))
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return permanent(err)
	}
	return err
}

// webhookBody renders m for a webhook kind.
func webhookBody(k Kind, m Message, at time.Time) (string, error) {
	var v any
	switch k {
	case Slack:
		v = slackPayload(m)
	case Teams:
		v = teamsPayload(m)
	default:
		fields := m.Fields
		if fields == nil {
			fields = []Field{}
		}
		v = struct {
			Event   string  `json:"event"`
			SentAt  string  `json:"created_at"`
			Ref     string  `json:"ref,omitempty"`
			Subject string  `json:"subject"`
			Text    string  `json:"text"`
			Fields  []Field `json:"fields"`
			Data    any     `json:"data,omitempty"`
		}{m.Event, at.UTC().Format(time.RFC3339), m.Ref, oneLine(m.Subject), m.Text, fields, m.Data}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// SlackEscape escapes text for Slack's mrkdwn: &, < and > become entities,
// so text cannot form links, mentions (<!channel>) or user references.
func SlackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// slackPayload is an incoming-webhook message with Block Kit blocks and a
// plain-text fallback.
func slackPayload(m Message) any {
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type block struct {
		Type   string `json:"type"`
		Text   *text  `json:"text,omitempty"`
		Fields []text `json:"fields,omitempty"`
	}
	subject := oneLine(m.Subject)
	blocks := []block{
		{Type: "header", Text: &text{"plain_text", truncate(subject, 150)}},
		{Type: "section", Text: &text{"mrkdwn", truncate(SlackEscape(m.Text), 3000)}},
	}
	if len(m.Fields) > 0 {
		b := block{Type: "section"}
		for i, f := range m.Fields {
			if i == 10 { // Slack's limit per section
				break
			}
			b.Fields = append(b.Fields, text{"mrkdwn", truncate("*"+SlackEscape(oneLine(f.Name))+"*\n"+SlackEscape(f.Value), 2000)})
		}
		blocks = append(blocks, b)
	}
	return struct {
		Text   string  `json:"text"`
		Blocks []block `json:"blocks"`
	}{SlackEscape(subject), blocks}
}

// TeamsEscape escapes the Markdown subset Adaptive Card text blocks
// render, so text cannot form links or emphasis.
func TeamsEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\*_[]()~#>+-!`+"`", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// teamsPayload is a message with an Adaptive Card attachment, the shape
// Teams workflow webhooks accept.
func teamsPayload(m Message) any {
	type fact struct {
		Title string `json:"title"`
		Value string `json:"value"`
	}
	body := []map[string]any{
		{"type": "TextBlock", "size": "Large", "weight": "Bolder", "wrap": true, "text": TeamsEscape(oneLine(m.Subject))},
		{"type": "TextBlock", "wrap": true, "text": TeamsEscape(m.Text)},
	}
	if len(m.Fields) > 0 {
		facts := make([]fact, len(m.Fields))
		for i, f := range m.Fields {
			facts[i] = fact{TeamsEscape(oneLine(f.Name)), TeamsEscape(f.Value)}
		}
		body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	}
	card := map[string]any{"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4", "body": body}
	return map[string]any{"type": "message", "attachments": []map[string]any{
		{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card}}}
}
