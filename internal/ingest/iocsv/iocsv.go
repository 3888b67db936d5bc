// Package iocsv reads indicator lists in CSV: one indicator per row, with
// a header naming the columns. The value column is required (value,
// indicator, ioc, ioc_value or observable); the others are optional: type
// (type, ioc_type, indicator_type; inferred from the value when absent or
// empty), first_seen, last_seen, valid_until (or expires), confidence
// (0–100, or high / medium / low), source (or feed), tlp, description (or
// comment) and labels (or tags, separated by ';' or '|'). Lines starting
// with '#' are comments; when the header itself is commented out, as in
// abuse.ch exports, the last comment line before the data is read as the
// header.
//
// An indicator is keyed by its normalised value and type, so a list
// ingested again, or a value listed twice, is one indicator. A row whose
// value does not normalise is rejected with its line number.
package iocsv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
)

// DefaultSource is the source of rows without a source column.
const DefaultSource = "csv"

// Parser reads IoC lists. Source, when set, names the feed of rows without
// a source column (DefaultSource otherwise).
type Parser struct {
	Source string
}

// columns maps header names (lower case, '_' for spaces and '-') onto the
// fields they fill.
var columns = map[string]string{
	"value": "value", "indicator": "value", "ioc": "value", "ioc_value": "value", "observable": "value", "ioc_value_raw": "value",
	"type": "type", "ioc_type": "type", "indicator_type": "type", "kind": "type",
	"first_seen": "first_seen", "first_seen_utc": "first_seen", "firstseen": "first_seen",
	"last_seen": "last_seen", "last_seen_utc": "last_seen", "lastseen": "last_seen",
	"valid_until": "valid_until", "expires": "valid_until", "expiration": "valid_until",
	"confidence": "confidence", "confidence_level": "confidence", "score": "confidence",
	"source": "source", "feed": "source",
	"tlp": "tlp", "description": "description", "comment": "description",
	"labels": "labels", "tags": "labels", "tag": "labels", "malware": "labels", "threat_type": "labels",
}

func columnName(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")))
	h = strings.NewReplacer(" ", "_", "-", "_", "\"", "").Replace(h)
	return columns[h]
}

// header reads a line as a header; ok when it names a value column.
func header(line string) (map[string]int, bool) {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rec, err := r.Read()
	if err != nil {
		return nil, false
	}
	cols := map[string]int{}
	for i, h := range rec {
		if c := columnName(h); c != "" {
			if _, dup := cols[c]; !dup {
				cols[c] = i
			}
		}
	}
	_, ok := cols["value"]
	return cols, ok
}

// Detect reports whether an input's head is an IoC list: its header (or
// last comment before the data) names a value column and a type or
// another known column.
func Detect(head []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(head))
	var lastComment string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "#"):
			lastComment = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			continue
		case strings.HasPrefix(line, "{") || strings.HasPrefix(line, "["):
			return false
		}
		for _, cand := range []string{line, lastComment} {
			if cols, ok := header(cand); ok && len(cols) >= 2 && strings.Contains(cand, ",") {
				return true
			}
		}
		return false
	}
	return false
}

// Parse reads r.
func (p Parser) Parse(ctx context.Context, r io.Reader, name string, emit record.Emit) error {
	src := p.Source
	if src == "" {
		src = DefaultSource
	}
	br := bufio.NewReaderSize(r, 64<<10)
	// Find the header: the first data line, or the last comment before it.
	line := 0
	var lastComment string
	var cols map[string]int
	var first string
	for {
		s, err := br.ReadString('\n')
		if s == "" && err != nil {
			if errors.Is(err, io.EOF) {
				return nil // empty list
			}
			return fmt.Errorf("reading %s: %w", name, err)
		}
		line++
		t := strings.TrimSpace(s)
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "#") {
			lastComment = strings.TrimSpace(strings.TrimPrefix(t, "#"))
			continue
		}
		if c, ok := header(t); ok {
			cols = c
			break
		}
		if c, ok := header(lastComment); ok {
			cols, first = c, s
			line--
			break
		}
		return emit(record.Reject(fmt.Sprintf("%s:%d", name, line), []byte(t),
			"an IoC list starts with a header naming its columns, one of them value (or indicator, ioc, ioc_value, observable)"))
	}
	cr := csv.NewReader(io.MultiReader(strings.NewReader(first), br))
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		ln, _ := cr.FieldPos(0)
		loc := fmt.Sprintf("%s:%d", name, line+ln)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				loc = fmt.Sprintf("%s:%d", name, line+pe.Line)
			}
			if err := emit(record.Reject(loc, nil, "%v", err)); err != nil {
				return err
			}
			continue
		}
		raw := []byte(strings.Join(rec, ","))
		in, err := row(src, cols, rec)
		if err != nil {
			if err := emit(record.Reject(loc, raw, "%v", err)); err != nil {
				return err
			}
			continue
		}
		if in == nil {
			continue // an empty row
		}
		if err := emit(record.Record{Loc: loc, Raw: raw, Indicator: in}); err != nil {
			return err
		}
	}
}

// row converts one row.
func row(src string, cols map[string]int, rec []string) (*model.Indicator, error) {
	get := func(c string) string {
		if i, ok := cols[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	value := get("value")
	if value == "" {
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				return nil, errors.New("the value column is empty")
			}
		}
		return nil, nil
	}
	kind, _ := observable.KindOf(get("type"))
	if get("type") == "" {
		kind = Infer(value)
	}
	o, err := observable.Normalize(kind, value)
	if err != nil {
		return nil, fmt.Errorf("value: %w", err)
	}
	in := &model.Indicator{Source: src, ExternalID: o.Key(), Type: string(o.Kind), Value: value, Detect: true,
		Confidence: model.ConfidenceUnknown, Description: get("description"),
		Observables: []model.IndicatorObservable{{Kind: string(o.Kind), Value: o.Value}}}
	if s := get("source"); s != "" {
		in.Source = s
	}
	if c := get("confidence"); c != "" {
		if in.Confidence, err = confidence(c); err != nil {
			return nil, err
		}
	}
	if t := strings.ToLower(get("tlp")); t != "" {
		in.TLP = strings.TrimPrefix(t, "tlp:")
		if in.TLP == "white" {
			in.TLP = "clear"
		}
	}
	for l := range strings.FieldsFuncSeq(get("labels"), func(r rune) bool { return r == ';' || r == '|' }) {
		if l = strings.TrimSpace(l); l != "" {
			in.Labels = append(in.Labels, l)
		}
	}
	for _, f := range []struct {
		col string
		dst *time.Time
	}{{"first_seen", &in.FirstSeen}, {"last_seen", &in.LastSeen}, {"valid_until", &in.ValidUntil}} {
		if v := get(f.col); v != "" {
			t, err := parseTime(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.col, err)
			}
			*f.dst = t
		}
	}
	in.Modified = in.LastSeen
	return in, nil
}

// Infer guesses a value's kind: an address or network, a URL, an e-mail
// address, a hash by its length, else a domain.
func Infer(v string) observable.Kind {
	r := observable.Refang(strings.TrimSpace(v))
	if _, err := netip.ParseAddr(r); err == nil {
		return observable.IP
	}
	if _, err := netip.ParsePrefix(r); err == nil {
		return observable.CIDR
	}
	if _, err := netip.ParseAddrPort(r); err == nil {
		return observable.IP
	}
	if strings.Contains(r, "://") || strings.Contains(r, "/") {
		return observable.URL
	}
	if strings.Contains(r, "@") {
		return observable.Email
	}
	hex := len(r) > 0
	for i := 0; i < len(r); i++ {
		c := r[i] | 0x20
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			hex = false
			break
		}
	}
	if hex && (len(r) == 32 || len(r) == 40 || len(r) == 64 || len(r) == 128) {
		return observable.Hash
	}
	return observable.Domain
}

// confidence reads 0–100 or a word.
func confidence(v string) (int, error) {
	switch strings.ToLower(v) {
	case "high":
		return 85, nil
	case "medium", "moderate":
		return 55, nil
	case "low":
		return 25, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("confidence %q is not 0–100 or high, medium, low", v)
	}
	return n, nil
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"}

// parseTime reads RFC 3339, "YYYY-MM-DD[ HH:MM[:SS]]" (UTC) or Unix seconds.
func parseTime(v string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && n < 1e11 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, YYYY-MM-DD HH:MM:SS or Unix seconds)", v)
}
