package store

import (
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/internal/model"
)

// An alert's entities and techniques are written as JSON text on every
// insert, and the techniques again for its rollup: encoding/json's
// reflection was a tenth of SQLite's ingest CPU. These write the bytes
// json.Marshal writes (HTML-safe escaping, invalid UTF-8 as U+FFFD),
// which stored text and rollup keys depend on.

func stringsJSON(xs []string) string {
	n := 2
	for _, x := range xs {
		n += len(x) + 3
	}
	return string(appendStringsJSON(make([]byte, 0, n), xs))
}

// appendStringsJSON appends xs as a JSON array of strings.
func appendStringsJSON(b []byte, xs []string) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, x)
	}
	return append(b, ']')
}

func entitiesJSON(es []model.Entity) string {
	n := 2
	for _, e := range es {
		n += len(e.Type) + len(e.Value) + len(e.Role) + 40
	}
	return string(appendEntitiesJSON(make([]byte, 0, n), es))
}

// appendEntitiesJSON appends es as json.Marshal writes them.
func appendEntitiesJSON(b []byte, es []model.Entity) []byte {
	b = append(b, '[')
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		b = appendJSONString(b, e.Type)
		b = append(b, `,"value":`...)
		b = appendJSONString(b, e.Value)
		if e.Role != "" {
			b = append(b, `,"role":`...)
			b = appendJSONString(b, e.Role)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
