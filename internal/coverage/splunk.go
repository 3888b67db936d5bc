package coverage

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/model"
)

// splunkDetection is the part of a Splunk security_content (ESCU)
// detection coverage reads.
type splunkDetection struct {
	Name        string   `yaml:"name"`
	ID          string   `yaml:"id"`
	Status      string   `yaml:"status"`
	Type        string   `yaml:"type"`
	Description string   `yaml:"description"`
	Author      string   `yaml:"author"`
	DataSource  []string `yaml:"data_source"`
	Search      string   `yaml:"search"`
	Tags        struct {
		MitreAttackID  []string `yaml:"mitre_attack_id"`
		SecurityDomain string   `yaml:"security_domain"`
		AssetType      string   `yaml:"asset_type"`
		RiskScore      float64  `yaml:"risk_score"`
		Confidence     float64  `yaml:"confidence"`
		Impact         float64  `yaml:"impact"`
	} `yaml:"tags"`
	RBA struct {
		RiskObjects []struct {
			Score float64 `yaml:"score"`
		} `yaml:"risk_objects"`
	} `yaml:"rba"`
}

// ParseSplunk reads one Splunk ESCU detection: name, id, status
// (production is stable), tags.mitre_attack_id, data_source, the security
// domain as platform, and a level from the risk score (tags.risk_score,
// else confidence × impact ÷ 100, else the highest rba risk object score;
// see riskLevel). Tactics come from the techniques. A detection needs a
// name, an id and a search.
func ParseSplunk(cat *attack.Catalog, data []byte) (model.Rule, error) {
	var doc splunkDetection
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return model.Rule{}, fmt.Errorf("not a Splunk detection: %w", yamlErr(err))
	}
	switch {
	case strings.TrimSpace(doc.Name) == "":
		return model.Rule{}, errors.New("Splunk detection has no name")
	case strings.TrimSpace(doc.ID) == "":
		return model.Rule{}, fmt.Errorf("Splunk detection %q has no id", doc.Name)
	case strings.TrimSpace(doc.Search) == "":
		return model.Rule{}, fmt.Errorf("Splunk detection %q has no search", doc.Name)
	}
	r := model.Rule{Source: FormatSplunk, ExternalID: strings.TrimSpace(doc.ID), Name: strings.TrimSpace(doc.Name),
		Description: strings.TrimSpace(doc.Description), Author: strings.TrimSpace(doc.Author),
		DataSources: clean(doc.DataSource), Platforms: clean([]string{strings.ToLower(doc.Tags.SecurityDomain)})}
	var err error
	if r.Status, err = model.ParseRuleStatus(doc.Status); err != nil {
		return model.Rule{}, fmt.Errorf("Splunk detection %q: %w", doc.Name, err)
	}
	r.Enabled = r.Status != model.RuleDeprecated && r.Status != model.RuleUnsupported
	score := doc.Tags.RiskScore
	if score == 0 {
		score = doc.Tags.Confidence * doc.Tags.Impact / 100
	}
	if score == 0 {
		for _, o := range doc.RBA.RiskObjects {
			score = max(score, o.Score)
		}
	}
	r.Severity = riskLevel(score)
	var unknown []string
	r.Techniques, _, unknown = tags(cat, doc.Tags.MitreAttackID, nil)
	if len(unknown) > 0 {
		return model.Rule{}, fmt.Errorf("Splunk detection %q: mitre_attack_id %q is not an ATT&CK technique ID", doc.Name, unknown[0])
	}
	r.Tactics = tacticsOf(cat, r.Techniques)
	return r, nil
}

// tacticsOf returns the tactics the techniques serve in cat, sorted.
func tacticsOf(cat *attack.Catalog, techniques []string) []string {
	var out []string
	for _, id := range techniques {
		if t, ok := cat.Technique(id); ok {
			out = append(out, t.Tactics...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
