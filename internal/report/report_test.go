package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

func f64(v float64) *float64 { return &v }

func TestValueChangeStatus(t *testing.T) {
	for _, c := range []struct {
		f                     Figure
		value, change, status string
	}{
		{Figure{Unit: UnitSeconds, Value: f64(3*3600 + 300), Previous: f64(3 * 3600), Target: f64(4 * 3600), LowerIsBetter: true}, "3h05m", "+2.8%", "meets target"},
		{Figure{Unit: UnitRatio, Value: f64(0.912), Previous: f64(0.95), Target: f64(0.95)}, "91.2%", "-3.8 pts", "misses target"},
		{Figure{Unit: UnitCount, Value: f64(1204), Previous: f64(0)}, "1,204", "up from 0", ""},
		{Figure{Unit: UnitCount, Value: f64(0), Previous: f64(0)}, "0", "no change", ""},
		{Figure{Unit: UnitRatio, Value: nil, Previous: f64(0.5), Target: f64(0.9)}, NoData, "", ""},
		{Figure{Unit: UnitSeconds, Value: f64(2*86400 + 4*3600)}, "2d04h", "", ""},
		{Figure{Unit: UnitSeconds, Value: f64(241 * 86400)}, "241 days", "", ""},
		{Figure{Unit: UnitSeconds, Value: f64(14*86400 + 13*3600)}, "15 days", "", ""},
	} {
		if v := Value(c.f.Unit, c.f.Value); v != c.value {
			t.Errorf("%+v: value %q, want %q", c.f, v, c.value)
		}
		if ch := c.f.Change(); ch != c.change {
			t.Errorf("%+v: change %q, want %q", c.f, ch, c.change)
		}
		if st := c.f.Status(); st != c.status {
			t.Errorf("%+v: status %q, want %q", c.f, st, c.status)
		}
	}
	if got := thousands(-1234567); got != "-1,234,567" {
		t.Errorf("thousands %q", got)
	}
}

// TestRecommend: each recommendation fires on the figures that argue for
// it and cites them; healthy figures give none.
func TestRecommend(t *testing.T) {
	base := func() *Executive {
		return &Executive{Headline: []Figure{
			{Key: "mttd_median", Unit: UnitSeconds, Value: f64(600), Previous: f64(600)},
			{Key: "mttr_median", Unit: UnitSeconds, Value: f64(3600), Previous: f64(3600)},
			{Key: "sla_resolve", Unit: UnitRatio, Value: f64(0.97), Previous: f64(0.96), Sample: "97 met, 3 breached"},
			{Key: "alerts", Unit: UnitCount, Value: f64(1000), Previous: f64(1000)},
			{Key: "false_positive_rate", Unit: UnitRatio, Value: f64(0.4), Previous: f64(0.4)},
		}, Staffing: StaffingSection{Analysts: 10, RosterFTE: 10, PlanFTE: 9}, Budget: BudgetSection{Section: Section{Absent: "x"}},
			Threats: ThreatSection{Section: Section{Absent: "x"}}}
	}
	quiet := &metrics.RuleReport{FalsePositives: 100, Rules: []metrics.RuleResult{{RuleID: "r1", RuleName: "quiet", FalsePositives: 10, Judged: 100, FalsePositiveRate: f64(0.1)}}}
	for _, c := range []struct {
		name   string
		change func(e *Executive)
		rules  *metrics.RuleReport
		want   []string // titles, in order
		cites  []string // text that must be in the evidence
	}{
		{"healthy", func(*Executive) {}, quiet, nil, nil},
		{"resolve SLA below target", func(e *Executive) {
			e.Headline[2].Value, e.Headline[2].Target = f64(0.9), f64(0.95)
			e.SLA.ByPriority = []BreachGroup{{Group: "P1", Breached: 7}}
		}, quiet, []string{"Restore resolution times to the agreed service levels"}, []string{"90.0%", "target 95.0%", "previous period 96.0%", "P1: 7"}},
		{"resolve SLA fell 5 points", func(e *Executive) { e.Headline[2].Value = f64(0.91) }, quiet,
			[]string{"Restore resolution times to the agreed service levels"}, []string{"91.0%"}},
		{"resolve SLA fell 4 points only", func(e *Executive) { e.Headline[2].Value = f64(0.92) }, quiet, nil, nil},
		{"overdue without owner", func(e *Executive) { e.SLA.NowBreached, e.SLA.NowUnassigned = 4, 3 },
			quiet, []string{"Give every overdue case an owner"}, []string{"4 open clocks past a target now, 3 unassigned"}},
		{"slower resolution", func(e *Executive) { e.Headline[1].Value = f64(3960) }, quiet,
			[]string{"Find what is slowing resolution"}, []string{"1h06m, previous period 1h00m"}},
		{"slower by 9 %", func(e *Executive) { e.Headline[1].Value = f64(3924) }, quiet, nil, nil},
		{"noisy rule", func(*Executive) {}, &metrics.RuleReport{FalsePositives: 100, Judged: 250, Rules: []metrics.RuleResult{
			{RuleID: "r9", RuleName: "Port scan", Alerts: 90, FalsePositives: 60, Judged: 80, FalsePositiveRate: f64(0.75)}}},
			[]string{"Tune the noisiest detection rule"}, []string{"90 alerts, 60 false positives of 80 judged (75.0% false-positive rate)"}},
		{"alert growth", func(e *Executive) { e.Headline[3].Value = f64(1300) }, quiet,
			[]string{"Plan for the growth in alert volume"}, []string{"1,300 alerts, previous period 1,000"}},
		{"short of staff", func(e *Executive) { e.Staffing.PlanFTE, e.Staffing.HoursShort, e.Staffing.ShortHours = 12, 30, 45 }, quiet,
			[]string{"Close the staffing gap"}, []string{"roster 10.0 FTE (10 analysts), plan 12.0 FTE", "45 head-hours a week short in 30 hours"}},
		{"hours short, roster large enough", func(e *Executive) { e.Staffing.HoursShort, e.Staffing.ShortHours = 4, 1 }, quiet,
			[]string{"Move shift hours to the under-staffed hours of the week"}, []string{"1 head-hours a week short in 4 hours"}},
		{"plan costs more", func(e *Executive) {
			e.Budget = BudgetSection{Currency: "EUR", RosterAnnual: 1e6, PlanAnnual: 1.2e6, DeltaAnnual: -2e5}
		}, quiet, []string{"Fund the staffing plan"}, []string{"today's roster 1,000,000 EUR a year, staffing plan 1,200,000 EUR a year"}},
		{"regulatory clock overdue", func(e *Executive) {
			e.Incidents.Incidents = []IncidentImpact{{Ref: "MI-3", ClocksOverdue: 1, Cases: 2}}
		}, quiet, []string{"Meet the overdue regulatory deadlines of MI-3"}, []string{"MI-3: 1 clock overdue, 0 at risk, 2 cases linked"}},
		{"threat seen in alerts", func(e *Executive) {
			e.Threats = ThreatSection{Profiles: []ThreatProfile{{Name: "APT28", Score: 70, MatchedIndicators: 2, MatchedAlerts: 5}}}
		}, quiet, []string{"Prioritise defences against APT28"}, []string{"relevance score 70; 2 indicators matched 5 alerts"}},
		{"detection slower than target", func(e *Executive) { e.Headline[0].Target = f64(300) }, quiet,
			[]string{"Detect attacks sooner"}, []string{"target 5m00s"}},
		{"false positives above target", func(e *Executive) { e.Headline[4].Target = f64(0.3) }, quiet,
			[]string{"Reduce false alarms"}, []string{"false-positive rate 40.0%", "target 30.0%"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := base()
			c.change(e)
			got := recommend(e, c.rules)
			var titles []string
			var evidence string
			for _, r := range got {
				titles = append(titles, r.Title)
				evidence += strings.Join(r.Evidence, "; ") + "\n"
				if r.Text == "" || len(r.Evidence) == 0 {
					t.Errorf("%q has no text or no evidence", r.Title)
				}
			}
			if strings.Join(titles, "|") != strings.Join(c.want, "|") {
				t.Errorf("recommendations %q, want %q", titles, c.want)
			}
			for _, s := range c.cites {
				if !strings.Contains(evidence, s) {
					t.Errorf("evidence does not cite %q:\n%s", s, evidence)
				}
			}
		})
	}
}

func TestConfig(t *testing.T) {
	c, err := DecodeConfig(strings.NewReader("staffing: {}\nreport:\n  targets:\n    mttr: 24h\n    sla_adherence: 0.95\n"), "plan.yaml")
	if err != nil || c.Targets.MTTR == nil || *c.Targets.MTTR.seconds() != 86400 || *c.Targets.SLAAdherence != 0.95 || c.Targets.MTTD != nil {
		t.Fatalf("%+v %v", c, err)
	}
	if len(c.Benchmarks()) != 2 || c.Benchmarks()[0].Year != 2025 {
		t.Errorf("default benchmarks %+v", c.Benchmarks())
	}
	c, err = DecodeConfig(strings.NewReader("report:\n  industry: []\n"), "plan.yaml")
	if err != nil || c.Benchmarks() == nil || len(c.Benchmarks()) != 0 {
		t.Errorf("industry: [] keeps %v (%v), want none", c.Benchmarks(), err)
	}
	if s := industry(&metrics.GroupResult{}, c.Benchmarks()); s.Absent == "" {
		t.Errorf("no benchmarks configured, no absent line")
	}
	c, err = DecodeConfig(strings.NewReader("report:\n  industry:\n    - {source: Acme SOC survey, year: 2024, measures: time to resolve, statistic: median, value: 36h, compare: mttr}\n"), "plan.yaml")
	if err != nil || len(c.Benchmarks()) != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	sec := industry(&metrics.GroupResult{KPIs: []metrics.Summary{{KPI: metrics.MTTR, Count: 3, Median: f64(7200), Mean: f64(9000)}}}, c.Benchmarks())
	if len(sec.Rows) != 1 || sec.Rows[0].KPI != "MTTR (median)" || *sec.Rows[0].Ours != 7200 || sec.Rows[0].Sample != "3 cases measured" || *sec.MTTRMean != 9000 {
		t.Errorf("industry rows %+v", sec.Rows)
	}
	for doc, want := range map[string]string{
		"report:\n  industry:\n    - {year: 2024, measures: x, statistic: median, value: 1h, compare: mttr}\n":             "source is required",
		"report:\n  industry:\n    - {source: S, year: 24, measures: x, statistic: median, value: 1h, compare: mttr}\n":    "year 24",
		"report:\n  industry:\n    - {source: S, year: 2024, measures: x, statistic: p90, value: 1h, compare: mttr}\n":     `statistic "p90"`,
		"report:\n  industry:\n    - {source: S, year: 2024, measures: x, statistic: mean, value: 1h, compare: backlog}\n": `compare "backlog"`,
		"report:\n  industry:\n    - {source: S, year: 2024, statistic: mean, value: 1h, compare: mttr}\n":                 "measures is required",
		"report:\n  targets:\n    sla_adherence: 95\n":                                                                     "report.targets.sla_adherence: 95 is not a share",
		"report:\n  targets:\n    mtta: -5m\n":                                                                             "report.targets.mtta: -5m0s is not a positive duration",
		"report:\n  targets:\n    mtta: soon\n":                                                                            "soon",
		"report:\n  target:\n    mtta: 5m\n":                                                                               "field target not found",
	} {
		if _, err := DecodeConfig(strings.NewReader(doc), "plan.yaml"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
}

// TestMarkdownEscapes: every string from the data is escaped, and a
// section without data is one line.
func TestMarkdownEscapes(t *testing.T) {
	payload := "<script>alert(1)</script> | [x](javascript:alert(1)) \x1b[31m"
	e := &Executive{Title: "Executive security operations summary", Period: "month", From: "2026-11-01", To: "2026-11-30", TimeZone: "UTC",
		Headline:        []Figure{{Key: "mttr_median", Name: "MTTR (median)", Unit: UnitSeconds, Sample: payload}},
		Recommendations: []Recommendation{{Title: "Tune " + payload, Text: payload, Evidence: []string{payload}}},
		SLA:             SLASection{NowBreached: 1, NowByStage: map[string]int{"triage": 1}, MostOverdue: []BreachItem{{Case: "edr/1", Title: payload, Assignee: payload}}},
		Incidents:       IncidentSection{Incidents: []IncidentImpact{{Ref: "MI-1", Title: payload}}},
		Threats:         ThreatSection{Profiles: []ThreatProfile{{Name: payload, Reasons: []string{payload}}}, Matches: []ThreatMatch{{Value: payload, Source: payload}}},
		Coverage:        CoverageSection{Section: Section{Absent: CoverageAbsent}}, Posture: PostureSection{Section: Section{Absent: PostureAbsent}},
		Staffing: StaffingSection{Section: Section{Absent: "No staffing data: none."}},
		Budget:   BudgetSection{Section: Section{Absent: "No budget data: none."}},
	}
	var b bytes.Buffer
	if err := e.Render(&b, "md"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script>", "\x1b", "| [x]"} {
		if strings.Contains(out, bad) {
			t.Errorf("unescaped %q", bad)
		}
	}
	if link := regexp.MustCompile(`(^|[^\\])\]\(`).FindString(out); link != "" {
		t.Errorf("a link survives: %q", link)
	}
	// Prose escapes only markup; a table cell its separator too.
	if n := strings.Count(out, `&lt;script&gt;alert(1)&lt;/script&gt; | \[x\](javascript:alert(1)) \\x1b\[31m`); n != 3 {
		t.Errorf("escaped payload shown %d times in prose, want 3 (recommendation title, text, evidence):\n%s", n, out)
	}
	if n := strings.Count(out, `&lt;script&gt;alert(1)&lt;/script&gt; \| \[x\](javascript:alert(1)) \\x1b\[31m`); n != 8 {
		t.Errorf("escaped payload shown %d times in table cells, want 8:\n%s", n, out)
	}
	for _, line := range []string{CoverageAbsent, PostureAbsent, "No staffing data: none.", "No budget data: none."} {
		if !strings.Contains(out, "\n"+md(line)+"\n") {
			t.Errorf("missing the one line %q", line)
		}
	}
}
