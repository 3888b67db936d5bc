package servicenow

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// MaxRecord is the largest CSV record (header or row, line breaks inside
// quoted fields included) accepted. A longer record is rejected and reading
// resumes on the next line, so an unterminated quote cannot make the parser
// buffer the rest of the input.
const MaxRecord = 1 << 20

var bom = []byte{0xEF, 0xBB, 0xBF}

// csvRecord is one record of the input as scanned.
type csvRecord struct {
	line   int      // line the record starts on, 1-based
	raw    []byte   // the record's text without its final line break; reused by the next scan
	fields []string // the fields, unquoted
	err    error    // why the record is malformed; fields are then partial
}

// scanner splits RFC 4180 CSV into records. Unlike encoding/csv it keeps
// each record's text (for reject files) and bounds its size; it is strict
// about characters after a closing quote and lenient about quotes inside an
// unquoted field, which it keeps as text.
type scanner struct {
	br    *bufio.Reader
	line  int // physical lines consumed
	max   int
	raw   []byte
	field []byte
}

func newScanner(r io.Reader, max int) *scanner {
	br := bufio.NewReaderSize(r, 64<<10)
	if p, err := br.Peek(len(bom)); err == nil && bytes.Equal(p, bom) {
		br.Discard(len(bom))
	}
	return &scanner{br: br, max: max}
}

const (
	fieldStart = iota
	unquoted
	quoted
	quoteInQuoted // a quote inside a quoted field: either "" or the closing quote
)

// next returns the next non-blank record, io.EOF at the end of the input,
// or the error that stopped reading.
func (s *scanner) next() (csvRecord, error) {
	for {
		rec, blank, err := s.scan()
		if err != nil {
			return csvRecord{}, err
		}
		if !blank {
			return rec, nil
		}
	}
}

func (s *scanner) scan() (rec csvRecord, blank bool, err error) {
	rec.line = s.line + 1
	s.raw = s.raw[:0]
	s.field = s.field[:0]
	state := fieldStart
	quoteLine := 0
	pendingCR := false
	endField := func() {
		rec.fields = append(rec.fields, string(s.field))
		s.field = s.field[:0]
	}
	fail := func(format string, args ...any) {
		if rec.err == nil {
			rec.err = fmt.Errorf(format, args...)
		}
	}
	// feed runs one byte through the state machine and reports whether it
	// ended the record.
	feed := func(c byte) bool {
		switch state {
		case fieldStart:
			if c == '"' {
				state, quoteLine = quoted, s.line+1
				return false
			}
			state = unquoted
			fallthrough
		case unquoted:
			switch c {
			case ',':
				endField()
				state = fieldStart
			case '\n':
				endField()
				return true
			default:
				s.field = append(s.field, c)
			}
		case quoted:
			if c == '"' {
				state = quoteInQuoted
			} else {
				s.field = append(s.field, c)
			}
		case quoteInQuoted:
			switch c {
			case '"':
				s.field = append(s.field, '"')
				state = quoted
			case ',':
				endField()
				state = fieldStart
			case '\n':
				endField()
				return true
			default:
				fail("field %d: unexpected %q after closing quote", len(rec.fields)+1, c)
				s.field = append(s.field, c)
				state = unquoted
			}
		}
		return false
	}

	for {
		chunk, rerr := s.br.ReadSlice('\n')
		if rerr != nil && rerr != bufio.ErrBufferFull && rerr != io.EOF {
			return rec, false, fmt.Errorf("line %d: %w", s.line+1, rerr)
		}
		if len(s.raw)+len(chunk) > s.max {
			fail("record longer than %d bytes (unterminated quoted field?)", s.max)
			s.raw = append(s.raw, chunk[:s.max-len(s.raw)]...)
			if err := s.skipLine(chunk, rerr); err != nil {
				return rec, false, err
			}
			rec.raw = s.raw
			return rec, false, nil
		}
		s.raw = append(s.raw, chunk...)
		for _, c := range chunk {
			if c == '\n' {
				s.line++
			}
			if pendingCR {
				pendingCR = false
				if c != '\n' {
					feed('\r') // a lone CR is text; it never ends a record
				}
			}
			if c == '\r' {
				pendingCR = true
				continue
			}
			if feed(c) {
				rec.raw = trimEOL(s.raw)
				return rec, len(rec.fields) == 1 && len(rec.raw) == 0, nil
			}
		}
		if rerr == io.EOF {
			if len(s.raw) == 0 {
				return rec, false, io.EOF
			}
			if state == quoted {
				fail("unterminated quoted field opened on line %d", quoteLine)
			}
			endField()
			rec.raw = trimEOL(s.raw)
			return rec, len(rec.fields) == 1 && len(rec.raw) == 0, nil
		}
	}
}

// skipLine discards the rest of the physical line whose first part is chunk,
// so that scanning resumes on the next line after an oversized record.
func (s *scanner) skipLine(chunk []byte, rerr error) error {
	for {
		if bytes.IndexByte(chunk, '\n') >= 0 {
			s.line += bytes.Count(chunk, []byte{'\n'})
			return nil
		}
		if rerr == io.EOF {
			return nil
		}
		chunk, rerr = s.br.ReadSlice('\n')
		if rerr != nil && rerr != bufio.ErrBufferFull && rerr != io.EOF {
			return fmt.Errorf("line %d: %w", s.line+1, rerr)
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}
