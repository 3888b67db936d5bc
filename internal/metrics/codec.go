package metrics

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Stored day parts are encoded in a compact binary form (varints, with
// sketch bins delta-coded), base64 so they fit the store's text column on
// both engines. A fresh process decodes 90 days of them for every report,
// and JSON decoding was two thirds of that time. The text starts with
// partPrefix, which names rollupFormat: a part in any other format (older
// JSON parts included) is rebuilt, never misread.

var partPrefix = "wf" + strconv.Itoa(rollupFormat) + ":"

// errPartFormat reports a part stored in another format.
var errPartFormat = errors.New("stored in another format")

// encoder appends values to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) float(v float64)  { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }

func (e *encoder) text() string {
	return partPrefix + base64.RawStdEncoding.EncodeToString(e.b)
}

// counts writes a string → count map in key order.
func (e *encoder) counts(m map[string]int64) {
	e.uvarint(uint64(len(m)))
	for _, k := range sortedKeys(m) {
		e.str(k)
		e.varint(m[k])
	}
}

func (e *encoder) agg(a *Agg) {
	if a == nil {
		a = &Agg{}
	}
	e.varint(a.N)
	e.float(a.Sum)
	e.varint(a.Open)
	e.varint(a.Missing)
	e.varint(a.Clamped)
	e.varint(a.Imputed)
	e.uvarint(uint64(len(a.Bins)))
	prev := int64(math.MinInt64)
	for i, b := range a.Bins {
		if i == 0 {
			e.varint(b[0])
		} else {
			e.uvarint(uint64(b[0] - prev)) // bins ascend
		}
		prev = b[0]
		e.varint(b[1])
	}
}

func (e *encoder) countsOf(c *Counts) {
	e.varint(c.Cases)
	e.varint(c.Done)
	e.varint(c.Reopened)
	e.varint(c.Escalated)
	e.varint(c.Handled)
	e.float(c.HandledSeconds)
	e.varint(c.Worked)
	e.float(c.WorkedSeconds)
	keys := make([]string, 0, len(c.KPIs))
	for k := range c.KPIs {
		keys = append(keys, string(k))
	}
	slices.Sort(keys)
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.agg(c.KPIs[KPI(k)])
	}
	e.counts(c.SLAAck)
	e.counts(c.SLAResolve)
	e.openClocks(c.OpenAck)
	e.openClocks(c.OpenResolve)
	e.counts(c.SourceSLA)
	e.counts(c.Dispositions)
}

// openClocks writes running clocks' turning instants.
func (e *encoder) openClocks(cs []OpenClock) {
	e.uvarint(uint64(len(cs)))
	for _, c := range cs {
		e.varint(c.AtRisk)
		e.varint(c.Overdue)
	}
}

// decoder reads what encoder wrote; the first error sticks and every later
// read returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("truncated or corrupt %s", what)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("number")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

// length reads a count of items that take at least one byte each, so a
// corrupt count cannot ask for more memory than the data could fill.
func (d *decoder) length() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("length")
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.length()
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) counts() map[string]int64 {
	n := d.length()
	m := make(map[string]int64, n)
	for range n {
		k := d.str()
		m[k] = d.varint()
	}
	return m
}

func (d *decoder) agg() *Agg {
	a := &Agg{N: d.varint(), Sum: d.float(), Open: d.varint(), Missing: d.varint(), Clamped: d.varint(), Imputed: d.varint()}
	n := d.length()
	if n > 0 {
		a.Bins = make([][2]int64, n)
	}
	var k int64
	for i := range n {
		if i == 0 {
			k = d.varint()
		} else {
			step := d.uvarint()
			if step == 0 || step > math.MaxInt32 {
				d.fail("sketch bins")
			}
			k += int64(step)
		}
		a.Bins[i] = [2]int64{k, d.varint()}
	}
	return a
}

func (d *decoder) countsOf() *Counts {
	c := &Counts{Cases: d.varint(), Done: d.varint(), Reopened: d.varint(), Escalated: d.varint(), Handled: d.varint(),
		HandledSeconds: d.float(), Worked: d.varint(), WorkedSeconds: d.float()}
	n := d.length()
	c.KPIs = make(map[KPI]*Agg, n)
	for range n {
		k := KPI(d.str())
		c.KPIs[k] = d.agg()
	}
	c.SLAAck, c.SLAResolve = d.counts(), d.counts()
	c.OpenAck, c.OpenResolve = d.openClocks(), d.openClocks()
	c.SourceSLA, c.Dispositions = d.counts(), d.counts()
	return c
}

func (d *decoder) openClocks() []OpenClock {
	n := d.length()
	if n == 0 {
		return nil
	}
	out := make([]OpenClock, n)
	for i := range out {
		out[i] = OpenClock{AtRisk: d.varint(), Overdue: d.varint()}
	}
	return out
}

// newDecoder checks the prefix and decodes the base64 payload.
func newDecoder(data string) (*decoder, error) {
	payload, ok := strings.CutPrefix(data, partPrefix)
	if !ok {
		return nil, errPartFormat
	}
	b, err := base64.RawStdEncoding.DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("decoding base64: %w", err)
	}
	return &decoder{b: b}, nil
}

// done reports the decoder's error, or trailing bytes.
func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d bytes after the data", len(d.b))
	}
	return d.err
}

// encodeGroups encodes one dimension of a day of case aggregates.
func encodeGroups(groups map[string]*Group) string {
	e := &encoder{}
	e.uvarint(uint64(len(groups)))
	for _, k := range sortedKeys(groups) {
		g := groups[k]
		e.str(k)
		e.countsOf(g.Real)
		if g.Tests == nil {
			e.uvarint(0)
		} else {
			e.uvarint(1)
			e.countsOf(g.Tests)
		}
	}
	return e.text()
}

func decodeGroups(data string) (map[string]*Group, error) {
	d, err := newDecoder(data)
	if err != nil {
		return nil, err
	}
	n := d.length()
	out := make(map[string]*Group, n)
	for range n {
		k := d.str()
		g := &Group{Real: d.countsOf()}
		switch d.uvarint() {
		case 0:
		case 1:
			g.Tests = d.countsOf()
		default:
			d.fail("group")
		}
		out[k] = g
	}
	return out, d.done()
}

// encodeRuleLoads encodes a day's case work per rule.
func encodeRuleLoads(m map[string]*RuleLoad) string {
	e := &encoder{}
	e.uvarint(uint64(len(m)))
	for _, k := range sortedKeys(m) {
		l := m[k]
		e.str(k)
		e.varint(l.Cases)
		e.varint(l.Handled)
		e.float(l.HandledSeconds)
		e.varint(l.Worked)
		e.float(l.WorkedSeconds)
	}
	return e.text()
}

func decodeRuleLoads(data string) (map[string]*RuleLoad, error) {
	d, err := newDecoder(data)
	if err != nil {
		return nil, err
	}
	n := d.length()
	out := make(map[string]*RuleLoad, n)
	for range n {
		k := d.str()
		out[k] = &RuleLoad{Cases: d.varint(), Handled: d.varint(), HandledSeconds: d.float(), Worked: d.varint(), WorkedSeconds: d.float()}
	}
	return out, d.done()
}

// encodeAlertDay encodes a day's alert aggregates by rule.
func encodeAlertDay(ad AlertDay) string {
	e := &encoder{}
	e.uvarint(uint64(len(ad)))
	for _, k := range sortedKeys(ad) {
		e.str(k)
		e.ruleAgg(ad[k])
	}
	return e.text()
}

// ruleAgg encodes one rule's alert aggregates, as a day and a span hold
// them.
func (e *encoder) ruleAgg(r *RuleAgg) {
	e.str(r.Source)
	e.str(r.RuleID)
	e.str(r.RuleName)
	e.varint(r.Alerts)
	e.varint(r.Linked)
	for _, n := range r.Severity {
		e.varint(n)
	}
	e.counts(r.Dispositions)
	e.agg(r.MTTD)
}

// ruleAgg reads what [encoder.ruleAgg] wrote.
func (d *decoder) ruleAgg() *RuleAgg {
	r := &RuleAgg{Source: d.str(), RuleID: d.str(), RuleName: d.str(), Alerts: d.varint(), Linked: d.varint()}
	for i := range r.Severity {
		r.Severity[i] = d.varint()
	}
	r.Dispositions = d.counts()
	r.MTTD = d.agg()
	return r
}

func decodeAlertDay(data string) (AlertDay, error) {
	d, err := newDecoder(data)
	if err != nil {
		return nil, err
	}
	n := d.length()
	out := make(AlertDay, n)
	for range n {
		k := d.str()
		out[k] = d.ruleAgg()
	}
	return out, d.done()
}

// encodeTechniqueDay encodes a day's alerts by technique list.
func encodeTechniqueDay(td *TechniqueDay) string {
	e := &encoder{}
	e.varint(td.Alerts)
	e.counts(td.Sets)
	return e.text()
}

func decodeTechniqueDay(data string) (*TechniqueDay, error) {
	d, err := newDecoder(data)
	if err != nil {
		return nil, err
	}
	td := &TechniqueDay{Alerts: d.varint()}
	td.Sets = d.counts()
	return td, d.done()
}

// sortedKeys returns a map's keys in order, so what is encoded or summed
// from the map never depends on its iteration order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
