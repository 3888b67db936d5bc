package staffing

import (
	"fmt"
	"sort"
	"strings"
)

// SkillMatrix is the analysts' skills and certifications against what the
// shifts need.
type SkillMatrix struct {
	// Skills are the matrix's columns, Analysts its rows.
	Skills   []string        `json:"skills"`
	Analysts []AnalystSkills `json:"analysts"`
	// Requirements are what each shift must hold; RequirementsAssumed is
	// true when none were configured and every skill on the roster is
	// required once per shift at level 3 (proficient).
	Requirements        []SkillRequirement `json:"requirements"`
	RequirementsAssumed bool               `json:"requirements_assumed"`
	// Coverage is each requirement on each shift.
	Coverage []ShiftSkill `json:"coverage"`
	// SinglePoints are the coverage entries held by exactly one person.
	SinglePoints []ShiftSkill `json:"single_points_of_failure"`
	// Training lists who could be trained to close gaps and single points.
	Training []TrainingNeed `json:"training"`
	// Runbooks are the runbooks run in the history window and the skills
	// they need.
	Runbooks []RunbookNeed `json:"runbooks,omitempty"`
}

// AnalystSkills is one row of the matrix.
type AnalystSkills struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Tier           string         `json:"tier"`
	Shift          string         `json:"shift"`
	Levels         map[string]int `json:"levels"`
	Certifications []string       `json:"certifications,omitempty"`
}

// Coverage states.
const (
	CoverageOK   = "ok"
	CoverageSPOF = "single point of failure"
	CoverageGap  = "gap"
)

// ShiftSkill is one requirement on one shift.
type ShiftSkill struct {
	Shift    string   `json:"shift"`
	Skill    string   `json:"skill"`
	MinLevel int      `json:"min_level"`
	Required int      `json:"required"`
	Holders  []string `json:"holders"`
	Status   string   `json:"status"`
	For      string   `json:"for,omitempty"`
}

// TrainingNeed names a skill to build on a shift and the analysts closest
// to it.
type TrainingNeed struct {
	Shift      string   `json:"shift"`
	Skill      string   `json:"skill"`
	MinLevel   int      `json:"min_level"`
	Missing    int      `json:"missing"` // holders needed to reach two (no single point) or the requirement
	Candidates []string `json:"candidates"`
	Reason     string   `json:"reason"`
}

// RunbookNeed is a runbook used in the window.
type RunbookNeed struct {
	Runbook string   `json:"runbook"`
	Runs    int      `json:"runs"`
	Skills  []string `json:"skills"`
	// Unmapped is true when the configuration does not say which skills
	// the runbook needs.
	Unmapped bool `json:"unmapped"`
}

const defaultSkillLevel = 3

// skillMatrix builds the matrix from the roster and the configuration.
func skillMatrix(w *Workload, cfg Config) *SkillMatrix {
	m := &SkillMatrix{}
	skills := map[string]bool{}
	shifts := map[string]bool{}
	for _, a := range w.Roster.Analysts {
		if !a.Active {
			continue
		}
		row := AnalystSkills{ID: a.ExternalID, Name: a.Name, Tier: string(a.Tier), Shift: a.Shift, Levels: map[string]int{},
			Certifications: a.Certifications}
		for _, s := range a.Skills {
			row.Levels[s.Name] = s.Level
			skills[s.Name] = true
		}
		if a.Shift != "" {
			shifts[a.Shift] = true
		}
		m.Analysts = append(m.Analysts, row)
	}
	sort.Slice(m.Analysts, func(i, j int) bool {
		if m.Analysts[i].Shift != m.Analysts[j].Shift {
			return m.Analysts[i].Shift < m.Analysts[j].Shift
		}
		return m.Analysts[i].ID < m.Analysts[j].ID
	})
	// Requirements: configured, plus what mapped runbooks need.
	reqs := append([]SkillRequirement(nil), cfg.Skills...)
	have := map[string]bool{}
	for _, r := range reqs {
		have[strings.ToLower(r.Skill)] = true
	}
	names := make([]string, 0, len(w.Runbooks))
	for name := range w.Runbooks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		need := cfg.Runbooks[name]
		m.Runbooks = append(m.Runbooks, RunbookNeed{Runbook: name, Runs: w.Runbooks[name], Skills: need, Unmapped: need == nil})
		for _, s := range need {
			if !have[strings.ToLower(s)] {
				have[strings.ToLower(s)] = true
				reqs = append(reqs, SkillRequirement{Skill: s, MinLevel: defaultSkillLevel, PerShift: 1, For: "runbook " + name})
			}
		}
	}
	if len(reqs) == 0 {
		m.RequirementsAssumed = true
		for s := range skills {
			reqs = append(reqs, SkillRequirement{Skill: s, MinLevel: defaultSkillLevel, PerShift: 1, For: "held on the roster (assumed)"})
		}
		sort.Slice(reqs, func(i, j int) bool { return reqs[i].Skill < reqs[j].Skill })
	}
	for i := range reqs {
		if reqs[i].MinLevel == 0 {
			reqs[i].MinLevel = defaultSkillLevel
		}
		if reqs[i].PerShift == 0 {
			reqs[i].PerShift = 1
		}
		skills[reqs[i].Skill] = true
	}
	m.Requirements = reqs
	for s := range skills {
		m.Skills = append(m.Skills, s)
	}
	sort.Strings(m.Skills)
	shiftNames := make([]string, 0, len(shifts))
	for s := range shifts {
		shiftNames = append(shiftNames, s)
	}
	sort.Strings(shiftNames)

	for _, sh := range shiftNames {
		for _, r := range reqs {
			c := ShiftSkill{Shift: sh, Skill: r.Skill, MinLevel: r.MinLevel, Required: r.PerShift, For: r.For}
			type cand struct {
				id    string
				level int
			}
			var below []cand
			for _, a := range m.Analysts {
				if a.Shift != sh {
					continue
				}
				if lvl := level(a.Levels, r.Skill); lvl >= r.MinLevel {
					c.Holders = append(c.Holders, a.ID)
				} else {
					below = append(below, cand{a.ID, lvl})
				}
			}
			switch n := len(c.Holders); {
			case n < r.PerShift:
				c.Status = CoverageGap
			case n == 1:
				c.Status = CoverageSPOF
			default:
				c.Status = CoverageOK
			}
			m.Coverage = append(m.Coverage, c)
			if c.Status == CoverageOK {
				continue
			}
			if c.Status == CoverageSPOF {
				m.SinglePoints = append(m.SinglePoints, c)
			}
			sort.SliceStable(below, func(i, j int) bool { return below[i].level > below[j].level })
			tn := TrainingNeed{Shift: sh, Skill: r.Skill, MinLevel: r.MinLevel, Missing: max(r.PerShift, 2) - len(c.Holders)}
			for _, b := range below[:min(3, len(below))] {
				tn.Candidates = append(tn.Candidates, fmt.Sprintf("%s (level %d)", b.id, b.level))
			}
			if c.Status == CoverageGap {
				tn.Reason = fmt.Sprintf("%d of %d required holders at level %d on the %s shift", len(c.Holders), r.PerShift, r.MinLevel, sh)
			} else {
				tn.Reason = fmt.Sprintf("only %s holds it at level %d on the %s shift", c.Holders[0], r.MinLevel, sh)
			}
			m.Training = append(m.Training, tn)
		}
	}
	return m
}

// level finds a skill's level, ignoring case.
func level(levels map[string]int, skill string) int {
	if v, ok := levels[skill]; ok {
		return v
	}
	for k, v := range levels {
		if strings.EqualFold(k, skill) {
			return v
		}
	}
	return 0
}
