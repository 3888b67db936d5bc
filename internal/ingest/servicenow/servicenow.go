// Package servicenow parses ServiceNow incident audit exports: CSV files with
// one row per update of an incident (columns number, incident_state,
// sys_mod_count, sys_updated_at, sys_updated_by, opened_at, priority,
// assigned_to, assignment_group, resolved_at, closed_at, made_sla, …, as in
// the public "incident event log" data set). Columns are found by header
// name, in any order; a UTF-8 byte order mark is ignored. Times are
// DD-MM-YYYY HH:MM (or YYYY-MM-DD HH:MM[:SS]) in UTC, and "?" means missing.
//
// # What is emitted
//
// Each incident becomes one case (Source "servicenow", ExternalID = number)
// whose history is replayed into the case event log:
//
//  1. One model.Case snapshot, emitted first, holding the state of the
//     incident's first update: status, stage, priority
//     (model.PriorityFromServiceNow), assignee, team and a title naming the
//     category, with CreatedAt = opened_at and UpdatedAt = that update's
//     sys_updated_at, and no resolved/closed milestones. From it the store
//     logs the creation and the initial state. Its Attributes (made_sla,
//     reopen_count, reassignment_count, impact, urgency, category,
//     closed_code and every other column not mapped onto a case field) and
//     Raw are those of the latest update (the last row in the order below,
//     even when it logs an earlier revision again).
//  2. Then one model.CaseEvent per change between consecutive updates:
//     status (raw incident_state), stage (incident_state mapped with
//     model.DefaultStatusMap, so Resolved → Active shows as a reopen),
//     priority, assignee, team and title. Events are dated sys_updated_at,
//     with Actor = sys_updated_by and ExternalID
//     "<number>/mod/<sys_mod_count>/<kind>". Replayed in order they bring
//     the projection to the state of the last update.
//
// There is no closing snapshot: the store applies a batch's cases before
// its events, so a snapshot of the final state would be diffed against the
// initial one and log every change a second time, dated at the end. An
// incident with a single update is that update's snapshot, with resolved_at
// and closed_at as milestones when its state has reached them.
//
// # Versions
//
// Case.Version is the lowest sys_mod_count of the incident's updates plus 1
// (ServiceNow counts from 0, and Version 0 means "no version"). Re-ingesting
// the same or a longer export of an incident therefore finds the snapshot no
// newer than the stored case, and it is ignored rather than diffed, which
// would log the initial state again as changes from the current one; events
// are deduplicated by ExternalID and the longer history's new events are
// appended. The price is that attributes keep the values of the first
// ingest. A later export that starts after the stored history has a higher
// version, and the store records the change up to its first update.
//
// # Dating the resolution
//
// The change into the resolved stage is dated resolved_at, ServiceNow's own
// resolution time, when that lies between the previous update and the update
// that ends this resolved spell (a reopen or the close); otherwise it is
// dated by its update. In the sample resolved_at equals the update's time for
// 844 of 872 resolutions, and is a later save while still Resolved for 17
// more; the remaining 11 are first resolutions of reopened incidents, whose
// resolved_at belongs to the final resolution. The change into Closed keeps
// its update's time: closed_at agrees with it for 886 of 890 incidents, and
// the 4 others put the closure after the incident's last update (once by five
// months), so closed_at is only kept as an attribute.
//
// # Order, duplicates and streaming
//
// Rows are buffered per incident only: the incident is flushed when the
// number changes, so memory is bounded by the longest incident history, not
// the file. A buffered row keeps what the replay needs (its state, times,
// actor and a 16-byte digest of its revision), about 250 bytes whatever the
// export's width; only the incident's latest row keeps all its fields. A
// 69 MB export of one incident of 213,000 updates ingests in under 200 MB
// (docs/benchmarks.md). A rejected row is emitted at once, so it can come before the
// records of its incident's earlier rows. The sample keeps an incident's
// rows together. If an incident's rows reappear later in the input, they are
// flushed again as a second group: its events carry their own ExternalIDs
// and the store deduplicates them, and its snapshot is applied only when its
// version is newer, when the store records the change between the groups,
// dated at the second group's first update.
//
// Within an incident rows are ordered by (sys_updated_at, sys_mod_count,
// line): time is the clock that dates events, and sys_mod_count orders the
// many updates that share a minute. sys_mod_count alone is not a safe order:
// in the sample it goes backwards 5 times, always at an incident's first
// row. For INC0000130, INC0000134, INC0000135 and INC0000164 the first row
// has a higher count than the next (2, 2, 7, 3 before 1) but is earlier in
// time, before opened_at, and carries real history (where the group
// changes, reassignment_count confirms the move), so time order keeps it. For
// INC0000137 the first row in the file repeats revision 1 at 11:10, after
// revision 2 had already resolved the incident at 11:03; it holds exactly
// the values of the other revision-1 row. A row with the same sys_mod_count
// and the same values (apart from sys_updated_by/sys_updated_at) as an
// earlier row is that revision logged twice, so it is skipped; this also
// drops exact duplicate rows. Replaying it would invent a reopen.
//
// # Rejects
//
// A row with the wrong number of fields, an empty number or incident_state,
// a priority that is not one of ServiceNow's ("1 - Critical" … "5 -
// Planning"; "?" means none), a sys_mod_count that is not a number, or a
// missing or unparsable
// sys_updated_at (or an unparsable opened_at, resolved_at or closed_at) is
// rejected as "file:line" with the reason; the incident's other rows still
// land. Parse returns an error only when the input cannot be read or its
// header lacks number, incident_state or sys_updated_at.
package servicenow

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// Source is the source name of the cases and events this package emits.
const Source = "servicenow"

// requiredColumns must be in the header of an incident audit export.
var requiredColumns = []string{"number", "incident_state", "sys_updated_at"}

// Detect reports whether head, the start of an input, looks like a
// ServiceNow incident audit export: its first line is a CSV header naming at
// least number, incident_state and sys_updated_at.
func Detect(head []byte) bool {
	head = bytes.TrimPrefix(head, bom)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	}
	rec, err := newScanner(bytes.NewReader(head), MaxRecord).next()
	if err != nil {
		return false
	}
	idx := headerIndex(rec.fields)
	for _, c := range requiredColumns {
		if _, ok := idx[c]; !ok {
			return false
		}
	}
	return true
}

// Parse reads an incident audit export and emits, per incident, a snapshot
// of its first update followed by the events that replay its later updates
// (see the package documentation). Rejected rows are emitted with their
// "name:line".
func Parse(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	sc := newScanner(r, MaxRecord)
	hdr, err := sc.next()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s header: %w", name, err)
	}
	if hdr.err != nil {
		return fmt.Errorf("reading %s:%d header: %w", name, hdr.line, hdr.err)
	}
	cols, err := newColumns(hdr.fields)
	if err != nil {
		return fmt.Errorf("reading %s:%d header: %w", name, hdr.line, err)
	}
	p := &parser{name: name, cols: cols, emit: emit}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		row, err := cols.row(rec)
		if err != nil {
			loc := p.loc(rec.line)
			if err := emit(record.Reject(loc, bytes.Clone(rec.raw), "%w", err)); err != nil {
				return err
			}
			continue
		}
		if len(p.rows) > 0 && p.rows[0].number != row.number {
			if err := p.flush(); err != nil {
				return err
			}
		}
		p.add(row, rec.fields)
	}
	return p.flush()
}

// columns maps the header's column names to field positions (-1 when the
// export lacks the column).
type columns struct {
	names []string
	number, state, mod, updatedAt, updatedBy, openedAt, priority,
	assignedTo, group, category, subcategory, resolvedAt, closedAt int
	// attrs are the columns kept as case attributes: all but those mapped
	// onto case fields.
	attrs []int
}

func headerIndex(fields []string) map[string]int {
	idx := make(map[string]int, len(fields))
	for i, f := range fields {
		k := strings.ToLower(strings.TrimSpace(f))
		if _, dup := idx[k]; !dup && k != "" {
			idx[k] = i
		}
	}
	return idx
}

func newColumns(header []string) (*columns, error) {
	idx := headerIndex(header)
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("not a ServiceNow incident export: missing column(s) %s", strings.Join(missing, ", "))
	}
	at := func(name string) int {
		if i, ok := idx[name]; ok {
			return i
		}
		return -1
	}
	c := &columns{
		names:  make([]string, len(header)),
		number: at("number"), state: at("incident_state"), mod: at("sys_mod_count"),
		updatedAt: at("sys_updated_at"), updatedBy: at("sys_updated_by"), openedAt: at("opened_at"),
		priority: at("priority"), assignedTo: at("assigned_to"), group: at("assignment_group"),
		category: at("category"), subcategory: at("subcategory"),
		resolvedAt: at("resolved_at"), closedAt: at("closed_at"),
	}
	mapped := []int{c.number, c.state, c.updatedAt, c.updatedBy, c.openedAt, c.assignedTo, c.group}
	for i, f := range header {
		c.names[i] = strings.TrimSpace(f)
		if c.names[i] != "" && idx[strings.ToLower(c.names[i])] == i && !slices.Contains(mapped, i) {
			c.attrs = append(c.attrs, i)
		}
	}
	return c, nil
}

// row is one validated update of an incident. An incident's rows are
// buffered until it ends, so a row keeps only what the replay needs: the
// state it records, its times, the actor and a digest of its revision.
// Its fields are dropped once it is buffered (the parser keeps those of
// the incident's latest row, for the snapshot's attributes).
type row struct {
	line   int
	number string
	mod    int64 // -1 when the export has no sys_mod_count column
	// The times are Unix seconds, 0 when missing (the export's times are
	// whole minutes); updated is never missing.
	updated, opened, resolved, closed int64
	st                                state    // the incident's state as of this update
	actor                             string   // sys_updated_by
	key                               [16]byte // digest of the revision, see parser.order
}

// fields are a row's values, by column.
type fields []string

// unix turns a row's Unix seconds back into a time (zero for 0).
func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// secs is a time as Unix seconds, 0 for the zero time.
func secs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// value returns the field in column i, or "" when the column is absent or
// the value is missing ("?").
func (f fields) value(i int) string {
	if i < 0 {
		return ""
	}
	v := strings.TrimSpace(f[i])
	if v == "?" {
		return ""
	}
	return v
}

func (c *columns) row(rec csvRecord) (*row, error) {
	if rec.err != nil {
		return nil, rec.err
	}
	if len(rec.fields) != len(c.names) {
		return nil, fmt.Errorf("row has %d fields, header has %d", len(rec.fields), len(c.names))
	}
	f := fields(rec.fields)
	r := &row{line: rec.line, mod: -1}
	if r.number = f.value(c.number); r.number == "" {
		return nil, fmt.Errorf("number is empty")
	}
	if f.value(c.state) == "" {
		return nil, fmt.Errorf("incident_state is empty")
	}
	if c.mod >= 0 {
		v := f.value(c.mod)
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("sys_mod_count %q is not a non-negative integer", rec.fields[c.mod])
		}
		r.mod = n
	}
	if v := f.value(c.priority); v != "" && model.PriorityFromServiceNow(v) == model.PriorityUnknown {
		return nil, fmt.Errorf("priority %q is not a ServiceNow priority (1 - Critical … 5 - Planning)", v)
	}
	for _, x := range []struct {
		dst    *int64
		col    int
		column string
	}{{&r.updated, c.updatedAt, "sys_updated_at"}, {&r.opened, c.openedAt, "opened_at"}, {&r.resolved, c.resolvedAt, "resolved_at"},
		{&r.closed, c.closedAt, "closed_at"}} {
		t, err := f.time(x.col, x.column)
		if err != nil {
			return nil, err
		}
		*x.dst = secs(t)
	}
	if r.updated == 0 {
		return nil, fmt.Errorf("sys_updated_at is missing")
	}
	r.st, r.actor, r.key = c.stateOf(f, r.number), f.value(c.updatedBy), c.revisionKey(f, r.mod)
	return r, nil
}

// revisionKey digests what makes a row the revision it is: its
// sys_mod_count and every value but sys_updated_by and sys_updated_at (all
// values when the export has no sys_mod_count, so only exact duplicates
// match). Two rows with one key are one revision logged twice.
func (c *columns) revisionKey(f fields, mod int64) [16]byte {
	h := fnv.New128a()
	h.Write([]byte(strconv.FormatInt(mod, 10)))
	for i, v := range f {
		if mod >= 0 && (i == c.updatedAt || i == c.updatedBy) {
			continue
		}
		h.Write([]byte{0})
		h.Write([]byte(v))
	}
	var k [16]byte
	h.Sum(k[:0])
	return k
}

// timeLayouts are the layouts accepted for times: the audit export's
// day-first form, and ServiceNow's system (ISO) form.
var timeLayouts = []string{
	"02-01-2006 15:04", "02-01-2006 15:04:05",
	"2006-01-02 15:04:05", "2006-01-02 15:04", time.RFC3339,
}

// time parses the time in column i; a missing value is the zero time.
func (f fields) time(i int, column string) (time.Time, error) {
	v := f.value(i)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q is not a DD-MM-YYYY HH:MM time", column, v)
}

// parser holds the rows of the incident being read.
type parser struct {
	name string
	cols *columns
	emit record.Emit
	rows []*row
	// latest is the incident's latest row (by sys_updated_at, then
	// sys_mod_count, then line) and latestFields its fields.
	latest       *row
	latestFields []string
	// strs interns the incident's repeated values (states, people,
	// groups, titles), so buffered rows share them.
	strs map[string]string
}

// add buffers a row of the incident being read, keeping its fields only
// while it is the incident's latest.
func (p *parser) add(r *row, f []string) {
	if p.latest == nil || compareRows(r, p.latest) >= 0 {
		p.latest, p.latestFields = r, f
	}
	if p.strs == nil {
		p.strs = map[string]string{}
	}
	for _, s := range []*string{&r.number, &r.st.status, &r.st.assignee, &r.st.team, &r.st.title, &r.actor} {
		if v, ok := p.strs[*s]; ok {
			*s = v
		} else {
			p.strs[*s] = *s
		}
	}
	p.rows = append(p.rows, r)
}

// compareRows orders an incident's rows by sys_updated_at, then
// sys_mod_count (rows compare equal otherwise: their line decides).
func compareRows(a, b *row) int {
	if c := cmp.Compare(a.updated, b.updated); c != 0 {
		return c
	}
	return cmp.Compare(a.mod, b.mod)
}

func (p *parser) loc(line int) string { return p.name + ":" + strconv.Itoa(line) }

// rawJSON encodes a row's fields as a JSON object keyed by column name.
func (c *columns) rawJSON(fields fields) json.RawMessage {
	m := make(map[string]string, len(c.names))
	for i, n := range c.names {
		if _, dup := m[n]; !dup && n != "" {
			m[n] = fields[i]
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return b
}
