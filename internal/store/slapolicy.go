package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// StoredPolicy is one stored SLA policy version and its state. Versions are
// never edited: a version is disabled instead, which keeps it for the record
// and leaves it out of the timeline that judges clocks.
type StoredPolicy struct {
	model.SLAPolicy
	DisabledAt     time.Time `json:"disabled_at,omitzero"`
	DisabledBy     string    `json:"disabled_by,omitempty"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
	// Problem says why the version cannot judge clocks: it fails
	// sla.Validate, or its stored text does not decode. Empty when it can.
	Problem string `json:"problem,omitempty"`
}

// Disabled reports whether the version was disabled.
func (p StoredPolicy) Disabled() bool { return !p.DisabledAt.IsZero() }

// readPolicies reads the stored versions by name and version, with the
// problem of each that cannot judge clocks; enabledOnly leaves disabled
// versions out. It fails only when the database does.
func readPolicies(ctx context.Context, q querier, s *Store, enabledOnly bool) ([]StoredPolicy, error) {
	query := `SELECT name, version, effective_from, targets, pause_statuses, calendar, disabled_at, disabled_by, disabled_reason
		FROM sla_policies`
	if enabledOnly {
		query += ` WHERE disabled_at IS NULL`
	}
	rows, err := q.QueryContext(ctx, s.rebind(query+` ORDER BY name, version`))
	if err != nil {
		return nil, fmt.Errorf("reading SLA policies: %w", err)
	}
	defer rows.Close()
	var out []StoredPolicy
	for rows.Next() {
		var p StoredPolicy
		var eff int64
		var disabled sql.NullInt64
		var targets, pauses, cal string
		if err := rows.Scan(&p.Name, &p.Version, &eff, &targets, &pauses, &cal, &disabled, &p.DisabledBy, &p.DisabledReason); err != nil {
			return nil, fmt.Errorf("reading SLA policies: %w", err)
		}
		p.EffectiveFrom, p.DisabledAt = time.UnixMicro(eff).UTC(), fromMicros(disabled)
		var problems []string
		if err := decodeJSONText(targets, &p.Targets); err != nil {
			problems = append(problems, "targets: "+err.Error())
		}
		if err := decodeJSONText(pauses, &p.PauseStatuses); err != nil {
			problems = append(problems, "pause_statuses: "+err.Error())
		}
		if cal != "" {
			p.Calendar = &model.BusinessHours{}
			if err := decodeJSONText(cal, p.Calendar); err != nil {
				problems = append(problems, "calendar: "+err.Error())
			}
		}
		if len(problems) == 0 {
			if err := sla.Validate(p.SLAPolicy); err != nil {
				problems = append(problems, err.Error())
			}
		}
		p.Problem = strings.Join(problems, "; ")
		out = append(out, p)
	}
	return out, rows.Err()
}

// loadPolicies reads the enabled SLA policy versions into the timeline
// that judges clocks (see sla.Load). A version that cannot judge is left
// out with a warning: one bad stored version never stops a report or an
// ingest. It is nil when no version is stored.
func loadPolicies(ctx context.Context, q querier, s *Store) (*sla.Policies, error) {
	stored, err := readPolicies(ctx, q, s, true)
	if err != nil {
		return nil, err
	}
	var versions []model.SLAPolicy
	var warnings []string
	for _, p := range stored {
		if p.Problem != "" && p.Targets == nil {
			// Undecodable: Load cannot even name what is wrong with it.
			warnings = append(warnings, fmt.Sprintf("SLA policy %q version %d left out: %s", p.Name, p.Version, p.Problem))
			continue
		}
		versions = append(versions, p.SLAPolicy)
	}
	return sla.Load(versions, warnings...), nil
}

// Policies returns the timeline of enabled SLA policy versions (nil when
// none is stored); versions that cannot judge clocks are left out and
// named in its Warnings.
func (s *Store) Policies(ctx context.Context) (*sla.Policies, error) {
	return loadPolicies(ctx, s.r, s)
}

// SLAPolicies returns every stored SLA policy version, disabled ones
// included, by name and version.
func (s *Store) SLAPolicies(ctx context.Context) ([]StoredPolicy, error) {
	return readPolicies(ctx, s.r, s, false)
}

// ErrAlreadyDisabled is returned when disabling a version disabled before.
var ErrAlreadyDisabled = errors.New("already disabled")

// DisableSLAPolicy disables one version: it stays stored, and the clocks
// it judged are judged again by the versions left. by names who did it.
func (s *Store) DisableSLAPolicy(ctx context.Context, name string, version int, by, reason string) error {
	_, err := s.write(ctx, func(a *applier) error {
		var disabled sql.NullInt64
		err := a.queryRow(`SELECT disabled_at FROM sla_policies WHERE name = ? AND version = ?`, name, version).Scan(&disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("SLA policy %q version %d: %w", name, version, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("reading SLA policy %q version %d: %w", name, version, err)
		}
		if disabled.Valid {
			return fmt.Errorf("SLA policy %q version %d: %w", name, version, ErrAlreadyDisabled)
		}
		if _, err := a.exec(`UPDATE sla_policies SET disabled_at = ?, disabled_by = ?, disabled_reason = ? WHERE name = ? AND version = ?`,
			a.now.UnixMicro(), by, reason, name, version); err != nil {
			return fmt.Errorf("disabling SLA policy %q version %d: %w", name, version, err)
		}
		return a.queueAllFacts()
	})
	return err
}

// queueAllFacts queues every case's facts for RefreshFacts, after a change
// to the SLA policies that may change any clock's outcome.
func (a *applier) queueAllFacts() error {
	if _, err := a.exec(`INSERT INTO facts_pending (case_id) SELECT case_id FROM case_facts WHERE true
		ON CONFLICT (case_id) DO NOTHING`); err != nil {
		return fmt.Errorf("queueing SLA outcomes for recomputation: %w", err)
	}
	return nil
}

// settingJudgedAt names the setting holding when the open clocks' facts
// were last checked against the policy timeline (microseconds).
const settingJudgedAt = "sla_judged_at"

// recheckOpenClocks queues the facts of every case with a running clock
// when a policy version took effect since the last check: a running
// clock's facts say when it turns at risk and overdue under the version in
// force when they were computed, and a version taking effect meanwhile (a
// change scheduled in advance) may move those instants. It reads first and
// writes only when a version took effect.
func (s *Store) recheckOpenClocks(ctx context.Context, now time.Time) error {
	last, err := s.Setting(ctx, settingJudgedAt)
	if err != nil {
		return err
	}
	pols, err := s.Policies(ctx)
	if err != nil {
		return err
	}
	var since time.Time
	if last != "" {
		var us int64
		if _, err := fmt.Sscan(last, &us); err == nil {
			since = time.UnixMicro(us)
		}
	}
	next, ok := pols.NextChange(since)
	if last != "" && (!ok || next.After(now)) {
		return nil
	}
	// Derived: it queues facts and notes the check, the data stay as they are.
	_, err = s.writeDerived(ctx, func(a *applier) error {
		if last != "" {
			if _, err := a.exec(`INSERT INTO facts_pending (case_id) SELECT case_id FROM case_facts
				WHERE done = 0 OR ack_at IS NULL ON CONFLICT (case_id) DO NOTHING`); err != nil {
				return fmt.Errorf("queueing running SLA clocks for recomputation: %w", err)
			}
		}
		if _, err := a.exec(`INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, settingJudgedAt, fmt.Sprint(now.UnixMicro())); err != nil {
			return fmt.Errorf("saving when SLA clocks were checked: %w", err)
		}
		return nil
	})
	return err
}
