package training

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// hoursPerWeek are the slots of the reference week, Monday 00:00 first.
const hoursPerWeek = 168

var dayNames = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// slotOf is t's hour of the week in loc, Monday 00:00 = 0.
func slotOf(t time.Time, loc *time.Location) int {
	lt := t.In(loc)
	return (int(lt.Weekday())+6)%7*24 + lt.Hour()
}

func slotLabel(k int) string { return fmt.Sprintf("%s %02d:00", dayNames[k/24%7], k%24) }

// coverage holds who is on duty at each hour of the week and what each
// requirement is exposed to there.
type coverage struct {
	in      Input
	people  []*person
	reqs    []Requirement
	weeks   float64
	shifts  []model.Shift
	onDuty  [hoursPerWeek]map[string]bool // shift names
	byShift map[string][]*person
	// exposure and breaches per requirement and hour of the week.
	exposure map[string]*[hoursPerWeek]int
	breaches map[string]*[hoursPerWeek]int
	// holders per requirement (qualified now, plus the plan's trainees).
	holders map[string]map[string]bool
	// invalid are the shifts left out, with why.
	invalid []string
}

func newCoverage(in Input, people []*person, reqs []Requirement, weeks float64) *coverage {
	c := &coverage{in: in, people: people, reqs: reqs, weeks: weeks, byShift: map[string][]*person{},
		exposure: map[string]*[hoursPerWeek]int{}, breaches: map[string]*[hoursPerWeek]int{}, holders: map[string]map[string]bool{}}
	for _, sh := range in.Roster.Shifts {
		if err := sh.Validate(); err != nil {
			c.invalid = append(c.invalid, err.Error())
			continue
		}
		c.shifts = append(c.shifts, sh)
	}
	sort.SliceStable(c.shifts, func(i, j int) bool {
		if c.shifts[i].Start != c.shifts[j].Start {
			return c.shifts[i].Start < c.shifts[j].Start
		}
		return c.shifts[i].Name < c.shifts[j].Name
	})
	// The reference week: the one holding the assessment time, each hour
	// judged at its middle (local wall time, so daylight-saving days keep
	// their labels).
	lt := in.AsOf.In(in.Loc)
	y, m, d := lt.Date()
	monday := d - (int(lt.Weekday())+6)%7
	for k := range hoursPerWeek {
		t := time.Date(y, m, monday+k/24, k%24, 30, 0, 0, in.Loc)
		c.onDuty[k] = map[string]bool{}
		for _, sh := range c.shifts {
			if on, err := sh.OnDuty(t, in.Loc); err == nil && on {
				c.onDuty[k][sh.Name] = true
			}
		}
	}
	for _, p := range people {
		c.byShift[p.a.Shift] = append(c.byShift[p.a.Shift], p)
	}
	facts := map[int64]*store.CaseOutcome{}
	for i := range in.Outcomes {
		facts[in.Outcomes[i].CaseID] = &in.Outcomes[i]
	}
	for i := range reqs {
		r := &reqs[i]
		c.exposure[r.Name], c.breaches[r.Name] = new([hoursPerWeek]int), new([hoursPerWeek]int)
		c.holders[r.Name] = map[string]bool{}
		for _, h := range r.Holders {
			c.holders[r.Name][h] = true
		}
	}
	for _, x := range in.Executions {
		if !x.Registered || c.exposure[x.Runbook] == nil {
			continue
		}
		k := slotOf(x.StartedAt, in.Loc)
		c.exposure[x.Runbook][k]++
		if f := facts[x.CaseID]; f != nil && breached(f) {
			c.breaches[x.Runbook][k]++
		}
	}
	for i := range reqs {
		if reqs[i].Kind != KindQueue {
			continue
		}
		for j := range in.Outcomes {
			f := &in.Outcomes[j]
			if f.Excluded || f.Created.IsZero() {
				continue
			}
			k := slotOf(f.Created, in.Loc)
			c.exposure[reqs[i].Name][k]++
			if breached(f) {
				c.breaches[reqs[i].Name][k]++
			}
		}
	}
	return c
}

// onDutyHolders lists the holders of r on duty at hour k.
func (c *coverage) onDutyHolders(r *Requirement, k int) []string {
	var out []string
	for _, p := range c.people {
		if c.holders[r.Name][p.a.ExternalID] && c.onDuty[k][p.a.Shift] {
			out = append(out, p.a.ExternalID)
		}
	}
	return out
}

// uncovered lists the hours of the week with fewer holders of r on duty
// than it needs.
func (c *coverage) uncovered(r *Requirement) []int {
	var out []int
	for k := range hoursPerWeek {
		if len(c.onDutyHolders(r, k)) < r.PerShift {
			out = append(out, k)
		}
	}
	return out
}

func (c *coverage) exposed(r *Requirement, hours []int) (n, breached int) {
	for _, k := range hours {
		n += c.exposure[r.Name][k]
		breached += c.breaches[r.Name][k]
	}
	return n, breached
}

func (c *coverage) perWeek(n int) float64 {
	if c.weeks <= 0 {
		return 0
	}
	return float64(n) / c.weeks
}

// shiftWindow describes a shift: "22:00–06:00, every day".
func shiftWindow(sh model.Shift) string {
	sod, _ := sh.StartOfDay() // validated
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(sod)
	end := start.Add(sh.Duration)
	days := "every day"
	if len(sh.Days) > 0 && len(sh.Days) < 7 {
		var ks []int
		for _, d := range sh.Days {
			ks = append(ks, (int(d)+6)%7)
		}
		sort.Ints(ks)
		days = dayRanges(ks)
	}
	tz := ""
	if sh.TimeZone != "" {
		tz = " " + sh.TimeZone
	}
	return fmt.Sprintf("%s–%s%s, %s", start.Format("15:04"), end.Format("15:04"), tz, days)
}

// dayRanges writes sorted weekday indexes (Monday 0) as "Mon–Fri, Sun".
func dayRanges(ks []int) string {
	var parts []string
	for i := 0; i < len(ks); {
		j := i
		for j+1 < len(ks) && ks[j+1] == ks[j]+1 {
			j++
		}
		if j > i+1 {
			parts = append(parts, dayNames[ks[i]]+"–"+dayNames[ks[j]])
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, dayNames[ks[k]])
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// windows merges hours of the week into ranges, wrapping Sunday into
// Monday: "Fri 22:00–Sat 06:00".
func windows(hours []int) []string {
	if len(hours) == 0 {
		return []string{}
	}
	if len(hours) == hoursPerWeek {
		return []string{"all week"}
	}
	in := map[int]bool{}
	for _, k := range hours {
		in[k] = true
	}
	if daily(in) {
		return dailyWindows(in)
	}
	start := 0
	for in[start] { // begin after a covered hour, so no range is split at Monday 00:00
		start++
	}
	var out []string
	for i := 0; i < hoursPerWeek; i++ {
		k := (start + i) % hoursPerWeek
		if !in[k] {
			continue
		}
		j := i
		for j+1 < hoursPerWeek && in[(start+j+1)%hoursPerWeek] {
			j++
		}
		from, to := k, (start+j+1)%hoursPerWeek
		label := slotLabel(from) + "–"
		if to/24 == from/24 && to > from {
			label += fmt.Sprintf("%02d:00", to%24)
		} else {
			label += slotLabel(to)
		}
		out = append(out, label)
		i = j
	}
	return out
}

// shiftViews fills the per-shift coverage.
func (c *coverage) shiftViews(as *Assessment) {
	as.Program.Shifts = len(c.shifts)
	for _, msg := range c.invalid {
		as.Notes = append(as.Notes, "left out: "+msg)
	}
	known := map[string]bool{}
	for _, sh := range c.shifts {
		known[sh.Name] = true
		v := ShiftView{Shift: sh.Name, Window: shiftWindow(sh), Analysts: []string{}, Coverage: []ShiftCoverage{}}
		for _, p := range c.byShift[sh.Name] {
			v.Analysts = append(v.Analysts, p.a.ExternalID)
		}
		for i := range c.reqs {
			r := &c.reqs[i]
			sc := ShiftCoverage{Requirement: r.Name, Required: r.PerShift, Holders: []string{}}
			for _, p := range c.byShift[sh.Name] {
				if c.holders[r.Name][p.a.ExternalID] {
					sc.Holders = append(sc.Holders, p.a.ExternalID)
				}
			}
			switch n := len(sc.Holders); {
			case n < r.PerShift:
				sc.Status = CoverageGap
			case n == 1:
				sc.Status = CoverageSPOF
				as.Program.SinglePoints++
			default:
				sc.Status = CoverageOK
			}
			v.Coverage = append(v.Coverage, sc)
		}
		as.Shifts = append(as.Shifts, v)
	}
	var unknown []string
	for _, p := range c.people {
		if !known[p.a.Shift] {
			unknown = append(unknown, p.a.ExternalID)
		}
	}
	if len(unknown) > 0 {
		as.Notes = append(as.Notes, "not on a known shift, so never counted on duty: "+strings.Join(unknown, ", "))
	}
}

// hourGaps lists each requirement's uncovered hours and their exposure.
func (c *coverage) hourGaps(as *Assessment) {
	for i := range c.reqs {
		r := &c.reqs[i]
		hours := c.uncovered(r)
		if len(hours) == 0 {
			as.Program.FullyCovered++
			continue
		}
		n, b := c.exposed(r, hours)
		g := Gap{Requirement: r.Name, Windows: windows(hours), Hours: len(hours), Exposed: n, Breached: b, ExposedPerWeek: c.perWeek(n)}
		for _, k := range hours {
			if len(c.onDuty[k]) == 0 {
				g.Unstaffed++
			}
		}
		as.Gaps = append(as.Gaps, g)
		as.Program.UncoveredHours += g.Hours
		as.Program.ExposedPerWeek += g.ExposedPerWeek
	}
	var unstaffed []int
	for k := range hoursPerWeek {
		if len(c.onDuty[k]) == 0 {
			unstaffed = append(unstaffed, k)
		}
	}
	if len(unstaffed) > 0 && len(c.shifts) > 0 {
		as.Notes = append(as.Notes, "no shift is on duty "+strings.Join(windows(unstaffed), ", ")+
			": training cannot cover these hours, only a schedule change (or an on-call rota)")
	}
	sort.SliceStable(as.Gaps, func(i, j int) bool {
		if as.Gaps[i].ExposedPerWeek != as.Gaps[j].ExposedPerWeek {
			return as.Gaps[i].ExposedPerWeek > as.Gaps[j].ExposedPerWeek
		}
		return as.Gaps[i].Hours > as.Gaps[j].Hours
	})
}

// handovers lists the shift boundaries that hand runbook work to a shift
// with no holder.
func (c *coverage) handovers(as *Assessment) {
	for _, a := range c.shifts {
		sod, _ := a.StartOfDay() // validated
		endOfDay := (sod + a.Duration) % (24 * time.Hour)
		end := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(endOfDay).Format("15:04")
		for _, b := range c.shifts {
			if bs, _ := b.StartOfDay(); b.Name == a.Name || bs != endOfDay || b.TimeZone != a.TimeZone {
				continue
			}
			for i := range c.reqs {
				r := &c.reqs[i]
				if r.Kind != KindRunbook {
					continue
				}
				var out, in []string
				for _, p := range c.byShift[a.Name] {
					if c.holders[r.Name][p.a.ExternalID] {
						out = append(out, p.a.ExternalID)
					}
				}
				for _, p := range c.byShift[b.Name] {
					if c.holders[r.Name][p.a.ExternalID] {
						in = append(in, p.a.ExternalID)
					}
				}
				if len(out) > 0 && len(in) == 0 {
					as.Handovers = append(as.Handovers, Handover{From: a.Name, To: b.Name, At: end, Requirement: r.Name, Outgoing: out})
				}
			}
		}
	}
	as.Program.Handovers = len(as.Handovers)
}

// candidate is a possible plan item.
type candidate struct {
	p       *person
	r       *Requirement
	raise   []SkillStep
	certify []string
	hours   []int
	removes float64
}

func (x candidate) better(y candidate) bool {
	if x.removes != y.removes {
		return x.removes > y.removes
	}
	if len(x.hours) != len(y.hours) {
		return len(x.hours) > len(y.hours)
	}
	if ex, ey := effort(x.raise, x.certify), effort(y.raise, y.certify); ex != ey {
		return ex < ey
	}
	if x.p.a.ExternalID != y.p.a.ExternalID {
		return x.p.a.ExternalID < y.p.a.ExternalID
	}
	return x.r.Name < y.r.Name
}

func (c *coverage) item(kind string, x candidate, reason string) TrainingItem {
	it := TrainingItem{Kind: kind, Analyst: x.p.a.ExternalID, Name: x.p.a.Name, Tier: string(x.p.a.Tier), Shift: x.p.a.Shift,
		Requirement: x.r.Name, Raise: x.raise, Certify: x.certify, ClosesHours: len(x.hours), RemovesPerWeek: x.removes,
		Effort: effort(x.raise, x.certify), Reason: reason}
	if it.Raise == nil {
		it.Raise = []SkillStep{}
	}
	if it.Certify == nil {
		it.Certify = []string{}
	}
	return it
}

// plan builds the training plan (see the package documentation).
func (c *coverage) plan(as *Assessment) {
	var items []TrainingItem
	// Close gaps, greedily.
	for range len(c.people) * max(1, len(c.reqs)) {
		var best *candidate
		for i := range c.reqs {
			r := &c.reqs[i]
			gap := map[int]bool{}
			for _, k := range c.uncovered(r) {
				gap[k] = true
			}
			if len(gap) == 0 {
				continue
			}
			for _, p := range c.people {
				if c.holders[r.Name][p.a.ExternalID] {
					continue
				}
				x := candidate{p: p, r: r}
				for k := range hoursPerWeek {
					if gap[k] && c.onDuty[k][p.a.Shift] && len(c.onDutyHolders(r, k))+1 >= r.PerShift {
						x.hours = append(x.hours, k)
					}
				}
				if len(x.hours) == 0 {
					continue
				}
				n, _ := c.exposed(r, x.hours)
				x.removes = c.perWeek(n)
				x.raise, x.certify = p.gaps(r)
				if best == nil || x.better(*best) {
					best = &x
				}
			}
		}
		if best == nil {
			break
		}
		c.holders[best.r.Name][best.p.a.ExternalID] = true
		items = append(items, c.item(ItemGap, *best, fmt.Sprintf("nobody on duty can run it %s", strings.Join(windows(best.hours), ", "))))
	}
	// Second holders where a shift has one, and renewals that would open a
	// gap.
	for i := range c.reqs {
		r := &c.reqs[i]
		if r.PerShift > 1 {
			continue
		}
		for _, sh := range c.shifts {
			var holders []*person
			var others []*person
			for _, p := range c.byShift[sh.Name] {
				if c.holders[r.Name][p.a.ExternalID] {
					holders = append(holders, p)
				} else {
					others = append(others, p)
				}
			}
			if len(holders) != 1 || len(others) == 0 {
				continue
			}
			hours := c.solely(r, holders[0])
			n, _ := c.exposed(r, hours)
			var best *candidate
			for _, p := range others {
				x := candidate{p: p, r: r, hours: hours, removes: c.perWeek(n)}
				x.raise, x.certify = p.gaps(r)
				if best == nil || x.better(*best) {
					best = &x
				}
			}
			items = append(items, c.item(ItemSPOF, *best, fmt.Sprintf("only %s holds it on the %s shift", holders[0].a.ExternalID, sh.Name)))
		}
	}
	if c.in.Certifications {
		for i := range c.reqs {
			r := &c.reqs[i]
			for _, p := range c.people {
				if !c.holders[r.Name][p.a.ExternalID] {
					continue
				}
				for _, name := range r.Certifications {
					st, ok := p.certs[strings.ToLower(name)]
					if !ok || st.Status != CertExpiring {
						continue
					}
					hours := c.solely(r, p)
					n, _ := c.exposed(r, hours)
					x := candidate{p: p, r: r, certify: []string{st.Name}, hours: hours, removes: c.perWeek(n)}
					it := c.item(ItemRenew, x, fmt.Sprintf("%s expires %s; %d hours of the week would be left without a holder",
						st.Name, st.Expires.Format(time.DateOnly), len(hours)))
					it.Due = st.Expires
					items = append(items, it)
				}
			}
		}
	}
	kindRank := map[string]int{ItemGap: 0, ItemRenew: 1, ItemSPOF: 2}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.RemovesPerWeek != b.RemovesPerWeek {
			return a.RemovesPerWeek > b.RemovesPerWeek
		}
		if a.ClosesHours != b.ClosesHours {
			return a.ClosesHours > b.ClosesHours
		}
		if kindRank[a.Kind] != kindRank[b.Kind] {
			return kindRank[a.Kind] < kindRank[b.Kind]
		}
		return a.Effort < b.Effort
	})
	for i := range items {
		items[i].Rank = i + 1
	}
	as.Plan = items
}

// solely lists the hours at which p is the only holder of r on duty.
func (c *coverage) solely(r *Requirement, p *person) []int {
	var out []int
	for k := range hoursPerWeek {
		if h := c.onDutyHolders(r, k); len(h) == 1 && h[0] == p.a.ExternalID {
			out = append(out, k)
		}
	}
	return out
}

// daily reports whether a set of hours of the week repeats every day.
func daily(in map[int]bool) bool {
	for k := range hoursPerWeek {
		if in[k] != in[(k+24)%hoursPerWeek] {
			return false
		}
	}
	return true
}

// dailyWindows writes a daily pattern as "14:00–06:00 every day".
func dailyWindows(in map[int]bool) []string {
	start := 0
	for in[start] {
		start++
	}
	var out []string
	for i := 0; i < 24; i++ {
		h := (start + i) % 24
		if !in[h] {
			continue
		}
		j := i
		for j+1 < 24 && in[(start+j+1)%24] {
			j++
		}
		out = append(out, fmt.Sprintf("%02d:00–%02d:00 every day", h, (start+j+1)%24))
		i = j
	}
	return out
}
