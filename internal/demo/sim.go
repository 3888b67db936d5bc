package demo

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// rule is a detection rule with the behaviour the simulation gives it.
type rule struct {
	m          model.Rule
	spec       *ruleSpec
	techniques []string // shared by the rule's alerts
	fp         float64  // probability an alert is a false positive
	tp         float64  // probability a non-false-positive alert is malicious
	auto       float64  // share of its false/benign positives SOAR closes
	weight     float64  // share of the background volume
	delayMed   float64  // median detection delay, ms
	suspects   []int32  // hosts or users the rule habitually fires on
	last       []model.Entity
}

// incident is malicious activity that several alerts may be about.
type incident struct {
	hosts, users, exts []int32
	expires            int64
	c                  *simCase
	major, drill       bool
	title              string
	scenario           string // a major incident's kind
}

// simCase is the simulation's view of a case it opened.
type simCase struct {
	loc      string // "demo:C-000001"
	id       string // "C-000001"
	created  int64
	resolved int64 // first move to resolved or closed, 0 if none before End
	done     bool  // resolved or closed at End
	n        int   // events emitted so far, for event ids
}

// extra is a scheduled alert outside the background process: major
// incidents and drills.
type extra struct {
	at, occurred int64
	r            *rule
	disp         model.Disposition
	inc          *incident
	ents         []model.Entity
}

// stats counts what a run produced, for tests.
type stats struct {
	background int      // alerts from the Poisson process
	extraIDs   []string // alerts of major incidents and drills
	autoClosed int
	majors     int // major incidents scheduled
	// Triage queue wait per day of the window: total ms and alerts.
	waitSum []int64
	waitN   []int
}

// Queue lanes: most alerts wait for L1; critical ones for L2/L3.
const (
	laneL1 = iota
	laneSenior
)

// segment is a stretch of time (at most an hour) with a constant arrival
// rate.
type segment struct {
	start, end int64
	rate       float64 // alerts per ms
}

type sim struct {
	cfg            Config
	startMs, endMs int64
	expected       float64 // expected background alerts

	rSetup, rRoster, rSched, rArr, rOps, rRB *rand.Rand

	// editions are the demo's runbooks (first and current); adherence is
	// per analyst the chance of following a plan.
	editions  [2]*edition
	adherence []float64

	inv     *inventory
	rules   []*rule // background rules
	drill   *rule
	alias   aliasTable
	ros     *roster
	free    []int64 // per analyst: when their current alert is done
	cursor  [2]int  // per lane: slot of the latest triage start
	segs    []segment
	extras  []extra
	active  []*incident
	pq      pendingQueue
	seq     uint64
	nAlerts int64
	nCases  int64

	alertBuf []model.Alert
	ents     entityArena
	emit     timedEmit
	stats    stats
	// life records, in live mode, when the alert being routed changes
	// state, so its later versions can be scheduled.
	life alertLife
}

// alertLife is when an alert's state changes after it arrives: triage
// starts and ends, it joins a case, its case is resolved. Zero: never
// (before End).
type alertLife struct {
	start, finish, linked, closed int64
}

func newSim(cfg Config) (*sim, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &sim{cfg: cfg}
	s.setPeriod()
	seed := uint64(cfg.Seed)
	stream := func(n uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15*n)) }
	s.rSetup, s.rRoster, s.rSched, s.rArr, s.rOps = stream(1), stream(2), stream(3), stream(4), stream(5)
	// Runbook detail has a stream of its own, so the floor's timings do not
	// depend on it.
	s.rRB = stream(6)
	var err error
	if s.editions, err = loadEditions(); err != nil {
		return nil, err
	}

	s.inv = newInventory(s.rSetup)
	s.buildRules()
	s.ros = newRoster(s.rRoster, cfg.Analysts, s.startMs, s.endMs, cfg.TimeZone)
	// How often each analyst follows the incident response plan that applies.
	s.adherence = make([]float64, len(s.ros.analysts))
	for i := range s.adherence {
		s.adherence[i] = 0.5 + 0.45*s.rRB.Float64()
	}
	s.free = make([]int64, len(s.ros.analysts))
	s.stats.waitSum = make([]int64, cfg.Days)
	s.stats.waitN = make([]int, cfg.Days)
	s.buildSegments()
	s.scheduleExtras()
	return s, nil
}

// setPeriod sets the simulated period [startMs, endMs) from the
// configuration.
func (s *sim) setPeriod() {
	s.endMs = floorDiv(s.cfg.End.UnixNano(), 1e6)
	s.startMs = -floorDiv(-s.cfg.End.Add(-time.Duration(s.cfg.Days)*24*time.Hour).UnixNano(), 1e6)
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// ms converts Unix milliseconds to a UTC time.
func ms(t int64) time.Time { return time.UnixMilli(t).UTC() }

// buildRules turns the content pack into rules with volumes and
// false-positive rates drawn for this seed.
func (s *sim) buildRules() {
	rng := s.rSetup
	catalog := normTechniques(s.cfg.Techniques)
	allowed := make(map[string]bool, len(catalog))
	for _, t := range catalog {
		allowed[t] = true
	}
	mk := func(i int, spec *ruleSpec) *rule {
		var techs []string
		for _, t := range spec.techniques {
			if len(catalog) == 0 || allowed[t] {
				techs = append(techs, t)
			}
		}
		if len(techs) == 0 {
			techs = []string{catalog[rng.IntN(len(catalog))]}
		}
		r := &rule{spec: spec, techniques: slices.Clip(techs)}
		r.m = model.Rule{
			Source:      Source,
			ExternalID:  pad("R-", i+1, 3),
			Name:        spec.name,
			Description: "Demo content pack detection (" + strings.ReplaceAll(spec.tactic, "-", " ") + ").",
			Severity:    spec.severity,
			Techniques:  slices.Clone(techs),
			Tactics:     []string{spec.tactic},
			Enabled:     true,
			Author:      "SOC Detection Engineering",
		}
		r.delayMed = [...]float64{kindEndpoint: 1.5, kindNetwork: 4, kindDomain: 5, kindIdentity: 6, kindCloud: 12, kindEmail: 3}[spec.kind] * float64(minute)
		return r
	}
	// Noisy rules share about 55 % of the volume, the rest 45 %.
	var noisyW, quietW float64
	for i := range ruleSpecs {
		spec := &ruleSpecs[i]
		r := mk(i, spec)
		u := rng.Float64()
		sev := spec.severity
		switch {
		case spec.noisy:
			r.fp = 0.93 + 0.06*u
			r.auto = 0.93 + 0.05*rng.Float64()
			r.weight = 0.5 + rng.Float64()
			noisyW += r.weight
		default:
			lo := [...]float64{0, 0.85, 0.72, 0.55, 0.35, 0.15}[sev]
			span := [...]float64{0, 0.1, 0.22, 0.3, 0.35, 0.35}[sev]
			r.fp = lo + span*u
			r.auto = [...]float64{0, 0.93, 0.88, 0.78, 0.3, 0}[sev] + [...]float64{0, 0.06, 0.1, 0.17, 0.25, 0}[sev]*rng.Float64()
			r.weight = math.Exp(0.9*rng.NormFloat64()) * [...]float64{0, 1.5, 1.2, 1, 0.15, 0.04}[sev]
			quietW += r.weight
		}
		r.tp = [...]float64{0, 0.005, 0.01, 0.03, 0.08, 0.2}[sev] * (0.5 + rng.Float64())
		if spec.noisy {
			r.tp = 0.01
			pool := len(s.inv.hosts)
			if spec.kind == kindIdentity || spec.kind == kindEmail || spec.kind == kindCloud {
				pool = len(s.inv.users)
			}
			for range 3 {
				r.suspects = append(r.suspects, int32(rng.IntN(pool)))
			}
		}
		s.rules = append(s.rules, r)
	}
	w := make([]float64, len(s.rules))
	for i, r := range s.rules {
		if r.spec.noisy {
			r.weight *= 0.55 / noisyW
		} else {
			r.weight *= 0.45 / quietW
		}
		w[i] = r.weight
	}
	s.alias = newAliasTable(w)
	s.drill = mk(len(ruleSpecs), &drillSpec)
	s.drill.m.Description = "Marker detection for scheduled purple-team exercises; its alerts are tests."
}

// normTechniques returns the distinct, upper-cased, sorted technique ids.
func normTechniques(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.ToUpper(strings.TrimSpace(id)); id != "" {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// diurnal is the relative alert rate by local hour of a working day.
var diurnal = [24]float64{
	0.55, 0.5, 0.48, 0.47, 0.48, 0.52, 0.62, 0.8, 1.15, 1.45, 1.55, 1.55,
	1.4, 1.5, 1.55, 1.5, 1.35, 1.1, 0.9, 0.8, 0.75, 0.7, 0.65, 0.6,
}

// weekly is the relative alert rate by local weekday, Sunday first.
var weekly = [7]float64{0.68, 1.08, 1.1, 1.1, 1.08, 1.0, 0.72}

// intensity is the relative alert rate at a local time.
func intensity(lt time.Time) float64 {
	h := float64(lt.Hour()) + float64(lt.Minute())/60
	i := int(h)
	f := h - float64(i)
	d := diurnal[i]*(1-f) + diurnal[(i+1)%24]*f
	wd := lt.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		d = 1 + (d-1)*0.45 // flatter days at weekends
	}
	return d * weekly[wd]
}

// buildSegments splits the window at UTC hours and scales the rates so the
// expected volume is exactly AlertsPerDay × Days.
func (s *sim) buildSegments() {
	var total float64
	for t := s.startMs - mod(s.startMs, hour); t < s.endMs; t += hour {
		a, b := max(t, s.startMs), min(t+hour, s.endMs)
		if a >= b {
			continue
		}
		w := intensity(time.UnixMilli((a + b) / 2).In(s.cfg.TimeZone))
		s.segs = append(s.segs, segment{start: a, end: b, rate: w})
		total += w * float64(b-a)
	}
	s.expected = float64(s.cfg.AlertsPerDay) * float64(s.cfg.Days)
	for i := range s.segs {
		s.segs[i].rate *= s.expected / total
	}
}

// scheduleExtras plans the major incidents and purple-team drills.
func (s *sim) scheduleExtras() {
	rng := s.rSched
	// Three to six major incidents per 90 days.
	n := int(math.Round(float64(3+rng.IntN(4)) * float64(s.cfg.Days) / 90))
	if n == 0 && s.cfg.Days >= 7 {
		n = 1
	}
	lo, hi := s.startMs+6*hour, s.endMs-6*hour
	if hi <= lo {
		n = 0
	}
	var starts []int64
	for range n {
		starts = append(starts, lo+rng.Int64N(hi-lo))
	}
	slices.Sort(starts)
	byTactic := map[string][]*rule{}
	var serious []*rule
	for _, r := range s.rules {
		if r.m.Severity >= model.SeverityMedium && !r.spec.noisy {
			byTactic[r.spec.tactic] = append(byTactic[r.spec.tactic], r)
			serious = append(serious, r)
		}
	}
	for _, st := range starts {
		sc := &majorScenarios[rng.IntN(len(majorScenarios))]
		inc := &incident{major: true}
		nh := 2 + rng.IntN(10)
		inc.hosts = append(inc.hosts, s.inv.workstation(rng))
		for len(inc.hosts) < nh {
			h := s.inv.host(rng)
			if rng.Float64() < 0.1 {
				h = s.inv.dcs[rng.IntN(len(s.inv.dcs))]
			}
			if !slices.Contains(inc.hosts, h) {
				inc.hosts = append(inc.hosts, h)
			}
		}
		for range 1 + rng.IntN(3) {
			inc.users = append(inc.users, int32(rng.IntN(len(s.inv.users))))
		}
		for range 1 + rng.IntN(2) {
			inc.exts = append(inc.exts, int32(rng.IntN(len(s.inv.extIPs))))
		}
		inc.title = "Major incident: " + sc.title + " (" + s.inv.hosts[inc.hosts[0]] + ")"
		inc.scenario = sc.title
		count := 25 + rng.IntN(50)
		span := float64(lognorm(rng, 5*float64(hour), 0.4))
		offsets := make([]float64, count)
		for i := 1; i < count; i++ {
			offsets[i] = span * math.Pow(rng.Float64(), 1.5)
		}
		slices.Sort(offsets)
		for _, off := range offsets {
			at := st + int64(off)
			if at >= s.endMs {
				break
			}
			pool := byTactic[sc.tactics[min(len(sc.tactics)-1, int(off/span*float64(len(sc.tactics))))]]
			if len(pool) == 0 {
				pool = serious
			}
			r := pool[rng.IntN(len(pool))]
			s.addExtra(rng, at, r, model.DispositionTruePositive, inc)
		}
	}

	// A drill every other Tuesday at 10:00 local time.
	loc := s.cfg.TimeZone
	lt := time.UnixMilli(s.startMs + day).In(loc)
	d := time.Date(lt.Year(), lt.Month(), lt.Day(), 10, 0, 0, 0, loc)
	for d.Weekday() != time.Tuesday || d.UnixMilli() < s.startMs+day {
		d = d.AddDate(0, 0, 1)
	}
	for ; d.UnixMilli() < s.endMs; d = d.AddDate(0, 0, 14) {
		inc := &incident{drill: true, hosts: []int32{s.inv.workstation(rng)}, users: []int32{int32(rng.IntN(len(s.inv.users)))}}
		t0 := d.UnixMilli()
		var offs []int64
		for range 3 + rng.IntN(6) {
			offs = append(offs, rng.Int64N(45*minute))
		}
		slices.Sort(offs)
		for _, off := range offs {
			if t0+off < s.endMs {
				s.addExtra(rng, t0+off, s.drill, model.DispositionTest, inc)
			}
		}
	}
	slices.SortStableFunc(s.extras, func(a, b extra) int { return cmp.Compare(a.at, b.at) })
	s.stats.majors = n
}

func (s *sim) addExtra(rng *rand.Rand, at int64, r *rule, disp model.Disposition, inc *incident) {
	occ := max(s.startMs, at-lognorm(rng, r.delayMed, 0.9))
	s.extras = append(s.extras, extra{at: at, occurred: occ, r: r, disp: disp, inc: inc, ents: s.entities(rng, r, inc, false)})
}

// run emits the setup records, then simulates the window.
func (s *sim) run(ctx context.Context, emit timedEmit) error {
	s.emit = emit
	if err := s.emitSetup(); err != nil {
		return err
	}
	xi := 0
	for _, sg := range s.segs {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := float64(sg.start)
		for {
			t += s.rArr.ExpFloat64() / sg.rate
			if t >= float64(sg.end) {
				break
			}
			at := int64(t)
			for ; xi < len(s.extras) && s.extras[xi].at <= at; xi++ {
				if err := s.arriveExtra(&s.extras[xi]); err != nil {
					return err
				}
			}
			if err := s.arriveBackground(at); err != nil {
				return err
			}
		}
	}
	for ; xi < len(s.extras); xi++ {
		if err := s.arriveExtra(&s.extras[xi]); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.flush(math.MaxInt64)
}

// emitSetup emits teams, shifts, analysts, rules and the SLA policy.
func (s *sim) emitSetup() error {
	var recs []record.Record
	for t, name := range teamNames {
		recs = append(recs, record.Record{Loc: "demo:team:" + name,
			Team: &model.Team{Name: name, Lead: s.ros.analysts[s.ros.leads[t]].m.ExternalID}})
	}
	for i, name := range shiftNames {
		start := shiftStarts[i]
		recs = append(recs, record.Record{Loc: "demo:shift:" + name, Shift: &model.Shift{
			Name:     name,
			Start:    pad("", start/60, 2) + ":" + pad("", start%60, 2),
			Duration: shiftMinutes * time.Minute,
			Days: []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday,
				time.Thursday, time.Friday, time.Saturday},
			TimeZone: s.cfg.TimeZone.String(),
		}})
	}
	for i := range s.ros.analysts {
		a := s.ros.analysts[i].m
		a.Skills = slices.Clone(a.Skills)
		a.Certifications = slices.Clone(a.Certifications)
		recs = append(recs, record.Record{Loc: "demo:analyst:" + a.ExternalID, Analyst: &a})
	}
	for _, r := range append(slices.Clip(s.rules), s.drill) {
		m := r.m
		m.Techniques = slices.Clone(m.Techniques)
		m.Tactics = slices.Clone(m.Tactics)
		recs = append(recs, record.Record{Loc: "demo:rule:" + m.ExternalID, Rule: &m})
	}
	recs = append(recs, record.Record{Loc: "demo:sla:SOC standard", SLA: &model.SLAPolicy{
		Name:          "SOC standard",
		Version:       1,
		EffectiveFrom: ms(s.startMs),
		Targets: map[model.Priority]model.SLATarget{
			model.P1: {Acknowledge: 15 * time.Minute, Resolve: 24 * time.Hour},
			model.P2: {Acknowledge: 30 * time.Minute, Resolve: 72 * time.Hour},
			model.P3: {Acknowledge: 4 * time.Hour, Resolve: 7 * 24 * time.Hour},
			model.P4: {Acknowledge: 24 * time.Hour, Resolve: 14 * 24 * time.Hour},
			model.P5: {Acknowledge: 72 * time.Hour, Resolve: 30 * 24 * time.Hour},
		},
		PauseStatuses: []string{statusAwaitingUser, statusAwaitingVendor},
	}})
	for _, r := range recs {
		if err := s.emit(s.startMs, r); err != nil {
			return err
		}
	}
	return nil
}

// Behaviour of the floor.
const (
	dupRate        = 0.02 // share of alerts that re-fire an earlier one
	dupAuto        = 0.5  // share of duplicates the correlation engine closes
	incidentJoin   = 0.35 // chance a malicious alert belongs to an ongoing intrusion
	incidentLife   = 10 * float64(hour)
	detectionSigma = 0.9
)

// Chance triage escalates an alert into a case, by severity.
var (
	escalateBenign = [...]float64{0, 0.01, 0.03, 0.06, 0.15, 0.3}
	escalateFalse  = [...]float64{0, 0, 0.003, 0.01, 0.05, 0.12}
)

// arriveBackground draws one alert of the Poisson process and processes it.
// Everything about the alert itself comes from the arrival stream, so it
// does not depend on staffing.
func (s *sim) arriveBackground(at int64) error {
	rng := s.rArr
	r := s.rules[s.alias.draw(rng)]
	disp := model.DispositionFalsePositive
	if rng.Float64() >= r.fp {
		disp = model.DispositionBenignPositive
		if rng.Float64() < r.tp {
			disp = model.DispositionTruePositive
		}
	}
	dup := rng.Float64() < dupRate && r.last != nil
	uAuto := rng.Float64()
	var inc *incident
	if dup {
		disp = model.DispositionDuplicate
	} else if disp == model.DispositionTruePositive {
		inc = s.incidentFor(at)
	}
	ents := s.entities(rng, r, inc, dup)
	occ := max(s.startMs, at-lognorm(rng, r.delayMed, detectionSigma))
	auto := dup && uAuto < dupAuto || (disp == model.DispositionFalsePositive || disp == model.DispositionBenignPositive) && uAuto < r.auto
	s.stats.background++
	_, err := s.process(at, occ, r, disp, inc, ents, auto)
	return err
}

func (s *sim) arriveExtra(x *extra) error {
	a, err := s.process(x.at, x.occurred, x.r, x.disp, x.inc, x.ents, false)
	if a != nil {
		s.stats.extraIDs = append(s.stats.extraIDs, a.ExternalID)
	}
	return err
}

// incidentFor returns the intrusion a malicious alert at t is part of: an
// ongoing one, or a new one.
func (s *sim) incidentFor(t int64) *incident {
	rng := s.rArr
	j := 0
	for _, in := range s.active {
		if in.expires > t {
			s.active[j] = in
			j++
		}
	}
	clear(s.active[j:])
	s.active = s.active[:j]
	if len(s.active) > 0 && rng.Float64() < incidentJoin {
		return s.active[rng.IntN(len(s.active))]
	}
	h := s.inv.host(rng)
	u := s.userOf(rng, h)
	inc := &incident{
		hosts:   []int32{h},
		users:   []int32{u},
		exts:    []int32{int32(rng.IntN(len(s.inv.extIPs)))},
		expires: t + lognorm(rng, incidentLife, 0.6),
	}
	s.active = append(s.active, inc)
	return inc
}

// userOf returns the user seen on a host: its primary user most of the time.
func (s *sim) userOf(rng *rand.Rand, h int32) int32 {
	n := len(s.inv.users)
	if int(h) < s.inv.nWS && rng.Float64() < 0.7 {
		return int32(int(h) * 7919 % n)
	}
	return int32(rng.IntN(n))
}

// Entity types.
const (
	entHost     = "host"
	entUser     = "user"
	entIP       = "ip"
	entHash     = "hash"
	entDomain   = "domain"
	entEmail    = "email"
	entResource = "resource"
)

// entities builds an alert's entities for its rule's kind, about the
// incident when there is one, re-using the previous alert's for duplicates.
func (s *sim) entities(rng *rand.Rand, r *rule, inc *incident, dup bool) []model.Entity {
	if dup {
		e := s.ents.take(len(r.last))
		copy(e, r.last)
		return e
	}
	inv := s.inv
	host := func() int32 {
		switch {
		case inc != nil:
			return inc.hosts[rng.IntN(len(inc.hosts))]
		case len(r.suspects) > 0 && rng.Float64() < 0.6 && r.spec.kind != kindIdentity && r.spec.kind != kindEmail && r.spec.kind != kindCloud:
			return r.suspects[rng.IntN(len(r.suspects))]
		}
		return inv.host(rng)
	}
	user := func(h int32) int32 {
		switch {
		case inc != nil:
			return inc.users[rng.IntN(len(inc.users))]
		case len(r.suspects) > 0 && rng.Float64() < 0.6 && h < 0:
			return r.suspects[rng.IntN(len(r.suspects))]
		case h >= 0:
			return s.userOf(rng, h)
		}
		return int32(rng.IntN(len(inv.users)))
	}
	ext := func() int32 {
		if inc != nil && len(inc.exts) > 0 {
			return inc.exts[rng.IntN(len(inc.exts))]
		}
		return int32(rng.IntN(len(inv.extIPs)))
	}
	var e []model.Entity
	switch r.spec.kind {
	case kindEndpoint:
		n := 2
		if r.spec.file {
			n = 3
		}
		e = s.ents.take(n)
		h := host()
		e[0] = model.Entity{Type: entHost, Value: inv.hosts[h]}
		e[1] = model.Entity{Type: entUser, Value: inv.users[user(h)], Role: "actor"}
		if n == 3 {
			e[2] = model.Entity{Type: entHash, Value: inv.hashes[rng.IntN(len(inv.hashes))]}
		}
	case kindNetwork:
		e = s.ents.take(3)
		h := host()
		e[0] = model.Entity{Type: entIP, Value: inv.hostIPs[h], Role: "src"}
		e[1] = model.Entity{Type: entIP, Value: inv.extIPs[ext()], Role: "dst"}
		e[2] = model.Entity{Type: entHost, Value: inv.hosts[h]}
	case kindDomain:
		e = s.ents.take(2)
		e[0] = model.Entity{Type: entHost, Value: inv.hosts[host()]}
		e[1] = model.Entity{Type: entDomain, Value: inv.domains[int(ext())%len(inv.domains)], Role: "dst"}
	case kindIdentity:
		e = s.ents.take(2)
		e[0] = model.Entity{Type: entUser, Value: inv.users[user(-1)], Role: "target"}
		if rng.Float64() < 0.6 {
			e[1] = model.Entity{Type: entIP, Value: inv.extIPs[ext()], Role: "src"}
		} else {
			e[1] = model.Entity{Type: entIP, Value: inv.hostIPs[host()], Role: "src"}
		}
	case kindCloud:
		e = s.ents.take(3)
		e[0] = model.Entity{Type: entUser, Value: inv.users[user(-1)], Role: "actor"}
		e[1] = model.Entity{Type: entResource, Value: inv.resources[rng.IntN(len(inv.resources))], Role: "target"}
		e[2] = model.Entity{Type: entIP, Value: inv.extIPs[ext()], Role: "src"}
	case kindEmail:
		e = s.ents.take(2)
		e[0] = model.Entity{Type: entUser, Value: inv.users[user(-1)], Role: "target"}
		e[1] = model.Entity{Type: entEmail, Value: inv.senders[rng.IntN(len(inv.senders))], Role: "actor"}
	}
	if inc == nil || !inc.major && !inc.drill {
		r.last = e
	}
	return e
}

// newAlert returns a zeroed alert carved from a block.
func (s *sim) newAlert() *model.Alert {
	if len(s.alertBuf) == cap(s.alertBuf) {
		s.alertBuf = make([]model.Alert, 0, 256)
	}
	s.alertBuf = s.alertBuf[:len(s.alertBuf)+1]
	return &s.alertBuf[len(s.alertBuf)-1]
}

// process builds, routes and emits one alert arriving at t. Pending case
// records due by then go first, keeping the stream in time order.
func (s *sim) process(at, occurred int64, r *rule, disp model.Disposition, inc *incident, ents []model.Entity, auto bool) (*model.Alert, error) {
	if err := s.flush(at); err != nil {
		return nil, err
	}
	s.nAlerts++
	loc := idString("A-", s.nAlerts, 8)
	a := s.newAlert()
	*a = model.Alert{
		Source:     Source,
		ExternalID: loc[len("demo:"):],
		Title:      r.m.Name,
		Severity:   r.m.Severity,
		RuleID:     r.m.ExternalID,
		RuleName:   r.m.Name,
		OccurredAt: ms(occurred),
		CreatedAt:  ms(at),
		Entities:   ents,
		Techniques: r.techniques,
	}
	s.life = alertLife{}
	s.route(a, at, r, disp, inc, auto)
	if s.cfg.Mute.drops(a.Source, a.RuleID, a.CreatedAt) {
		return a, nil // simulated, never delivered
	}
	if !s.cfg.Live {
		// Stored as if Watchfloor had been running: ingested a pipeline's
		// lag after creation.
		a.IngestedAt = a.CreatedAt.Add(PipelineLag(a.ExternalID))
	}
	if s.cfg.Live && !auto {
		return a, s.emitLive(a, loc, at)
	}
	return a, s.emit(at, record.Record{Loc: loc, Alert: a})
}

// emitLive emits an alert as it is when it arrives (new) and schedules its
// later states, each a full copy of the alert, so a consumer that stores
// records as their time comes never sees a verdict before it is reached.
// a holds the state at End, which the last version matches.
func (s *sim) emitLive(a *model.Alert, loc string, at int64) error {
	version := func(status string, disp model.Disposition, caseID string) *model.Alert {
		v := *a
		v.Status, v.Disposition, v.CaseExternalID = status, disp, caseID
		return &v
	}
	l := s.life
	later := func(t int64, v *model.Alert) {
		s.seq++
		s.pq.push(pending{at: t, seq: s.seq, alert: v, c: &simCase{loc: loc}})
	}
	if l.start > 0 {
		later(l.start, version(alertInProgress, "", ""))
	}
	switch {
	case l.linked > 0:
		later(l.linked, version(alertEscalated, "", a.CaseExternalID))
		if l.closed > 0 {
			later(max(l.closed, l.linked), version(alertClosed, a.Disposition, a.CaseExternalID))
		}
	case l.finish > 0:
		later(l.finish, version(a.Status, a.Disposition, a.CaseExternalID))
	}
	return s.emit(at, record.Record{Loc: loc, Alert: version(alertNew, "", "")})
}

// route decides what happens to an alert: automatic closure, the triage
// queue, closure at triage or escalation into a case.
func (s *sim) route(a *model.Alert, at int64, r *rule, disp model.Disposition, inc *incident, auto bool) {
	if auto {
		a.Status, a.Disposition = alertClosed, disp
		s.stats.autoClosed++
		return
	}
	lane := laneL1
	if a.Severity == model.SeverityCritical {
		lane = laneSenior
	}
	start, who, ok := s.triage(lane, at)
	if !ok {
		a.Status = alertNew
		return
	}
	rng := s.rOps
	toCase := false
	switch disp {
	case model.DispositionTruePositive:
		toCase = true
	case model.DispositionBenignPositive:
		toCase = rng.Float64() < escalateBenign[a.Severity]
	case model.DispositionFalsePositive:
		toCase = rng.Float64() < escalateFalse[a.Severity]
	case model.DispositionTest:
		toCase = inc != nil
	}
	finish := start + s.handling(toCase, disp, a.Severity, s.ros.analysts[who].tier)
	s.free[who] = finish
	s.life.start = start
	s.ros.analysts[who].handled++
	if d := int((at - s.startMs) / day); d < len(s.stats.waitSum) {
		s.stats.waitSum[d] += start - at
		s.stats.waitN[d]++
	}
	switch {
	case finish >= s.endMs:
		a.Status = alertInProgress
	case !toCase:
		a.Status, a.Disposition = alertClosed, disp
		s.life.finish = finish
	default:
		s.escalate(a, r, disp, inc, who, finish)
	}
}

// handling draws how long triage of one alert takes, in ms.
func (s *sim) handling(toCase bool, disp model.Disposition, sev model.Severity, tier int) int64 {
	med := 3 * float64(minute)
	switch {
	case toCase:
		med = 10 * float64(minute)
	case disp == model.DispositionDuplicate:
		med = 1.5 * float64(minute)
	case disp == model.DispositionBenignPositive:
		med = 5 * float64(minute)
	case disp == model.DispositionTest:
		med = 6 * float64(minute)
	}
	switch sev {
	case model.SeverityHigh:
		med *= 1.3
	case model.SeverityCritical:
		med *= 1.5
	}
	if tier > 0 {
		med *= 0.75
	}
	return lognorm(s.rOps, med, 0.55)
}

// triage finds when an analyst of the lane first takes an alert that
// arrived at t: the earliest moment an analyst on duty is free, serving
// alerts first come, first served. Start times never decrease within a lane,
// so the search resumes at the lane's last slot.
func (s *sim) triage(lane int, t int64) (int64, int32, bool) {
	ros := s.ros
	k := max(ros.slotOf(t), s.cursor[lane])
	for ; k < ros.nSlots; k++ {
		slotStart := ros.slot0 + int64(k)*slotMs
		slotEnd := min(slotStart+slotMs, s.endMs)
		base := max(t, slotStart)
		best, who := int64(math.MaxInt64), int32(-1)
		consider := func(m []int32) {
			for _, a := range m {
				if c := max(base, s.free[a]); c < best {
					best, who = c, a
				}
			}
		}
		if lane == laneSenior {
			consider(ros.onDuty(1, k))
			consider(ros.onDuty(2, k))
			if who < 0 {
				consider(ros.onDuty(0, k))
			}
		} else {
			consider(ros.onDuty(0, k))
		}
		if who >= 0 && best < slotEnd {
			s.cursor[lane] = k
			return best, who, true
		}
	}
	s.cursor[lane] = ros.nSlots
	return 0, -1, false
}

// escalate puts an alert triaged at t into a case: the open case of its
// incident when there is one, otherwise a new case.
func (s *sim) escalate(a *model.Alert, r *rule, disp model.Disposition, inc *incident, who int32, t int64) {
	if inc != nil && inc.c != nil {
		c := inc.c
		tl := max(t, c.created+second)
		if tl < s.endMs && (c.resolved == 0 || tl < c.resolved) {
			s.pushEvent(c, tl, model.EventAlertLinked, "", a.ExternalID, s.login(who))
			s.linkAlert(a, c, disp, tl)
			return
		}
	}
	c := s.openCase(a, r, disp, inc, who, t)
	if inc != nil {
		inc.c = c
	}
	s.linkAlert(a, c, disp, t)
}

// linkAlert puts an alert into case c at time t.
func (s *sim) linkAlert(a *model.Alert, c *simCase, disp model.Disposition, t int64) {
	s.life.linked, s.life.closed = t, c.resolved
	a.CaseExternalID = c.id
	if c.done {
		a.Status, a.Disposition = alertClosed, disp
	} else {
		a.Status = alertEscalated
	}
}

func (s *sim) login(a int32) string { return s.ros.analysts[a].m.ExternalID }

func (s *sim) pushEvent(c *simCase, at int64, kind model.EventKind, old, new, actor string) {
	s.seq++
	s.pq.push(pending{at: at, seq: s.seq, c: c, ev: &model.CaseEvent{
		CaseSource:     Source,
		CaseExternalID: c.id,
		At:             ms(at),
		Actor:          actor,
		Source:         Source,
		Kind:           kind,
		Old:            old,
		New:            new,
	}})
}

// flush emits the pending records due at or before t.
func (s *sim) flush(t int64) error {
	for len(s.pq) > 0 && s.pq[0].at <= t {
		p := s.pq.pop()
		var rec record.Record
		switch {
		case p.alert != nil:
			rec = record.Record{Loc: p.c.loc, Alert: p.alert}
		case p.snap != nil:
			rec = record.Record{Loc: p.c.loc, Case: p.snap}
		default:
			p.c.n++
			loc := p.c.loc + "/" + strconv.Itoa(p.c.n)
			p.ev.ExternalID = loc[len("demo:"):]
			rec = record.Record{Loc: loc, Event: p.ev}
		}
		if err := s.emit(p.at, rec); err != nil {
			return err
		}
	}
	return nil
}
