package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Erasure types: what kind of value a subject's data is found by.
var ErasureTypes = []string{"email", "user", "host", "ip"}

// Erasure asks to redact one value (a person's e-mail address, user name,
// host or IP address) wherever the store holds it.
type Erasure struct {
	Value string
	Type  string // one of ErasureTypes
	// Token replaces each occurrence; the same everywhere, so the records
	// that named the value still group together (an analyst's KPIs stay
	// one analyst's). Made by the caller, it never contains the value.
	Token  string
	DryRun bool
}

// ErasedColumn counts the rows of one column an erasure changed.
type ErasedColumn struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Rows   int64  `json:"rows"`
}

// ErasureReport says what an erasure changed (or, in a dry run, would).
type ErasureReport struct {
	Type    string         `json:"type"`
	Token   string         `json:"token"`
	DryRun  bool           `json:"dry_run"`
	Columns []ErasedColumn `json:"columns"`
	Rows    int64          `json:"rows"`
	// Compacted is set when the store's file was rewritten so no freed
	// page keeps an old copy (SQLite: VACUUM and a truncated WAL;
	// PostgreSQL: VACUUM of the changed tables).
	Compacted bool `json:"compacted"`
	// Rebuilt counts the days whose aggregates held the value: they are
	// dropped and rebuilt from the redacted rows on the next report.
	Rebuilt  int      `json:"aggregates_rebuilt"`
	Warnings []string `json:"warnings"`
}

// ValidateErasure checks a value against its type: an e-mail address has
// one @, an IP address parses, a user or host name is at least 3
// characters (a shorter one would match inside unrelated words).
func ValidateErasure(value, typ string) error {
	v := strings.TrimSpace(value)
	if v != value || v == "" {
		return errors.New("the value is empty or has surrounding spaces")
	}
	switch typ {
	case "email":
		local, domain, ok := strings.Cut(v, "@")
		if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
			return errors.New("not an e-mail address (want local@domain)")
		}
	case "ip":
		if _, err := netip.ParseAddr(v); err != nil {
			return fmt.Errorf("not an IP address: %w", err)
		}
	case "user", "host":
		if len(v) < 3 {
			return fmt.Errorf("a %s name of fewer than 3 characters would match inside unrelated text", typ)
		}
	default:
		return fmt.Errorf("type %q: want one of %s", typ, strings.Join(ErasureTypes, ", "))
	}
	return nil
}

// eraseSkip are the tables an erasure leaves alone: the migration history
// holds no data.
var eraseSkip = map[string]bool{"schema_migrations": true}

// Erase replaces every occurrence of the value in every text column of
// every table — alerts (titles, entities, raw payloads), cases, the case
// log (comments, assignees), analysts, users, the audit log, rollups —
// with the token, in one transaction. Matching ignores ASCII case and
// stops at word boundaries (an IP address never matches inside a longer
// one), and finds the value also as it appears escaped inside JSON. Rows
// are kept, so every KPI keeps its count; the rollups that held the value
// get a new version so a running server's cache reloads them.
//
// Afterwards the store is compacted so no freed page or log keeps an old
// copy: on SQLite (deletes in the transaction zero their space with
// secure_delete) VACUUM and a truncated write-ahead log; on PostgreSQL,
// VACUUM of the changed tables (dead row versions; the server's WAL and
// backups are outside Watchfloor's reach, see the README).
func (s *Store) Erase(ctx context.Context, e Erasure) (*ErasureReport, error) {
	if err := ValidateErasure(e.Value, e.Type); err != nil {
		return nil, err
	}
	if e.Token == "" || strings.Contains(strings.ToLower(e.Token), strings.ToLower(e.Value)) {
		return nil, errors.New("erasure: the replacement token is empty or contains the value")
	}
	re, forms := erasurePattern(e.Value)
	var likes []any
	for _, f := range forms {
		likes = append(likes, "%"+likeEscape(f)+"%")
	}
	rep := &ErasureReport{Type: e.Type, Token: e.Token, DryRun: e.DryRun, Columns: []ErasedColumn{}, Warnings: []string{}}
	cols, err := s.textColumns(ctx)
	if err != nil {
		return nil, err
	}
	loc, err := s.TimeZone(ctx)
	if err != nil {
		return nil, err
	}
	stale := &erasedDays{}
	run := func(c dbConn) error {
		// From scratch: PostgreSQL may run the transaction again.
		rep.Columns, rep.Rows, rep.Rebuilt, rep.Warnings, stale.days = []ErasedColumn{}, 0, 0, []string{}, nil
		for _, tc := range cols {
			key, op := "rowid", "LIKE"
			if s.engine == Postgres {
				key, op = "ctid::text", "ILIKE"
			}
			// Table and column names come from the database's catalog.
			var where []string
			for range likes {
				where = append(where, fmt.Sprintf(`%s %s ? ESCAPE '\'`, quoteIdent(tc.column), op))
			}
			q := fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %s`, key, quoteIdent(tc.column), quoteIdent(tc.table), strings.Join(where, " OR "))
			rows, err := c.QueryContext(ctx, s.rebind(q), likes...)
			if err != nil {
				return fmt.Errorf("searching %s.%s: %w", tc.table, tc.column, err)
			}
			type change struct {
				key any
				val string
			}
			var changes []change
			for rows.Next() {
				var k any
				var v sql.NullString
				if err := rows.Scan(&k, &v); err != nil {
					rows.Close()
					return fmt.Errorf("searching %s.%s: %w", tc.table, tc.column, err)
				}
				if nv := replaceErased(re, v.String, e.Token); nv != v.String {
					changes = append(changes, change{k, nv})
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("searching %s.%s: %w", tc.table, tc.column, err)
			}
			if len(changes) == 0 {
				continue
			}
			rep.Columns = append(rep.Columns, ErasedColumn{Table: tc.table, Column: tc.column, Rows: int64(len(changes))})
			rep.Rows += int64(len(changes))
			if err := s.noteErasedDays(ctx, c, tc, changeKeys(changes, func(ch change) any { return ch.key }), loc, stale); err != nil {
				return err
			}
			if e.DryRun {
				continue
			}
			upd := fmt.Sprintf(`UPDATE %s SET %s = ? WHERE rowid = ?`, quoteIdent(tc.table), quoteIdent(tc.column))
			if s.engine == Postgres {
				upd = fmt.Sprintf(`UPDATE %s SET %s = $1 WHERE ctid = $2::tid`, quoteIdent(tc.table), quoteIdent(tc.column))
			}
			for _, ch := range changes {
				if _, err := c.ExecContext(ctx, upd, ch.val, ch.key); err != nil {
					return fmt.Errorf("redacting %s.%s: %w", tc.table, tc.column, err)
				}
			}
		}
		if e.DryRun {
			return nil
		}
		for _, d := range stale.days {
			// The day's aggregates (stored encoded, so no text search
			// reaches them) are dropped and rebuilt from the redacted rows
			// on the next read.
			if _, err := c.ExecContext(ctx, s.rebind(`DELETE FROM rollup_parts WHERE kind = ? AND day = ?`), d.kind, d.day); err != nil {
				return fmt.Errorf("dropping rollup %s %d: %w", d.kind, d.day, err)
			}
			// And the parts merged over spans of days that hold it.
			t := time.Date(int(d.day/10000), time.Month(d.day/100%100), int(d.day%100), 0, 0, 0, 0, time.UTC)
			if _, err := c.ExecContext(ctx, s.rebind(`DELETE FROM rollup_parts WHERE kind = ? AND day > ? AND day <= ? AND part LIKE '%@%'`),
				d.kind, DayOf(t.AddDate(0, 0, -MaxRollupSpan), time.UTC), d.day); err != nil {
				return fmt.Errorf("dropping rollup %s %d: %w", d.kind, d.day, err)
			}
			if _, err := c.ExecContext(ctx, s.rebind(`UPDATE rollup_days SET version = version + 1, built_version = -1, data = '' WHERE kind = ? AND day = ?`),
				d.kind, d.day); err != nil {
				return fmt.Errorf("dropping rollup %s %d: %w", d.kind, d.day, err)
			}
			rep.Rebuilt++
		}
		return nil
	}
	if s.engine == SQLite {
		if err := s.onWriterConn(ctx, `PRAGMA secure_delete = ON`); err != nil {
			return nil, err
		}
		err = s.writeSQLite(ctx, func(c dbConn) error {
			if err := run(c); err != nil {
				return err
			}
			return bumpDataVersion(ctx, c)
		})
		s.onWriterConn(context.WithoutCancel(ctx), `PRAGMA secure_delete = OFF`)
	} else {
		_, err = s.write(ctx, func(a *applier) error { return run(a.tx) })
	}
	if err != nil {
		return nil, fmt.Errorf("erasing: %w", err)
	}
	if e.DryRun || rep.Rows == 0 {
		return rep, nil
	}
	if err := s.compactAfterErase(ctx, rep); err != nil {
		rep.Warnings = append(rep.Warnings, "the value is redacted in every table, but compacting the store failed, so freed space may still hold old copies: "+err.Error())
	}
	return rep, nil
}

// compactAfterErase rewrites the store so no freed page or log keeps the
// erased text.
func (s *Store) compactAfterErase(ctx context.Context, rep *ErasureReport) error {
	if s.engine == Postgres {
		var tables []string
		for _, c := range rep.Columns {
			if !slices.Contains(tables, c.Table) {
				tables = append(tables, c.Table)
			}
		}
		for _, t := range tables {
			// VACUUM cannot run in a transaction; names come from the catalog.
			if _, err := s.w.ExecContext(ctx, `VACUUM `+quoteIdent(t)); err != nil {
				return fmt.Errorf("VACUUM %s: %w", t, err)
			}
		}
		rep.Compacted = true
		return nil
	}
	if err := s.onWriterConn(ctx, `VACUUM`); err != nil {
		return err
	}
	var busy, logPages, done int
	s.wmu.Lock()
	err := s.wconn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done)
	s.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("checkpointing the write-ahead log: %w", err)
	}
	if busy != 0 {
		return errors.New("another process (serve?) is reading, so the write-ahead log could not be truncated: run the erasure again when it is stopped")
	}
	rep.Compacted = true
	return nil
}

// onWriterConn runs one statement on the SQLite writer connection, outside
// any transaction.
func (s *Store) onWriterConn(ctx context.Context, q string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.wconn == nil {
		return errors.New("the store was opened read-only")
	}
	if _, err := s.wconn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

type textColumn struct{ table, column string }

// textColumns lists every text column of every table of the store, from
// the database's own catalog, so a table added by a later migration is
// covered without a list to keep up to date.
func (s *Store) textColumns(ctx context.Context) ([]textColumn, error) {
	var out []textColumn
	if s.engine == Postgres {
		rows, err := s.r.QueryContext(ctx, `SELECT c.table_name, c.column_name FROM information_schema.columns c
			JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
			AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
			ORDER BY c.table_name, c.ordinal_position`)
		if err != nil {
			return nil, fmt.Errorf("listing text columns: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var tc textColumn
			if err := rows.Scan(&tc.table, &tc.column); err != nil {
				return nil, fmt.Errorf("listing text columns: %w", err)
			}
			if !eraseSkip[tc.table] {
				out = append(out, tc)
			}
		}
		return out, rows.Err()
	}
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		if !eraseSkip[n] {
			tables = append(tables, n)
		}
	}
	rows.Close()
	for _, t := range tables {
		cols, err := s.r.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, t)
		if err != nil {
			return nil, fmt.Errorf("listing columns of %s: %w", t, err)
		}
		for cols.Next() {
			var name, typ string
			if err := cols.Scan(&name, &typ); err != nil {
				cols.Close()
				return nil, err
			}
			// Text affinity (SQLite's rule: the declared type names a text
			// type), plus untyped columns, which may hold anything.
			u := strings.ToUpper(typ)
			if typ == "" || strings.Contains(u, "TEXT") || strings.Contains(u, "CHAR") || strings.Contains(u, "CLOB") || strings.Contains(u, "JSON") {
				out = append(out, textColumn{t, name})
			}
		}
		cols.Close()
	}
	return out, nil
}

// quoteIdent quotes a table or column name from the catalog.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// erasurePattern matches the value, ignoring case, as it is and as it
// appears escaped inside a JSON string, not inside a longer word, name or
// address: the characters around it may not be letters, digits, '_' or
// '-', nor a '.' before it (an address never matches the end of a longer
// one).
// It also returns the forms it looks for.
func erasurePattern(value string) (*regexp.Regexp, []string) {
	forms := []string{value}
	if b, err := json.Marshal(value); err == nil {
		if esc := string(b[1 : len(b)-1]); esc != value {
			forms = append(forms, esc)
		}
	}
	alts := make([]string, len(forms))
	for i, f := range forms {
		alts[i] = regexp.QuoteMeta(f)
	}
	return regexp.MustCompile(`(?i)(^|[^\pL\pN_.\-])(` + strings.Join(alts, "|") + `)($|[^\pL\pN_\-])`), forms
}

// replaceErased replaces every match of re in s with token, keeping the
// boundary characters around it.
func replaceErased(re *regexp.Regexp, s, token string) string {
	// A boundary character is consumed by one match, so two occurrences
	// separated by one character need a second pass.
	for range 4 {
		ns := re.ReplaceAllString(s, "${1}"+strings.ReplaceAll(token, "$", "$$")+"${3}")
		if ns == s {
			break
		}
		s = ns
	}
	return s
}

// erasedDays are the rollup days whose aggregates may hold an erased
// value.
type erasedDays struct{ days []dayKey }

type dayKey struct {
	kind string
	day  int64
}

func (e *erasedDays) add(kind string, day int64) {
	if !slices.Contains(e.days, dayKey{kind, day}) {
		e.days = append(e.days, dayKey{kind, day})
	}
}

func changeKeys[T any](changes []T, key func(T) any) []any {
	out := make([]any, len(changes))
	for i, c := range changes {
		out[i] = key(c)
	}
	return out
}

// alertRollupColumns are the alert columns the alert aggregates keep text
// of; the case aggregates keep the case facts' text.
var alertRollupColumns = map[string]bool{"source": true, "rule_id": true, "rule_name": true, "techniques": true}

// noteErasedDays adds to stale the rollup days whose aggregates were built
// from the changed rows of a column: the day of each changed case fact,
// the creation day of each alert whose aggregated text changed, and the
// day of a rollup stored as text.
func (s *Store) noteErasedDays(ctx context.Context, c dbConn, tc textColumn, keys []any, loc *time.Location, stale *erasedDays) error {
	var q, kind string
	switch {
	case tc.table == "case_facts":
		q, kind = `SELECT day FROM case_facts WHERE %s`, RollupCases
	case tc.table == "alerts" && alertRollupColumns[tc.column]:
		q, kind = `SELECT created_at FROM alerts WHERE %s`, RollupAlerts
	case tc.table == "rollup_parts" || tc.table == "rollup_days":
		q = `SELECT kind, day FROM ` + tc.table + ` WHERE %s`
	default:
		return nil
	}
	where := "rowid = ?"
	if s.engine == Postgres {
		where = "ctid = $1::tid"
	}
	for _, k := range keys {
		row := c.QueryRowContext(ctx, fmt.Sprintf(q, where), k)
		var err error
		switch kind {
		case RollupCases:
			var day int64
			if err = row.Scan(&day); err == nil {
				stale.add(RollupCases, day)
			}
		case RollupAlerts:
			var at sql.NullInt64
			if err = row.Scan(&at); err == nil && at.Valid {
				stale.add(RollupAlerts, DayOf(time.UnixMicro(at.Int64), loc))
			}
		default:
			var k string
			var day int64
			if err = row.Scan(&k, &day); err == nil {
				stale.add(k, day)
			}
		}
		if err != nil {
			return fmt.Errorf("finding the aggregates of %s: %w", tc.table, err)
		}
	}
	return nil
}
