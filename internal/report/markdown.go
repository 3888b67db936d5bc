package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/output"
)

// md escapes text for Markdown prose: only what CommonMark and GFM would
// read as markup — emphasis, code, links, strikethrough, HTML and
// entities, and a block marker (#, -, +, =, "1.") at its start — so the
// report's own punctuation stays as written while a case title or analyst
// name cannot add a link, a heading or HTML. Control characters are shown
// escaped.
func md(s string) string { return mdEscape(s, false) }

// mdCell escapes text for a table cell: md, and the cell separator |.
func mdCell(s string) string { return mdEscape(s, true) }

func mdEscape(s string, cell bool) string {
	rs := []rune(output.Terminal(s))
	var b strings.Builder
	wordy := func(i int) bool {
		return i >= 0 && i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i]))
	}
	for i, r := range rs {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '\\' || r == '`' || r == '*' || r == '[' || r == ']' || r == '~' || (r == '|' && cell):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '_' && !(wordy(i-1) && wordy(i+1)):
			// Inside a word (snake_case) an underscore is no emphasis.
			b.WriteString(`\_`)
		case i == 0 && !cell && (r == '#' || r == '-' || r == '+' || r == '='):
			b.WriteByte('\\')
			b.WriteRune(r)
		case !cell && (r == '.' || r == ')') && leadingDigits(rs[:i]) && (i+1 == len(rs) || rs[i+1] == ' '):
			b.WriteByte('\\') // "1." or "1)" would start an ordered list
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// leadingDigits reports whether rs is all ASCII digits: the start of an
// ordered list item when "." or ")" follows.
func leadingDigits(rs []rune) bool {
	for _, r := range rs {
		if r < '0' || r > '9' {
			return false
		}
	}
	return len(rs) > 0 && len(rs) <= 9
}

// mdTable writes a Markdown table; every cell is escaped.
func mdTable(b *strings.Builder, cols []string, rows [][]string) {
	b.WriteString("|")
	for _, c := range cols {
		b.WriteString(" " + mdCell(c) + " |")
	}
	b.WriteString("\n|")
	for range cols {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("|")
		for _, c := range r {
			b.WriteString(" " + mdCell(c) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// stamp prints an instant in UTC to the minute.
func stamp(t time.Time) string {
	if t.IsZero() {
		return NoData
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// orDash is s, or "—" when empty.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// WindowLine says what window the report covers.
func (e *Executive) WindowLine() string {
	s := fmt.Sprintf("%s to %s (%s, %s)", e.From, e.To, e.Period, e.TimeZone)
	if e.Previous != "" {
		s += "; compared with " + e.Previous
		if e.PreviousPartial != "" {
			s += " (" + e.PreviousPartial + ")"
		}
	}
	return s
}

// BasisLines are the lines on what the report stands on.
func (e *Executive) BasisLines() []string {
	out := []string{fmt.Sprintf("Generated %s; SLA clocks judged at %s; data through %s (newest alert or case).",
		stamp(e.GeneratedAt), stamp(e.Now), stamp(e.Basis.DataThrough))}
	if len(e.Basis.SLAPolicies) > 0 {
		out = append(out, "SLA policy: "+strings.Join(e.Basis.SLAPolicies, "; "))
	}
	for _, l := range e.Basis.DataQuality {
		out = append(out, "Data quality: "+l)
	}
	for _, w := range e.Basis.Warnings {
		out = append(out, "Warning: "+w)
	}
	return out
}

// EmptyLine is what a report over a window without data says first.
const EmptyLine = "No cases and no alerts were created in this period: the figures below have no data, and no recommendation is made from them."

// HeadlineRows are the headline table's rows: measure, this period,
// previous, change, target, sample.
func (e *Executive) HeadlineRows() [][]string {
	var rows [][]string
	for _, f := range e.Headline {
		target := "none set"
		if f.Target != nil {
			target = Value(f.Unit, f.Target)
			if st := f.Status(); st != "" {
				target += " (" + st + ")"
			}
		}
		prev := "—"
		if f.PointInTime {
			prev = "not kept"
		} else if e.Previous != "" {
			prev = Value(f.Unit, f.Previous)
		}
		change := orDash(f.Change())
		if e.PreviousPartial != "" && f.Change() != "" {
			change = "not compared"
		}
		rows = append(rows, []string{f.Name, Value(f.Unit, f.Value), prev, change, target, f.Sample})
	}
	return rows
}

// HeadlineColumns name the headline table's columns.
var HeadlineColumns = []string{"Measure", "This period", "Previous period", "Change", "Target", "Basis"}

// TrendRows are the trend table's rows.
func (e *Executive) TrendRows() [][]string {
	var rows [][]string
	for _, p := range e.Trend {
		name := p.Period
		if p.Partial {
			name += " (partial)"
		}
		cases, alerts := NoData, NoData
		if p.Cases > 0 || p.Alerts > 0 {
			cases, alerts = thousands(p.Cases), thousands(p.Alerts)
		}
		rows = append(rows, []string{name, cases, alerts, Value(UnitSeconds, p.MTTA), Value(UnitSeconds, p.MTTR), Value(UnitRatio, p.SLAResolve)})
	}
	return rows
}

// TrendColumns name the trend table's columns.
var TrendColumns = []string{"Period", "Cases", "Alerts", "MTTA median", "MTTR median", "Resolve SLA adherence"}

// Markdown writes the report as Markdown. Every string from the data is
// escaped.
func (e *Executive) Markdown(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# %s\n\n", md(e.Title))
	p("**Period:** %s\n\n", md(e.WindowLine()))
	for _, l := range e.BasisLines() {
		p("- %s\n", md(l))
	}
	b.WriteString("\n")
	if e.Empty {
		p("> %s\n\n", md(EmptyLine))
	}

	b.WriteString("## Headline figures\n\n")
	mdTable(&b, HeadlineColumns, e.HeadlineRows())

	b.WriteString("## Industry context\n\n")
	if e.Industry.Absent != "" {
		p("%s\n\n", md(e.Industry.Absent))
	} else {
		p("%s\n\n", md(e.IndustryLine()))
		mdTable(&b, IndustryColumns, e.IndustryRows())
		for _, n := range e.IndustryNotes() {
			p("- %s\n", md(n))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Recommendations\n\n")
	if len(e.Recommendations) == 0 {
		p("%s\n\n", md(NoRecommendation))
	}
	for i, r := range e.Recommendations {
		p("%d. **%s.** %s\n", i+1, md(r.Title), md(r.Text))
		p("   Evidence: %s.\n", md(strings.Join(r.Evidence, "; ")))
	}
	b.WriteString("\n")

	b.WriteString("## Trends\n\n")
	if len(e.Trend) == 0 {
		p("%s\n\n", md("No trend data."))
	} else {
		mdTable(&b, TrendColumns, e.TrendRows())
	}

	b.WriteString("## Noisiest detection rules\n\n")
	if len(e.NoisyRules) == 0 {
		p("%s\n\n", md(NoNoisyRules))
	} else {
		mdTable(&b, NoisyColumns, e.NoisyRows())
	}
	b.WriteString("## SLA breaches and their causes\n\n")
	e.mdSLA(&b)
	b.WriteString("## Major incidents\n\n")
	e.mdIncidents(&b)
	b.WriteString("## Threat landscape\n\n")
	e.mdThreats(&b)
	b.WriteString("## Detection coverage\n\n")
	if e.Coverage.Absent != "" {
		p("%s\n\n", md(e.Coverage.Absent))
	} else {
		p("%s\n\n", md(e.CoverageLine()))
		mdTable(&b, TacticColumns, e.TacticRows())
	}
	b.WriteString("## Posture\n\n")
	if e.Posture.Absent != "" {
		p("%s\n\n", md(e.Posture.Absent))
	} else {
		for _, l := range e.PostureLines() {
			p("- %s\n", md(l))
		}
		b.WriteString("\n")
		if len(e.Posture.MTTR) > 0 {
			mdTable(&b, PostureMTTRColumns, e.PostureMTTRRows())
		}
		if len(e.Posture.Overdue) > 0 {
			b.WriteString("Most overdue open findings:\n\n")
			mdTable(&b, PostureOverdueColumns, e.PostureOverdueRows())
		}
	}
	b.WriteString("## Staffing and capacity\n\n")
	e.mdStaffing(&b)
	b.WriteString("## Budget\n\n")
	e.mdBudget(&b)
	b.WriteString("## Definitions\n\n")
	for _, d := range e.Definitions {
		p("- %s\n", md(d))
	}
	b.WriteString("\nEvery figure is the one Watchfloor's metrics engine gives for the same window; each headline figure's source command is in the JSON sidecar.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// NoRecommendation is said when no figure calls for action.
const NoRecommendation = "No recommendation: no figure misses its target or worsened beyond the thresholds against the previous period."

// SLALines are the SLA section's sentences.
func (e *Executive) SLALines() []string {
	s := e.SLA
	var out []string
	out = append(out, fmt.Sprintf("Acknowledge clocks: %s adherence — %s met, %s breached, %s of them still open (in flight), %s at risk.",
		Value(UnitRatio, s.Acknowledge.Adherence), thousands(s.Acknowledge.Met), thousands(s.Acknowledge.Breached), thousands(s.Acknowledge.BreachedOpen), thousands(s.Acknowledge.AtRisk)))
	out = append(out, fmt.Sprintf("Resolve clocks: %s adherence — %s met, %s breached, %s of them still open (in flight), %s at risk.",
		Value(UnitRatio, s.Resolve.Adherence), thousands(s.Resolve.Met), thousands(s.Resolve.Breached), thousands(s.Resolve.BreachedOpen), thousands(s.Resolve.AtRisk)))
	now := fmt.Sprintf("Now, %s past a target (any creation date)", count(int64(s.NowBreached), "open clock"))
	if s.NowBreached > 0 {
		var stages []string
		for _, k := range sortedKeys(s.NowByStage) {
			stages = append(stages, fmt.Sprintf("%s in %s", thousands(int64(s.NowByStage[k])), k))
		}
		now += ": " + strings.Join(stages, ", ") + fmt.Sprintf("; %s without an owner", thousands(int64(s.NowUnassigned)))
	}
	return append(out, now+".")
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// BreachRows are a breach breakdown's rows.
func BreachRows(gs []BreachGroup) [][]string {
	var rows [][]string
	for _, g := range gs {
		rows = append(rows, []string{g.Group, thousands(g.Breached), thousands(g.InFlight), Value(UnitRatio, g.Resolve)})
	}
	return rows
}

// BreachColumns name a breach breakdown's columns.
var BreachColumns = []string{"Group", "Breached clocks", "In flight", "Resolve adherence"}

// OverdueRows are the most overdue open cases.
func (e *Executive) OverdueRows() [][]string {
	var rows [][]string
	for _, it := range e.SLA.MostOverdue {
		rows = append(rows, []string{it.Case, it.Title, it.Priority, it.Stage, orDash(it.Assignee), it.Clock, Dur(it.Overdue)})
	}
	return rows
}

// OverdueColumns name the overdue table's columns.
var OverdueColumns = []string{"Case", "Title", "Priority", "Stage", "Owner", "Clock", "Overdue by"}

func (e *Executive) mdSLA(b *strings.Builder) {
	if e.SLA.Absent != "" {
		b.WriteString(md(e.SLA.Absent) + "\n\n")
		return
	}
	for _, l := range e.SLALines() {
		b.WriteString("- " + md(l) + "\n")
	}
	b.WriteString("\n")
	if len(e.SLA.ByPriority) > 0 {
		b.WriteString("Breaches by priority (cases created in the period):\n\n")
		mdTable(b, BreachColumns, BreachRows(e.SLA.ByPriority))
	}
	if len(e.SLA.ByTeam) > 0 {
		b.WriteString("Breaches by team:\n\n")
		mdTable(b, BreachColumns, BreachRows(e.SLA.ByTeam))
	}
	if len(e.SLA.MostOverdue) > 0 {
		b.WriteString("Most overdue open cases now:\n\n")
		mdTable(b, OverdueColumns, e.OverdueRows())
	}
}

// IncidentRows are the major incidents' rows.
func (e *Executive) IncidentRows() [][]string {
	var rows [][]string
	for _, in := range e.Incidents.Incidents {
		cost := NoData
		if in.Cost > 0 {
			cost = Money(in.Cost, in.Currency)
		}
		rows = append(rows, []string{in.Ref, in.Title, in.Severity, in.Status, stamp(in.DeclaredAt),
			fmt.Sprintf("%.1f h", in.Hours), thousands(int64(in.Cases)), fmt.Sprintf("%.1f h", in.PeopleHours), cost,
			fmt.Sprintf("%d overdue, %d at risk", in.ClocksOverdue, in.ClocksAtRisk)})
	}
	return rows
}

// IncidentColumns name the incidents table's columns.
var IncidentColumns = []string{"Incident", "Title", "Severity", "Status", "Declared", "Duration", "Cases", "People time", "People cost", "Regulatory clocks"}

// IncidentLine sums up the incidents.
func (e *Executive) IncidentLine() string {
	return fmt.Sprintf("%s active in the period (%s declared in it); %s open now.",
		count(int64(len(e.Incidents.Incidents)), "major incident"), thousands(int64(e.Incidents.Declared)), thousands(int64(e.Incidents.Open)))
}

func (e *Executive) mdIncidents(b *strings.Builder) {
	if e.Incidents.Absent != "" {
		b.WriteString(md(e.Incidents.Absent) + "\n\n")
		return
	}
	b.WriteString(md(e.IncidentLine()) + "\n\n")
	mdTable(b, IncidentColumns, e.IncidentRows())
}

// ProfileRows are the relevant threat profiles' rows.
func (e *Executive) ProfileRows() [][]string {
	var rows [][]string
	for _, p := range e.Threats.Profiles {
		rows = append(rows, []string{p.Name, p.Kind, fmt.Sprintf("%.0f", p.Score), strings.Join(p.Reasons, "; "),
			count(int64(p.MatchedIndicators), "indicator") + ", " + count(int64(p.MatchedAlerts), "alert")})
	}
	return rows
}

// ProfileColumns name the profiles table's columns.
var ProfileColumns = []string{"Threat", "Kind", "Relevance", "Why", "Seen in our alerts"}

// MatchRows are the intelligence matches' rows.
func (e *Executive) MatchRows() [][]string {
	var rows [][]string
	for _, m := range e.Threats.Matches {
		conf := "unknown"
		if m.Confidence >= 0 {
			conf = fmt.Sprint(m.Confidence)
		}
		rows = append(rows, []string{m.Type, m.Value, m.Source, conf, thousands(m.Alerts), stamp(m.LastSeen)})
	}
	return rows
}

// MatchColumns name the matches table's columns.
var MatchColumns = []string{"Type", "Indicator", "Feed", "Confidence", "Alerts", "Last seen"}

// ThreatLine sums up the threat landscape.
func (e *Executive) ThreatLine() string {
	return fmt.Sprintf("%s relevant to the organisation over the %d days; %s matched alerts in the period.",
		count(int64(e.Threats.Relevant), "threat profile"), e.Threats.Days, count(e.Threats.MatchedIndicators, "intelligence indicator"))
}

func (e *Executive) mdThreats(b *strings.Builder) {
	if e.Threats.Absent != "" {
		b.WriteString(md(e.Threats.Absent) + "\n\n")
		return
	}
	b.WriteString(md(e.ThreatLine()) + "\n\n")
	if len(e.Threats.Profiles) > 0 {
		mdTable(b, ProfileColumns, e.ProfileRows())
	}
	if len(e.Threats.Matches) > 0 {
		mdTable(b, MatchColumns, e.MatchRows())
	}
}

// StaffingLines are the staffing section's sentences.
func (e *Executive) StaffingLines() []string {
	s := e.Staffing
	return []string{
		fmt.Sprintf("Today's roster: %d active analysts, %.1f FTE on duty; the staffing plan needs %.1f FTE to meet the service levels (history %s to %s).",
			s.Analysts, s.RosterFTE, s.PlanFTE, s.HistorySince.Format(time.DateOnly), s.HistoryUntil.Format(time.DateOnly)),
		fmt.Sprintf("Under-staffed: %.0f head-hours a week, in %d hours of the week.", s.ShortHours, s.HoursShort),
	}
}

// QueueRows are the capacity table's rows.
func (e *Executive) QueueRows() [][]string {
	var rows [][]string
	for _, q := range e.Staffing.Queues {
		rows = append(rows, []string{q.Queue, Percent(q.Target), Percent(q.ServiceLevel), fmt.Sprint(q.HoursBelow)})
	}
	return rows
}

// QueueColumns name the capacity table's columns.
var QueueColumns = []string{"Queue", "Target service level", "With today's roster", "Hours below target a week"}

func (e *Executive) mdStaffing(b *strings.Builder) {
	if e.Staffing.Absent != "" {
		b.WriteString(md(e.Staffing.Absent) + "\n\n")
		return
	}
	for _, l := range e.StaffingLines() {
		b.WriteString("- " + md(l) + "\n")
	}
	b.WriteString("\n")
	mdTable(b, QueueColumns, e.QueueRows())
}

// currency is the section's currency, "" when none is configured (a
// report saved before said "(currency not set)" in every amount).
func (bs BudgetSection) currency() string {
	if bs.Currency == budget.NoCurrency {
		return ""
	}
	return bs.Currency
}

// NoCurrencyLine ends the budget section's line when the budget names no
// currency, instead of a mark in every amount.
const NoCurrencyLine = "Amounts are in the budget's currency, which the configuration does not name (budget.currency)."

// BudgetRows are the budget table's rows.
func (e *Executive) BudgetRows() [][]string {
	bs := e.Budget
	cur := bs.currency()
	rows := [][]string{
		{"Monthly cost", Money(bs.RosterMonthly, cur), Money(bs.PlanMonthly, cur)},
		{"Annual cost", Money(bs.RosterAnnual, cur), Money(bs.PlanAnnual, cur)},
	}
	for _, u := range bs.Units {
		rows = append(rows, []string{u.Name, fmt.Sprintf("%.2f", u.Roster), fmt.Sprintf("%.2f", u.Plan)})
	}
	return rows
}

// BudgetColumns name the budget table's columns.
var BudgetColumns = []string{"", "Today's roster", "Staffing plan"}

// BudgetLine sums up the budget against the plan, and says once when the
// amounts have no currency.
func (e *Executive) BudgetLine() string {
	bs := e.Budget
	cur := bs.currency()
	var line string
	switch {
	case bs.DeltaAnnual < 0:
		line = fmt.Sprintf("The staffing plan costs %s a year more than today's roster.", Money(-bs.DeltaAnnual, cur))
	case bs.DeltaAnnual > 0:
		line = fmt.Sprintf("Today's roster costs %s a year more than the staffing plan.", Money(bs.DeltaAnnual, cur))
	default:
		line = "Today's roster costs what the staffing plan does."
	}
	if cur == "" {
		line += " " + NoCurrencyLine
	}
	return line
}

func (e *Executive) mdBudget(b *strings.Builder) {
	if e.Budget.Absent != "" {
		b.WriteString(md(e.Budget.Absent) + "\n\n")
		return
	}
	b.WriteString(md(e.BudgetLine()) + "\n\n")
	mdTable(b, BudgetColumns, e.BudgetRows())
	for _, s := range e.Budget.Sources {
		b.WriteString("- Source: " + md(s) + "\n")
	}
	for _, n := range e.Budget.Notes {
		b.WriteString("- Note: " + md(n) + "\n")
	}
	b.WriteString("\n")
}

// NoNoisyRules is said when no alert of the window was a false positive.
const NoNoisyRules = "No false positives were recorded in this period."

// NoisyColumns name the noisy-rules table's columns.
var NoisyColumns = []string{"Rule", "Alerts", "False positives", "False-positive rate", "Share of all false positives"}

// NoisyRows are the noisy-rules table's rows.
func (e *Executive) NoisyRows() [][]string {
	var rows [][]string
	for _, r := range e.NoisyRules {
		rows = append(rows, []string{r.Rule, thousands(r.Alerts), thousands(r.FalsePositives), Value(UnitRatio, r.FalsePositiveRate), Value(UnitRatio, r.Share)})
	}
	return rows
}

// CoverageLine sums up detection coverage and its progress.
func (e *Executive) CoverageLine() string {
	c := e.Coverage
	s := fmt.Sprintf("%s of %s ATT&CK techniques have at least one active detection rule (mean score %s of 5); %s of %s active rules fired in the period.",
		thousands(int64(c.Covered)), thousands(int64(c.Techniques)), score(c.Mean), thousands(int64(c.FiredRules)), thousands(int64(c.Active)))
	if c.PreviousCovered != nil {
		s += fmt.Sprintf(" Previous period: %s techniques covered (mean score %s).", thousands(int64(*c.PreviousCovered)), score(c.PreviousMean))
	}
	return s
}

func score(v *float64) string {
	if v == nil {
		return NoData
	}
	return fmt.Sprintf("%.2f", *v)
}

// TacticColumns name the weakest tactics table's columns.
var TacticColumns = []string{"Least covered tactic", "Techniques", "Covered", "Mean score"}

// TacticRows are the weakest tactics' rows.
func (e *Executive) TacticRows() [][]string {
	var rows [][]string
	for _, t := range e.Coverage.Weakest {
		rows = append(rows, []string{t.Tactic, thousands(int64(t.Techniques)), thousands(int64(t.Covered)), score(t.Mean)})
	}
	return rows
}

// IndustryLine states the organisation's MTTR and dwell time.
func (e *Executive) IndustryLine() string {
	i := e.Industry
	return fmt.Sprintf("Our MTTR this period: median %s, mean %s. Our dwell time (first activity to resolution): median %s, mean %s.",
		Value(UnitSeconds, i.MTTRMedian), Value(UnitSeconds, i.MTTRMean), Value(UnitSeconds, i.DwellMedian), Value(UnitSeconds, i.DwellMean))
}

// IndustryColumns name the industry table's columns.
var IndustryColumns = []string{"Published figure", "Source", "What it measures", "Our comparable figure", "Ours"}

// IndustryRows are the industry table's rows.
func (e *Executive) IndustryRows() [][]string {
	var rows [][]string
	for _, r := range e.Industry.Rows {
		v := time.Duration(r.Value).Seconds()
		rows = append(rows, []string{Value(UnitSeconds, &v) + " (" + r.Statistic + ")", fmt.Sprintf("%s %d", r.Source, r.Year), r.Measures,
			r.KPI, Value(UnitSeconds, r.Ours) + " (" + orDash(r.Sample) + ")"})
	}
	return rows
}

// IndustryNotes are the caveats and where each publication is.
func (e *Executive) IndustryNotes() []string {
	var out []string
	for _, r := range e.Industry.Rows {
		n := fmt.Sprintf("%s %d", r.Source, r.Year)
		if r.URL != "" {
			n += " (" + r.URL + ")"
		}
		if r.Note != "" {
			n += ": " + r.Note
		}
		out = append(out, n+".")
	}
	return append(out, IndustryCaveat)
}

// IndustryCaveat says how to read published figures beside ours.
const IndustryCaveat = "Published figures are quoted with their source and year; they measure other populations and definitions, so the comparison is indicative, not a ranking. Change or remove them in the report.industry section of the configuration."
