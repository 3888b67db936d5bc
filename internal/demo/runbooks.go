package demo

import (
	"embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/runbook"
)

// The demo SOC's runbooks (written for the demo): a triage runbook, four
// incident response plans, the common steps they run and a hunt nobody
// runs. runbooks holds the current edition, runbooks_v1 the files the
// first edition had differently (the malware plan, revised in the middle
// of the simulated period).
//
//go:embed runbooks runbooks_v1
var runbookFiles embed.FS

// RunbookSource names the demo's runbook folder in the registry.
const RunbookSource = "demo"

// RunbookSync is one sync of the demo's runbook folder: the folder as it
// stood and when it was synced.
type RunbookSync struct {
	At time.Time
	FS fs.FS
}

// Runbooks returns the syncs that make the demo's runbook history: the
// first edition at the start of the simulated period, the revised malware
// plan at Config.RunbookRevision (default the middle of the period). The simulation's runbook events name these runbooks
// and their steps.
func Runbooks(cfg Config) []RunbookSync {
	cfg = cfg.WithDefaults()
	s := &sim{cfg: cfg}
	s.setPeriod()
	return []RunbookSync{{At: ms(s.startMs), FS: editionV1()}, {At: ms(s.revisionMs()), FS: editionCurrent()}}
}

func editionCurrent() fs.FS {
	sub, _ := fs.Sub(runbookFiles, "runbooks")
	return sub
}

func editionV1() fs.FS {
	over, _ := fs.Sub(runbookFiles, "runbooks_v1")
	names := map[string]bool{}
	fs.WalkDir(over, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names[p] = true
		}
		return nil
	})
	return overlay{base: editionCurrent(), over: over, names: names}
}

// overlay is a folder with some files replaced.
type overlay struct {
	base, over fs.FS
	names      map[string]bool
}

func (o overlay) Open(name string) (fs.File, error) {
	if o.names[name] {
		return o.over.Open(name)
	}
	return o.base.Open(name)
}

// revisionMs is when the revised edition is synced: Config.RunbookRevision,
// else the middle of the period.
func (s *sim) revisionMs() int64 {
	if !s.cfg.RunbookRevision.IsZero() {
		return s.cfg.RunbookRevision.UnixMilli()
	}
	return s.startMs + int64(s.cfg.Days)/2*day
}

// edition is one edition's runbooks as the simulation uses them.
type edition struct {
	byID map[string]*runbook.Document
	// actions maps a plan's id and a common step's title (the names the
	// simulation's containment actions carry) to the plan's step that
	// runs it.
	actions map[string]map[string]string
}

var (
	editionsOnce sync.Once
	editions     [2]*edition // first, current
	editionsErr  error
)

func loadEditions() ([2]*edition, error) {
	editionsOnce.Do(func() {
		for i, fsys := range []fs.FS{editionV1(), editionCurrent()} {
			f, err := runbook.Load(fsys, "")
			if err != nil {
				editionsErr = err
				return
			}
			if len(f.Problems) > 0 || len(f.Broken) > 0 {
				editionsErr = fmt.Errorf("demo runbooks: %v %v", f.Problems, f.Broken)
				return
			}
			ed := &edition{byID: map[string]*runbook.Document{}, actions: map[string]map[string]string{}}
			byPath := map[string]*runbook.Document{}
			for _, d := range f.Docs {
				ed.byID[d.ID], byPath[d.Path] = d, d
			}
			for _, d := range f.Docs {
				m := map[string]string{}
				for _, l := range d.Links {
					if t := byPath[l.Path]; t != nil && l.Step != "" && t.Type == "runbook" && m[t.Title] == "" {
						m[t.Title] = l.Step
					}
				}
				ed.actions[d.ID] = m
			}
			editions[i] = ed
		}
	})
	return editions, editionsErr
}

// Incident response plans in the order a case is matched against them.
var irpOrder = []string{"irps/ransomware", "irps/phishing", "irps/compromised-account", "irps/malware"}

// irpFor names the plan for a major incident scenario.
var irpFor = map[string]string{
	"hands-on-keyboard intrusion":   "irps/malware",
	"ransomware precursor activity": "irps/ransomware",
	"business email compromise":     "irps/compromised-account",
	"cloud credential compromise":   "irps/compromised-account",
}

// Chances of skipping a step that is not a containment action (those are
// run when the case needs them), by plan, version and step; others 5 %.
// The malware plan's revision made reimaging conditional: analysts skipped
// "reimage every affected host" most of the time, and skip its successor
// far less.
// Containment steps the case's own actions did not record are run (or
// not) with these chances too.
var stepSkip = map[string]map[string]float64{
	"irps/phishing@1":            {"1.3": 0.1, "1.4": 0.25, "2.2": 0.3, "2.3": 0.6, "3.1": 0.6, "3.2": 0.3},
	"irps/malware@1":             {"1.3": 0.2, "2.2": 0.45, "2.3": 0.5, "3.1": 0.1, "3.2": 0.6, "3.3": 0.1},
	"irps/malware@2":             {"1.3": 0.2, "1.4": 0.2, "2.2": 0.45, "2.3": 0.5, "3.1": 0.1, "3.2": 0.15, "3.3": 0.1},
	"irps/compromised-account@1": {"1.3": 0.15, "2.2": 0.1, "3.1": 0.2},
	"irps/ransomware@1":          {"2.2": 0.2, "2.3": 0.2, "2.5": 0.2, "3.1": 0.02, "3.2": 0.02},
}

const (
	triageRunbook   = "triage/case-triage"
	triageAdoption  = 0.85
	duplicateSkip   = 0.35 // step 1.2 of triage: checking for duplicates
	lessonsSkipLow  = 0.75 // the lessons-learned step of P3–P5 cases
	lessonsSkipHigh = 0.2  // … of P1 and P2 cases
	defaultSkip     = 0.05
)

// irpRun is a plan being followed on a case.
type irpRun struct {
	doc     *runbook.Document
	version int
	run     string
	actions map[string]string
	steps   map[string]bool // steps recorded by actions
}

// runbookValue is a runbook event's value.
func runbookValue(rb model.RunbookExecution) string {
	b, _ := json.Marshal(rb)
	return string(b)
}

// docAt is a runbook as in force at t, with its registry version (the
// first edition is version 1 of every runbook; the revision makes version 2
// of those it changed) and its action steps.
func (s *sim) docAt(id string, t int64) (*runbook.Document, int, map[string]string) {
	first, cur := s.editions[0], s.editions[1]
	if t < s.revisionMs() || first.byID[id].Hash == cur.byID[id].Hash {
		return first.byID[id], 1, first.actions[id]
	}
	return cur.byID[id], 2, cur.actions[id]
}

// planTriage records the triage runbook between the move to triage (tt)
// and to investigation (ti) for most cases.
func (s *sim) planTriage(p *planner, c *simCase, tt, ti int64) {
	rng := s.rRB
	if rng.Float64() >= triageAdoption {
		return
	}
	doc, version, _ := s.docAt(triageRunbook, tt)
	steps := doc.Steps()
	for i, st := range steps {
		// Records are made as the case moves: at the move to triage, the
		// decision at the move to investigation. Made at the instants the
		// case's log already has, they add no work to what the log
		// measures (see package staffing).
		at := tt
		if i == len(steps)-1 {
			at = ti
		}
		rb := model.RunbookExecution{Runbook: triageRunbook, Version: version, Run: c.id + "/triage", Step: st.Key, Status: runbook.StepCompleted,
			FinishedAt: ms(at)}
		if st.Key == "1.2" && rng.Float64() < duplicateSkip {
			if rng.Float64() < 0.5 {
				continue // not recorded: skipped all the same
			}
			rb.Status = runbook.StepSkipped
		}
		if i == len(steps)-1 {
			rb.Outcome = runbook.OutcomeCompleted
		}
		p.add(at, model.EventRunbook, runbookValue(rb), "")
	}
}

// startIRP decides whether the case follows an incident response plan:
// the first plan whose applies_to covers the case's rule (or the plan of a
// major incident's scenario), if the analyst holding it follows plans
// this time. Containment actions then record as the plan's steps.
func (s *sim) startIRP(p *planner, c *simCase, id string, ti int64, always bool) {
	if id == "" || !always && s.rRB.Float64() >= s.adherence[p.who] {
		return
	}
	doc, version, actions := s.docAt(id, ti)
	p.irp = &irpRun{doc: doc, version: version, run: c.id + "/irp", actions: actions, steps: map[string]bool{}}
}

// irpForRule is the first plan that applies to a rule, "" when none does.
func (s *sim) irpForRule(r *rule) string {
	info := runbook.RuleInfo{ID: r.m.ExternalID, Name: r.m.Name, Techniques: r.m.Techniques, Tactics: r.m.Tactics}
	for _, id := range irpOrder {
		if d := s.editions[1].byID[id]; d.AppliesTo.Covers(info) {
			return id
		}
	}
	return ""
}

// finishIRP records the plan's steps that are not containment actions:
// identification from ti, eradication and recovery up to the resolution at
// tr, and the lessons learned, which end the run. A case closed as not
// malicious aborts the plan after identification. done is when the
// lessons-learned step is recorded (tr for ordinary cases).
func (s *sim) finishIRP(p *planner, prio model.Priority, malicious bool, ti, tc, tr, done int64) {
	x := p.irp
	if x == nil {
		return
	}
	rng := s.rRB
	id := x.doc.ID
	// Records are made at instants the case's log already has (the move to
	// investigation, containment, resolution), so they add no work to what
	// the log measures.
	var phases [][]runbook.Step
	for _, ph := range x.doc.Phases {
		phases = append(phases, ph.Steps)
	}
	add := func(at int64, st runbook.Step, outcome string) {
		rb := model.RunbookExecution{Runbook: id, Version: x.version, Run: x.run, Step: st.Key, Status: runbook.StepCompleted, Outcome: outcome,
			FinishedAt: ms(at)}
		skip := defaultSkip
		if v, ok := stepSkip[id+"@"+strconv.Itoa(x.version)][st.Key]; ok {
			skip = v
		}
		if st.Key == lastKey(phases) {
			skip = lessonsSkipLow
			if prio <= model.P2 {
				skip = lessonsSkipHigh
			}
			if id == "irps/ransomware" {
				skip = 0
			}
		}
		if rng.Float64() < skip {
			if outcome == "" {
				return // not recorded: counts as skipped
			}
			rb.Status = runbook.StepSkipped
		}
		p.add(at, model.EventRunbook, runbookValue(rb), "")
	}
	// Identification: the steps no action records.
	var idSteps []runbook.Step
	for _, st := range phases[0] {
		if !x.steps[st.Key] && !actionStep(x, st.Key) {
			idSteps = append(idSteps, st)
		}
	}
	for i, st := range idSteps {
		outcome := ""
		if !malicious && i == len(idSteps)-1 {
			outcome = runbook.OutcomeAborted
		}
		add(ti, st, outcome)
	}
	if !malicious {
		return
	}
	// Containment steps the actions left out, when the case was contained.
	if tc > 0 {
		for _, st := range phases[1] {
			if !x.steps[st.Key] {
				add(tc, st, "")
			}
		}
	}
	// Eradication and recovery at containment (or at resolution), then the
	// lessons learned.
	at := tr
	if tc > 0 {
		at = tc
	}
	for _, ph := range phases[2 : len(phases)-1] {
		for _, st := range ph {
			if !x.steps[st.Key] {
				add(at, st, "")
			}
		}
	}
	last := phases[len(phases)-1]
	add(done, last[len(last)-1], runbook.OutcomeCompleted)
}

func lastKey(phases [][]runbook.Step) string {
	last := phases[len(phases)-1]
	return last[len(last)-1].Key
}

// actionStep reports whether a plan's step is one the containment actions
// record.
func actionStep(x *irpRun, key string) bool {
	for _, k := range x.actions {
		if k == key {
			return true
		}
	}
	return false
}

// Certification is a certification a demo analyst holds, with its dates.
type Certification struct {
	Analyst, Name   string
	Issued, Expires time.Time // Expires is zero for certifications that do not expire
}

// certTerms are how long certifications stay valid (0: no expiry) and how
// far back they may have been issued.
var certTerms = map[string][2]int{ // months valid, months back at most
	"GIAC": {48, 54}, "CompTIA": {36, 42}, "SC-200": {12, 15}, "CISSP": {36, 40}, "OSCP": {0, 60}, "BTL1": {0, 48},
}

// Certifications dates the certifications the demo's analysts list
// (others are left alone): issued within a few years before the end of the
// simulation and valid for the certification's usual term, so some have
// lapsed and some are about to. The same seed, end and analysts give the
// same dates.
func Certifications(cfg Config, analysts []model.Analyst) []Certification {
	cfg = cfg.WithDefaults()
	var out []Certification
	for _, a := range analysts {
		if !strings.HasSuffix(a.Email, analystDomain) {
			continue
		}
		for _, name := range a.Certifications {
			h := fnv.New64a()
			h.Write([]byte(a.ExternalID + "|" + name))
			rng := rand.New(rand.NewPCG(uint64(cfg.Seed), h.Sum64()))
			term := certTerms[name]
			for prefix, t := range certTerms {
				if strings.HasPrefix(name, prefix) {
					term = t
				}
			}
			if term[1] == 0 {
				term = [2]int{36, 42}
			}
			back := time.Duration(rng.Float64() * float64(term[1]) * 30.44 * 24 * float64(time.Hour))
			issued := cfg.End.Add(-back).UTC().Truncate(24 * time.Hour)
			c := Certification{Analyst: a.ExternalID, Name: name, Issued: issued}
			if term[0] > 0 {
				c.Expires = issued.AddDate(0, term[0], 0)
			}
			out = append(out, c)
		}
	}
	return out
}
