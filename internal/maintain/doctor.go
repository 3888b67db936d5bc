package maintain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/store"
)

// readOnly is a store the report engine can read without writing: facts
// are not refreshed and rebuilt days are not saved. With rebuild, every
// day reads as unbuilt, so the engine recomputes
// it from the rows it is made of.
type readOnly struct {
	*store.Store
	rebuild bool
}

func (r readOnly) RefreshFacts(context.Context) (int, error) { return 0, nil }

func (r readOnly) SaveRollupParts(context.Context, string, int64, int64, map[string]string) error {
	return nil
}

func (r readOnly) SaveRollupSpan(context.Context, string, int64, int64, string, int64, string) error {
	return nil
}

func (r readOnly) RollupVersions(ctx context.Context, kind string, from, to int64) ([]store.RollupDay, error) {
	days, err := r.Store.RollupVersions(ctx, kind, from, to)
	if r.rebuild {
		for i := range days {
			days[i].BuiltVersion, days[i].Data = -1, ""
		}
	}
	return days, err
}

// RollupCheck is what CheckRollups compared.
type RollupCheck struct {
	CaseDays  int `json:"case_days"`
	AlertDays int `json:"alert_days"`
	// RawAlertDays counts the days whose alert rollups kept at ingest were
	// compared with the raw alert rows.
	RawAlertDays int `json:"raw_alert_days"`
	// StaffingHours counts the staffing model's kept handle-time hours
	// compared with the rows (the newest sample × 24), StaffingQuarters the
	// quarter hours of kept case arrivals.
	StaffingHours    int      `json:"staffing_hours"`
	StaffingQuarters int      `json:"staffing_quarters"`
	Mismatches       []string `json:"mismatches"`
}

// CheckRollups recomputes the stored day aggregates of the newest sample
// built days of each kind from what they are made of (case facts and
// their logs; the alert rollups kept at ingest) and compares every report
// of each day — KPIs by each grouping, rule quality — with the one the
// stored aggregates give, and the staffing model's kept history of the
// newest sample days with its rows (store.CheckStaffingHistory). It
// writes nothing.
func CheckRollups(ctx context.Context, st *store.Store, sample int) (RollupCheck, error) {
	rc := RollupCheck{Mismatches: []string{}}
	loc, err := st.TimeZone(ctx)
	if err != nil {
		return rc, err
	}
	var horizon int64
	if before, err := st.AlertsPrunedBefore(ctx); err != nil {
		return rc, err
	} else if !before.IsZero() {
		horizon = store.DayOf(before, loc)
	}
	sh, err := st.CheckStaffingHistory(ctx, 24*sample)
	if err != nil {
		return rc, err
	}
	rc.StaffingHours, rc.StaffingQuarters = sh.Hours, sh.Quarters
	rc.Mismatches = append(rc.Mismatches, sh.Mismatches...)
	stored := &metrics.Engine{Store: readOnly{Store: st}}
	fresh := &metrics.Engine{Store: readOnly{Store: st, rebuild: true}}
	now := time.Now()
	for _, kind := range []string{store.RollupCases, store.RollupAlerts} {
		days, err := st.RollupVersions(ctx, kind, 0, 99991231)
		if err != nil {
			return rc, err
		}
		if kind == store.RollupAlerts {
			// The alert rollups kept at ingest against the raw alert rows,
			// on the newest days after the retention horizon (days before
			// it count removed alerts), built into day parts or not.
			raw := slices.DeleteFunc(slices.Clone(days), func(d store.RollupDay) bool { return horizon != 0 && d.Day < horizon })
			if len(raw) > sample {
				raw = raw[len(raw)-sample:]
			}
			for _, d := range raw {
				kept, err := st.AlertRollups(ctx, d.Day)
				if err != nil {
					return rc, err
				}
				scanned, err := st.ScanAlertRollups(ctx, d.Day)
				if err != nil {
					return rc, err
				}
				k, _ := json.Marshal(kept)
				r, _ := json.Marshal(scanned)
				if !bytes.Equal(k, r) {
					rc.Mismatches = append(rc.Mismatches, fmt.Sprintf("alert rollups %d (kept at ingest ≠ raw alerts)", d.Day))
				}
				rc.RawAlertDays++
			}
		}
		days = slices.DeleteFunc(days, func(d store.RollupDay) bool { return d.Stale() })
		if len(days) > sample {
			days = days[len(days)-sample:]
		}
		for _, d := range days {
			from := time.Date(int(d.Day/10000), time.Month(d.Day/100%100), int(d.Day%100), 0, 0, 0, 0, loc)
			w := metrics.Window{From: from, To: from.AddDate(0, 0, 1)}
			render := func(e *metrics.Engine) ([]byte, error) {
				var b bytes.Buffer
				enc := json.NewEncoder(&b)
				if kind == store.RollupAlerts {
					rep, err := e.Rules(ctx, w)
					if err != nil {
						return nil, err
					}
					return b.Bytes(), enc.Encode(rep)
				}
				for _, g := range append([]string{""}, metrics.GroupBys...) {
					rep, err := e.Performance(ctx, metrics.Request{Window: w, GroupBy: g, Now: now})
					if err != nil {
						return nil, err
					}
					if err := enc.Encode(rep); err != nil {
						return nil, err
					}
				}
				return b.Bytes(), nil
			}
			a, err := render(stored)
			if err != nil {
				return rc, fmt.Errorf("reading the stored %s aggregate of %d: %w", kind, d.Day, err)
			}
			b, err := render(fresh)
			if err != nil {
				return rc, fmt.Errorf("recomputing the %s aggregate of %d: %w", kind, d.Day, err)
			}
			if !bytes.Equal(a, b) {
				rc.Mismatches = append(rc.Mismatches, fmt.Sprintf("%s %d", kind, d.Day))
			}
			if kind == store.RollupCases {
				rc.CaseDays++
			} else {
				rc.AlertDays++
			}
		}
	}
	return rc, nil
}

// AddRollupCheck runs CheckRollups and records its finding in d.
func AddRollupCheck(ctx context.Context, st *store.Store, d *store.Diagnosis, sample int) {
	if len(d.Pending) > 0 {
		d.Add("rollups", store.CheckWarn, "not compared: migrations are pending")
		return
	}
	rc, err := CheckRollups(ctx, st, sample)
	switch {
	case err != nil:
		d.Add("rollups", store.CheckFail, err.Error())
	case len(rc.Mismatches) > 0:
		d.Add("rollups", store.CheckFail, fmt.Sprintf("stored day aggregates differ from their raw rows: %s — they are rebuilt when the days change; report the store to the developers",
			strings.Join(rc.Mismatches, ", ")))
	case rc.CaseDays+rc.AlertDays == 0:
		d.Add("rollups", store.CheckOK, "no stored day aggregate to compare yet")
	default:
		d.Add("rollups", store.CheckOK, fmt.Sprintf("the newest %d case days and %d alert days recomputed equal the stored aggregates; the alert rollups kept at ingest of %d days equal their raw alert rows; the staffing history kept for %d hours and %d quarter hours equals its rows",
			rc.CaseDays, rc.AlertDays, rc.RawAlertDays, rc.StaffingHours, rc.StaffingQuarters))
	}
}
