package model

import (
	"fmt"
	"strings"
)

// Disposition is the verdict on an alert or case, in one taxonomy whatever
// the source. The empty value means no verdict yet.
type Disposition string

// The dispositions.
const (
	DispositionNone           Disposition = ""
	DispositionTruePositive   Disposition = "true_positive"
	DispositionBenignPositive Disposition = "benign_true_positive"
	DispositionFalsePositive  Disposition = "false_positive"
	DispositionDuplicate      Disposition = "duplicate"
	DispositionInconclusive   Disposition = "inconclusive"
	DispositionTest           Disposition = "test"
)

// Dispositions lists every verdict in the taxonomy.
var Dispositions = []Disposition{
	DispositionTruePositive, DispositionBenignPositive, DispositionFalsePositive,
	DispositionDuplicate, DispositionInconclusive, DispositionTest,
}

// Valid reports whether d is in the taxonomy (or empty).
func (d Disposition) Valid() bool {
	if d == DispositionNone {
		return true
	}
	for _, v := range Dispositions {
		if v == d {
			return true
		}
	}
	return false
}

// ExcludedByDefault reports whether KPIs leave this item out unless asked
// not to: tests and drills are not real work.
func (d Disposition) ExcludedByDefault() bool { return d == DispositionTest }

// dispositionAliases maps source verdict spellings (Google SecOps, TheHive,
// OCSF, ServiceNow close codes spelled out) onto the taxonomy.
var dispositionAliases = map[string]Disposition{
	"true_positive": DispositionTruePositive, "truepositive": DispositionTruePositive,
	"true positive": DispositionTruePositive, "malicious": DispositionTruePositive,
	"true_positive_with_impact": DispositionTruePositive, "truepositivewithimpact": DispositionTruePositive,
	"tp": DispositionTruePositive, "confirmed": DispositionTruePositive,
	"benign_true_positive": DispositionBenignPositive, "benign": DispositionBenignPositive,
	"benign true positive": DispositionBenignPositive, "truepositivewithnoimpact": DispositionBenignPositive,
	"true_positive_with_no_impact": DispositionBenignPositive, "maintenance": DispositionBenignPositive,
	"legit": DispositionBenignPositive, "not_malicious": DispositionBenignPositive, "notapplicable": DispositionBenignPositive,
	"false_positive": DispositionFalsePositive, "falsepositive": DispositionFalsePositive,
	"false positive": DispositionFalsePositive, "fp": DispositionFalsePositive,
	"duplicate": DispositionDuplicate, "duplicated": DispositionDuplicate, "dup": DispositionDuplicate,
	"inconclusive": DispositionInconclusive, "indeterminate": DispositionInconclusive,
	"undetermined": DispositionInconclusive, "unknown": DispositionInconclusive, "other": DispositionInconclusive,
	"test": DispositionTest, "drill": DispositionTest, "testing": DispositionTest, "simulation": DispositionTest,
	"none": DispositionNone, "": DispositionNone,
}

// ParseDisposition maps a source verdict onto the taxonomy.
func ParseDisposition(s string) (Disposition, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if d, ok := dispositionAliases[t]; ok {
		return d, nil
	}
	return DispositionNone, fmt.Errorf("unknown disposition %q", s)
}
