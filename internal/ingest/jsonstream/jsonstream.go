// Package jsonstream walks the JSON values of an input one at a time, in
// whichever shape real exports use: NDJSON (one value per line), a top-level
// array, a single (possibly pretty-printed) document, or several documents
// one after another. It never holds more than one value in memory.
package jsonstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MaxValue is the largest single JSON value (or NDJSON line) accepted.
const MaxValue = 64 << 20

// Func receives one value and its location: "name:12" (line 12) for NDJSON,
// "name:$[3]" for the fourth element of a top-level array, "name:$" for a
// single document. Values are only valid during the call. An error returned
// by Func stops the walk and is returned by Each.
type Func func(loc string, value []byte) error

// BadValueFunc receives a value that is not valid JSON; it is called instead
// of Func, and the walk continues with the next line when it can.
type BadValueFunc func(loc string, value []byte, err error) error

// Each calls fn for every JSON value in r. Malformed values go to bad. In
// array and document mode a syntax error ends the walk after reporting it,
// since the rest cannot be re-synchronised.
func Each(r io.Reader, name string, fn Func, bad BadValueFunc) error {
	return each(r, name, fn, bad, true)
}

// EachUnchecked is Each without the validation of NDJSON lines, for callers
// whose decoder validates anyway (encoding/json's Unmarshal does): fn may
// receive a line that is not valid JSON and must reject it itself. Arrays
// and documents are always validated by the decoder that splits them.
func EachUnchecked(r io.Reader, name string, fn Func, bad BadValueFunc) error {
	return each(r, name, fn, bad, false)
}

func each(r io.Reader, name string, fn Func, bad BadValueFunc, validate bool) error {
	br := bufio.NewReaderSize(r, 1<<20)
	first, err := FirstByte(br)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if first == '[' {
		return eachInArray(br, name, fn, bad)
	}
	// Decide between NDJSON and pretty-printed documents from the first line.
	line, whole, err := PeekLine(br)
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	// A first line longer than the buffer is one huge value on one line:
	// pretty-printed documents break lines early.
	if !whole || json.Valid(bytes.TrimSpace(line)) {
		return eachLine(br, name, fn, bad, validate)
	}
	return eachDocument(br, name, fn, bad)
}

// FirstByte skips whitespace and a UTF-8 byte order mark, and returns the
// first byte after them without consuming it.
func FirstByte(br *bufio.Reader) (byte, error) {
	for {
		p, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch p[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
			continue
		case 0xEF: // UTF-8 byte order mark
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				br.Discard(3)
				continue
			}
		}
		return p[0], nil
	}
}

// PeekLine returns the first line without consuming it; whole is false when
// the line is longer than the reader's buffer and so was cut.
func PeekLine(br *bufio.Reader) (line []byte, whole bool, err error) {
	n := 4096
	for {
		p, err := br.Peek(n)
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			return p[:i], true, nil
		}
		switch {
		case err == io.EOF:
			return p, true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			return p, false, nil
		case err != nil:
			return nil, false, err
		}
		n *= 2
	}
}

func eachLine(br *bufio.Reader, name string, fn Func, bad BadValueFunc, validate bool) error {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<20), MaxValue)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		loc := name + ":" + strconv.Itoa(lineNo)
		if validate && !json.Valid(line) {
			err := syntaxError(line)
			if berr := bad(loc, line, err); berr != nil {
				return berr
			}
			continue
		}
		if err := fn(loc, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s after line %d: %w", name, lineNo, err)
	}
	return nil
}

func syntaxError(v []byte) error {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return errors.New("invalid JSON")
}

func eachInArray(br *bufio.Reader, name string, fn Func, bad BadValueFunc) error {
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil { // '['
		return fmt.Errorf("reading %s: %w", name, err)
	}
	for i := 0; dec.More(); i++ {
		var v json.RawMessage
		loc := name + ":$[" + strconv.Itoa(i) + "]"
		if err := dec.Decode(&v); err != nil {
			return bad(loc, nil, fmt.Errorf("invalid JSON, rest of input skipped: %w", err))
		}
		if err := fn(loc, v); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return bad(name+":$", nil, fmt.Errorf("array not closed: %w", err))
	}
	return nil
}

func eachDocument(br *bufio.Reader, name string, fn Func, bad BadValueFunc) error {
	dec := json.NewDecoder(br)
	for i := 0; ; i++ {
		var v json.RawMessage
		err := dec.Decode(&v)
		if err == io.EOF {
			return nil
		}
		loc := name + ":$"
		if i > 0 {
			loc = name + ":#" + strconv.Itoa(i+1)
		}
		if err != nil {
			return bad(loc, nil, fmt.Errorf("invalid JSON, rest of input skipped: %w", err))
		}
		if err := fn(loc, v); err != nil {
			return err
		}
	}
}
