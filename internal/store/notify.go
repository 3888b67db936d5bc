package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Delivery is one outbound message (package notify) and the outcome of its
// attempts.
type Delivery struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Channel   string    `json:"channel"`
	Kind      string    `json:"kind"`
	// Recipients are the e-mail addresses, or the host a webhook posts to
	// (never the secret URL itself).
	Recipients string `json:"recipients"`
	// Ref names what the message is about ("incident:7").
	Ref     string `json:"ref,omitempty"`
	Event   string `json:"event,omitempty"`
	Subject string `json:"subject"`
	// Payload is what is sent: the e-mail message or the webhook body.
	Payload string `json:"-"`
	// Status is pending, sent, retrying (failed so far, another attempt is
	// due at NextAttemptAt) or failed (given up).
	Status        string    `json:"status"`
	Attempts      int       `json:"attempts"`
	LastError     string    `json:"last_error,omitempty"`
	LastAttemptAt time.Time `json:"last_attempt_at,omitzero"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	SentAt        time.Time `json:"sent_at,omitzero"`
}

// DeliveryFilter selects deliveries; zero fields do not filter.
type DeliveryFilter struct {
	Ref    string
	Status string
	Limit  int // default 100
}

const deliveryColumns = `id, created_at, channel, kind, recipients, ref, event, subject, payload, status, attempts, last_error,
	last_attempt_at, next_attempt_at, sent_at`

func scanDelivery(sc interface{ Scan(...any) error }, d *Delivery) error {
	var created int64
	var last, next, sent sql.NullInt64
	if err := sc.Scan(&d.ID, &created, &d.Channel, &d.Kind, &d.Recipients, &d.Ref, &d.Event, &d.Subject, &d.Payload, &d.Status,
		&d.Attempts, &d.LastError, &last, &next, &sent); err != nil {
		return err
	}
	d.CreatedAt = time.UnixMicro(created).UTC()
	d.LastAttemptAt, d.NextAttemptAt, d.SentAt = fromMicros(last), fromMicros(next), fromMicros(sent)
	return nil
}

// CreateDelivery stores a new delivery and sets its id.
func (s *Store) CreateDelivery(ctx context.Context, d *Delivery) error {
	err := s.recordWrite(ctx, func(c dbConn) error {
		return c.QueryRowContext(ctx, s.rebind(`INSERT INTO notify_deliveries (created_at, channel, kind, recipients, ref, event, subject,
			payload, status, attempts, last_error, last_attempt_at, next_attempt_at, sent_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), d.CreatedAt.UnixMicro(), d.Channel, d.Kind, d.Recipients,
			d.Ref, d.Event, d.Subject, d.Payload, d.Status, d.Attempts, d.LastError, micros(d.LastAttemptAt), micros(d.NextAttemptAt),
			micros(d.SentAt)).Scan(&d.ID)
	})
	if err != nil {
		return fmt.Errorf("recording delivery on %s: %w", d.Channel, err)
	}
	return nil
}

// UpdateDelivery records the outcome of an attempt.
func (s *Store) UpdateDelivery(ctx context.Context, d Delivery) error {
	return s.recordWrite(ctx, func(c dbConn) error {
		res, err := c.ExecContext(ctx, s.rebind(`UPDATE notify_deliveries SET status = ?, attempts = ?, last_error = ?, last_attempt_at = ?,
			next_attempt_at = ?, sent_at = ? WHERE id = ?`), d.Status, d.Attempts, d.LastError, micros(d.LastAttemptAt),
			micros(d.NextAttemptAt), micros(d.SentAt), d.ID)
		if err != nil {
			return fmt.Errorf("updating delivery %d: %w", d.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("delivery %d: %w", d.ID, ErrNotFound)
		}
		return nil
	})
}

// ClaimDelivery takes a retrying delivery whose next attempt is due for
// the caller until leaseUntil; it reports false when another process took
// it first (several replicas share one PostgreSQL).
func (s *Store) ClaimDelivery(ctx context.Context, d Delivery, leaseUntil time.Time) (bool, error) {
	claimed := false
	err := s.recordWrite(ctx, func(c dbConn) error {
		res, err := c.ExecContext(ctx, s.rebind(`UPDATE notify_deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'retrying'
			AND next_attempt_at = ?`), leaseUntil.UnixMicro(), d.ID, micros(d.NextAttemptAt))
		if err != nil {
			return fmt.Errorf("claiming delivery %d: %w", d.ID, err)
		}
		n, _ := res.RowsAffected()
		claimed = n == 1
		return nil
	})
	return claimed, err
}

// DeliveryByID returns one delivery.
func (s *Store) DeliveryByID(ctx context.Context, id int64) (Delivery, error) {
	var d Delivery
	err := scanDelivery(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+deliveryColumns+` FROM notify_deliveries WHERE id = ?`), id), &d)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("delivery %d: %w", id, ErrNotFound)
	}
	return d, err
}

// DueDeliveries returns retrying deliveries whose next attempt is due at
// now, oldest due first.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error) {
	return s.deliveries(ctx, ` WHERE status = 'retrying' AND next_attempt_at <= ? ORDER BY next_attempt_at, id`, limit, now.UnixMicro())
}

// Deliveries returns deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	var w where
	if f.Ref != "" {
		w.add("ref = ?", f.Ref)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	return s.deliveries(ctx, w.String()+` ORDER BY id DESC`, f.Limit, w.args...)
}

func (s *Store) deliveries(ctx context.Context, tail string, limit int, args ...any) ([]Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT `+deliveryColumns+` FROM notify_deliveries`+tail+fmt.Sprintf(` LIMIT %d`, limit)), args...)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		if err := scanDelivery(rows, &d); err != nil {
			return nil, fmt.Errorf("listing deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
