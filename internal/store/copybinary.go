package store

import (
	"database/sql"
	"encoding/binary"
	"sync"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Alerts reach PostgreSQL in COPY's binary format, the format pgx's
// CopyFrom sends, written here field by field: pgx planned the encoding of
// every value through reflection and boxed each in an interface, which
// was a fifth of the client's store-side CPU, and the entity and technique
// JSON went through a string per row. The server receives the same bytes.

// copySignature starts a binary COPY stream: the signature, no flags, no
// header extension.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyBufs keeps the buffers of finished copies for the next batch.
var copyBufs = sync.Pool{New: func() any { return new([]byte) }}

// copyRow appends binary COPY fields to b.
type copyRow struct{ b []byte }

// start begins a row of n fields.
func (r *copyRow) start(n int) { r.b = binary.BigEndian.AppendUint16(r.b, uint16(n)) }

// text appends a text field.
func (r *copyRow) text(s string) {
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(len(s)))
	r.b = append(r.b, s...)
}

// bytes appends a text field from bytes.
func (r *copyRow) bytes(s []byte) {
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(len(s)))
	r.b = append(r.b, s...)
}

// int8 appends a BIGINT field.
func (r *copyRow) int8(v int64) {
	r.b = binary.BigEndian.AppendUint32(r.b, 8)
	r.b = binary.BigEndian.AppendUint64(r.b, uint64(v))
}

// null appends a NULL field.
func (r *copyRow) null() { r.b = binary.BigEndian.AppendUint32(r.b, 0xFFFFFFFF) }

// nullInt8 appends v, or NULL when it is not valid.
func (r *copyRow) nullInt8(v sql.NullInt64) {
	if v.Valid {
		r.int8(v.Int64)
	} else {
		r.null()
	}
}

// micros appends a time as Unix microseconds, NULL when zero (as micros
// binds it).
func (r *copyRow) micros(v int64, zero bool) {
	if zero {
		r.null()
	} else {
		r.int8(v)
	}
}

// open appends the length of a field whose bytes follow, to be set by
// close(at) once they are written.
func (r *copyRow) open() (at int) {
	at = len(r.b)
	r.b = append(r.b, 0, 0, 0, 0)
	return at
}

// close sets the length of the field opened at at.
func (r *copyRow) close(at int) {
	binary.BigEndian.PutUint32(r.b[at:], uint32(len(r.b)-at-4))
}

// appendAlertCopy appends the binary COPY stream of the alerts of chunk,
// in the columns of alertsInColumns (ord first when ord is set, the
// position in chunk), with the case ids already looked up and the
// ingested time of alerts that have none.
func appendAlertCopy(b []byte, all []model.Alert, chunk []int, caseIDs []sql.NullInt64, ingested int64, ord bool) []byte {
	r := copyRow{append(b, copySignature...)}
	n := len(alertsInColumns)
	if !ord {
		n--
	}
	for k, i := range chunk {
		al := &all[i]
		r.start(n)
		if ord {
			r.int8(int64(k))
		}
		r.text(al.Source)
		r.text(al.ExternalID)
		r.text(al.Title)
		r.text(al.Description)
		r.int8(int64(al.Severity))
		r.text(al.Status)
		r.text(string(al.Disposition))
		r.text(al.RuleID)
		r.text(al.RuleName)
		r.text(al.CaseExternalID)
		r.nullInt8(caseIDs[k])
		r.micros(al.OccurredAt.UnixMicro(), al.OccurredAt.IsZero())
		r.micros(al.CreatedAt.UnixMicro(), al.CreatedAt.IsZero())
		if al.IngestedAt.IsZero() {
			r.int8(ingested)
		} else {
			r.int8(al.IngestedAt.UnixMicro())
		}
		// The entities and techniques as jsonText writes them: empty
		// when there are none.
		at := r.open()
		if len(al.Entities) > 0 {
			r.b = appendEntitiesJSON(r.b, al.Entities)
		}
		r.close(at)
		at = r.open()
		if len(al.Techniques) > 0 {
			r.b = appendStringsJSON(r.b, al.Techniques)
		}
		r.close(at)
		r.bytes(al.Raw)
	}
	// The trailer: a field count of -1.
	return append(r.b, 0xFF, 0xFF)
}
