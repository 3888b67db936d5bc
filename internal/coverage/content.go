package coverage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/model"
)

// Content formats.
const (
	FormatSigma  = "sigma"
	FormatSplunk = "splunk"
	FormatNative = "native"
)

// Formats are the detection content formats Import reads.
var Formats = []string{FormatSigma, FormatSplunk, FormatNative}

// techniqueID is an ATT&CK technique or sub-technique ID.
var techniqueID = regexp.MustCompile(`^[Tt]\d{4}(\.\d{3})?$`)

// tags sorts out a rule's ATT&CK references: technique IDs (upper case,
// revoked ones replaced by what MITRE replaced them with) and tactic short
// names, each sorted and without repeats. A reference that is neither a
// technique ID nor a tactic of cat is returned in unknown.
func tags(cat *attack.Catalog, techniques, tactics []string) (techs, tacs, unknown []string) {
	for _, t := range techniques {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !techniqueID.MatchString(t) {
			unknown = append(unknown, t)
			continue
		}
		id := strings.ToUpper(t)
		if te, ok := cat.Technique(id); ok {
			id = te.ID
		}
		techs = append(techs, id)
	}
	for _, t := range tactics {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		ta, ok := cat.Tactic(t)
		if !ok {
			unknown = append(unknown, t)
			continue
		}
		tacs = append(tacs, ta.ShortName)
	}
	slices.Sort(techs)
	slices.Sort(tacs)
	return slices.Compact(techs), slices.Compact(tacs), unknown
}

// level reads a Sigma level or a severity name; "" is unknown.
func level(s string) (model.Severity, error) {
	sev, err := model.ParseSeverity(s)
	if err != nil {
		return 0, fmt.Errorf("level: %w", err)
	}
	return sev, nil
}

// riskLevel maps a Splunk risk score (0–100) to a severity with Splunk
// Enterprise Security's risk bands: 0–20 informational, 21–40 low, 41–60
// medium, 61–80 high, 81–100 critical.
func riskLevel(score float64) model.Severity {
	switch {
	case score <= 0:
		return model.SeverityUnknown
	case score <= 20:
		return model.SeverityInformational
	case score <= 40:
		return model.SeverityLow
	case score <= 60:
		return model.SeverityMedium
	case score <= 80:
		return model.SeverityHigh
	default:
		return model.SeverityCritical
	}
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// clean trims the strings of a list and drops empty ones and repeats,
// keeping the order.
func clean(vs []string) []string {
	var out []string
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
