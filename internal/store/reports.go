package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// StoredReport is a generated report: what it covers, when and by whom it
// was made, and its JSON document (empty in lists).
type StoredReport struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Period      string    `json:"period"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	GeneratedAt time.Time `json:"generated_at"`
	GeneratedBy string    `json:"generated_by"`
	// Schedule names the schedule that made it ("" when made on demand).
	Schedule string `json:"schedule,omitempty"`
	Doc      []byte `json:"-"`
}

// SaveReport stores a generated report and returns its id.
func (s *Store) SaveReport(ctx context.Context, r StoredReport) (int64, error) {
	var id int64
	err := s.recordWrite(ctx, func(c dbConn) error {
		return c.QueryRowContext(ctx, s.rebind(`INSERT INTO reports (kind, period, from_day, to_day, generated_at, generated_by, schedule, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), r.Kind, r.Period, r.From, r.To, r.GeneratedAt.UnixMicro(), r.GeneratedBy,
			r.Schedule, string(r.Doc)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("saving the %s report: %w", r.Kind, err)
	}
	return id, nil
}

const reportColumns = `id, kind, period, from_day, to_day, generated_at, generated_by, schedule`

func scanReport(sc interface{ Scan(...any) error }, r *StoredReport, doc *string) error {
	var at int64
	dst := []any{&r.ID, &r.Kind, &r.Period, &r.From, &r.To, &at, &r.GeneratedBy, &r.Schedule}
	if doc != nil {
		dst = append(dst, doc)
	}
	if err := sc.Scan(dst...); err != nil {
		return err
	}
	r.GeneratedAt = time.UnixMicro(at).UTC()
	return nil
}

// Reports lists the stored reports, newest first, without their
// documents; limit 0 lists all.
func (s *Store) Reports(ctx context.Context, offset, limit int) ([]StoredReport, int, error) {
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("counting reports: %w", err)
	}
	q := `SELECT ` + reportColumns + ` FROM reports ORDER BY generated_at DESC, id DESC`
	args := []any{}
	if limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, offset)
	}
	rows, err := s.r.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("reading reports: %w", err)
	}
	defer rows.Close()
	out := []StoredReport{}
	for rows.Next() {
		var r StoredReport
		if err := scanReport(rows, &r, nil); err != nil {
			return nil, 0, fmt.Errorf("reading reports: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// ReportByID returns a stored report with its document; ErrNotFound when
// there is none.
func (s *Store) ReportByID(ctx context.Context, id int64) (StoredReport, error) {
	var r StoredReport
	var doc string
	err := scanReport(s.r.QueryRowContext(ctx, s.rebind(`SELECT `+reportColumns+`, doc FROM reports WHERE id = ?`), id), &r, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("report %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("reading report %d: %w", id, err)
	}
	r.Doc = []byte(doc)
	return r, nil
}

// ReportSchedule is a report serve generates and sends on a schedule.
type ReportSchedule struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Period string `json:"period"`
	// Spec is the cron-like schedule (minute hour day-of-month month
	// day-of-week, organisation time zone).
	Spec string `json:"spec"`
	// Channels are notification channels; Recipients e-mail addresses
	// (the channels' own when empty).
	Channels   []string  `json:"channels"`
	Recipients []string  `json:"recipients"`
	NextRun    time.Time `json:"next_run"`
	LastRun    time.Time `json:"last_run,omitzero"`
	LastReport int64     `json:"last_report,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// CreateReportSchedule stores a schedule; ErrExists when the name is
// taken.
func (s *Store) CreateReportSchedule(ctx context.Context, r ReportSchedule) (int64, error) {
	var id int64
	err := s.recordWrite(ctx, func(c dbConn) error {
		return c.QueryRowContext(ctx, s.rebind(`INSERT INTO report_schedules (name, kind, period, spec, channels, recipients, next_run, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), r.Name, r.Kind, r.Period, r.Spec, strings.Join(r.Channels, ","),
			strings.Join(r.Recipients, ","), r.NextRun.UnixMicro(), r.CreatedBy, r.CreatedAt.UnixMicro()).Scan(&id)
	})
	if err != nil {
		if isUniqueViolation(err) {
			return 0, fmt.Errorf("report schedule %q: %w", r.Name, ErrExists)
		}
		return 0, fmt.Errorf("saving report schedule %q: %w", r.Name, err)
	}
	return id, nil
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// ReportSchedules lists the schedules by name.
func (s *Store) ReportSchedules(ctx context.Context) ([]ReportSchedule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, kind, period, spec, channels, recipients, next_run, last_run, last_report, last_error,
		created_by, created_at FROM report_schedules ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("reading report schedules: %w", err)
	}
	defer rows.Close()
	out := []ReportSchedule{}
	for rows.Next() {
		var r ReportSchedule
		var ch, rc string
		var next, last, created int64
		if err := rows.Scan(&r.ID, &r.Name, &r.Kind, &r.Period, &r.Spec, &ch, &rc, &next, &last, &r.LastReport, &r.LastError,
			&r.CreatedBy, &created); err != nil {
			return nil, fmt.Errorf("reading report schedules: %w", err)
		}
		r.Channels, r.Recipients = splitList(ch), splitList(rc)
		r.NextRun, r.CreatedAt = time.UnixMicro(next).UTC(), time.UnixMicro(created).UTC()
		if last != 0 {
			r.LastRun = time.UnixMicro(last).UTC()
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteReportSchedule removes a schedule by name; ErrNotFound when there
// is none. The reports it made stay.
func (s *Store) DeleteReportSchedule(ctx context.Context, name string) error {
	var n int64
	err := s.recordWrite(ctx, func(c dbConn) error {
		res, err := c.ExecContext(ctx, s.rebind(`DELETE FROM report_schedules WHERE name = ?`), name)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("removing report schedule %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("report schedule %q: %w", name, ErrNotFound)
	}
	return nil
}

// ClaimReportRun moves a schedule's next run from due to next if it is
// still due: true means this process runs the occurrence, false that
// another did (or the schedule changed).
func (s *Store) ClaimReportRun(ctx context.Context, id int64, due, next time.Time) (bool, error) {
	var n int64
	err := s.recordWrite(ctx, func(c dbConn) error {
		res, err := c.ExecContext(ctx, s.rebind(`UPDATE report_schedules SET next_run = ? WHERE id = ? AND next_run = ?`),
			next.UnixMicro(), id, due.UnixMicro())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claiming report schedule %d: %w", id, err)
	}
	return n == 1, nil
}

// FinishReportRun records how a run ended: the report it stored (0 for
// none) and the error ("" for none).
func (s *Store) FinishReportRun(ctx context.Context, id int64, at time.Time, report int64, errText string) error {
	err := s.recordWrite(ctx, func(c dbConn) error {
		_, err := c.ExecContext(ctx, s.rebind(`UPDATE report_schedules SET last_run = ?, last_report = ?, last_error = ? WHERE id = ?`),
			at.UnixMicro(), report, errText, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("recording report schedule %d's run: %w", id, err)
	}
	return nil
}
