package coverage

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/model"
)

// sigmaRule is the part of a Sigma rule coverage reads
// (https://sigmahq.io/docs/basics/rules.html).
type sigmaRule struct {
	Title       string   `yaml:"title"`
	ID          string   `yaml:"id"`
	Status      string   `yaml:"status"`
	Description string   `yaml:"description"`
	Author      string   `yaml:"author"`
	Level       string   `yaml:"level"`
	Tags        []string `yaml:"tags"`
	Logsource   struct {
		Product  string `yaml:"product"`
		Category string `yaml:"category"`
		Service  string `yaml:"service"`
	} `yaml:"logsource"`
	Detection map[string]any `yaml:"detection"`
	// Correlation rules (Sigma 2) have no logsource or detection.
	Correlation map[string]any `yaml:"correlation"`
}

// ParseSigma reads one Sigma rule file (its first YAML document): title,
// id, status, level, ATT&CK tags ("attack.t1059.001", "attack.execution";
// group and software tags are left out, data source tags such as
// "attack.ds0005" are data sources), its log source as data source
// ("product/category/service", the parts it names) and product as
// platform. A rule needs a title, an id and a detection (or correlation)
// section; a status or level Sigma does not define is an error, and so is
// an attack.* tag that is neither a technique nor a tactic of the catalog,
// unless the rule names techniques: a tactic renamed or split in another
// ATT&CK version then gives way to the techniques' tactics in this one.
func ParseSigma(cat *attack.Catalog, data []byte) (model.Rule, error) {
	var doc sigmaRule
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return model.Rule{}, fmt.Errorf("not a Sigma rule: %w", yamlErr(err))
	}
	switch {
	case strings.TrimSpace(doc.Title) == "":
		return model.Rule{}, errors.New("Sigma rule has no title")
	case strings.TrimSpace(doc.ID) == "":
		return model.Rule{}, fmt.Errorf("Sigma rule %q has no id", doc.Title)
	case len(doc.Detection) == 0 && len(doc.Correlation) == 0:
		return model.Rule{}, fmt.Errorf("Sigma rule %q has no detection section", doc.Title)
	}
	r := model.Rule{Source: FormatSigma, ExternalID: strings.TrimSpace(doc.ID), Name: strings.TrimSpace(doc.Title),
		Description: strings.TrimSpace(doc.Description), Author: strings.TrimSpace(doc.Author)}
	var err error
	if r.Status, err = model.ParseRuleStatus(doc.Status); err != nil {
		return model.Rule{}, fmt.Errorf("Sigma rule %q: %w", doc.Title, err)
	}
	if r.Severity, err = level(doc.Level); err != nil {
		return model.Rule{}, fmt.Errorf("Sigma rule %q: %w", doc.Title, err)
	}
	r.Enabled = r.Status != model.RuleDeprecated && r.Status != model.RuleUnsupported
	var techs, tacs, dataSources []string
	for _, t := range doc.Tags {
		name, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(t)), "attack.")
		switch {
		case !ok:
		case techniqueID.MatchString(name):
			techs = append(techs, name)
		case isAttackID(name, "g") || isAttackID(name, "s"):
		case isAttackID(name, "ds"):
			dataSources = append(dataSources, strings.ToUpper(name))
		default:
			tacs = append(tacs, name)
		}
	}
	var unknown []string
	r.Techniques, r.Tactics, unknown = tags(cat, techs, tacs)
	switch {
	case len(unknown) > 0 && len(r.Techniques) == 0:
		return model.Rule{}, fmt.Errorf("Sigma rule %q: unknown ATT&CK tag attack.%s", doc.Title, unknown[0])
	case len(unknown) > 0:
		// A tactic the catalog does not hold (renamed or split in another
		// ATT&CK version): the techniques' tactics in this catalog stand.
		r.Tactics = sortedUnion(r.Tactics, tacticsOf(cat, r.Techniques))
	}
	ls := doc.Logsource
	var parts []string
	for _, p := range []string{ls.Product, ls.Category, ls.Service} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) > 0 {
		r.DataSources = []string{strings.Join(parts, "/")}
	}
	r.DataSources = clean(append(r.DataSources, dataSources...))
	r.Platforms = clean([]string{strings.ToLower(ls.Product)})
	return r, nil
}

// isAttackID reports whether a Sigma attack.* tag is an ATT&CK ID with
// the prefix and four digits: a group (g0016), software (s0002) or data
// source (ds0005) rather than a tactic.
func isAttackID(name, prefix string) bool {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok || len(digits) != 4 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// yamlErr shortens yaml.v3's errors to their first line.
func yamlErr(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(strings.TrimPrefix(msg, "yaml: "))
}
