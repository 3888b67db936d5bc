// Package notify delivers Watchfloor's outbound messages: e-mail over SMTP
// (net/smtp, STARTTLS when the server offers it), Slack- and
// Teams-compatible webhook payloads, and generic JSON webhooks signed with
// HMAC-SHA256. Every message is recorded as a delivery before it is sent,
// with the outcome of each attempt; failures are retried with exponential
// backoff, first within the call and then by a background loop, and stay
// visible with their last error.
//
// Channels are named in the "notify" section of the configuration file.
// Secrets (webhook URLs that carry a token, HMAC keys, SMTP passwords) are
// read from environment variables the configuration names, never from the
// file, and never logged or stored.
package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Kind is a channel's transport.
type Kind string

// The channel kinds.
const (
	Email   Kind = "email"
	Slack   Kind = "slack"
	Teams   Kind = "teams"
	Webhook Kind = "webhook"
)

// Delivery statuses.
const (
	StatusPending  = "pending"
	StatusSent     = "sent"
	StatusRetrying = "retrying"
	StatusFailed   = "failed"
)

// SMTP configures an e-mail channel.
type SMTP struct {
	Host string `yaml:"host" json:"host"`
	Port int    `yaml:"port,omitempty" json:"port,omitempty"` // 587 when zero (465 with tls: implicit)
	From string `yaml:"from" json:"from"`
	// Username and PasswordEnv enable authentication (PLAIN, only over
	// TLS or to localhost).
	Username    string `yaml:"username,omitempty" json:"username,omitempty"`
	PasswordEnv string `yaml:"password_env,omitempty" json:"password_env,omitempty"`
	// TLS is "starttls" (default: upgrade when the server offers it,
	// required when authenticating), "implicit" (TLS from the first byte)
	// or "none" (plain text; local relays only).
	TLS string `yaml:"tls,omitempty" json:"tls,omitempty"`
}

// Channel is a named destination.
type Channel struct {
	Name string `yaml:"name" json:"name"`
	Kind Kind   `yaml:"kind" json:"kind"`
	// URL is a webhook's address; URLEnv names the variable holding it
	// instead (Slack and Teams URLs embed their secret).
	URL    string `yaml:"url,omitempty" json:"url,omitempty"`
	URLEnv string `yaml:"url_env,omitempty" json:"url_env,omitempty"`
	// SecretEnv names the variable holding a generic webhook's HMAC key.
	SecretEnv string `yaml:"secret_env,omitempty" json:"secret_env,omitempty"`
	SMTP      *SMTP  `yaml:"smtp,omitempty" json:"smtp,omitempty"`
	// To are e-mail recipients used when a message names none.
	To []string `yaml:"to,omitempty" json:"to,omitempty"`
}

// Retry is the retry policy: Attempts tries within a Send, Backoff before
// the second and doubling after; later tries by RetryDue until MaxAttempts.
type Retry struct {
	Attempts    int               `yaml:"attempts,omitempty" json:"attempts"`
	Backoff     staffing.Duration `yaml:"backoff,omitempty" json:"backoff"`
	MaxAttempts int               `yaml:"max_attempts,omitempty" json:"max_attempts"`
	MaxBackoff  staffing.Duration `yaml:"max_backoff,omitempty" json:"max_backoff"`
}

// Config is the "notify" section of the configuration file.
type Config struct {
	Channels []Channel `yaml:"channels,omitempty" json:"channels"`
	Retry    Retry     `yaml:"retry,omitempty" json:"retry"`
}

// Defaults of the retry policy.
const (
	DefaultAttempts    = 3
	DefaultBackoff     = 2 * time.Second
	DefaultMaxAttempts = 8
	DefaultMaxBackoff  = time.Hour
)

// LoadConfig reads the "notify" section of a YAML file.
func LoadConfig(path string) (Config, error) {
	var c Config
	if err := staffing.LoadSection(path, "notify", &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: notify: %w", path, err)
	}
	return c, nil
}

// DecodeConfig reads the "notify" section of a YAML document; unknown keys
// are errors.
func DecodeConfig(r io.Reader, name string) (Config, error) {
	var c Config
	if err := staffing.DecodeSection(r, name, "notify", &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: notify: %w", name, err)
	}
	return c, nil
}

// Validate checks the channels and fills the retry defaults.
func (c *Config) Validate() error {
	seen := map[string]bool{}
	for i, ch := range c.Channels {
		if ch.Name == "" || seen[ch.Name] {
			return fmt.Errorf("channels[%d]: needs a unique name", i)
		}
		seen[ch.Name] = true
		if err := ch.check(); err != nil {
			return fmt.Errorf("channel %s: %w", ch.Name, err)
		}
	}
	r := &c.Retry
	if r.Attempts <= 0 {
		r.Attempts = DefaultAttempts
	}
	if r.Backoff <= 0 {
		r.Backoff = staffing.Duration(DefaultBackoff)
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.MaxAttempts < r.Attempts {
		r.MaxAttempts = r.Attempts
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = staffing.Duration(DefaultMaxBackoff)
	}
	return nil
}

func (ch Channel) check() error {
	switch ch.Kind {
	case Email:
		if ch.SMTP == nil || ch.SMTP.Host == "" || ch.SMTP.From == "" {
			return errors.New("an e-mail channel needs smtp.host and smtp.from")
		}
		if _, err := parseAddress(ch.SMTP.From); err != nil {
			return fmt.Errorf("smtp.from: %w", err)
		}
		switch ch.SMTP.TLS {
		case "", "starttls", "implicit", "none":
		default:
			return fmt.Errorf("smtp.tls %q: want starttls, implicit or none", ch.SMTP.TLS)
		}
		for _, a := range ch.To {
			if _, err := parseAddress(a); err != nil {
				return fmt.Errorf("to: %w", err)
			}
		}
	case Slack, Teams, Webhook:
		if (ch.URL == "") == (ch.URLEnv == "") {
			return errors.New("a webhook channel needs url or url_env (not both)")
		}
		if ch.URL != "" {
			if err := checkURL(ch.URL); err != nil {
				return err
			}
		}
		if ch.Kind == Webhook && ch.SecretEnv == "" {
			return errors.New("a generic webhook needs secret_env: its payloads are signed")
		}
	default:
		return fmt.Errorf("kind %q: want email, slack, teams or webhook", ch.Kind)
	}
	return nil
}

// Channel returns the channel with the given name.
func (c Config) Channel(name string) (Channel, error) {
	for _, ch := range c.Channels {
		if ch.Name == name {
			return ch, nil
		}
	}
	names := make([]string, len(c.Channels))
	for i, ch := range c.Channels {
		names[i] = ch.Name
	}
	if len(names) == 0 {
		return Channel{}, fmt.Errorf("unknown channel %q: no notification channels are configured (add a notify section to the configuration file)", name)
	}
	return Channel{}, fmt.Errorf("unknown channel %q (configured: %s)", name, strings.Join(names, ", "))
}

// Field is a labelled fact shown beside a message's text.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Message is what to send. Its text is plain; each channel escapes it for
// its medium.
type Message struct {
	// Event names the message type for webhooks ("major_incident.notification").
	Event   string
	Subject string
	Text    string
	Fields  []Field
	// Ref names what the message is about ("incident:7").
	Ref string
	// Data is a structured payload for generic webhooks.
	Data any
}

// Log is where deliveries are recorded (the store).
type Log interface {
	CreateDelivery(ctx context.Context, d *store.Delivery) error
	UpdateDelivery(ctx context.Context, d store.Delivery) error
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error)
	ClaimDelivery(ctx context.Context, d store.Delivery, leaseUntil time.Time) (bool, error)
}

// Notifier sends messages and records them.
type Notifier struct {
	Config Config
	Log    Log
	// HTTP posts webhooks (a client with a 10 s timeout when nil).
	HTTP *http.Client
	// Now is the clock (time.Now when nil); Sleep waits between attempts
	// (a timer when nil); Getenv reads secrets (os.Getenv when nil).
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Getenv func(string) string
	Logger *slog.Logger
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now().UTC()
	}
	return time.Now().UTC()
}

func (n *Notifier) getenv(k string) string {
	if n.Getenv != nil {
		return n.Getenv(k)
	}
	return os.Getenv(k)
}

func (n *Notifier) sleep(ctx context.Context, d time.Duration) error {
	if n.Sleep != nil {
		return n.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (n *Notifier) log() *slog.Logger {
	if n.Logger != nil {
		return n.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// permanentError is a failure that retrying cannot fix (a rejected
// request, a refused recipient, missing configuration).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err is a failure retrying cannot fix.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Send records a delivery of m on the channel (to: e-mail recipients,
// default the channel's To) and tries it up to Retry.Attempts times with
// backoff. It returns the delivery with its outcome: sent, retrying (the
// background loop will try again) or failed. The error is for failures to
// render or record the message; a failed send is the delivery's status.
func (n *Notifier) Send(ctx context.Context, channel string, to []string, m Message) (store.Delivery, error) {
	ch, err := n.Config.Channel(channel)
	if err != nil {
		return store.Delivery{}, err
	}
	if len(to) == 0 {
		to = ch.To
	}
	d := store.Delivery{CreatedAt: n.now(), Channel: ch.Name, Kind: string(ch.Kind), Ref: m.Ref, Event: m.Event,
		Subject: oneLine(m.Subject), Status: StatusPending}
	switch ch.Kind {
	case Email:
		if len(to) == 0 {
			return d, fmt.Errorf("channel %s: no recipient: give an address", ch.Name)
		}
		addrs := make([]string, len(to))
		for i, a := range to {
			p, err := parseAddress(a)
			if err != nil {
				return d, fmt.Errorf("channel %s: recipient: %w", ch.Name, err)
			}
			addrs[i] = p
		}
		d.Recipients = strings.Join(addrs, ", ")
		d.Payload, err = composeEmail(ch.SMTP.From, addrs, m, d.CreatedAt)
	default:
		d.Recipients = n.webhookHost(ch)
		d.Payload, err = webhookBody(ch.Kind, m, d.CreatedAt)
	}
	if err != nil {
		return d, fmt.Errorf("channel %s: composing the message: %w", ch.Name, err)
	}
	if err := n.Log.CreateDelivery(ctx, &d); err != nil {
		return d, err
	}
	r := n.Config.Retry
	for i := 0; i < r.Attempts; i++ {
		if i > 0 {
			if err := n.sleep(ctx, backoff(r, d.Attempts)); err != nil {
				break
			}
		}
		if n.attempt(ctx, ch, &d); d.Status != StatusRetrying {
			break
		}
	}
	if d.Status == StatusPending { // the context ended before any attempt
		d.Status, d.NextAttemptAt = StatusRetrying, n.now()
	}
	return d, n.Log.UpdateDelivery(context.WithoutCancel(ctx), d)
}

// backoff is the wait after the given number of failed attempts.
func backoff(r Retry, failed int) time.Duration {
	d := time.Duration(r.Backoff)
	for i := 1; i < failed && d < time.Duration(r.MaxBackoff); i++ {
		d *= 2
	}
	return min(d, time.Duration(r.MaxBackoff))
}

// attempt sends once and records the outcome in d (not yet stored).
func (n *Notifier) attempt(ctx context.Context, ch Channel, d *store.Delivery) {
	var err error
	switch ch.Kind {
	case Email:
		err = n.sendEmail(ctx, ch, d)
	default:
		err = n.postWebhook(ctx, ch, d)
	}
	d.Attempts++
	d.LastAttemptAt = n.now()
	if err == nil {
		d.Status, d.LastError, d.SentAt, d.NextAttemptAt = StatusSent, "", d.LastAttemptAt, time.Time{}
		return
	}
	d.LastError = oneLine(err.Error())
	if len(d.LastError) > 500 {
		d.LastError = d.LastError[:500] + "…"
	}
	n.log().Warn("delivery failed", "delivery", d.ID, "channel", ch.Name, "attempt", d.Attempts, "err", d.LastError)
	if IsPermanent(err) || d.Attempts >= n.Config.Retry.MaxAttempts {
		d.Status, d.NextAttemptAt = StatusFailed, time.Time{}
		return
	}
	d.Status, d.NextAttemptAt = StatusRetrying, d.LastAttemptAt.Add(backoff(n.Config.Retry, d.Attempts))
}

// RetryDue makes one more attempt at each delivery whose next attempt is
// due, and returns the deliveries it tried with their new outcome.
func (n *Notifier) RetryDue(ctx context.Context) ([]store.Delivery, error) {
	due, err := n.Log.DueDeliveries(ctx, n.now(), 50)
	if err != nil {
		return nil, err
	}
	var out []store.Delivery
	for _, d := range due {
		ok, err := n.Log.ClaimDelivery(ctx, d, n.now().Add(5*time.Minute))
		if err != nil || !ok {
			continue
		}
		ch, err := n.Config.Channel(d.Channel)
		if err != nil {
			d.Status, d.LastError, d.NextAttemptAt = StatusFailed, oneLine(err.Error()), time.Time{}
		} else {
			n.attempt(ctx, ch, &d)
		}
		if err := n.Log.UpdateDelivery(context.WithoutCancel(ctx), d); err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Kinds lists the channel kinds.
var Kinds = []Kind{Email, Slack, Teams, Webhook}

// ValidKind reports whether k is a channel kind.
func ValidKind(k Kind) bool { return slices.Contains(Kinds, k) }

// oneLine folds line breaks and control characters into spaces, for
// subjects, headers and stored errors.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 }), " ")
}
