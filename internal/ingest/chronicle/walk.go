package chronicle

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonfield"
	"github.com/watchfloor/watchfloor/internal/ingest/jsonstream"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// kind is what an item of the input is expected to be.
type kind int

const (
	kindAny kind = iota
	kindCase
	kindAlert
	kindComment
)

// containers are the keys under which SOAR responses wrap their items, and
// what those items are. Their values are walked item by item, never decoded
// whole, so a large page does not have to fit in memory.
var containers = map[string]kind{
	// list_cases: {"cases": [...]} (1P API, legacyBatchGetCases),
	// GetCaseCardsByRequest {"caseCards": [...]}, CaseSearchEverything
	// {"results": [...]}.
	"cases":      kindCase,
	"caseCards":  kindCase,
	"case_cards": kindCase,
	"results":    kindAny,
	// Case alerts: {"caseAlerts": [...]}; case comments: {"caseComments": [...]}.
	"caseAlerts":   kindAlert,
	"caseComments": kindComment,
	// The legacy 1P external API pages everything as {"objectsList": [...]}.
	"objectsList": kindAny,
	// get_case_full_details: {"case_details": {...}, "case_alerts": {...},
	// "case_comments": {...}}; early server versions spelled the first key
	// "case_details:".
	"case_details":  kindCase,
	"case_details:": kindCase,
	"caseDetails":   kindCase,
	"case_alerts":   kindAlert,
	"case_comments": kindComment,
}

// paging keys accompany the item lists and carry no items themselves.
var paging = map[string]bool{
	"nextPageToken": true, "next_page_token": true, "totalSize": true, "totalCount": true,
	"pageSize": true, "metadata": true,
}

// maxDepth bounds how deeply nested wrappers are followed.
const maxDepth = 32

// jsonError is malformed input found at path; the rest of the document
// cannot be read.
type jsonError struct {
	path string
	err  error
}

func (e *jsonError) Error() string { return e.err.Error() }

// scope carries what an item inherits from the document around it: the case
// that the alerts and comments of a full-details response belong to.
type scope struct {
	caseID string
}

// walker streams the items of one JSON value.
type walker struct {
	ctx  context.Context
	dec  *json.Decoder
	base string // location prefix: "name", or "name:12" for line 12 of NDJSON
	line bool   // base names an NDJSON line
	emit record.Emit
}

// loc is the location of path: "name:$.cases[3]" in a document, "name:12"
// for the value on line 12 and "name:12:$.cases[3]" for an item inside it.
func (w *walker) loc(path string) string {
	if w.line && path == "$" {
		return w.base
	}
	return w.base + ":" + path
}

// token reads the next token; running out of input inside a value is
// malformed input.
func (w *walker) token(path string) (json.Token, error) {
	t, err := w.dec.Token()
	if err != nil {
		return nil, w.decodeErr(path, err)
	}
	return t, nil
}

func (w *walker) decodeErr(path string, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &jsonError{path: path, err: err}
	}
	return err
}

// value walks the value whose first token is tok.
func (w *walker) value(tok json.Token, path string, hint kind, sc *scope, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if depth > maxDepth {
		if err := w.skip(tok, path); err != nil {
			return err
		}
		return w.emit(record.Reject(w.loc(path), nil, "nesting deeper than %d levels", maxDepth))
	}
	switch tok {
	case json.Delim('{'):
		_, err := w.object(path, hint, sc, depth)
		return err
	case json.Delim('['):
		for i := 0; w.dec.More(); i++ {
			p := path + "[" + strconv.Itoa(i) + "]"
			t, err := w.token(p)
			if err != nil {
				return err
			}
			if err := w.value(t, p, hint, sc, depth+1); err != nil {
				return err
			}
		}
		_, err := w.token(path) // ']'
		return err
	}
	raw, _ := json.Marshal(tok)
	return w.emit(record.Reject(w.loc(path), raw, "not a JSON object: got %s", jsonfield.Kind(raw)))
}

// skip reads past the rest of the value whose first token is tok.
func (w *walker) skip(tok json.Token, path string) error {
	open := 0
	for {
		switch tok {
		case json.Delim('{'), json.Delim('['):
			open++
		case json.Delim('}'), json.Delim(']'):
			open--
		}
		if open == 0 {
			return nil
		}
		var err error
		if tok, err = w.token(path); err != nil {
			return err
		}
	}
}

// object walks an object whose '{' has been read. Keys naming containers are
// walked item by item; the other fields are collected, and if the object
// turns out not to be a wrapper it is an item, mapped and emitted. It returns
// the case id when the object was a case.
func (w *walker) object(path string, hint kind, sc *scope, depth int) (string, error) {
	o := newObject()
	wrapper := false
	inner := &scope{caseID: sc.caseID}
	for w.dec.More() {
		t, err := w.token(path)
		if err != nil {
			return "", err
		}
		key, _ := t.(string)
		if k, ok := containers[key]; ok {
			wrapper = true
			if err := w.container(path+pathKey(key), key, k, inner, depth+1); err != nil {
				return "", err
			}
			continue
		}
		var v json.RawMessage
		if err := w.dec.Decode(&v); err != nil {
			return "", w.decodeErr(path+pathKey(key), err)
		}
		o.add(key, v)
	}
	if _, err := w.token(path); err != nil { // '}'
		return "", err
	}
	if wrapper || onlyPaging(o) {
		return "", nil
	}
	return w.item(path, hint, o, sc)
}

// container walks the value of a wrapper key.
func (w *walker) container(path, key string, hint kind, sc *scope, depth int) error {
	t, err := w.token(path)
	if err != nil {
		return err
	}
	switch t {
	case nil:
		return nil
	case json.Delim('{'):
		id, err := w.object(path, hint, sc, depth)
		if err == nil && id != "" && hint == kindCase {
			sc.caseID = id // the case of a full-details response
		}
		return err
	case json.Delim('['):
		return w.value(t, path, hint, sc, depth)
	}
	raw, _ := json.Marshal(t)
	return w.emit(record.Reject(w.loc(path), raw, "%s: want an array or object, got %s", key, jsonfield.Kind(raw)))
}

func onlyPaging(o object) bool {
	for _, k := range o.keys {
		if !paging[k] {
			return false
		}
	}
	return true
}

// pathKey renders key as a JSON path step.
func pathKey(key string) string {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			q, _ := json.Marshal(key)
			return "[" + string(q) + "]"
		}
	}
	if key == "" {
		return `[""]`
	}
	return "." + key
}

// readRecorder remembers the first read error of the underlying reader, so
// that an I/O failure is told apart from malformed JSON.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF && rr.err == nil {
		rr.err = err
	}
	return n, err
}

// walkInput picks the input's shape like jsonstream does: NDJSON when the
// first line is a JSON value on its own, otherwise one or more (possibly
// pretty-printed) documents, including a top-level array, which are walked
// token by token.
func walkInput(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	rr := &readRecorder{r: r}
	br := bufio.NewReaderSize(rr, 1<<20)
	first, err := jsonstream.FirstByte(br)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if first != '[' {
		line, _, err := jsonstream.PeekLine(br)
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if json.Valid(bytes.TrimSpace(line)) {
			return walkLines(ctx, br, rr, name, emit)
		}
	}
	return walkDocuments(ctx, br, rr, name, emit)
}

func walkDocuments(ctx context.Context, br *bufio.Reader, rr *readRecorder, name string, emit record.Emit) error {
	dec := json.NewDecoder(br)
	w := &walker{ctx: ctx, dec: dec, base: name, emit: emit}
	for i := 1; ; i++ {
		path := "$"
		if i > 1 {
			path = "#" + strconv.Itoa(i)
		}
		t, err := dec.Token()
		if err == io.EOF && rr.err == nil {
			return nil
		}
		if err == nil {
			err = w.value(t, path, kindAny, &scope{}, 0)
		} else {
			err = w.decodeErr(path, err)
		}
		if err != nil {
			if rr.err != nil {
				return fmt.Errorf("reading %s: %w", name, rr.err)
			}
			var je *jsonError
			if errors.As(err, &je) {
				return emit(record.Reject(w.loc(je.path), nil, "invalid JSON, rest of input skipped: %v", je.err))
			}
			return err
		}
	}
}

func walkLines(ctx context.Context, br *bufio.Reader, rr *readRecorder, name string, emit record.Emit) error {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<20), jsonstream.MaxValue)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		base := name + ":" + strconv.Itoa(n)
		if !json.Valid(line) {
			var x any
			err := json.Unmarshal(line, &x)
			if err := emit(record.Reject(base, bytes.Clone(line), "invalid JSON: %v", err)); err != nil {
				return err
			}
			continue
		}
		w := &walker{ctx: ctx, dec: json.NewDecoder(bytes.NewReader(line)), base: base, line: true, emit: emit}
		t, err := w.token("$")
		if err == nil {
			err = w.value(t, "$", kindAny, &scope{}, 0)
		}
		var je *jsonError
		if errors.As(err, &je) {
			err = emit(record.Reject(w.loc(je.path), bytes.Clone(line), "invalid JSON: %v", je.err))
		}
		if err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if rr.err != nil {
			err = rr.err
		}
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}
