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
	// OnWarning, when set, is called for every record stored with a
	// warning: text hygiene replaced characters in it, or it is dated more
	// than model.FutureSkew ahead of the clock.
	OnWarning func(loc, msg string)
	// RestrictReference rejects the records that configure how work is
	// judged and staffed (sla_policy, team, shift, analyst): set it for
	// callers allowed to send data but not to change them (an ingest
	// token; see internal/web).
	RestrictReference bool
	// Now is the clock future-dated records are measured against
	// (time.Now when nil).
	Now func() time.Time
	// Matcher, when set, matches each stored batch's alerts against the
	// threat-intelligence indicators.
	Matcher AlertMatcher
}

// Summary is what an ingest run did.
type Summary struct {
	Format   string
	Records  int // records read, rejects included
	Rejected int
	// Repairs counts what text hygiene replaced (NULs, invalid UTF-8).
	Repairs Repairs
	// FutureDated counts the records stored although dated more than
	// model.FutureSkew ahead of the clock (flagged: reports count them
	// and keep them out of default windows).
	FutureDated int
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
	line := fmt.Sprintf("%s: %d records, %d new, %d updated, %d unchanged, %d events appended, %d rejected",
		s.Format, s.Records, ins, upd, same, s.Events, s.Rejected)
	if s.Repairs.Records > 0 {
		line += fmt.Sprintf(", %d repaired (%d NUL and %d invalid UTF-8 sequences replaced with U+FFFD)",
			s.Repairs.Records, s.Repairs.NUL, s.Repairs.InvalidUTF8)
	}
	if s.FutureDated > 0 {
		line += fmt.Sprintf(", %d dated in the future", s.FutureDated)
	}
	return line + fmt.Sprintf(" in %s (%.0f records/s)", s.Elapsed.Round(time.Millisecond), rate)
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
	if opt.Now == nil {
		opt.Now = time.Now
	}
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
			cur.add(screen(rec, opt, cur))
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
// rejects from the store can be reported like parser rejects, and what
// screening the records found.
type pending struct {
	b        store.Batch
	intel    store.IntelBatch
	n        int
	locs     map[store.Kind][]string
	raws     map[store.Kind][][]byte
	parsed   []record.Record // parser rejects
	records  int
	repairs  Repairs
	future   int
	warnings []warning
	// refused marks the alerts of b the store rejected: only the alerts
	// stored are matched against the indicators.
	refused map[int]bool
}

// warning is a note on a record stored anyway.
type warning struct{ loc, msg string }

func (p *pending) reset() {
	p.b.Reset()
	p.intel.Reset()
	p.n, p.records, p.parsed = 0, 0, p.parsed[:0]
	p.repairs, p.future, p.warnings = Repairs{}, 0, p.warnings[:0]
	clear(p.refused)
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
	s.Repairs.Add(p.repairs)
	s.FutureDated += p.future
	if opt.OnWarning != nil {
		for _, wn := range p.warnings {
			opt.OnWarning(wn.loc, wn.msg)
		}
	}
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
		bw := batchWriter[store.IntelBatch]{s: s, p: p, all: &p.intel, kinds: intelKinds, apply: iw.ApplyIntel, opt: opt}
		if err := bw.store(ctx); err != nil {
			return err
		}
	}
	if p.b.Len() == 0 {
		return nil
	}
	bw := batchWriter[store.Batch]{s: s, p: p, all: &p.b, kinds: batchKinds, apply: w.Apply, opt: opt}
	if err := bw.store(ctx); err != nil {
		return err
	}
	return p.match(ctx, opt)
}

// match shows the batch's stored alerts (those the store did not reject,
// whether the batch landed whole or in parts) to the matcher.
func (p *pending) match(ctx context.Context, opt Options) error {
	if opt.Matcher == nil || len(p.b.Alerts) == len(p.refused) {
		return nil
	}
	alerts := p.b.Alerts
	if len(p.refused) > 0 {
		alerts = make([]model.Alert, 0, len(p.b.Alerts)-len(p.refused))
		for i := range p.b.Alerts {
			if !p.refused[i] {
				alerts = append(alerts, p.b.Alerts[i])
			}
		}
	}
	if err := opt.Matcher.MatchAlerts(ctx, alerts); err != nil {
		return fmt.Errorf("matching indicators in alerts up to %s: %w", lastLoc(p), err)
	}
	return nil
}

// applied records what storing (part of) a batch did; sub maps the
// indexes of a part's rejects back to the batch's (nil for the whole
// batch).
func (s *Summary) applied(p *pending, res store.Result, sub map[store.Kind][]int, opt Options) error {
	for _, rj := range res.Rejects {
		idx := rj.Index
		if sub != nil {
			idx = sub[rj.Kind][idx]
		}
		if err := s.rejectItem(p, rj.Kind, idx, rj.Err, opt); err != nil {
			return err
		}
	}
	res.Rejects = nil
	s.Result.Add(res)
	return nil
}

// rejectItem rejects one record of a batch with its location and text.
func (s *Summary) rejectItem(p *pending, k store.Kind, idx int, err error, opt Options) error {
	loc, raw := "", []byte(nil)
	if locs := p.locs[k]; idx < len(locs) {
		loc, raw = locs[idx], p.raws[k][idx]
	}
	if k == store.KindAlert {
		if p.refused == nil {
			p.refused = map[int]bool{}
		}
		p.refused[idx] = true
	}
	return s.reject(loc, raw, err, opt)
}

// batchWriter stores one of a pending batch's store batches (records or
// threat intelligence, B) through apply.
type batchWriter[B any] struct {
	s     *Summary
	p     *pending
	all   *B
	kinds []batchKind[B]
	apply func(context.Context, *B) (store.Result, error)
	opt   Options
}

// store writes the whole batch. When the database refuses something in
// it, the records at fault are found by storing the batch in halves, so
// each is rejected alone with its own location and the rest land.
func (bw batchWriter[B]) store(ctx context.Context) error {
	res, err := bw.apply(ctx, bw.all)
	if err != nil {
		if ctx.Err() != nil || !store.IsRecordError(err) {
			return fmt.Errorf("storing records up to %s: %w", lastLoc(bw.p), err)
		}
		return bw.bisect(ctx, bw.items())
	}
	return bw.s.applied(bw.p, res, nil, bw.opt)
}

// bisect stores items (records of the batch, in the order the store
// applies them) in two halves, and each half that the database refuses in
// halves again, down to single records, which are rejected. Order is
// kept, so a case lands before its events.
func (bw batchWriter[B]) bisect(ctx context.Context, items []item) error {
	b, sub := bw.part(items)
	res, err := bw.apply(ctx, b)
	switch {
	case err == nil:
		return bw.s.applied(bw.p, res, sub, bw.opt)
	case ctx.Err() != nil || !store.IsRecordError(err):
		return fmt.Errorf("storing records up to %s: %w", lastLoc(bw.p), err)
	case len(items) == 1:
		return bw.s.rejectItem(bw.p, bw.kinds[items[0].kind].kind, items[0].idx, fmt.Errorf("the database refused the record: %w", err), bw.opt)
	}
	half := len(items) / 2
	if err := bw.bisect(ctx, items[:half]); err != nil {
		return err
	}
	return bw.bisect(ctx, items[half:])
}

// item is one record of a pending batch: its kind (an index in the
// batch's kinds) and its index among the records of that kind.
type item struct {
	kind int
	idx  int
}

// batchKind is one kind of record a batch of type B holds: how to count
// its records and copy one to another batch.
type batchKind[B any] struct {
	kind store.Kind
	n    func(b *B) int
	copy func(dst, src *B, i int)
}

// batchKinds are the kinds of a batch in the order the store applies
// them.
var batchKinds = []batchKind[store.Batch]{
	{store.KindTeam, func(b *store.Batch) int { return len(b.Teams) }, func(d, s *store.Batch, i int) { d.Teams = append(d.Teams, s.Teams[i]) }},
	{store.KindShift, func(b *store.Batch) int { return len(b.Shifts) }, func(d, s *store.Batch, i int) { d.Shifts = append(d.Shifts, s.Shifts[i]) }},
	{store.KindAnalyst, func(b *store.Batch) int { return len(b.Analysts) }, func(d, s *store.Batch, i int) { d.Analysts = append(d.Analysts, s.Analysts[i]) }},
	{store.KindRule, func(b *store.Batch) int { return len(b.Rules) }, func(d, s *store.Batch, i int) { d.Rules = append(d.Rules, s.Rules[i]) }},
	{store.KindSLA, func(b *store.Batch) int { return len(b.SLA) }, func(d, s *store.Batch, i int) { d.SLA = append(d.SLA, s.SLA[i]) }},
	{store.KindFinding, func(b *store.Batch) int { return len(b.Findings) }, func(d, s *store.Batch, i int) { d.Findings = append(d.Findings, s.Findings[i]) }},
	{store.KindCase, func(b *store.Batch) int { return len(b.Cases) }, func(d, s *store.Batch, i int) { d.Cases = append(d.Cases, s.Cases[i]) }},
	{store.KindAlert, func(b *store.Batch) int { return len(b.Alerts) }, func(d, s *store.Batch, i int) { d.Alerts = append(d.Alerts, s.Alerts[i]) }},
	{store.KindEvent, func(b *store.Batch) int { return len(b.Events) }, func(d, s *store.Batch, i int) { d.Events = append(d.Events, s.Events[i]) }},
}

// intelKinds are the kinds of a threat-intelligence batch in the order the
// store applies them.
var intelKinds = []batchKind[store.IntelBatch]{
	{store.KindThreat, func(b *store.IntelBatch) int { return len(b.Threats) }, func(d, s *store.IntelBatch, i int) { d.Threats = append(d.Threats, s.Threats[i]) }},
	{store.KindIndicator, func(b *store.IntelBatch) int { return len(b.Indicators) }, func(d, s *store.IntelBatch, i int) { d.Indicators = append(d.Indicators, s.Indicators[i]) }},
	{store.KindRelation, func(b *store.IntelBatch) int { return len(b.Relations) }, func(d, s *store.IntelBatch, i int) { d.Relations = append(d.Relations, s.Relations[i]) }},
}

// items lists the batch's records in the order the store applies them.
func (bw batchWriter[B]) items() []item {
	var out []item
	for k, bk := range bw.kinds {
		for i := range bk.n(bw.all) {
			out = append(out, item{k, i})
		}
	}
	return out
}

// part is a batch of some of the records, with the map from each kind's
// index in it to the index in the whole batch.
func (bw batchWriter[B]) part(items []item) (*B, map[store.Kind][]int) {
	b := new(B)
	sub := map[store.Kind][]int{}
	for _, it := range items {
		bk := bw.kinds[it.kind]
		sub[bk.kind] = append(sub[bk.kind], it.idx)
		bk.copy(b, bw.all, it.idx)
	}
	return b, sub
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
