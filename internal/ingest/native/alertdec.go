package native

import (
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Alerts are most of what Watchfloor ingests, and encoding/json's
// reflection was most of the CPU an ingest of them cost. alertDecoder
// reads an alert object with a byte scanner instead, for the shapes
// exporters write: exact lower-case keys, each at most once, no nulls in
// the fields it fills, valid UTF-8 and no surrogate escapes in the strings
// it decodes. Anything else (and every invalid or rejected record) it
// declines, and the record is decoded by encoding/json as before, so what
// is accepted, the values and the error messages are encoding/json's
// (FuzzAlertDecoder compares the two).

// alertDecoder holds the scanner's state and a scratch buffer reused
// across the records of one Parse.
type alertDecoder struct {
	b       []byte
	i       int
	bad     bool // declined: the caller decodes with encoding/json
	scratch []byte
	// strs holds recent short values of the fields that repeat from
	// alert to alert, by hash: each is allocated once, not per alert.
	strs [512]string
}

// maxSkipDepth bounds the nesting of values the decoder skips or copies
// (unknown fields, "raw"); deeper ones are declined and encoding/json
// applies its own limit.
const maxSkipDepth = 512

// The fields of an alert record, as bits of the set of those seen.
const (
	afRecord = iota
	afID
	afSource
	afExternalID
	afTitle
	afDescription
	afSeverity
	afStatus
	afDisposition
	afRuleID
	afRuleName
	afCaseExternalID
	afCaseID
	afOccurredAt
	afCreatedAt
	afIngestedAt
	afEntities
	afTechniques
	afAttributes
	afRaw
	afUnknown = -1
	afDecline = -2
)

// alertField maps a key to its field: afUnknown for a key encoding/json
// ignores, afDecline for one that might match a field without being its
// exact name (upper case or non-ASCII letters, which encoding/json folds).
func alertField(k []byte) int {
	switch string(k) {
	case "record":
		return afRecord
	case "id":
		return afID
	case "source":
		return afSource
	case "external_id":
		return afExternalID
	case "title":
		return afTitle
	case "description":
		return afDescription
	case "severity":
		return afSeverity
	case "status":
		return afStatus
	case "disposition":
		return afDisposition
	case "rule_id":
		return afRuleID
	case "rule_name":
		return afRuleName
	case "case_external_id":
		return afCaseExternalID
	case "case_id":
		return afCaseID
	case "occurred_at":
		return afOccurredAt
	case "created_at":
		return afCreatedAt
	case "ingested_at":
		return afIngestedAt
	case "entities":
		return afEntities
	case "techniques":
		return afTechniques
	case "attributes":
		return afAttributes
	case "raw":
		return afRaw
	}
	return foldable(k)
}

// foldable is afDecline when k has a byte encoding/json's case folding
// could map onto a field name's letters, afUnknown otherwise.
func foldable(k []byte) int {
	for _, c := range k {
		if c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			return afDecline
		}
	}
	return afUnknown
}

// alert decodes object v into a (a fresh alert) and returns its "record"
// value. ok is false when the decoder declines v; a is then partly
// filled and must be discarded.
func (d *alertDecoder) alert(v []byte, a *model.Alert) (typ string, ok bool) {
	d.b, d.i, d.bad = v, 0, false
	var seen uint32
	d.ws()
	if !d.open('{', '}') {
		for !d.bad {
			key := d.key()
			f := alertField(key)
			switch {
			case d.bad:
				return "", false
			case f == afDecline:
				return "", false
			case f >= 0:
				if seen&(1<<f) != 0 {
					return "", false // a repeated key: encoding/json's merging is not copied here
				}
				seen |= 1 << f
				if d.i < len(d.b) && d.b[d.i] == 'n' {
					return "", false // null leaves a field as it was, or sets it to nil
				}
			}
			switch f {
			case afUnknown:
				d.skip(0)
			case afRecord:
				typ = d.str()
			case afID:
				a.ID = d.int()
			case afSource:
				a.Source = d.common()
			case afExternalID:
				a.ExternalID = d.str()
			case afTitle:
				a.Title = d.common()
			case afDescription:
				a.Description = d.str()
			case afSeverity:
				if s, ok := d.strBytes(); ok && a.Severity.UnmarshalText(s) != nil {
					d.bad = true
				}
			case afStatus:
				a.Status = d.common()
			case afDisposition:
				a.Disposition = model.Disposition(d.common())
			case afRuleID:
				a.RuleID = d.common()
			case afRuleName:
				a.RuleName = d.common()
			case afCaseExternalID:
				a.CaseExternalID = d.str()
			case afCaseID:
				a.CaseID = d.int()
			case afOccurredAt:
				d.time(&a.OccurredAt)
			case afCreatedAt:
				d.time(&a.CreatedAt)
			case afIngestedAt:
				d.time(&a.IngestedAt)
			case afEntities:
				a.Entities = d.entities()
			case afTechniques:
				a.Techniques = d.strings()
			case afAttributes:
				a.Attributes = d.stringMap()
			case afRaw:
				start := d.i
				d.skip(0)
				if !d.bad {
					a.Raw = append([]byte(nil), d.b[start:d.i]...)
				}
			}
			if d.next('}') {
				break
			}
		}
	}
	d.ws()
	if d.bad || d.i != len(d.b) {
		return "", false
	}
	return typ, true
}

// entities decodes an array of entity objects.
func (d *alertDecoder) entities() []model.Entity {
	out := []model.Entity{}
	if d.open('[', ']') {
		return out
	}
	for !d.bad {
		var e model.Entity
		var seen uint8
		if !d.open('{', '}') {
			for !d.bad {
				key := d.key()
				f := -1
				switch string(key) {
				case "type":
					f = 0
				case "value":
					f = 1
				case "role":
					f = 2
				default:
					f = foldable(key)
				}
				if d.bad || f == afDecline {
					d.bad = true
					return nil
				}
				if f >= 0 {
					if seen&(1<<f) != 0 || d.i < len(d.b) && d.b[d.i] == 'n' {
						d.bad = true
						return nil
					}
					seen |= 1 << f
				}
				switch f {
				case 0:
					e.Type = d.common()
				case 1:
					e.Value = d.str()
				case 2:
					e.Role = d.common()
				default:
					d.skip(0)
				}
				if d.next('}') {
					break
				}
			}
		}
		out = append(out, e)
		if d.next(']') {
			break
		}
	}
	return out
}

// strings decodes an array of strings.
func (d *alertDecoder) strings() []string {
	out := []string{}
	if d.open('[', ']') {
		return out
	}
	for !d.bad {
		out = append(out, d.common())
		if d.next(']') {
			break
		}
	}
	return out
}

// stringMap decodes an object of string values; a repeated key keeps its
// last value, as encoding/json does.
func (d *alertDecoder) stringMap() map[string]string {
	out := map[string]string{}
	if d.open('{', '}') {
		return out
	}
	for !d.bad {
		k := d.str()
		d.colon()
		out[k] = d.str()
		if d.next('}') {
			break
		}
	}
	return out
}

// ws skips JSON whitespace.
func (d *alertDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// open consumes the opening bracket of an object or array (declining
// anything else) and the whitespace after it, and reports whether the
// container is empty (its closing bracket consumed too).
func (d *alertDecoder) open(o, c byte) (empty bool) {
	if d.bad || d.i >= len(d.b) || d.b[d.i] != o {
		d.bad = true
		return true
	}
	d.i++
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// next consumes the separator after a member or element: a comma (false:
// more follow) or the closing bracket c (true). Anything else declines,
// which ends the loop too.
func (d *alertDecoder) next(c byte) (end bool) {
	if d.bad {
		return true
	}
	d.ws()
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case ',':
			d.i++
			d.ws()
			return false
		case c:
			d.i++
			return true
		}
	}
	d.bad = true
	return true
}

// colon consumes the colon after a key and the whitespace around it.
func (d *alertDecoder) colon() {
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != ':' {
		d.bad = true
		return
	}
	d.i++
	d.ws()
}

// key reads an object key without escapes (a key with one is declined)
// and the colon after it.
func (d *alertDecoder) key() []byte {
	if d.bad || d.i >= len(d.b) || d.b[d.i] != '"' {
		d.bad = true
		return nil
	}
	start := d.i + 1
	for j := start; j < len(d.b); j++ {
		c := d.b[j]
		if c == '"' {
			d.i = j + 1
			d.colon()
			return d.b[start:j]
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	d.bad = true
	return nil
}

// str reads a string value.
func (d *alertDecoder) str() string {
	s, ok := d.strBytes()
	if !ok {
		return ""
	}
	return string(s)
}

// common reads a string value that is likely the same as in other
// alerts (a source, status, rule, entity type, technique).
func (d *alertDecoder) common() string {
	s, ok := d.strBytes()
	if !ok || len(s) == 0 {
		return ""
	}
	if len(s) > 64 {
		return string(s)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range s {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &d.strs[h%uint32(len(d.strs))]
	if *slot != string(s) {
		*slot = string(s)
	}
	return *slot
}

// strBytes reads a string value, unescaped; the bytes are valid until the
// next call. Invalid UTF-8 (which encoding/json replaces) and surrogate
// escapes are declined.
func (d *alertDecoder) strBytes() ([]byte, bool) {
	if d.bad || d.i >= len(d.b) || d.b[d.i] != '"' {
		d.bad = true
		return nil, false
	}
	start := d.i + 1
	high := false
	j := start
	for ; j < len(d.b); j++ {
		c := d.b[j]
		if c == '"' {
			s := d.b[start:j]
			if high && !utf8.Valid(s) {
				break
			}
			d.i = j + 1
			return s, true
		}
		if c == '\\' {
			return d.unescape(start, j, high)
		}
		if c < 0x20 {
			break
		}
		if c >= utf8.RuneSelf {
			high = true
		}
	}
	d.bad = true
	return nil, false
}

// unescape reads the rest of a string that has an escape at j, into the
// scratch buffer.
func (d *alertDecoder) unescape(start, j int, high bool) ([]byte, bool) {
	out := append(d.scratch[:0], d.b[start:j]...)
	for j < len(d.b) {
		c := d.b[j]
		switch {
		case c == '"':
			d.scratch = out
			if high && !utf8.Valid(out) {
				d.bad = true
				return nil, false
			}
			d.i = j + 1
			return out, true
		case c < 0x20:
			d.bad = true
			return nil, false
		case c != '\\':
			if c >= utf8.RuneSelf {
				high = true
			}
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(d.b) {
			break
		}
		switch e := d.b[j+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(d.b[j+2:])
			if !ok || utf16.IsSurrogate(r) {
				d.bad = true
				return nil, false
			}
			out = utf8.AppendRune(out, r)
			j += 4
		default:
			d.bad = true
			return nil, false
		}
		j += 2
	}
	d.bad = true
	return nil, false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// strLiteral reads a string value and returns it as written, quotes
// included (what encoding/json hands a field's UnmarshalJSON).
func (d *alertDecoder) strLiteral() []byte {
	start := d.i
	if d.bad || d.i >= len(d.b) || d.b[d.i] != '"' {
		d.bad = true
		return nil
	}
	d.skipString()
	if d.bad {
		return nil
	}
	return d.b[start:d.i]
}

// time reads a time field as encoding/json does: the string literal
// through time.Time's UnmarshalJSON; one it refuses is declined.
func (d *alertDecoder) time(t *time.Time) {
	if lit := d.strLiteral(); !d.bad && t.UnmarshalJSON(lit) != nil {
		d.bad = true
	}
}

// int reads an integer for an int64 field; fractions, exponents and
// values out of range are declined.
func (d *alertDecoder) int() int64 {
	start := d.i
	d.skipNumber()
	if d.bad {
		return 0
	}
	n, err := strconv.ParseInt(string(d.b[start:d.i]), 10, 64)
	if err != nil {
		d.bad = true
	}
	return n
}

// skip validates and skips any JSON value.
func (d *alertDecoder) skip(depth int) {
	if d.bad || d.i >= len(d.b) || depth > maxSkipDepth {
		d.bad = true
		return
	}
	switch c := d.b[d.i]; c {
	case '"':
		d.skipString()
	case '{':
		if d.open('{', '}') {
			return
		}
		for !d.bad {
			d.skipString()
			d.colon()
			d.skip(depth + 1)
			if d.next('}') {
				return
			}
		}
	case '[':
		if d.open('[', ']') {
			return
		}
		for !d.bad {
			d.skip(depth + 1)
			if d.next(']') {
				return
			}
		}
	case 't':
		d.literal("true")
	case 'f':
		d.literal("false")
	case 'n':
		d.literal("null")
	default:
		d.skipNumber()
		if !d.bad && d.i < len(d.b) {
			switch d.b[d.i] {
			case '.':
				d.i++
				d.digits()
			}
			if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
				d.i++
				if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
					d.i++
				}
				d.digits()
			}
		}
	}
}

// skipNumber skips the integer part of a number: an optional minus, then
// 0 or a digit run not starting with 0. A fraction or exponent is left
// for the caller (int declines it: the next byte is no separator).
func (d *alertDecoder) skipNumber() {
	if d.bad || d.i >= len(d.b) {
		d.bad = true
		return
	}
	if d.b[d.i] == '-' {
		d.i++
	}
	if d.i < len(d.b) && d.b[d.i] == '0' {
		d.i++
		return
	}
	if d.i >= len(d.b) || d.b[d.i] < '1' || d.b[d.i] > '9' {
		d.bad = true
		return
	}
	d.digits()
}

// digits skips a run of at least one digit.
func (d *alertDecoder) digits() {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i == start {
		d.bad = true
	}
}

// literal skips true, false or null.
func (d *alertDecoder) literal(s string) {
	if len(d.b)-d.i < len(s) || string(d.b[d.i:d.i+len(s)]) != s {
		d.bad = true
		return
	}
	d.i += len(s)
}

// skipString validates and skips a string, as encoding/json's scanner
// does: any byte from 0x20 up, escapes of the JSON grammar.
func (d *alertDecoder) skipString() {
	if d.bad || d.i >= len(d.b) || d.b[d.i] != '"' {
		d.bad = true
		return
	}
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			d.i = j + 1
			return
		case c < 0x20:
			d.bad = true
			return
		case c == '\\':
			if j+1 >= len(d.b) {
				d.bad = true
				return
			}
			switch d.b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if _, ok := hex4(d.b[j+2:]); !ok {
					d.bad = true
					return
				}
				j += 5
			default:
				d.bad = true
				return
			}
		}
	}
	d.bad = true
}
