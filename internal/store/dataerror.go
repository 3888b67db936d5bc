package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// SQLite result codes (the primary code is the low byte of an extended one).
const (
	sqliteBusy       = 5
	sqliteTooBig     = 18
	sqliteConstraint = 19
	sqliteMismatch   = 20
)

// IsRecordError reports whether the database refused a write because of
// the data written (a value it cannot store, a constraint, a value too
// large to index) rather than because it is unreachable or busy: retrying
// the batch's records one at a time then finds the record at fault, and
// stores the rest. PostgreSQL: SQLSTATE classes 22 (data exception), 23
// (integrity constraint) and 54 (program limit exceeded); SQLite: TOOBIG,
// CONSTRAINT and MISMATCH.
func IsRecordError(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if len(pe.Code) < 2 {
			return false
		}
		switch pe.Code[:2] {
		case "22", "23", "54":
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteTooBig, sqliteConstraint, sqliteMismatch:
			return true
		}
	}
	return false
}

// IsBusy reports whether SQLite refused a write because another process
// held the write lock past the busy timeout.
func IsBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteBusy
}
