package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/posture"
)

// PostureSection is the security posture from the stored vulnerability and
// compliance findings, as "watchfloor posture" computes it for the
// report's window: open critical and high findings at its start and end,
// findings past their remediation SLA now, the mean time to remediate the
// findings closed in it, and the most overdue. Titles and resources are
// untrusted text.
type PostureSection struct {
	Section
	Findings int `json:"findings"`
	Open     int `json:"open"`
	// StartAt is the first point of the posture trend (weekly points
	// ending with the period), Start* the open findings then; End* are at
	// the period's end.
	StartAt       time.Time         `json:"start_at"`
	CriticalStart int               `json:"open_critical_start"`
	HighStart     int               `json:"open_high_start"`
	CriticalEnd   int               `json:"open_critical_end"`
	HighEnd       int               `json:"open_high_end"`
	PastSLA       map[string]int    `json:"past_sla"`
	MTTR          []posture.MTTR    `json:"mean_time_to_remediate"`
	Overdue       []posture.Overdue `json:"most_overdue"`
}

// PostureAbsent is said when no finding is stored.
const PostureAbsent = "No posture data: no vulnerability or compliance finding is stored (ingest scanner or cloud security findings, see watchfloor posture)."

// postureOverdue is how many overdue findings the report lists.
const postureOverdue = 5

func (s Sources) posture(ctx context.Context, perf *metrics.Report) (PostureSection, error) {
	from, to, err := windowBounds(perf)
	if err != nil {
		return PostureSection{}, err
	}
	r, err := posture.Load(ctx, s.Store, posture.Query{From: from, To: to})
	if err != nil {
		return PostureSection{}, fmt.Errorf("executive report: %w", err)
	}
	if r.Findings == 0 {
		return PostureSection{Section: Section{Absent: PostureAbsent}}, nil
	}
	ps := PostureSection{Findings: r.Findings, Open: r.Open, PastSLA: r.PastSLA, MTTR: r.MTTR, Overdue: r.Overdue[:min(postureOverdue, len(r.Overdue))]}
	if ps.PastSLA == nil {
		ps.PastSLA = map[string]int{}
	}
	if ps.MTTR == nil {
		ps.MTTR = []posture.MTTR{}
	}
	if n := len(r.Trend); n > 0 {
		ps.StartAt, ps.CriticalStart, ps.HighStart = r.Trend[0].At, r.Trend[0].Critical, r.Trend[0].High
		ps.CriticalEnd, ps.HighEnd = r.Trend[n-1].Critical, r.Trend[n-1].High
	}
	return ps, nil
}

// PostureLines are the posture section's sentences.
func (e *Executive) PostureLines() []string {
	p := e.Posture
	var past []string
	total := 0
	for _, sev := range []string{"critical", "high", "medium", "low"} {
		if n := p.PastSLA[sev]; n > 0 {
			past = append(past, fmt.Sprintf("%s %s", thousands(int64(n)), sev))
			total += n
		}
	}
	overdue := "No open finding is past its remediation SLA."
	if total > 0 {
		overdue = fmt.Sprintf("%s past the remediation SLA now (%s).", count(int64(total), "open finding"), strings.Join(past, ", "))
	}
	return []string{
		fmt.Sprintf("Open critical findings: %s on %s, %s at the end of the period; open high: %s, then %s.",
			thousands(int64(p.CriticalStart)), p.StartAt.In(e.location()).Format(time.DateOnly), thousands(int64(p.CriticalEnd)), thousands(int64(p.HighStart)), thousands(int64(p.HighEnd))),
		fmt.Sprintf("%s open now of %s stored.", count(int64(p.Open), "finding"), thousands(int64(p.Findings))),
		overdue,
	}
}

// PostureMTTRColumns name the remediation table's columns.
var PostureMTTRColumns = []string{"Severity", "Findings closed in the period", "Mean time to remediate", "Longest"}

// PostureMTTRRows are the remediation table's rows.
func (e *Executive) PostureMTTRRows() [][]string {
	var rows [][]string
	for _, m := range e.Posture.MTTR {
		mean, longest := m.MeanDays*86400, m.MaxDays*86400
		rows = append(rows, []string{m.Severity, thousands(int64(m.Closed)), Dur(mean), Dur(longest)})
	}
	return rows
}

// PostureOverdueColumns name the overdue findings table's columns.
var PostureOverdueColumns = []string{"Severity", "Finding", "Resource", "Source", "Open for", "Past SLA by"}

// PostureOverdueRows are the most overdue findings' rows.
func (e *Executive) PostureOverdueRows() [][]string {
	var rows [][]string
	for _, o := range e.Posture.Overdue {
		rows = append(rows, []string{o.Severity, o.Title, orDash(o.Resource), o.Source, Dur(o.AgeDays * 86400), Dur(o.OverDays * 86400)})
	}
	return rows
}

// location is the report's time zone (UTC when unknown).
func (e *Executive) location() *time.Location {
	if loc, err := time.LoadLocation(e.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}
