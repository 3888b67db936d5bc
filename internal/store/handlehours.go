package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Handle-time summaries kept per UTC hour of resolution (handle_hours,
// migration 0028). An hour's summary counts its cases by how their handle
// time was measured (session gap, pause statuses, whether retention pruned
// the log) and by priority at resolution, active time, priority at arrival
// and acknowledgement delay: every value a staffing summary needs, for any
// acknowledgement targets, exactly. It is built from the rows when read
// while stale (its version moved since it was built: triggers move it on
// every change to what it counts) and stored for the next read.

// hourMicros is an hour in microseconds.
const hourMicros = int64(time.Hour / time.Microsecond)

// handleHour is one hour's summary.
type handleHour struct {
	// unmeasured counts the cases resolved in the hour whose handle time
	// was never measured (no facts yet): they must be replayed.
	unmeasured int64
	groups     []handleGroup
}

// handleGroup counts the cases measured one way.
type handleGroup struct {
	gap    int64  // microseconds
	pause  string // handle.PauseKey
	pruned bool   // retention pruned their logs
	none   int64  // cases without a handle time
	rows   []handleCount
}

// handleCount counts the cases with one set of values.
type handleCount struct {
	priority, arrival int64 // at resolution, at arrival
	active            int64 // microseconds
	created           bool  // the case has a creation time
	ack               int64 // Start - Created, microseconds (when created)
	n                 int64
}

// answers reports whether the hour's kept values answer a query: every
// case was measured, and as asked unless its log was pruned (a pruned
// case's kept handle time answers whatever was asked; the others must be
// replayed).
func (h *handleHour) answers(q summaryQuery) bool {
	if h.unmeasured > 0 {
		return false
	}
	for _, g := range h.groups {
		if !g.pruned && (g.gap != q.gap.Microseconds() || g.pause != q.key) {
			return false
		}
	}
	return true
}

// addTo adds the hour's cases with a handle time to b.
func (h *handleHour) addTo(b *summaryBuilder, q summaryQuery) {
	for _, g := range h.groups {
		for _, r := range g.rows {
			within := -1
			if r.created {
				within = 0
				if lim, ok := q.limits[model.Priority(r.arrival)]; ok && r.ack <= lim {
					within = 1
				}
			}
			b.add(model.Priority(r.priority), time.Duration(r.active)*time.Microsecond, model.Priority(r.arrival), within, r.n)
		}
	}
}

// handleHourFormat is the encoding version of a stored hour.
const handleHourFormat = 1

func (h *handleHour) encode() []byte {
	buf := binary.AppendUvarint(nil, handleHourFormat)
	buf = binary.AppendUvarint(buf, uint64(h.unmeasured))
	buf = binary.AppendUvarint(buf, uint64(len(h.groups)))
	for _, g := range h.groups {
		buf = binary.AppendVarint(buf, g.gap)
		buf = binary.AppendUvarint(buf, uint64(len(g.pause)))
		buf = append(buf, g.pause...)
		buf = append(buf, boolByte(g.pruned))
		buf = binary.AppendUvarint(buf, uint64(g.none))
		buf = binary.AppendUvarint(buf, uint64(len(g.rows)))
		for _, r := range g.rows {
			buf = binary.AppendVarint(buf, r.priority)
			buf = binary.AppendVarint(buf, r.arrival)
			buf = binary.AppendVarint(buf, r.active)
			buf = append(buf, boolByte(r.created))
			buf = binary.AppendVarint(buf, r.ack)
			buf = binary.AppendUvarint(buf, uint64(r.n))
		}
	}
	return buf
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

var errHandleHour = errors.New("malformed handle-time hour")

// hourDecoder reads an encoded hour.
type hourDecoder struct {
	buf []byte
	err error
}

func (d *hourDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err, d.buf = errHandleHour, nil
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *hourDecoder) varint() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.err, d.buf = errHandleHour, nil
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *hourDecoder) bytes(n uint64) []byte {
	if uint64(len(d.buf)) < n {
		d.err, d.buf = errHandleHour, nil
		return nil
	}
	v := d.buf[:n]
	d.buf = d.buf[n:]
	return v
}

func (d *hourDecoder) flag() bool {
	b := d.bytes(1)
	return b != nil && b[0] == 1
}

// count reads a length, bounded by what is left (each item takes at least
// a byte), so a corrupt length cannot ask for a huge allocation.
func (d *hourDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.err, d.buf = errHandleHour, nil
		return 0
	}
	return int(n)
}

func decodeHandleHour(data []byte) (*handleHour, error) {
	d := &hourDecoder{buf: data}
	if v := d.uvarint(); d.err == nil && v != handleHourFormat {
		return nil, fmt.Errorf("%w: format %d", errHandleHour, v)
	}
	h := &handleHour{unmeasured: int64(d.uvarint())}
	h.groups = make([]handleGroup, d.count())
	for i := range h.groups {
		g := &h.groups[i]
		g.gap = d.varint()
		g.pause = string(d.bytes(d.uvarint()))
		g.pruned = d.flag()
		g.none = int64(d.uvarint())
		g.rows = make([]handleCount, d.count())
		for j := range g.rows {
			r := &g.rows[j]
			r.priority, r.arrival, r.active = d.varint(), d.varint(), d.varint()
			r.created = d.flag()
			r.ack, r.n = d.varint(), int64(d.uvarint())
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.buf) > 0 {
		return nil, fmt.Errorf("%w: %d bytes left over", errHandleHour, len(d.buf))
	}
	return h, nil
}

// buildHandleHour summarises the cases first resolved in hour h (UTC hours
// since the Unix epoch) from the rows.
func (s *Store) buildHandleHour(ctx context.Context, h int64) (*handleHour, error) {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT f.ht_gap, f.ht_pause, p.case_id IS NOT NULL, f.ht_start IS NOT NULL,
			f.ht_priority, f.ht_active, f.ht_arrival, f.ht_created IS NOT NULL, f.ht_start - f.ht_created, COUNT(*)
		FROM cases c LEFT JOIN case_facts f ON f.case_id = c.id LEFT JOIN case_log_pruned p ON p.case_id = c.id
		WHERE c.resolved_at >= ? AND c.resolved_at < ?
		GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9`), h*hourMicros, (h+1)*hourMicros)
	if err != nil {
		return nil, fmt.Errorf("summarising the handle times of hour %d: %w", h, err)
	}
	defer rows.Close()
	out := &handleHour{}
	for rows.Next() {
		var gap, prio, active, arrival, ack sql.NullInt64
		var pause sql.NullString
		var pruned, ok, created bool
		var n int64
		if err := rows.Scan(&gap, &pause, &pruned, &ok, &prio, &active, &arrival, &created, &ack, &n); err != nil {
			return nil, fmt.Errorf("summarising the handle times of hour %d: %w", h, err)
		}
		if !gap.Valid {
			out.unmeasured += n
			continue
		}
		k := len(out.groups) - 1
		if k < 0 || out.groups[k].gap != gap.Int64 || out.groups[k].pause != pause.String || out.groups[k].pruned != pruned {
			out.groups = append(out.groups, handleGroup{gap: gap.Int64, pause: pause.String, pruned: pruned})
			k++
		}
		g := &out.groups[k]
		if !ok {
			g.none += n
			continue
		}
		g.rows = append(g.rows, handleCount{priority: prio.Int64, arrival: arrival.Int64, active: active.Int64,
			created: created, ack: ack.Int64, n: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("summarising the handle times of hour %d: %w", h, err)
	}
	return out, nil
}

// summariseHours adds to b the cases first resolved in the UTC hours
// [first, last): from each hour's kept summary, rebuilt and stored first
// when stale, or from the rows when it holds cases measured otherwise.
func (s *Store) summariseHours(ctx context.Context, b *summaryBuilder, q summaryQuery, first, last int64) error {
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT hour, version, built_version, data FROM handle_hours
		WHERE hour >= ? AND hour < ?`), first, last)
	if err != nil {
		return fmt.Errorf("reading kept handle-time hours: %w", err)
	}
	defer rows.Close()
	type stale struct{ hour, version int64 }
	var pending []stale
	var fromRows []int64
	for rows.Next() {
		var h, version, built int64
		var data []byte
		if err := rows.Scan(&h, &version, &built, &data); err != nil {
			return fmt.Errorf("reading kept handle-time hours: %w", err)
		}
		if built != version || data == nil {
			pending = append(pending, stale{h, version})
			continue
		}
		hh, err := decodeHandleHour(data)
		if err != nil {
			pending = append(pending, stale{h, version}) // rebuilt from the rows
			continue
		}
		if !hh.answers(q) {
			fromRows = append(fromRows, h)
			continue
		}
		hh.addTo(b, q)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading kept handle-time hours: %w", err)
	}
	rows.Close()
	built := make(map[stale][]byte, len(pending))
	for _, t := range pending {
		hh, err := s.buildHandleHour(ctx, t.hour)
		if err != nil {
			return err
		}
		built[t] = hh.encode()
		if !hh.answers(q) {
			fromRows = append(fromRows, t.hour)
			continue
		}
		hh.addTo(b, q)
	}
	// Consecutive hours in one query: a policy change of the pause
	// statuses leaves whole stretches of hours to count from the rows.
	slices.Sort(fromRows)
	for i := 0; i < len(fromRows); {
		j := i + 1
		for j < len(fromRows) && fromRows[j] == fromRows[j-1]+1 {
			j++
		}
		if err := s.summariseRows(ctx, b, q, fromRows[i]*hourMicros, (fromRows[j-1]+1)*hourMicros); err != nil {
			return err
		}
		i = j
	}
	if len(built) == 0 {
		return nil
	}
	// Stored unless the hour changed since its version was read (the next
	// read rebuilds it then). A store that cannot be written to still
	// answers, from the rows each time.
	_, err = s.writeDerived(ctx, func(a *applier) error {
		for _, t := range pending {
			if _, err := a.exec(`UPDATE handle_hours SET built_version = ?, data = ? WHERE hour = ? AND version = ?`,
				t.version, built[t], t.hour, t.version); err != nil {
				return fmt.Errorf("storing the handle times of hour %d: %w", t.hour, err)
			}
		}
		return nil
	})
	if err != nil {
		slog.Warn("the handle-time hours built from the rows could not be stored", "hours", len(pending), "err", err)
	}
	return nil
}

// StaffingHistoryCheck is what CheckStaffingHistory compared.
type StaffingHistoryCheck struct {
	// Hours counts the built handle-time hours compared; Quarters the
	// quarter hours of case arrivals.
	Hours, Quarters int
	// Mismatches names what differs from the rows.
	Mismatches []string
}

// CheckStaffingHistory compares what is kept for the staffing model with
// the rows, writing nothing: the summaries of the newest built
// handle-time hours (at most hours of them) with summaries built from the
// rows now, and the case arrival counts of the newest hours' worth of
// quarter hours with the case facts.
func (s *Store) CheckStaffingHistory(ctx context.Context, hours int) (StaffingHistoryCheck, error) {
	c := StaffingHistoryCheck{Mismatches: []string{}}
	rows, err := s.r.QueryContext(ctx, s.rebind(`SELECT hour, data FROM handle_hours
		WHERE built_version = version AND data IS NOT NULL ORDER BY hour DESC LIMIT ?`), hours)
	if err != nil {
		return c, fmt.Errorf("reading kept handle-time hours: %w", err)
	}
	kept := map[int64][]byte{}
	var order []int64
	for rows.Next() {
		var h int64
		var data []byte
		if err := rows.Scan(&h, &data); err != nil {
			rows.Close()
			return c, fmt.Errorf("reading kept handle-time hours: %w", err)
		}
		kept[h] = data
		order = append(order, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("reading kept handle-time hours: %w", err)
	}
	for _, h := range order {
		fresh, err := s.buildHandleHour(ctx, h)
		if err != nil {
			return c, err
		}
		if !slices.Equal(fresh.encode(), kept[h]) {
			c.Mismatches = append(c.Mismatches, fmt.Sprintf("handle-time hour %s", time.UnixMicro(h*hourMicros).UTC().Format("2006-01-02T15Z")))
		}
		c.Hours++
	}
	var last sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(quarter) FROM case_arrivals WHERE n <> 0`).Scan(&last); err != nil {
		return c, fmt.Errorf("reading case arrivals: %w", err)
	}
	if !last.Valid || last.Int64 < 0 {
		return c, nil
	}
	from, to := max(0, last.Int64+1-int64(4*hours)), last.Int64+1
	keptArr, err := s.keptCaseArrivals(ctx, from, to, nil)
	if err != nil {
		return c, err
	}
	counted, err := s.caseArrivalRows(ctx, from*quarterMicros, to*quarterMicros, nil)
	if err != nil {
		return c, err
	}
	if !slices.Equal(mergeBuckets(keptArr), mergeBuckets(counted)) {
		c.Mismatches = append(c.Mismatches, fmt.Sprintf("case arrivals of the %d quarter hours to %s", to-from,
			time.UnixMicro(to*quarterMicros).UTC().Format(time.RFC3339)))
	}
	c.Quarters = int(to - from)
	return c, nil
}
