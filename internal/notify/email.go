package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
)

// parseAddress checks one e-mail address and returns it bare
// ("dana@example.org").
func parseAddress(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("address %q: line breaks are not allowed", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", s, err)
	}
	return a.Address, nil
}

// composeEmail writes an RFC 5322 message: plain UTF-8 text, quoted-
// printable, the subject RFC 2047-encoded when it is not ASCII. Header
// values are single lines, so a hostile subject cannot add headers.
func composeEmail(from string, to []string, m Message, at time.Time) (string, error) {
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return "", fmt.Errorf("from %q: %w", from, err)
	}
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", fromAddr.String())
	h("To", strings.Join(to, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	h("Date", at.Format(time.RFC1123Z))
	id := make([]byte, 12)
	rand.Read(id)
	domain := fromAddr.Address[strings.LastIndexByte(fromAddr.Address, '@')+1:]
	h("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	h("MIME-Version", "1.0")
	h("Content-Type", `text/plain; charset="utf-8"`)
	h("Content-Transfer-Encoding", "quoted-printable")
	if m.Ref != "" {
		h("X-Watchfloor-Ref", oneLine(m.Ref))
	}
	b.WriteString("\r\n")
	text := m.Text
	if len(m.Fields) > 0 {
		var f strings.Builder
		f.WriteString("\n")
		for _, fd := range m.Fields {
			f.WriteString(oneLine(fd.Name) + ": " + oneLine(fd.Value) + "\n")
		}
		text += f.String()
	}
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return "", err
	}
	if err := qp.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// sendEmail delivers d's stored message over SMTP.
func (n *Notifier) sendEmail(ctx context.Context, ch Channel, d *store.Delivery) error {
	cfg := ch.SMTP
	mode := cfg.TLS
	if mode == "" {
		mode = "starttls"
	}
	port := cfg.Port
	if port == 0 {
		port = 587
		if mode == "implicit" {
			port = 465
		}
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(port))
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var conn net.Conn
	var err error
	dialer := &net.Dialer{}
	if mode == "implicit" {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}}).DialContext(dctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", addr, err)
	}
	deadline, _ := dctx.Deadline()
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP greeting from %s: %w", addr, err)
	}
	defer c.Close()
	if mode == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(&tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}); err != nil {
				return fmt.Errorf("STARTTLS with %s: %w", addr, err)
			}
		} else if cfg.Username != "" {
			return permanent(fmt.Errorf("%s does not offer STARTTLS; refusing to send the password in clear", addr))
		}
	}
	if cfg.Username != "" {
		pw := n.getenv(cfg.PasswordEnv)
		if pw == "" {
			return permanent(fmt.Errorf("SMTP password variable %s is empty", cfg.PasswordEnv))
		}
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, pw, cfg.Host)); err != nil {
			return smtpError("authenticating", err)
		}
	}
	from, _ := mail.ParseAddress(cfg.From)
	if err := c.Mail(from.Address); err != nil {
		return smtpError("MAIL FROM", err)
	}
	for _, rcpt := range strings.Split(d.Recipients, ", ") {
		if err := c.Rcpt(rcpt); err != nil {
			return smtpError("RCPT TO "+rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write([]byte(d.Payload)); err != nil {
		return fmt.Errorf("sending the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("end of DATA", err)
	}
	return c.Quit()
}

// smtpError marks 5xx replies permanent: the server refused for good.
func smtpError(what string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanent(fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}
