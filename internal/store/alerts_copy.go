package store

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/watchfloor/watchfloor/internal/model"
)

// PostgreSQL writes a run of alerts through COPY: the rows go into a
// temporary table of the write's connection (alerts_in, emptied at every
// commit), and one INSERT … SELECT … ON CONFLICT DO NOTHING moves the new
// ones into alerts, in batch order. The stored versions of the others are
// read back in one join, for updateAlert to compare. All of it is in the
// batch's transaction: a crash or an error leaves nothing behind.

// alertsInDDL creates the staging table once per connection. It names its
// columns rather than copying alerts' shape, so a later migration of alerts
// cannot leave a long-lived connection's table behind.
const alertsInDDL = `CREATE TEMP TABLE IF NOT EXISTS alerts_in (
	ord         BIGINT NOT NULL,
	source      TEXT NOT NULL,
	external_id TEXT NOT NULL,
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	severity    BIGINT NOT NULL,
	status      TEXT NOT NULL,
	disposition TEXT NOT NULL,
	rule_id     TEXT NOT NULL,
	rule_name   TEXT NOT NULL,
	case_ext_id TEXT NOT NULL,
	case_id     BIGINT,
	occurred_at BIGINT,
	created_at  BIGINT,
	ingested_at BIGINT NOT NULL,
	entities    TEXT NOT NULL,
	techniques  TEXT NOT NULL,
	raw         TEXT NOT NULL
) ON COMMIT DELETE ROWS`

var alertsInColumns = []string{"ord", "source", "external_id", "title", "description", "severity", "status",
	"disposition", "rule_id", "rule_name", "case_ext_id", "case_id", "occurred_at", "created_at", "ingested_at",
	"entities", "techniques", "raw"}

const alertCopyColumns = `source, external_id, title, description, severity, status, disposition, rule_id, rule_name,
	case_ext_id, case_id, occurred_at, created_at, ingested_at, entities, techniques, raw`

// copyAlerts stages the alerts of chunk (distinct keys) with COPY and
// inserts the new ones. It returns those it inserted and the stored
// versions of the rest, by index in all.
func (a *applier) copyAlerts(all []model.Alert, chunk []int) ([]insertedAlert, map[int]*storedAlert, error) {
	caseIDs := make([]sql.NullInt64, len(chunk))
	for k, i := range chunk {
		id, err := a.alertCaseID(&all[i])
		if err != nil {
			return nil, nil, err
		}
		caseIDs[k] = nullInt(id)
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	ingested := a.now.UnixMicro()
	if !a.s.copyMiss.Load() {
		*bp = appendAlertCopy((*bp)[:0], all, chunk, caseIDs, ingested, false)
		ok, err := a.copyNewAlerts(*bp, len(chunk))
		if err != nil {
			return nil, nil, err
		}
		if ok {
			got := make([]insertedAlert, len(chunk))
			for k, i := range chunk {
				got[k] = insertedAlert{i: i, caseID: caseIDs[k]}
			}
			return got, nil, nil
		}
		a.s.copyMiss.Store(true)
	}
	*bp = appendAlertCopy((*bp)[:0], all, chunk, caseIDs, ingested, true)
	staged := a.staged
	err := a.pg.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		if _, err := c.Exec(a.ctx, alertsInDDL); err != nil {
			return err
		}
		if staged {
			// An earlier run of this transaction left its rows.
			if _, err := c.Exec(a.ctx, `DELETE FROM alerts_in`); err != nil {
				return err
			}
		}
		return copyBinary(a, c, `COPY alerts_in (`+strings.Join(alertsInColumns, ", ")+`) FROM STDIN BINARY`, *bp, len(chunk))
	})
	if err != nil {
		return nil, nil, fmt.Errorf("copying alerts: %w", err)
	}
	a.staged = true
	// RETURNING names exactly the rows this statement inserted, even when
	// another writer stores some of the same keys meanwhile.
	rs, err := a.tx.QueryContext(a.ctx, `INSERT INTO alerts (`+alertCopyColumns+`)
		SELECT `+alertCopyColumns+` FROM alerts_in ORDER BY ord
		ON CONFLICT (source, external_id) DO NOTHING RETURNING source, external_id`)
	if err != nil {
		return nil, nil, err
	}
	byKey := make(map[caseKey]int, len(chunk))
	for k, i := range chunk {
		byKey[caseKey{all[i].Source, all[i].ExternalID}] = k
	}
	isNew := make([]bool, len(chunk))
	n := 0
	for rs.Next() {
		var key caseKey
		if err := rs.Scan(&key.source, &key.extID); err != nil {
			rs.Close()
			return nil, nil, err
		}
		isNew[byKey[key]] = true
		n++
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, nil, err
	}
	got := make([]insertedAlert, 0, n)
	var old []int64
	for k, i := range chunk {
		if isNew[k] {
			got = append(got, insertedAlert{i: i, caseID: caseIDs[k]})
		} else {
			old = append(old, int64(k))
		}
	}
	if len(old) == 0 {
		a.s.copyMiss.Store(false)
		return got, nil, nil
	}
	stored := make(map[int]*storedAlert, len(old))
	// The ords join as a table: as "i.ord = ANY($1)" PostgreSQL searched
	// the array once per staged row under a generic plan (0.15 s per batch
	// of 5,000 re-sent alerts) or hashed the whole alerts table under a
	// custom one.
	rs, err = a.tx.QueryContext(a.ctx, `SELECT i.ord, `+prefixColumns("a.", storedAlertColumns)+`
		FROM unnest($1::bigint[]) AS o(ord) JOIN alerts_in i ON i.ord = o.ord
		JOIN alerts a ON a.source = i.source AND a.external_id = i.external_id`, old)
	if err != nil {
		return nil, nil, fmt.Errorf("reading stored alerts: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var k int
		sa := new(storedAlert)
		if err := rs.Scan(append([]any{&k}, sa.scanArgs()...)...); err != nil {
			return nil, nil, fmt.Errorf("reading stored alerts: %w", err)
		}
		stored[chunk[k]] = sa
	}
	if err := rs.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading stored alerts: %w", err)
	}
	return got, stored, nil
}

// copyNewAlerts copies data (the binary COPY stream of n alerts, without
// the staging table's ord) straight into alerts, under a savepoint: when
// every key is new, which is the common case, that is the whole insert.
// When the database refuses the copy (a key already stored, or a value it
// cannot take) it rolls back to the savepoint and reports false, and the
// caller stages the rows instead.
func (a *applier) copyNewAlerts(data []byte, n int) (bool, error) {
	if _, err := a.tx.ExecContext(a.ctx, `SAVEPOINT alerts_copy`); err != nil {
		return false, err
	}
	var refused *pgconn.PgError
	err := a.pg.Raw(func(dc any) error {
		return copyBinary(a, dc.(*stdlib.Conn).Conn(), `COPY alerts (`+alertCopyColumns+`) FROM STDIN BINARY`, data, n)
	})
	if errors.As(err, &refused) {
		if _, err := a.tx.ExecContext(a.ctx, `ROLLBACK TO SAVEPOINT alerts_copy`); err != nil {
			return false, err
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("copying alerts: %w", err)
	}
	_, err = a.tx.ExecContext(a.ctx, `RELEASE SAVEPOINT alerts_copy`)
	return err == nil, err
}

// copyBinary runs a COPY … FROM STDIN BINARY of data, which holds n rows.
func copyBinary(a *applier, c *pgx.Conn, copySQL string, data []byte, n int) error {
	tag, err := c.PgConn().CopyFrom(a.ctx, bytes.NewReader(data), copySQL)
	if err == nil && tag.RowsAffected() != int64(n) {
		err = fmt.Errorf("copied %d of %d alerts", tag.RowsAffected(), n)
	}
	return err
}

// nullInt is a case id as alertCaseID returns it (an int64, or nil).
func nullInt(v any) sql.NullInt64 {
	if id, ok := v.(int64); ok {
		return sql.NullInt64{Int64: id, Valid: true}
	}
	return sql.NullInt64{}
}

// prefixColumns qualifies each of a comma-separated list of columns.
func prefixColumns(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
