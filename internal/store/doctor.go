package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Check states are ordered by severity.
const (
	CheckOK   = "ok"
	CheckWarn = "warn"
	CheckFail = "fail"
)

// Check is one finding of Diagnose: what was checked, its state and what
// was found.
type Check struct {
	Name   string `json:"name"`
	State  string `json:"state"` // ok, warn or fail
	Detail string `json:"detail"`
}

// Diagnosis is what Diagnose found in a store, without changing it.
type Diagnosis struct {
	Engine        Engine           `json:"engine"`
	SchemaVersion int              `json:"schema_version"`
	Applied       []int            `json:"migrations_applied"`
	Pending       []int            `json:"migrations_pending"`
	Unknown       []int            `json:"migrations_unknown"`
	Counts        map[string]int64 `json:"counts"`
	Checks        []Check          `json:"checks"`
}

// Add records a finding.
func (d *Diagnosis) Add(name, state, detail string) {
	d.Checks = append(d.Checks, Check{Name: name, State: state, Detail: detail})
}

// OK reports whether no check failed.
func (d *Diagnosis) OK() bool {
	return !slices.ContainsFunc(d.Checks, func(c Check) bool { return c.State == CheckFail })
}

// Migrations lists the versions of the migrations this build carries for
// an engine, ascending.
func Migrations(e Engine) ([]int, error) {
	entries, err := fs.ReadDir(migrations, "migrations/"+string(e))
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var out []int
	for _, en := range entries {
		v, err := strconv.Atoi(strings.SplitN(en.Name(), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", en.Name())
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// OpenInspect opens an existing store for reading without migrating it,
// so its migration state can be reported as found. A missing SQLite file
// or a PostgreSQL database without Watchfloor's tables is an error.
func OpenInspect(ctx context.Context, dsn string) (*Store, error) {
	ok, err := Exists(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("no store at %s", Redact(dsn))
	}
	if !IsPostgres(dsn) {
		return OpenReadOnly(ctx, dsn)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	return &Store{engine: Postgres, w: db, r: db, Statuses: model.DefaultStatusMap}, nil
}

// Diagnose checks a store opened with OpenInspect (or Open) and changes
// nothing: the database's integrity (SQLite's full integrity and foreign
// key checks), its migrations against this build's (pending ones are
// applied by the next command that writes; ones this build does not know
// mean a newer release wrote the store), the row counts, records dated
// ahead of now, and, on PostgreSQL, the skew between the database's clock
// and this machine's.
func (s *Store) Diagnose(ctx context.Context, now time.Time) (*Diagnosis, error) {
	d := &Diagnosis{Engine: s.engine}
	if s.engine == SQLite {
		problems, err := integrityCheck(ctx, s.r)
		switch {
		case err != nil:
			d.Add("integrity", CheckFail, "the integrity check could not run: "+err.Error())
		case len(problems) > 0:
			d.Add("integrity", CheckFail, strings.Join(problems, "; "))
		default:
			d.Add("integrity", CheckOK, "SQLite integrity_check: ok")
		}
		n, err := foreignKeyProblems(ctx, s.r)
		switch {
		case err != nil:
			d.Add("foreign keys", CheckFail, "the foreign key check could not run: "+err.Error())
		case n > 0:
			d.Add("foreign keys", CheckFail, fmt.Sprintf("%d rows refer to rows that do not exist", n))
		default:
			d.Add("foreign keys", CheckOK, "every reference resolves")
		}
	} else {
		d.Add("integrity", CheckOK, "pages not checked on PostgreSQL (pg_amcheck does); every table read")
	}

	have, err := Migrations(s.engine)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		d.Add("migrations", CheckFail, "no migration history: not a Watchfloor store ("+err.Error()+")")
		return d, nil
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading applied migrations: %w", err)
		}
		d.Applied = append(d.Applied, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading applied migrations: %w", err)
	}
	if len(d.Applied) > 0 {
		d.SchemaVersion = d.Applied[len(d.Applied)-1]
	}
	for _, v := range have {
		if !slices.Contains(d.Applied, v) {
			d.Pending = append(d.Pending, v)
		}
	}
	for _, v := range d.Applied {
		if !slices.Contains(have, v) {
			d.Unknown = append(d.Unknown, v)
		}
	}
	switch {
	case len(d.Unknown) > 0:
		d.Add("migrations", CheckFail, fmt.Sprintf("applied migrations this build does not have: %s — a newer release wrote this store; run that release (downgrades are not supported)", versionList(d.Unknown)))
	case len(d.Pending) > 0:
		d.Add("migrations", CheckWarn, fmt.Sprintf("%d of %d migrations pending (%s): any other command of this build applies them when it opens the store", len(d.Pending), len(have), versionList(d.Pending)))
	default:
		d.Add("migrations", CheckOK, fmt.Sprintf("all %d migrations applied (schema version %04d)", len(have), d.SchemaVersion))
	}

	d.Counts = map[string]int64{}
	var missing []string
	for _, t := range Tables {
		var n int64
		// Table names come from the fixed list, never from input.
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			missing = append(missing, t)
			continue
		}
		d.Counts[t] = n
	}
	switch {
	case len(missing) > 0 && len(d.Pending) > 0:
		d.Add("tables", CheckWarn, "tables of pending migrations not there yet: "+strings.Join(missing, ", "))
	case len(missing) > 0:
		d.Add("tables", CheckFail, "tables missing although every migration is applied: "+strings.Join(missing, ", "))
	default:
		d.Add("tables", CheckOK, fmt.Sprintf("%d alerts, %d cases, %d case events", d.Counts["alerts"], d.Counts["cases"], d.Counts["case_events"]))
	}

	if len(d.Pending) == 0 {
		if line, err := s.retentionLine(ctx); err != nil {
			d.Add("retention", CheckFail, err.Error())
		} else if line != "" {
			d.Add("retention", CheckOK, line)
		}
	}
	if f, err := s.FutureRecords(ctx, now.Add(5*time.Minute)); err != nil {
		d.Add("clock", CheckFail, err.Error())
	} else if f.Alerts+f.Cases > 0 {
		d.Add("clock", CheckWarn, fmt.Sprintf("%d alerts and %d cases are dated more than 5 minutes ahead of this machine's clock (newest %s): a source's clock or this one is wrong",
			f.Alerts, f.Cases, f.Newest.Format(time.RFC3339)))
	} else {
		d.Add("clock", CheckOK, "no record dated ahead of this machine's clock")
	}
	if s.engine == Postgres {
		var dbNow time.Time
		if err := s.r.QueryRowContext(ctx, `SELECT now()`).Scan(&dbNow); err != nil {
			d.Add("clock skew", CheckFail, "reading the database's clock: "+err.Error())
		} else if skew := dbNow.Sub(now).Abs(); skew > 30*time.Second {
			d.Add("clock skew", CheckWarn, fmt.Sprintf("the database's clock is %s from this machine's: SLA clocks and freshness depend on both", skew.Round(time.Second)))
		} else {
			d.Add("clock skew", CheckOK, fmt.Sprintf("the database's clock is within %s of this machine's", skew.Round(time.Millisecond)))
		}
	}
	return d, nil
}

// foreignKeyProblems counts the rows PRAGMA foreign_key_check reports.
func foreignKeyProblems(ctx context.Context, db *sql.DB) (int, error) {
	rows, err := db.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

func versionList(vs []int) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%04d", v)
	}
	return strings.Join(parts, ", ")
}
