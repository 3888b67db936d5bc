package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// SettingAlertsPrunedBefore records, as Unix microseconds, the start of the
// first organisation day whose alerts retention kept in full: the alert
// rollups of earlier days are never rebuilt from the rows left (see
// RebuildAlertRollups), as they still count the removed alerts.
const SettingAlertsPrunedBefore = "retention.alerts_pruned_before"

// pruneChunk is how many ids one pruning transaction covers, so a writer
// (ingest, serve) waits at most one short transaction.
const pruneChunk = 5000

// PruneCount is what one retention step changed (or would change, in a
// dry run).
type PruneCount struct {
	Rows  int64 `json:"rows"`
	Bytes int64 `json:"bytes"` // of the removed text, where it is measured
}

// RawPruned counts the raw source payloads cleared, per table.
type RawPruned struct {
	Before   time.Time  `json:"before"`
	Alerts   PruneCount `json:"alerts"`
	Cases    PruneCount `json:"cases"`
	Findings PruneCount `json:"findings"`
}

// rawTables are the tables with a raw source payload and the time that
// dates a row.
var rawTables = []struct{ table, at string }{
	{"alerts", "COALESCE(created_at, ingested_at)"},
	{"cases", "COALESCE(created_at, ingested_at)"},
	{"findings", "COALESCE(last_seen_at, first_seen_at, ingested_at)"},
}

// PruneRawPayloads clears the raw source record (the JSON or CSV row as
// received) of every alert, case and finding dated before before. Nothing
// Watchfloor computes reads it: every field it models stays, so KPIs,
// reports and re-ingest behave the same; before is recorded as the
// watermark SettingRawPrunedBefore. With dry set it only counts.
// The work goes in transactions of pruneChunk ids.
func (s *Store) PruneRawPayloads(ctx context.Context, before time.Time, dry bool) (RawPruned, error) {
	out := RawPruned{Before: before}
	counts := []*PruneCount{&out.Alerts, &out.Cases, &out.Findings}
	for i, t := range rawTables {
		// Table and column expressions come from the fixed list above.
		cond := t.at + ` < ? AND raw <> ''`
		if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*), COALESCE(SUM(octet_length(raw)), 0) FROM `+t.table+` WHERE `+cond),
			before.UnixMicro()).Scan(&counts[i].Rows, &counts[i].Bytes); err != nil {
			return out, fmt.Errorf("counting raw payloads of %s: %w", t.table, err)
		}
		if dry || counts[i].Rows == 0 {
			continue
		}
		if _, err := s.write(ctx, func(a *applier) error { return a.raiseWatermark(SettingRawPrunedBefore, before) }); err != nil {
			return out, err
		}
		if err := s.eachIDRange(ctx, t.table, func(a *applier, lo, hi int64) error {
			_, err := a.exec(`UPDATE `+t.table+` SET raw = '' WHERE id >= ? AND id < ? AND `+cond, lo, hi, before.UnixMicro())
			return err
		}); err != nil {
			return out, fmt.Errorf("clearing raw payloads of %s: %w", t.table, err)
		}
	}
	return out, nil
}

// eachIDRange runs fn in one write transaction per range of pruneChunk
// ids of table, from its smallest id to its largest.
func (s *Store) eachIDRange(ctx context.Context, table string, fn func(a *applier, lo, hi int64) error) error {
	var lo, hi sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MIN(id), MAX(id) FROM `+table).Scan(&lo, &hi); err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	for start := lo.Int64; start <= hi.Int64; start += pruneChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := s.write(ctx, func(a *applier) error { return fn(a, start, start+pruneChunk) }); err != nil {
			return err
		}
	}
	return nil
}

// AlertsPruned counts the alerts retention removed and those it kept.
type AlertsPruned struct {
	Before time.Time `json:"before"`
	// Alerts were removed with their change history (AlertEvents).
	Alerts      int64 `json:"alerts"`
	AlertEvents int64 `json:"alert_events"`
	// Kept are older alerts retention keeps: linked to a case (a case's
	// KPIs and log refer to them) or matched by threat intelligence.
	Kept int64 `json:"kept"`
}

// prunableAlerts selects the alerts retention may remove: created before
// the bound (first ?), not linked to a case, not matched by an indicator.
const prunableAlerts = `created_at < ? AND case_id IS NULL AND case_ext_id = ''
	AND NOT EXISTS (SELECT 1 FROM intel_matches m WHERE m.alert_id = alerts.id)`

// PruneAlerts removes alerts created before before (the start of an
// organisation day) that belong to no case and matched no indicator,
// with their change history. The alert rollups kept at ingest are not
// touched (a delete does not subtract), so alert volumes, rule quality and
// technique counts of those days are unchanged; the store records before
// as SettingAlertsPrunedBefore, so a rebuild of the rollups from the rows
// leaves the earlier days alone. With dry set it only counts.
func (s *Store) PruneAlerts(ctx context.Context, before time.Time, dry bool) (AlertsPruned, error) {
	out := AlertsPruned{Before: before}
	b := before.UnixMicro()
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM alerts WHERE `+prunableAlerts), b).Scan(&out.Alerts); err != nil {
		return out, fmt.Errorf("counting prunable alerts: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM alert_events WHERE alert_id IN (SELECT id FROM alerts WHERE `+prunableAlerts+`)`), b).Scan(&out.AlertEvents); err != nil {
		return out, fmt.Errorf("counting prunable alert events: %w", err)
	}
	var older int64
	if err := s.r.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM alerts WHERE created_at < ?`), b).Scan(&older); err != nil {
		return out, fmt.Errorf("counting old alerts: %w", err)
	}
	out.Kept = older - out.Alerts
	if dry || out.Alerts == 0 {
		return out, nil
	}
	// The horizon first: from here on no earlier alert day is rebuilt.
	if _, err := s.write(ctx, func(a *applier) error { return a.raiseWatermark(SettingAlertsPrunedBefore, before) }); err != nil {
		return out, fmt.Errorf("recording the retention horizon: %w", err)
	}
	err := s.eachIDRange(ctx, "alerts", func(a *applier, lo, hi int64) error {
		sel := `SELECT id FROM alerts WHERE id >= ? AND id < ? AND ` + prunableAlerts
		if _, err := a.exec(`DELETE FROM alert_events WHERE alert_id IN (`+sel+`)`, lo, hi, b); err != nil {
			return err
		}
		_, err := a.exec(`DELETE FROM alerts WHERE id IN (`+sel+`)`, lo, hi, b)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("removing alerts: %w", err)
	}
	return out, nil
}

// AlertsPrunedBefore is the retention horizon of alerts (zero when
// retention never removed any).
func (s *Store) AlertsPrunedBefore(ctx context.Context) (time.Time, error) {
	v, err := s.Setting(ctx, SettingAlertsPrunedBefore)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("setting %s: %q is not a time", SettingAlertsPrunedBefore, v)
	}
	return time.UnixMicro(n).UTC(), nil
}
