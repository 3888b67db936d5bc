package ingest

import (
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

// screen checks a parsed record before it joins a batch: text hygiene
// (see clean), SLA policies validated in full, reference data refused
// where the caller may not send it, and future-dated records flagged. What
// it finds is noted in p; a record it refuses comes back as a reject.
func screen(rec record.Record, opt Options, p *pending) record.Record {
	if rec.Err != nil {
		return rec
	}
	if opt.RestrictReference {
		if kind := referenceKind(rec); kind != "" {
			return record.Reject(rec.Loc, rec.Raw, "%s records configure how work is judged and staffed: they need an admin account (this caller may send alerts, cases, case events, rules and findings)", kind)
		}
	}
	if rec.SLA != nil {
		if err := sla.Validate(*rec.SLA); err != nil {
			return record.Reject(rec.Loc, rec.Raw, "SLA policy %q version %d: %v", rec.SLA.Name, rec.SLA.Version, err)
		}
	}
	if r := clean(&rec); r.Records > 0 {
		p.repairs.Add(r)
		p.warnings = append(p.warnings, warning{rec.Loc, fmt.Sprintf("text repaired: %d NUL and %d invalid UTF-8 sequences replaced with U+FFFD", r.NUL, r.InvalidUTF8)})
	}
	if at, what := dated(rec); !at.IsZero() {
		if ahead := at.Sub(opt.Now()); ahead > model.FutureSkew {
			p.future++
			p.warnings = append(p.warnings, warning{rec.Loc, fmt.Sprintf("%s %s is %s ahead of the clock: stored and flagged as future-dated (left out of default report windows)",
				what, at.UTC().Format(time.RFC3339), aheadText(ahead))})
		}
	}
	return rec
}

// referenceKind names the record's type when it is reference data.
func referenceKind(rec record.Record) string {
	switch {
	case rec.SLA != nil:
		return "sla_policy"
	case rec.Team != nil:
		return "team"
	case rec.Shift != nil:
		return "shift"
	case rec.Analyst != nil:
		return "analyst"
	}
	return ""
}

// dated is the time a record says it was created (an event's time).
func dated(rec record.Record) (time.Time, string) {
	switch {
	case rec.Alert != nil:
		return rec.Alert.CreatedAt, "created_at"
	case rec.Case != nil:
		return rec.Case.CreatedAt, "created_at"
	case rec.Event != nil:
		return rec.Event.At, "at"
	}
	return time.Time{}, ""
}

// aheadText says how far ahead of the clock a record is dated.
func aheadText(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}
