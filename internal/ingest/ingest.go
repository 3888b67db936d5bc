// Package ingest reads source files into the store: it detects the input
// format, streams records from the format's parser, writes them in batched
// transactions, and reports each rejected record with its location and the
// reason while the good records land. The CLI and the HTTP ingest endpoint
// both use it.
package ingest

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Writer stores batches of records; *store.Store implements it.
type Writer interface {
	Apply(ctx context.Context, b *store.Batch) (store.Result, error)
}

// FactsRefresher brings derived data up to date after a run: the store
// recomputes the KPI facts of the cases the run touched, once per case.
type FactsRefresher interface {
	RefreshFacts(ctx context.Context) (int, error)
}

// IntelWriter stores batches of threat intelligence; *store.Store
// implements it.
type IntelWriter interface {
	ApplyIntel(ctx context.Context, b *store.IntelBatch) (store.Result, error)
}

// AlertMatcher is shown the alerts of every batch once they are stored, so
// threat-intelligence indicators are matched as alerts arrive. It must not
// keep the slice.
type AlertMatcher interface {
	MatchAlerts(ctx context.Context, alerts []model.Alert) error
}

func refresh(ctx context.Context, w Writer) error {
	if r, ok := w.(FactsRefresher); ok {
		if _, err := r.RefreshFacts(ctx); err != nil {
			return fmt.Errorf("computing case KPI facts: %w", err)
		}
	}
	return nil
}

// Options tune one ingest run.
type Options struct {
	// Format names the input format; empty means detect it.
	Format string
	// BatchSize is the number of records per transaction (default 5000).
	BatchSize int
	// Rejects, when set, receives every rejected record as one JSON line:
	// {"loc": …, "reason": …, "record": <original text>}.
	Rejects io.Writer
	// OnReject, when set, is called for every rejected record.
	OnReject func(loc string, err error)
	// Matcher, when set, matches each stored batch's alerts against the
	// threat-intelligence indicators.
	Matcher AlertMatcher
}

// Summary is what an ingest run did.
type Summary struct {
	Format   string
	Records  int // records read, rejects included
	Rejected int
	store.Result
	Elapsed time.Duration
}

// String is the summary line printed at the end of an ingest.
func (s Summary) String() string {
	ins, upd, same := 0, 0, 0
	for _, v := range s.Inserted {
		ins += v
	}
	for _, v := range s.Updated {
		upd += v
	}
	for _, v := range s.Unchanged {
		same += v
	}
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Records) / s.Elapsed.Seconds()
	}
	return fmt.Sprintf("%s: %d records, %d new, %d updated, %d unchanged, %d events appended, %d rejected in %s (%.0f records/s)",
		s.Format, s.Records, ins, upd, same, s.Events, s.Rejected, s.Elapsed.Round(time.Millisecond), rate)
}

// ErrRejects is returned (wrapped) when a run stored what it could but some
// records were rejected.
var ErrRejects = errors.New("some records were rejected")

// Run ingests r (named name in locations) into w.
func Run(ctx context.Context, w Writer, r io.Reader, name string, opt Options) (Summary, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	f, err := Lookup(opt.Format)
	if opt.Format == "" {
		head, _ := br.Peek(64 << 10)
		f, err = Detect(head)
	}
	if err != nil {
		return Summary{}, err
	}
	return RunFormat(ctx, w, f, br, name, opt)
}

// RunFormat ingests r with the given format's parser; generators that are
// not files (the demo simulation) come in this way too.
func RunFormat(ctx context.Context, w Writer, f Format, r io.Reader, name string, opt Options) (Summary, error) {
	start := time.Now()
	sum := Summary{Format: f.Name, Result: store.Result{Inserted: map[store.Kind]int{}, Updated: map[store.Kind]int{}, Unchanged: map[store.Kind]int{}}}
	br := r
	size := opt.BatchSize
	if size <= 0 {
		size = 5000
	}
	// The parser runs in its own goroutine so decoding overlaps writing.
	batches := make(chan *pending, 2)
	free := make(chan *pending, 3)
	for range 3 {
		free <- &pending{}
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parseErr := make(chan error, 1)
	go func() {
		defer close(batches)
		cur := <-free
		err := f.Parser.Parse(pctx, br, name, func(rec record.Record) error {
			cur.add(rec)
			if cur.n >= size {
				select {
				case batches <- cur:
				case <-pctx.Done():
					return pctx.Err()
				}
				select {
				case cur = <-free:
				case <-pctx.Done():
					return pctx.Err()
				}
			}
			return nil
		})
		if err == nil && cur.n > 0 {
			select {
			case batches <- cur:
			case <-pctx.Done():
				err = pctx.Err()
			}
		}
		parseErr <- err
	}()
	var writeErr error
	for p := range batches {
		if writeErr == nil {
			writeErr = sum.write(ctx, w, p, opt)
			if writeErr != nil {
				cancel()
			}
		}
		p.reset()
		free <- p
	}
	perr := <-parseErr
	if writeErr == nil {
		writeErr = refresh(ctx, w)
	}
	sum.Elapsed = time.Since(start)
	if writeErr != nil {
		return sum, writeErr
	}
	if perr != nil {
		return sum, fmt.Errorf("reading %s: %w", name, perr)
	}
	if sum.Rejected > 0 {
		return sum, fmt.Errorf("%s: %d of %d records: %w", name, sum.Rejected, sum.Records, ErrRejects)
	}
	return sum, nil
}

// pending is a batch being filled, with each record's location and text so
// rejects from the store can be reported like parser rejects.
type pending struct {
	b       store.Batch
	intel   store.IntelBatch
	n       int
	locs    map[store.Kind][]string
	raws    map[store.Kind][][]byte
	parsed  []record.Record // parser rejects
	records int
}

func (p *pending) reset() {
	p.b.Reset()
	p.intel.Reset()
	p.n, p.records, p.parsed = 0, 0, p.parsed[:0]
	for k := range p.locs {
		p.locs[k] = p.locs[k][:0]
		p.raws[k] = p.raws[k][:0]
	}
}

func (p *pending) track(k store.Kind, rec record.Record) {
	if p.locs == nil {
		p.locs, p.raws = map[store.Kind][]string{}, map[store.Kind][][]byte{}
	}
	p.locs[k] = append(p.locs[k], rec.Loc)
	p.raws[k] = append(p.raws[k], rec.Raw)
}

func (p *pending) add(rec record.Record) {
	p.records++
	p.n++
	switch {
	case rec.Err != nil:
		p.parsed = append(p.parsed, rec)
	case rec.Alert != nil:
		p.b.Alerts = append(p.b.Alerts, *rec.Alert)
		p.track(store.KindAlert, rec)
	case rec.Case != nil:
		p.b.Cases = append(p.b.Cases, *rec.Case)
		p.track(store.KindCase, rec)
	case rec.Event != nil:
		p.b.Events = append(p.b.Events, *rec.Event)
		p.track(store.KindEvent, rec)
	case rec.Analyst != nil:
		p.b.Analysts = append(p.b.Analysts, *rec.Analyst)
		p.track(store.KindAnalyst, rec)
	case rec.Rule != nil:
		p.b.Rules = append(p.b.Rules, *rec.Rule)
		p.track(store.KindRule, rec)
	case rec.Finding != nil:
		p.b.Findings = append(p.b.Findings, *rec.Finding)
		p.track(store.KindFinding, rec)
	case rec.Team != nil:
		p.b.Teams = append(p.b.Teams, *rec.Team)
		p.track(store.KindTeam, rec)
	case rec.Shift != nil:
		p.b.Shifts = append(p.b.Shifts, *rec.Shift)
		p.track(store.KindShift, rec)
	case rec.SLA != nil:
		p.b.SLA = append(p.b.SLA, *rec.SLA)
		p.track(store.KindSLA, rec)
	case rec.Indicator != nil:
		p.intel.Indicators = append(p.intel.Indicators, *rec.Indicator)
		p.track(store.KindIndicator, rec)
	case rec.Threat != nil:
		p.intel.Threats = append(p.intel.Threats, *rec.Threat)
		p.track(store.KindThreat, rec)
	case rec.Relation != nil:
		p.intel.Relations = append(p.intel.Relations, *rec.Relation)
		p.track(store.KindRelation, rec)
	default:
		p.parsed = append(p.parsed, record.Reject(rec.Loc, rec.Raw, "parser produced an empty record"))
	}
}

func (s *Summary) write(ctx context.Context, w Writer, p *pending, opt Options) error {
	s.Records += p.records
	for _, rec := range p.parsed {
		if err := s.reject(rec.Loc, rec.Raw, rec.Err, opt); err != nil {
			return err
		}
	}
	// Intelligence first, so alerts of the same batch are matched against it.
	if p.intel.Len() > 0 {
		iw, ok := w.(IntelWriter)
		if !ok {
			return fmt.Errorf("storing records up to %s: this store takes no threat intelligence", lastLoc(p))
		}
		res, err := iw.ApplyIntel(ctx, &p.intel)
		if err != nil {
			return fmt.Errorf("storing records up to %s: %w", lastLoc(p), err)
		}
		if err := s.stored(res, p, opt); err != nil {
			return err
		}
	}
	if p.b.Len() == 0 {
		return nil
	}
	res, err := w.Apply(ctx, &p.b)
	if err != nil {
		return fmt.Errorf("storing records up to %s: %w", lastLoc(p), err)
	}
	if err := s.stored(res, p, opt); err != nil {
		return err
	}
	if opt.Matcher != nil && len(p.b.Alerts) > 0 {
		if err := opt.Matcher.MatchAlerts(ctx, p.b.Alerts); err != nil {
			return fmt.Errorf("matching indicators in alerts up to %s: %w", lastLoc(p), err)
		}
	}
	return nil
}

// stored reports a write's rejects like parser rejects and counts the rest.
func (s *Summary) stored(res store.Result, p *pending, opt Options) error {
	for _, rj := range res.Rejects {
		loc, raw := "", []byte(nil)
		if locs := p.locs[rj.Kind]; rj.Index < len(locs) {
			loc, raw = locs[rj.Index], p.raws[rj.Kind][rj.Index]
		}
		if err := s.reject(loc, raw, rj.Err, opt); err != nil {
			return err
		}
	}
	res.Rejects = nil
	s.Result.Add(res)
	return nil
}

// lastLoc is the location of the batch's last record in the input: the
// greatest of each kind's last location.
func lastLoc(p *pending) string {
	var last string
	for _, l := range p.locs {
		if len(l) > 0 && compareLoc(l[len(l)-1], last) > 0 {
			last = l[len(l)-1]
		}
	}
	return last
}

// compareLoc orders locations ("file:line" or "file:$[3].cases[10]") by
// input position: runs of digits compare as numbers, so line 999 comes
// before line 1000; the rest compares byte by byte.
func compareLoc(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

// digitRun is the length of the run of ASCII digits s starts with.
func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func (s *Summary) reject(loc string, raw []byte, err error, opt Options) error {
	s.Rejected++
	if opt.OnReject != nil {
		opt.OnReject(loc, err)
	}
	if opt.Rejects == nil {
		return nil
	}
	line := struct {
		Loc    string          `json:"loc"`
		Reason string          `json:"reason"`
		Record json.RawMessage `json:"record,omitempty"`
		Text   string          `json:"text,omitempty"`
	}{Loc: loc, Reason: err.Error()}
	if json.Valid(raw) {
		line.Record = raw
	} else {
		line.Text = string(raw)
	}
	b, mErr := json.Marshal(line)
	if mErr != nil {
		return fmt.Errorf("writing reject of %s: %w", loc, mErr)
	}
	b = append(b, '\n')
	if _, wErr := opt.Rejects.Write(b); wErr != nil {
		return fmt.Errorf("writing reject file: %w", wErr)
	}
	return nil
}
