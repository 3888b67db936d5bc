package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/staffing/handle"
)

// SettingTimeZone names the organisation's IANA time zone: KPI days and ISO
// weeks are counted in it. UTC when unset.
const SettingTimeZone = "timezone"

// Setting returns a setting's value, or "" when unset.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, s.rebind(`SELECT value FROM settings WHERE name = ?`), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading setting %s: %w", name, err)
	}
	return v, nil
}

// TimeZone is the organisation's time zone.
func (s *Store) TimeZone(ctx context.Context) (*time.Location, error) {
	v, err := s.Setting(ctx, SettingTimeZone)
	if err != nil || v == "" {
		return time.UTC, err
	}
	return time.LoadLocation(v)
}

// SetTimeZone changes the organisation's time zone and re-buckets every
// case's KPI day accordingly; all rollups are rebuilt on their next read.
func (s *Store) SetTimeZone(ctx context.Context, name string) error {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", name, err)
	}
	// Re-bucketing rebuilds every day's aggregates from the stored rows;
	// once retention removed alerts, the days before its horizon cannot be.
	if pruned, err := s.AlertsPrunedBefore(ctx); err != nil {
		return err
	} else if cur, err := s.TimeZone(ctx); err != nil {
		return err
	} else if !pruned.IsZero() && cur.String() != loc.String() {
		return fmt.Errorf("time zone %q: retention removed alerts before %s, whose daily aggregates in %s cannot be rebuilt in another time zone",
			name, pruned.Format(time.RFC3339), cur)
	}
	_, err = s.write(ctx, func(a *applier) error {
		if _, err := a.exec(`INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, SettingTimeZone, loc.String()); err != nil {
			return fmt.Errorf("saving time zone: %w", err)
		}
		if err := a.loadKPIContext(); err != nil {
			return err
		}
		a.tz = loc
		rows, err := a.query(`SELECT case_id, created_at, ht_pause FROM case_facts WHERE created_at IS NOT NULL`)
		if err != nil {
			return fmt.Errorf("re-bucketing case facts: %w", err)
		}
		type upd struct {
			id, day int64
			pause   string
		}
		var ups []upd
		for rows.Next() {
			var u upd
			var created int64
			if err := rows.Scan(&u.id, &created, &u.pause); err != nil {
				rows.Close()
				return fmt.Errorf("re-bucketing case facts: %w", err)
			}
			u.day = DayOf(time.UnixMicro(created), loc)
			ups = append(ups, u)
		}
		rows.Close()
		for _, u := range ups {
			if _, err := a.exec(`UPDATE case_facts SET day = ? WHERE case_id = ?`, u.day, u.id); err != nil {
				return fmt.Errorf("re-bucketing case facts: %w", err)
			}
			// A kept handle time is measured with the pause statuses of
			// its day's policy: on another day, another version may rule.
			if handle.PauseKey(a.eval.Policies.InForce(dayStart(u.day, loc)).PauseStatuses) != u.pause {
				if a.touched == nil {
					a.touched = map[int64]bool{}
				}
				a.touched[u.id] = true
			}
		}
		if err := a.queueFacts(); err != nil {
			return err
		}
		// Every day is marked again above any version it had: a stored part,
		// or one a server keeps decoded, is current only while its version
		// is its day's, and a report builds a day's dimensions as it asks
		// for them, so no version may come back.
		var top int64
		if err := a.queryRow(`SELECT COALESCE(MAX(version), 0) FROM rollup_days`).Scan(&top); err != nil {
			return fmt.Errorf("clearing rollups: %w", err)
		}
		if _, err := a.exec(`DELETE FROM rollup_parts`); err != nil {
			return fmt.Errorf("clearing rollups: %w", err)
		}
		if _, err := a.exec(`DELETE FROM rollup_days`); err != nil {
			return fmt.Errorf("clearing rollups: %w", err)
		}
		for _, kind := range []string{RollupCases, RollupAlerts} {
			if err := a.markAllDays(kind); err != nil {
				return err
			}
		}
		if _, err := a.exec(`UPDATE rollup_days SET version = version + ?`, top); err != nil {
			return fmt.Errorf("clearing rollups: %w", err)
		}
		// Alerts fall on other local days now: their kept rollups are
		// counted again from the rows.
		_, err = a.rebuildAlertRollups()
		return err
	})
	return err
}

// DayOf is t's date in loc as YYYYMMDD.
func DayOf(t time.Time, loc *time.Location) int64 {
	if t.IsZero() {
		return 0
	}
	y, m, d := t.In(loc).Date()
	return int64(y*10000 + int(m)*100 + d)
}
