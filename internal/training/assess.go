package training

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/kpi/sketch"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/sla"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Defaults of an assessment.
const (
	DefaultExpiryWarning = 90 * 24 * time.Hour
	DefaultHistoryDays   = 28
)

// Certification statuses.
const (
	CertValid    = "valid"
	CertExpiring = "expiring"
	CertExpired  = "expired"
	CertNoExpiry = "no expiry recorded"
)

// Coverage statuses of a requirement on a shift (as in the staffing skill
// matrix).
const (
	CoverageOK   = staffing.CoverageOK
	CoverageSPOF = staffing.CoverageSPOF
	CoverageGap  = staffing.CoverageGap
)

// Requirement kinds.
const (
	KindRunbook = "runbook"
	KindQueue   = "queue"
)

// Definitions say how the assessment's figures are computed.
var Definitions = map[string]string{
	"qualified":  "every required skill at the level asked or above, every required certification held and not expired at the assessment time",
	"coverage":   "per shift: holders among its analysts (gap below the number required, single point of failure with one); per hour of the week (organisation time zone): a holder on a shift on duty at the hour's middle",
	"exposure":   "runs of the runbook (queue requirements: cases) that started in the history window at an uncovered hour, per week; breached: those whose case breached the resolve SLA",
	"handover":   "a shift boundary where the outgoing shift has a holder and the incoming shift none",
	"plan":       "greedy: the training that removes the most exposure, then closes the most uncovered hours, then needs the fewest level steps and certifications; then second holders for single points of failure; then renewals that would open a gap",
	"individual": "speed is the median time to resolve of the cases an analyst resolved in the history window (nearest rank), shown only with tier, queue mix and runbook mix",
	"expiring":   "a certification expiring within the warning period after the assessment time",
}

// Options configure an assessment.
type Options struct {
	// At is the assessment time; zero means now.
	At time.Time
	// ExpiryWarning flags certifications expiring this soon (default 90 days).
	ExpiryWarning time.Duration
	// HistoryDays is the history measured for exposure and individual
	// context, ending at the newest data (default 28).
	HistoryDays int
	// HistoryUntil, when set, ends that history there instead (a
	// caller's explicit window).
	HistoryUntil time.Time
	// Staffing gives the per-shift skill requirements and the runbook
	// skill mapping.
	Staffing staffing.Config
	// Certifications adds the certification tracking views and renewals.
	Certifications bool
}

// Source is what an assessment reads.
type Source interface {
	runbook.Source
	WorkloadRoster(ctx context.Context) (store.Roster, error)
	Certifications(ctx context.Context) ([]store.Certification, error)
	TimeZone(ctx context.Context) (*time.Location, error)
	LatestActivity(ctx context.Context) (time.Time, error)
	// CaseOutcomes returns the outcomes of the cases created on the days
	// [fromDay, toDay) (YYYYMMDD), by day and case id.
	CaseOutcomes(ctx context.Context, fromDay, toDay int64) ([]store.CaseOutcome, error)
}

// Assessment is the team's development picture: program views first.
type Assessment struct {
	AsOf           time.Time         `json:"as_of"`
	TimeZone       string            `json:"time_zone"`
	HistoryFrom    time.Time         `json:"history_from"`
	HistoryTo      time.Time         `json:"history_to"`
	Definitions    map[string]string `json:"definitions"`
	Program        Program           `json:"program"`
	Requirements   []Requirement     `json:"requirements"`
	Shifts         []ShiftView       `json:"shifts"`
	Gaps           []Gap             `json:"gaps"`
	Handovers      []Handover        `json:"handovers"`
	Plan           []TrainingItem    `json:"plan"`
	Certifications []CertStatus      `json:"certifications,omitempty"`
	Analysts       []Profile         `json:"analysts"`
	Notes          []string          `json:"notes"`
}

// Program is the team-level summary.
type Program struct {
	Analysts     int `json:"analysts"`
	Shifts       int `json:"shifts"`
	Requirements int `json:"requirements"`
	// FullyCovered counts requirements held at every hour of the week.
	FullyCovered   int `json:"fully_covered"`
	UncoveredHours int `json:"uncovered_hours"`
	SinglePoints   int `json:"single_points_of_failure"`
	Handovers      int `json:"handovers_without_holder"`
	CertsExpired   int `json:"certifications_expired"`
	CertsExpiring  int `json:"certifications_expiring"`
	// Exposed is the runs and cases a week that met a gap.
	ExposedPerWeek float64 `json:"exposed_per_week"`
	PlanItems      int     `json:"plan_items"`
}

// Requirement is what one runbook or queue needs.
type Requirement struct {
	Kind           string              `json:"kind"`
	Name           string              `json:"name"`
	Title          string              `json:"title"`
	Type           string              `json:"type,omitempty"` // a runbook's type (irp …)
	Skills         []runbook.SkillNeed `json:"skills"`
	Certifications []string            `json:"certifications"`
	PerShift       int                 `json:"per_shift"`
	Source         string              `json:"source"`
	Holders        []string            `json:"holders"`
	// PerWeek are the runs (queues: cases) a week in the history window.
	PerWeek float64 `json:"per_week"`
}

// ShiftView is one shift's analysts and who on it holds each requirement.
type ShiftView struct {
	Shift    string          `json:"shift"`
	Window   string          `json:"window"`
	Analysts []string        `json:"analysts"`
	Coverage []ShiftCoverage `json:"coverage"`
}

// ShiftCoverage is one requirement on one shift.
type ShiftCoverage struct {
	Requirement string   `json:"requirement"`
	Required    int      `json:"required"`
	Holders     []string `json:"holders"`
	Status      string   `json:"status"`
}

// Gap is a requirement's hours of the week with too few holders on duty.
type Gap struct {
	Requirement string   `json:"requirement"`
	Windows     []string `json:"windows"` // "Mon 00:00–06:00", organisation time zone
	Hours       int      `json:"hours"`
	// ExposedPerWeek are the runs (queues: cases) a week that started in
	// these hours; Breached how many of their cases breached the resolve
	// SLA in the history window, of Exposed in all.
	ExposedPerWeek float64 `json:"exposed_per_week"`
	Exposed        int     `json:"exposed"`
	Breached       int     `json:"breached"`
	// Unstaffed counts the hours no shift is on duty at all: training
	// cannot close those, only a schedule change.
	Unstaffed int `json:"unstaffed_hours"`
}

// Handover is a shift boundary that hands work to nobody qualified.
type Handover struct {
	From        string   `json:"from_shift"`
	To          string   `json:"to_shift"`
	At          string   `json:"at"`
	Requirement string   `json:"requirement"`
	Outgoing    []string `json:"outgoing_holders"`
}

// SkillStep is a skill an analyst must raise.
type SkillStep struct {
	Skill string `json:"skill"`
	From  int    `json:"from"`
	To    int    `json:"to"`
}

// Plan item kinds.
const (
	ItemGap   = "close_gap"
	ItemSPOF  = "second_holder"
	ItemRenew = "renew_certification"
)

// TrainingItem is one step of the training plan.
type TrainingItem struct {
	Rank        int         `json:"rank"`
	Kind        string      `json:"kind"`
	Analyst     string      `json:"analyst"`
	Name        string      `json:"name"`
	Tier        string      `json:"tier"`
	Shift       string      `json:"shift"`
	Requirement string      `json:"requirement"`
	Raise       []SkillStep `json:"raise"`
	Certify     []string    `json:"certify"`
	// ClosesHours are the uncovered hours of the week it closes (renewals:
	// keeps covered); RemovesPerWeek the exposure it removes.
	ClosesHours    int       `json:"closes_hours"`
	RemovesPerWeek float64   `json:"removes_per_week"`
	Effort         int       `json:"effort"` // level steps plus certifications
	Due            time.Time `json:"due,omitzero"`
	Reason         string    `json:"reason"`
}

// CertStatus is a certification an analyst holds.
type CertStatus struct {
	Analyst  string    `json:"analyst"`
	Name     string    `json:"name"`
	Issued   time.Time `json:"issued_at,omitzero"`
	Expires  time.Time `json:"expires_at,omitzero"`
	Status   string    `json:"status"`
	DaysLeft *int      `json:"days_left"`
	// NeededFor lists the requirements that ask for it.
	NeededFor []string `json:"needed_for"`
}

// Profile is one analyst's skills with the context of their work.
type Profile struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Tier           string         `json:"tier"`
	Shift          string         `json:"shift"`
	Skills         map[string]int `json:"skills"`
	Certifications []CertStatus   `json:"certifications"`
	CanRun         []string       `json:"can_run"`
	// Context: the cases they resolved in the history window by priority
	// and the runs they took part in by runbook.
	QueueMix   map[string]int `json:"queue_mix"`
	RunbookMix map[string]int `json:"runbook_mix"`
	Resolved   int            `json:"resolved"`
	// MedianResolveSeconds is their speed; null without resolved cases.
	MedianResolveSeconds *float64 `json:"median_resolve_seconds"`
}

// Input is what an assessment is built from.
type Input struct {
	AsOf     time.Time
	Loc      *time.Location
	Roster   store.Roster
	Certs    []store.Certification
	Registry *runbook.Registry
	Staffing staffing.Config
	// Executions and Outcomes cover the history window: the runs, and
	// the cases created in it.
	Executions             []runbook.Execution
	Outcomes               []store.CaseOutcome
	HistoryFrom, HistoryTo time.Time
	ExpiryWarning          time.Duration
	Certifications         bool
}

// Assess reads the store and builds the assessment.
func Assess(ctx context.Context, src Source, opt Options) (*Assessment, error) {
	in := Input{AsOf: opt.At, Staffing: opt.Staffing, ExpiryWarning: opt.ExpiryWarning, Certifications: opt.Certifications}
	var err error
	if in.Loc, err = src.TimeZone(ctx); err != nil {
		return nil, err
	}
	if opt.Staffing.TimeZone != "" {
		if in.Loc, err = time.LoadLocation(opt.Staffing.TimeZone); err != nil {
			return nil, fmt.Errorf("staffing time zone: %w", err)
		}
	}
	if in.AsOf.IsZero() {
		in.AsOf = time.Now().UTC()
	}
	if in.Roster, err = src.WorkloadRoster(ctx); err != nil {
		return nil, err
	}
	if in.Certs, err = src.Certifications(ctx); err != nil {
		return nil, err
	}
	days := opt.HistoryDays
	if days <= 0 {
		days = DefaultHistoryDays
	}
	if !opt.HistoryUntil.IsZero() {
		in.HistoryTo = opt.HistoryUntil
	} else {
		end, err := src.LatestActivity(ctx)
		if err != nil {
			return nil, err
		}
		if end.IsZero() || end.After(in.AsOf) {
			end = in.AsOf
		}
		y, m, d := end.In(in.Loc).Date()
		in.HistoryTo = time.Date(y, m, d+1, 0, 0, 0, 0, in.Loc)
	}
	in.HistoryFrom = in.HistoryTo.AddDate(0, 0, -days)
	var execs []runbook.Execution
	if in.Registry, execs, _, err = runbook.Executions(ctx, src, in.HistoryFrom, in.HistoryTo); err != nil {
		return nil, err
	}
	for _, x := range execs {
		if !x.StartedAt.Before(in.HistoryFrom) && x.StartedAt.Before(in.HistoryTo) {
			in.Executions = append(in.Executions, x)
		}
	}
	if _, err := src.RefreshFacts(ctx); err != nil {
		return nil, fmt.Errorf("refreshing case facts: %w", err)
	}
	fy, fm, fd := in.HistoryFrom.Date()
	ty, tm, td := in.HistoryTo.Date()
	if in.Outcomes, err = src.CaseOutcomes(ctx, int64(fy*10000+int(fm)*100+fd), int64(ty*10000+int(tm)*100+td)); err != nil {
		return nil, err
	}
	return Build(in), nil
}

// person is an active analyst with skills and certifications indexed.
type person struct {
	a      model.Analyst
	levels map[string]int        // lower-case skill → level
	certs  map[string]CertStatus // lower-case name → status
}

func (p *person) level(skill string) int { return p.levels[strings.ToLower(strings.TrimSpace(skill))] }

// gaps returns what p lacks for r: skills to raise and certifications to
// obtain (or renew).
func (p *person) gaps(r *Requirement) ([]SkillStep, []string) {
	var raise []SkillStep
	for _, s := range r.Skills {
		if l := p.level(s.Skill); l < s.Level {
			raise = append(raise, SkillStep{Skill: s.Skill, From: l, To: s.Level})
		}
	}
	var certs []string
	for _, c := range r.Certifications {
		if st, ok := p.certs[strings.ToLower(c)]; !ok || st.Status == CertExpired {
			certs = append(certs, c)
		}
	}
	return raise, certs
}

func (p *person) qualifies(r *Requirement) bool {
	raise, certs := p.gaps(r)
	return len(raise) == 0 && len(certs) == 0
}

func effort(raise []SkillStep, certs []string) int {
	n := len(certs)
	for _, s := range raise {
		n += s.To - s.From
	}
	return n
}

// certStatus judges a certification at asOf.
func certStatus(c store.Certification, asOf time.Time, warn time.Duration) CertStatus {
	st := CertStatus{Analyst: c.Analyst, Name: c.Name, Issued: c.Issued, Expires: c.Expires, NeededFor: []string{}}
	if c.Expires.IsZero() {
		st.Status = CertNoExpiry
		return st
	}
	days := int(math.Floor(c.Expires.Sub(asOf).Hours() / 24))
	st.DaysLeft = &days
	switch {
	case !c.Expires.After(asOf):
		st.Status = CertExpired
	case c.Expires.Sub(asOf) <= warn:
		st.Status = CertExpiring
	default:
		st.Status = CertValid
	}
	return st
}

// Build computes the assessment.
func Build(in Input) *Assessment {
	if in.Loc == nil {
		in.Loc = time.UTC
	}
	if in.ExpiryWarning <= 0 {
		in.ExpiryWarning = DefaultExpiryWarning
	}
	as := &Assessment{AsOf: in.AsOf, TimeZone: in.Loc.String(), HistoryFrom: in.HistoryFrom, HistoryTo: in.HistoryTo,
		Definitions: Definitions, Requirements: []Requirement{}, Shifts: []ShiftView{}, Gaps: []Gap{}, Handovers: []Handover{},
		Plan: []TrainingItem{}, Analysts: []Profile{}, Notes: []string{}}
	weeks := in.HistoryTo.Sub(in.HistoryFrom).Hours() / (24 * 7)

	// People, with dated certifications where the store has them.
	dated := map[string]map[string]store.Certification{}
	for _, c := range in.Certs {
		k := strings.ToLower(c.Analyst)
		if dated[k] == nil {
			dated[k] = map[string]store.Certification{}
		}
		dated[k][strings.ToLower(c.Name)] = c
	}
	var people []*person
	for _, a := range in.Roster.Analysts {
		if !a.Active {
			continue
		}
		p := &person{a: a, levels: map[string]int{}, certs: map[string]CertStatus{}}
		for _, s := range a.Skills {
			k := strings.ToLower(strings.TrimSpace(s.Name))
			p.levels[k] = max(p.levels[k], s.Level)
		}
		for _, name := range a.Certifications {
			c, ok := dated[strings.ToLower(a.ExternalID)][strings.ToLower(name)]
			if !ok {
				c = store.Certification{Analyst: a.ExternalID, Name: name}
			}
			p.certs[strings.ToLower(name)] = certStatus(c, in.AsOf, in.ExpiryWarning)
		}
		for k, c := range dated[strings.ToLower(a.ExternalID)] {
			if _, ok := p.certs[k]; !ok {
				p.certs[k] = certStatus(c, in.AsOf, in.ExpiryWarning)
			}
		}
		people = append(people, p)
	}
	sort.Slice(people, func(i, j int) bool { return people[i].a.ExternalID < people[j].a.ExternalID })
	as.Program.Analysts = len(people)

	reqs := requirements(in, as)
	runsPerWeek := map[string]int{}
	for _, x := range in.Executions {
		if x.Registered {
			runsPerWeek[x.Runbook]++
		}
	}
	for i := range reqs {
		r := &reqs[i]
		for _, p := range people {
			if p.qualifies(r) {
				r.Holders = append(r.Holders, p.a.ExternalID)
			}
		}
		if r.Holders == nil {
			r.Holders = []string{}
		}
		if weeks > 0 {
			if r.Kind == KindRunbook {
				r.PerWeek = float64(runsPerWeek[r.Name]) / weeks
			} else {
				r.PerWeek = float64(len(in.Outcomes)) / weeks
			}
		}
		for _, c := range r.Certifications {
			for _, p := range people {
				if st, ok := p.certs[strings.ToLower(c)]; ok {
					st.NeededFor = append(st.NeededFor, r.Name)
					p.certs[strings.ToLower(c)] = st
				}
			}
		}
	}
	as.Requirements = reqs
	as.Program.Requirements = len(reqs)

	cov := newCoverage(in, people, reqs, weeks)
	cov.shiftViews(as)
	cov.hourGaps(as)
	cov.handovers(as)
	cov.plan(as)

	for _, p := range people {
		for _, st := range sortedCerts(p) {
			switch st.Status {
			case CertExpired:
				as.Program.CertsExpired++
			case CertExpiring:
				as.Program.CertsExpiring++
			}
			if in.Certifications {
				as.Certifications = append(as.Certifications, st)
			}
		}
	}
	if in.Certifications {
		sort.SliceStable(as.Certifications, func(i, j int) bool {
			a, b := as.Certifications[i], as.Certifications[j]
			if rank(a.Status) != rank(b.Status) {
				return rank(a.Status) < rank(b.Status)
			}
			if !a.Expires.Equal(b.Expires) {
				return a.Expires.Before(b.Expires)
			}
			return a.Analyst+a.Name < b.Analyst+b.Name
		})
	}
	profiles(in, as, people, reqs)
	as.Program.PlanItems = len(as.Plan)
	if len(in.Roster.Shifts) == 0 {
		as.Notes = append(as.Notes, "no shifts are defined: coverage by hour of the week cannot be judged (ingest shift records)")
	}
	return as
}

func rank(status string) int {
	switch status {
	case CertExpired:
		return 0
	case CertExpiring:
		return 1
	case CertValid:
		return 2
	}
	return 3
}

func sortedCerts(p *person) []CertStatus {
	out := make([]CertStatus, 0, len(p.certs))
	for _, c := range p.certs {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// requirements lists what runbooks and queues need.
func requirements(in Input, as *Assessment) []Requirement {
	var out []Requirement
	configured := map[*runbook.Entry][]string{}
	if in.Registry != nil {
		for name, skills := range in.Staffing.Runbooks {
			if e := in.Registry.Lookup(name); e != nil {
				configured[e] = skills
			} else {
				as.Notes = append(as.Notes, fmt.Sprintf("the staffing configuration maps runbook %q, which is not in the registry", name))
			}
		}
		unstated := 0
		for _, e := range in.Registry.Entries {
			if !e.RemovedAt.IsZero() {
				continue
			}
			d := e.Current().Doc
			r := Requirement{Kind: KindRunbook, Name: e.ID, Title: d.Title, Type: d.Type, PerShift: 1, Source: "front matter",
				Skills: append([]runbook.SkillNeed{}, d.RequiredSkills...), Certifications: append([]string{}, d.RequiredCertifications...)}
			if len(r.Skills) == 0 && len(r.Certifications) == 0 {
				skills, ok := configured[e]
				if !ok {
					unstated++
					continue
				}
				r.Source = "staffing configuration"
				for _, s := range skills {
					r.Skills = append(r.Skills, runbook.SkillNeed{Skill: s, Level: runbook.DefaultSkillLevel})
				}
			}
			out = append(out, r)
		}
		if unstated > 0 {
			as.Notes = append(as.Notes, fmt.Sprintf("%d runbooks state no required skills or certifications (front matter required_skills): anyone counts as able to run them", unstated))
		}
	}
	for _, s := range in.Staffing.Skills {
		lvl, per := s.MinLevel, s.PerShift
		if lvl == 0 {
			lvl = runbook.DefaultSkillLevel
		}
		if per == 0 {
			per = 1
		}
		name := s.For
		if name == "" {
			name = "every shift"
		}
		out = append(out, Requirement{Kind: KindQueue, Name: name + ": " + s.Skill, Title: name, PerShift: per, Source: "staffing configuration",
			Skills: []runbook.SkillNeed{{Skill: s.Skill, Level: lvl}}, Certifications: []string{}})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind == KindRunbook
		}
		if (a.Type == "irp") != (b.Type == "irp") {
			return a.Type == "irp"
		}
		return a.Name < b.Name
	})
	return out
}

// profiles builds the individual views with their context.
func profiles(in Input, as *Assessment, people []*person, reqs []Requirement) {
	byAnalyst := map[string][]*store.CaseOutcome{}
	for i := range in.Outcomes {
		f := &in.Outcomes[i]
		if !f.Excluded && !f.Resolve.IsZero() && !f.Resolve.Before(in.HistoryFrom) && f.Resolve.Before(in.HistoryTo) {
			byAnalyst[f.Analyst] = append(byAnalyst[f.Analyst], f)
		}
	}
	runs := map[string]map[string]int{}
	for _, x := range in.Executions {
		for _, a := range x.Analysts {
			if runs[a] == nil {
				runs[a] = map[string]int{}
			}
			runs[a][x.Runbook]++
		}
	}
	for _, p := range people {
		pr := Profile{ID: p.a.ExternalID, Name: p.a.Name, Tier: string(p.a.Tier), Shift: p.a.Shift, Skills: map[string]int{},
			Certifications: sortedCerts(p), CanRun: []string{}, QueueMix: map[string]int{}, RunbookMix: map[string]int{}}
		for _, s := range p.a.Skills {
			pr.Skills[s.Name] = s.Level
		}
		for i := range reqs {
			if p.qualifies(&reqs[i]) {
				pr.CanRun = append(pr.CanRun, reqs[i].Name)
			}
		}
		var secs []float64
		for _, f := range byAnalyst[p.a.ExternalID] {
			pr.QueueMix[f.Priority.String()]++
			secs = append(secs, max(0, f.Resolve.Sub(f.Created).Seconds()))
		}
		pr.Resolved = len(secs)
		if len(secs) > 0 {
			sort.Float64s(secs)
			m := sketch.ExactQuantile(secs, 0.5)
			pr.MedianResolveSeconds = &m
		}
		for rb, n := range runs[p.a.ExternalID] {
			pr.RunbookMix[rb] = n
		}
		as.Analysts = append(as.Analysts, pr)
	}
	sort.SliceStable(as.Analysts, func(i, j int) bool {
		if as.Analysts[i].Shift != as.Analysts[j].Shift {
			return as.Analysts[i].Shift < as.Analysts[j].Shift
		}
		return as.Analysts[i].ID < as.Analysts[j].ID
	})
}

// breached reports whether a case breached its resolve SLA.
func breached(f *store.CaseOutcome) bool {
	return f.SLAResolve == sla.StatusBreached || f.SLAResolve == sla.StatusOverdue
}
