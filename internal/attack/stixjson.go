package attack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// This file reads the JSON of STIX bundles. encoding/json scans at about
// 100 MB/s and decodes through reflection, which made loading the embedded
// catalog take 70 ms; this reader first checks each object's syntax and
// finds its end in one tight pass, then decodes only the fields Parse needs.
// Strings with escapes or invalid UTF-8 are decoded by encoding/json, so the
// values are the same as encoding/json would give.

// maxValue is the largest single JSON value (one STIX object) accepted.
const maxValue = 64 << 20

// maxDepth is how deeply JSON values may nest.
const maxDepth = 1000

// errShort reports that a buffer ends inside a JSON value.
var errShort = errors.New("unexpected end of JSON input")

// syntaxError is a JSON syntax error at a byte offset.
type syntaxError struct {
	msg string
	off int64
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.off, e.msg)
}

func syntaxErr(data []byte, i int, what string) error {
	return &syntaxError{fmt.Sprintf("invalid character %q looking for %s", data[i], what), int64(i)}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// scanValue checks the JSON value starting at data[i] (after optional
// whitespace) and returns the index just after it. It returns errShort if
// data ends before the value does.
func scanValue(data []byte, i, depth int) (int, error) {
	i = skipSpace(data, i)
	if i >= len(data) {
		return i, errShort
	}
	switch c := data[i]; {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return i, &syntaxError{"values nested too deeply", int64(i)}
		}
		return scanContainer(data, i, depth)
	case c == '"':
		return scanString(data, i)
	case c == 't':
		return scanLiteral(data, i, "true")
	case c == 'f':
		return scanLiteral(data, i, "false")
	case c == 'n':
		return scanLiteral(data, i, "null")
	case c == '-' || '0' <= c && c <= '9':
		return scanNumber(data, i)
	}
	return i, syntaxErr(data, i, "beginning of value")
}

// scanContainer scans the object or array starting at data[i].
func scanContainer(data []byte, i, depth int) (int, error) {
	object := data[i] == '{'
	closer := byte(']')
	if object {
		closer = '}'
	}
	i = skipSpace(data, i+1)
	if i >= len(data) {
		return i, errShort
	}
	if data[i] == closer {
		return i + 1, nil
	}
	for {
		var err error
		if object {
			if data[i] != '"' {
				return i, syntaxErr(data, i, "beginning of object key string")
			}
			if i, err = scanString(data, i); err != nil {
				return i, err
			}
			if i = skipSpace(data, i); i >= len(data) {
				return i, errShort
			}
			if data[i] != ':' {
				return i, syntaxErr(data, i, "':' after object key")
			}
			i++
		}
		if i, err = scanValue(data, i, depth+1); err != nil {
			return i, err
		}
		if i = skipSpace(data, i); i >= len(data) {
			return i, errShort
		}
		switch data[i] {
		case ',':
			if i = skipSpace(data, i+1); i >= len(data) {
				return i, errShort
			}
		case closer:
			return i + 1, nil
		default:
			return i, syntaxErr(data, i, fmt.Sprintf("',' or '%c'", closer))
		}
	}
}

// plainByte marks the bytes a string may hold unescaped.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString scans the string starting at the quote data[i].
func scanString(data []byte, i int) (int, error) {
	j := i + 1
	for {
		for j < len(data) && plainByte[data[j]] {
			j++
		}
		if j >= len(data) {
			return j, errShort
		}
		switch c := data[j]; {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			if j++; j >= len(data) {
				return j, errShort
			}
			switch data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 0; k < 4; k++ {
					if j++; j >= len(data) {
						return j, errShort
					}
					if !isHex(data[j]) {
						return j, syntaxErr(data, j, "hexadecimal digit in \\u escape")
					}
				}
			default:
				return j, syntaxErr(data, j, "escape character")
			}
			j++
		default:
			return j, syntaxErr(data, j, "end of string (control character in string)")
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func scanLiteral(data []byte, i int, lit string) (int, error) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(data) {
			return i + k, errShort
		}
		if data[i+k] != lit[k] {
			return i + k, syntaxErr(data, i+k, "literal "+lit)
		}
	}
	return i + len(lit), nil
}

// scanNumber scans the number starting at data[i]. A number at the very end
// of data may go on, so that is errShort too.
func scanNumber(data []byte, i int) (int, error) {
	digits := func(j int) (int, error) {
		if j >= len(data) {
			return j, errShort
		}
		if data[j] < '0' || data[j] > '9' {
			return j, syntaxErr(data, j, "digit in number")
		}
		for j < len(data) && '0' <= data[j] && data[j] <= '9' {
			j++
		}
		return j, nil
	}
	j := i
	if data[j] == '-' {
		j++
	}
	if j < len(data) && data[j] == '0' {
		j++
	} else {
		var err error
		if j, err = digits(j); err != nil {
			return j, err
		}
	}
	if j < len(data) && data[j] == '.' {
		var err error
		if j, err = digits(j + 1); err != nil {
			return j, err
		}
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		j++
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		var err error
		if j, err = digits(j); err != nil {
			return j, err
		}
	}
	if j >= len(data) {
		return j, errShort
	}
	return j, nil
}

// stream reads JSON from r one value at a time, holding only the current
// value in memory.
type stream struct {
	r    io.Reader
	buf  []byte
	pos  int   // read position in buf
	base int64 // input offset of buf[0]
	eof  bool
}

func newStream(r io.Reader) *stream {
	return &stream{r: r, buf: make([]byte, 0, 256<<10)}
}

// fill drops the consumed part of the buffer, grows it if it is full, and
// reads until it is full or the input ends.
func (s *stream) fill() error {
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.base += int64(s.pos)
		s.buf, s.pos = s.buf[:n], 0
	}
	if len(s.buf) == cap(s.buf) {
		if cap(s.buf) >= maxValue {
			return fmt.Errorf("JSON value at byte %d is larger than %d bytes", s.base, maxValue)
		}
		s.buf = append(make([]byte, 0, 2*cap(s.buf)), s.buf...)
	}
	for empty := 0; len(s.buf) < cap(s.buf); {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if n == 0 && err == nil {
			if empty++; empty > 100 {
				return io.ErrNoProgress
			}
		}
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// peek skips whitespace and returns the next byte; io.EOF at the end.
func (s *stream) peek() (byte, error) {
	for {
		s.pos = skipSpace(s.buf, s.pos)
		if s.pos < len(s.buf) {
			return s.buf[s.pos], nil
		}
		if s.eof {
			return 0, io.EOF
		}
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
}

// expect consumes the next non-space byte, which must be c.
func (s *stream) expect(c byte, what string) error {
	got, err := s.peek()
	if err == io.EOF {
		return fmt.Errorf("unexpected end of input looking for %s", what)
	}
	if err != nil {
		return err
	}
	if got != c {
		return &syntaxError{fmt.Sprintf("invalid character %q looking for %s", got, what), s.base + int64(s.pos)}
	}
	s.pos++
	return nil
}

// value returns the next JSON value, checked. It is valid until the next
// call.
func (s *stream) value() ([]byte, error) {
	if _, err := s.peek(); err == io.EOF {
		return nil, errors.New("unexpected end of input looking for a value")
	} else if err != nil {
		return nil, err
	}
	for {
		end, err := scanValue(s.buf, s.pos, 0)
		if err == nil {
			v := s.buf[s.pos:end]
			s.pos = end
			return v, nil
		}
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, &syntaxError{se.msg, s.base + se.off}
		}
		if s.eof {
			return nil, fmt.Errorf("unexpected end of input in the value at byte %d", s.base+int64(s.pos))
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// decoder decodes one checked JSON value into Go values.
type decoder struct {
	data    []byte
	i       int
	key     []byte // the key whose value is being decoded
	typeErr error  // the first value of an unexpected JSON type
	intern  map[string]string
}

func (d *decoder) next() byte {
	d.i = skipSpace(d.data, d.i)
	return d.data[d.i]
}

// skip steps over the next value.
func (d *decoder) skip() {
	d.i, _ = scanValue(d.data, d.i, 0)
}

// mismatch records that the next value is not of type want and skips it.
func (d *decoder) mismatch(want string) {
	if d.typeErr == nil {
		d.typeErr = fmt.Errorf("%q is %s, want %s", d.key, jsonType(d.data[d.i]), want)
	}
	d.skip()
}

func jsonType(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// null consumes the null at d.i.
func (d *decoder) null() {
	d.i += len("null")
}

// rawString returns the contents of the string at d.i, unescaped. The
// result aliases d.data when the string needs no decoding.
func (d *decoder) rawString() []byte {
	start := d.i
	rest := d.data[start+1:]
	// The value is checked, so without a backslash the next quote ends it.
	if n := bytes.IndexByte(rest, '"'); n >= 0 && bytes.IndexByte(rest[:n], '\\') < 0 {
		d.i = start + n + 2
		if raw := rest[:n]; utf8.Valid(raw) {
			return raw
		}
		return decodeString(d.data[start:d.i])
	}
	d.i, _ = scanString(d.data, start)
	return decodeString(d.data[start:d.i])
}

// decodeString unescapes a checked JSON string literal, replacing invalid
// UTF-8 as encoding/json does.
func decodeString(literal []byte) []byte {
	inner := literal[1 : len(literal)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return inner
	}
	var s string
	if err := json.Unmarshal(literal, &s); err != nil {
		// Unreachable: the literal was checked by scanString.
		return inner
	}
	return []byte(s)
}

// str decodes a string into *dst; null leaves *dst as it is. Interned
// strings are shared between objects (types, platforms, phase names).
func (d *decoder) str(dst *string, intern bool) {
	switch d.next() {
	case '"':
		raw := d.rawString()
		if intern && d.intern != nil {
			if s, ok := d.intern[string(raw)]; ok {
				*dst = s
				return
			}
			s := string(raw)
			if len(d.intern) < 4096 {
				d.intern[s] = s
			}
			*dst = s
			return
		}
		*dst = string(raw)
	case 'n':
		d.null()
	default:
		d.mismatch("a string")
	}
}

// boolean decodes a boolean into *dst; null leaves *dst as it is.
func (d *decoder) boolean(dst *bool) {
	switch d.next() {
	case 't':
		*dst = true
		d.i += len("true")
	case 'f':
		*dst = false
		d.i += len("false")
	case 'n':
		d.null()
	default:
		d.mismatch("a boolean")
	}
}

// array calls elem for each element of an array; null sets *reset.
func (d *decoder) array(reset func(), elem func()) {
	switch d.next() {
	case '[':
		reset()
		d.i++
		if d.next() == ']' {
			d.i++
			return
		}
		for {
			elem()
			if d.next() == ']' {
				d.i++
				return
			}
			d.i++ // ','
		}
	case 'n':
		d.null()
		reset()
	default:
		d.mismatch("an array")
	}
}

// strings decodes an array of strings into *dst.
func (d *decoder) strings(dst *[]string, intern bool) {
	d.array(func() { *dst = (*dst)[:0:0] }, func() {
		var s string
		d.str(&s, intern)
		*dst = append(*dst, s)
	})
}

// object calls field with each key of an object and the decoder positioned
// at its value, which field must consume; null is skipped.
func (d *decoder) object(field func(key []byte)) {
	switch d.next() {
	case '{':
		d.i++
		if d.next() == '}' {
			d.i++
			return
		}
		for {
			d.next()
			key := d.rawString()
			d.next()
			d.i++ // ':'
			d.key = key
			field(key)
			if d.next() == '}' {
				d.i++
				return
			}
			d.i++ // ','
		}
	case 'n':
		d.null()
		return
	}
	d.mismatch("an object")
}

// decodeObject decodes a checked JSON value into o. Fields of an unexpected
// JSON type are left as they are and reported in the returned error, after
// the rest of the object has been decoded, like encoding/json does.
func decodeObject(data []byte, o *stixObject, intern map[string]string) error {
	d := &decoder{data: data, intern: intern}
	d.object(func(key []byte) { d.field(key, o) })
	return d.typeErr
}

func (d *decoder) field(key []byte, o *stixObject) {
	switch string(key) {
	case "type":
		d.str(&o.Type, true)
	case "id":
		d.str(&o.ID, false)
	case "name":
		d.str(&o.Name, false)
	case "description":
		d.str(&o.Description, false)
	case "external_references":
		d.array(func() { o.ExternalReferences = o.ExternalReferences[:0:0] }, func() {
			var r externalReference
			d.object(func(key []byte) {
				switch string(key) {
				case "source_name":
					d.str(&r.SourceName, true)
				case "external_id":
					d.str(&r.ExternalID, false)
				default:
					d.skip()
				}
			})
			o.ExternalReferences = append(o.ExternalReferences, r)
		})
	case "kill_chain_phases":
		d.array(func() { o.KillChainPhases = o.KillChainPhases[:0:0] }, func() {
			var p killChainPhase
			d.object(func(key []byte) {
				switch string(key) {
				case "kill_chain_name":
					d.str(&p.KillChainName, true)
				case "phase_name":
					d.str(&p.PhaseName, true)
				default:
					d.skip()
				}
			})
			o.KillChainPhases = append(o.KillChainPhases, p)
		})
	case "x_mitre_platforms":
		d.strings(&o.Platforms, true)
	case "x_mitre_is_subtechnique":
		d.boolean(&o.IsSubtechnique)
	case "x_mitre_shortname":
		d.str(&o.ShortName, false)
	case "revoked":
		d.boolean(&o.Revoked)
	case "x_mitre_deprecated":
		d.boolean(&o.Deprecated)
	case "aliases":
		d.strings(&o.Aliases, false)
	case "x_mitre_aliases":
		d.strings(&o.SoftwareAliases, false)
	case "first_seen":
		d.str(&o.FirstSeen, false)
	case "last_seen":
		d.str(&o.LastSeen, false)
	case "tactic_refs":
		d.strings(&o.TacticRefs, false)
	case "relationship_type":
		d.str(&o.RelationshipType, true)
	case "source_ref":
		d.str(&o.SourceRef, false)
	case "target_ref":
		d.str(&o.TargetRef, false)
	default:
		d.skip()
	}
}
