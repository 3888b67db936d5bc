package coverage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/watchfloor/watchfloor/internal/attack"
)

// ATT&CK Navigator layer format 4.5
// (https://github.com/mitre-attack/attack-navigator, layers/spec/v4.5).
const (
	// LayerVersion is the layer format version Layer writes and checks.
	LayerVersion = "4.5"
	// NavigatorVersion is the Navigator version layers are written for;
	// format 4.5 needs at least 4.9.0.
	NavigatorVersion = "5.1.0"
	// Domain is the ATT&CK domain of the layers.
	Domain = "enterprise-attack"
)

// Layer is an ATT&CK Navigator layer (format 4.5); optional fields are
// pointers or omitted when empty, so a layer read and written again keeps
// what it said.
type Layer struct {
	Name        string         `json:"name"`
	Versions    *LayerVersions `json:"versions,omitempty"`
	Domain      string         `json:"domain"`
	Description string         `json:"description,omitempty"`
	Filters     *LayerFilters  `json:"filters,omitempty"`
	Sorting     int            `json:"sorting,omitempty"`
	Layout      *LayerLayout   `json:"layout,omitempty"`
	// HideDisabled omits techniques marked disabled.
	HideDisabled bool             `json:"hideDisabled,omitempty"`
	Techniques   []LayerTechnique `json:"techniques"`
	Gradient     *LayerGradient   `json:"gradient,omitempty"`
	LegendItems  []LegendItem     `json:"legendItems,omitempty"`
	Metadata     []LayerMetadata  `json:"metadata,omitempty"`
	Links        []LayerLink      `json:"links,omitempty"`

	ShowTacticRowBackground       bool   `json:"showTacticRowBackground,omitempty"`
	TacticRowBackground           string `json:"tacticRowBackground,omitempty"`
	SelectTechniquesAcrossTactics *bool  `json:"selectTechniquesAcrossTactics,omitempty"`
	SelectSubtechniquesWithParent *bool  `json:"selectSubtechniquesWithParent,omitempty"`
	SelectVisibleTechniques       bool   `json:"selectVisibleTechniques,omitempty"`
}

// LayerVersions are a layer's versions: of ATT&CK, the Navigator and the
// layer format.
type LayerVersions struct {
	Attack    string `json:"attack,omitempty"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

// LayerFilters limit the platforms shown.
type LayerFilters struct {
	Platforms []string `json:"platforms,omitempty"`
}

// LayerLayout is how the matrix is drawn.
type LayerLayout struct {
	Layout                string `json:"layout,omitempty"`
	ShowID                bool   `json:"showID"`
	ShowName              bool   `json:"showName"`
	ShowAggregateScores   bool   `json:"showAggregateScores"`
	CountUnscored         bool   `json:"countUnscored"`
	AggregateFunction     string `json:"aggregateFunction,omitempty"`
	ExpandedSubtechniques string `json:"expandedSubtechniques,omitempty"`
}

// LayerTechnique annotates a technique or sub-technique, in one tactic or
// (Tactic "") in all of them.
type LayerTechnique struct {
	TechniqueID string   `json:"techniqueID"`
	Tactic      string   `json:"tactic,omitempty"`
	Score       *float64 `json:"score,omitempty"`
	Color       string   `json:"color,omitempty"`
	Comment     string   `json:"comment,omitempty"`
	// Enabled is true when absent.
	Enabled           *bool           `json:"enabled,omitempty"`
	Metadata          []LayerMetadata `json:"metadata,omitempty"`
	Links             []LayerLink     `json:"links,omitempty"`
	ShowSubtechniques bool            `json:"showSubtechniques"`
}

// IsEnabled reports whether the technique is enabled (true when not said).
func (t LayerTechnique) IsEnabled() bool { return t.Enabled == nil || *t.Enabled }

// LayerGradient is the score colour scale.
type LayerGradient struct {
	Colors   []string `json:"colors"`
	MinValue float64  `json:"minValue"`
	MaxValue float64  `json:"maxValue"`
}

// LegendItem is one entry of the layer's legend.
type LegendItem struct {
	Label string `json:"label"`
	Color string `json:"color"`
}

// LayerMetadata is a name and value, or a divider.
type LayerMetadata struct {
	Name    string `json:"name,omitempty"`
	Value   string `json:"value,omitempty"`
	Divider bool   `json:"divider,omitempty"`
}

// LayerLink is a labelled URL, or a divider.
type LayerLink struct {
	Label   string `json:"label,omitempty"`
	URL     string `json:"url,omitempty"`
	Divider bool   `json:"divider,omitempty"`
}

// scoreColors are the colours of scores 0–5, red to green.
var scoreColors = [6]string{"#e8e8e8", "#fcbba1", "#fc9272", "#fde68a", "#a1d99b", "#31a354"}

// LayerOf turns a coverage report into a Navigator layer: one entry per
// technique and sub-technique with its score (0–5), the score's colour,
// its reasons as the comment, and its rules, alerts, false-positive rate,
// analyst hours and alerts seen as metadata. Techniques that serve several
// tactics get one entry without a tactic, which the Navigator shows under
// each.
func LayerOf(r *Report, name string) Layer {
	t, f := true, false
	l := Layer{Name: name, Versions: &LayerVersions{Attack: majorVersion(r.ATTACKVersion), Navigator: NavigatorVersion, Layer: LayerVersion},
		Domain: Domain, Description: "Watchfloor detection coverage over " + r.Window + ". " + r.Definition,
		Layout:                        &LayerLayout{Layout: "side", ShowName: true, ShowAggregateScores: true, AggregateFunction: "max", ExpandedSubtechniques: "annotated"},
		Gradient:                      &LayerGradient{Colors: []string{scoreColors[0], scoreColors[2], scoreColors[3], scoreColors[5]}, MinValue: 0, MaxValue: 5},
		SelectTechniquesAcrossTactics: &t, SelectSubtechniquesWithParent: &f, Techniques: []LayerTechnique{},
		Metadata: []LayerMetadata{{Name: "window", Value: r.Window}, {Name: "rules", Value: strconv.Itoa(r.Rules)},
			{Name: "active rules", Value: strconv.Itoa(r.Active)}, {Name: "rules that fired", Value: strconv.Itoa(r.FiredRules)}}}
	for i, label := range Scores {
		l.LegendItems = append(l.LegendItems, LegendItem{Label: fmt.Sprintf("%d %s", i, label), Color: scoreColors[i]})
	}
	for _, p := range r.Techniques {
		l.Techniques = append(l.Techniques, layerTechnique(p, len(p.Subtechniques) > 0 && anyScored(p.Subtechniques)))
		for _, s := range p.Subtechniques {
			l.Techniques = append(l.Techniques, layerTechnique(s, false))
		}
	}
	return l
}

func anyScored(ts []Technique) bool {
	for _, t := range ts {
		if t.Score > 0 {
			return true
		}
	}
	return false
}

func layerTechnique(t Technique, showSubs bool) LayerTechnique {
	score := float64(t.Score)
	enabled := true
	lt := LayerTechnique{TechniqueID: t.ID, Score: &score, Color: scoreColors[t.Score], Comment: strings.Join(t.Reasons, "; "),
		Enabled: &enabled, ShowSubtechniques: showSubs}
	if len(t.Tactics) == 1 {
		lt.Tactic = t.Tactics[0]
	}
	lt.Metadata = []LayerMetadata{{Name: "score", Value: fmt.Sprintf("%d %s", t.Score, t.Label)},
		{Name: "rules", Value: strconv.Itoa(t.Rules)}, {Name: "fired", Value: strconv.Itoa(t.Fired)},
		{Name: "alerts", Value: strconv.FormatInt(t.Alerts, 10)}, {Name: "seen in alerts", Value: strconv.FormatInt(t.SeenInAlerts, 10)}}
	if t.FPRate != nil {
		lt.Metadata = append(lt.Metadata, LayerMetadata{Name: "false-positive rate", Value: strconv.FormatFloat(*t.FPRate*100, 'f', 1, 64) + "%"})
	}
	if t.AnalystHours != nil {
		lt.Metadata = append(lt.Metadata, LayerMetadata{Name: "analyst hours", Value: strconv.FormatFloat(*t.AnalystHours, 'f', 1, 64)})
	}
	return lt
}

// majorVersion is "18" for "18.1": layers name ATT&CK major versions.
// A catalog loaded from a file without a version gives "" (the field is
// optional).
func majorVersion(v string) string {
	major, _, _ := strings.Cut(v, ".")
	if _, err := strconv.Atoi(major); err != nil {
		return ""
	}
	return major
}

// maxLayerBytes bounds a layer read from a file.
const maxLayerBytes = 64 << 20

// ReadLayer reads a Navigator layer and checks it (see ValidateLayer).
// Unknown fields are kept out of the result, not refused: layers written
// by other tools (DeTT&CT, Vectr) add their own.
func ReadLayer(r io.Reader) (Layer, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxLayerBytes+1))
	if err != nil {
		return Layer{}, fmt.Errorf("reading layer: %w", err)
	}
	if len(data) > maxLayerBytes {
		return Layer{}, fmt.Errorf("layer is larger than %d MiB", maxLayerBytes>>20)
	}
	var l Layer
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&l); err != nil {
		return Layer{}, fmt.Errorf("not a Navigator layer: %w", err)
	}
	if err := ValidateLayer(l); err != nil {
		return Layer{}, err
	}
	return l, nil
}

var (
	layerTechniqueID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	hexColor         = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$`)
	domains          = []string{"enterprise-attack", "mobile-attack", "ics-attack"}
)

// ValidateLayer checks the fields format 4.5 requires: name, domain,
// versions.layer "4.x" (4.0 to 4.5, which read alike for what Watchfloor
// uses) and versions.navigator when versions is there, each technique's
// techniqueID ("T####" or "T####.###"), a gradient of at least two colours
// with maxValue above minValue, legend items with label and colour, and
// metadata with name and value unless a divider. It returns every problem,
// each naming the field (techniques[3].techniqueID).
func ValidateLayer(l Layer) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(l.Name) == "" {
		bad("name: required")
	}
	if !contains(domains, l.Domain) {
		bad("domain: %q is not one of %s", l.Domain, strings.Join(domains, ", "))
	}
	if v := l.Versions; v != nil {
		if !strings.HasPrefix(v.Layer, "4.") {
			bad("versions.layer: %q is not a 4.x layer format", v.Layer)
		}
		if v.Layer == LayerVersion && v.Navigator == "" {
			bad("versions.navigator: required by layer format %s", LayerVersion)
		}
	}
	for i, t := range l.Techniques {
		if !layerTechniqueID.MatchString(t.TechniqueID) {
			bad("techniques[%d].techniqueID: %q is not T#### or T####.###", i, t.TechniqueID)
		}
		if t.Color != "" && !hexColor.MatchString(t.Color) {
			bad("techniques[%d].color: %q is not a hexadecimal colour", i, t.Color)
		}
		checkMetadata(t.Metadata, fmt.Sprintf("techniques[%d].metadata", i), bad)
	}
	if g := l.Gradient; g != nil {
		if len(g.Colors) < 2 {
			bad("gradient.colors: at least two colours required")
		}
		if g.MaxValue <= g.MinValue {
			bad("gradient.maxValue: %v is not above minValue %v", g.MaxValue, g.MinValue)
		}
	}
	for i, li := range l.LegendItems {
		if li.Label == "" || li.Color == "" {
			bad("legendItems[%d]: label and color required", i)
		}
	}
	checkMetadata(l.Metadata, "metadata", bad)
	return errors.Join(errs...)
}

func checkMetadata(md []LayerMetadata, field string, bad func(string, ...any)) {
	for i, m := range md {
		if !m.Divider && m.Name == "" {
			bad("%s[%d]: name required unless a divider", field, i)
		}
	}
}

// Comparison is coverage held against another layer: a red-team plan, a
// threat's techniques or a DeTT&CT export.
type Comparison struct {
	Layer string `json:"layer"`
	// Techniques are the layer's enabled techniques (an ID listed under
	// several tactics counted once), with their score there and here.
	Techniques []Compared `json:"techniques"`
	// Gaps counts those scored here at or under the gap score; Unknown the
	// layer's IDs the catalog does not hold.
	Gaps    int      `json:"gaps"`
	Unknown []string `json:"unknown"`
}

// Compared is one technique of a compared layer.
type Compared struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Their *float64 `json:"their_score"`
	Ours  int      `json:"our_score"`
	Label string   `json:"our_label"`
	Rules int      `json:"rules"`
	Fired int      `json:"fired"`
	Gap   bool     `json:"gap"`
}

// GapScore is the highest score still counted as a gap: rules that never
// fired in the window.
const GapScore = 2

// CompareLayer holds the report's coverage against a layer's enabled techniques.
func CompareLayer(r *Report, cat *attack.Catalog, l Layer) Comparison {
	c := Comparison{Layer: l.Name, Techniques: []Compared{}, Unknown: []string{}}
	seen := map[string]bool{}
	for _, lt := range l.Techniques {
		if !lt.IsEnabled() {
			continue
		}
		t, ok := cat.Technique(lt.TechniqueID)
		if !ok {
			if !contains(c.Unknown, lt.TechniqueID) {
				c.Unknown = append(c.Unknown, lt.TechniqueID)
			}
			continue
		}
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		row, ok := r.Technique(t.ID)
		if !ok {
			c.Unknown = append(c.Unknown, lt.TechniqueID)
			continue
		}
		cp := Compared{ID: t.ID, Name: row.Name, Their: lt.Score, Ours: row.Score, Label: row.Label, Rules: row.Rules,
			Fired: row.Fired, Gap: row.Score <= GapScore}
		if cp.Gap {
			c.Gaps++
		}
		c.Techniques = append(c.Techniques, cp)
	}
	return c
}

// GapLayer is a Navigator layer of the coverage gaps weighted by threat
// relevance: every technique the profiles use (at the level they name it)
// that the report scores GapScore or less, scored with the summed
// relevance of the profiles that use it, with those profiles and the
// coverage reasons as comment. Techniques that are not gaps are left out.
func GapLayer(r *Report, profiles []GapProfile, name string) Layer {
	t, f := true, false
	l := Layer{Name: name, Versions: &LayerVersions{Attack: majorVersion(r.ATTACKVersion), Navigator: NavigatorVersion, Layer: LayerVersion},
		Domain: Domain, Description: fmt.Sprintf("Watchfloor coverage gaps over %s: techniques of the %d most relevant threat profiles scored %d or less, weighted by the profiles' relevance.", r.Window, len(profiles), GapScore),
		Layout:                        &LayerLayout{Layout: "side", ShowName: true, ShowAggregateScores: true, AggregateFunction: "max", ExpandedSubtechniques: "annotated"},
		SelectTechniquesAcrossTactics: &t, SelectSubtechniquesWithParent: &f, Techniques: []LayerTechnique{}}
	weights := map[string]float64{}
	users := map[string][]string{}
	var order []string
	for _, p := range profiles {
		seen := map[string]bool{}
		for _, id := range p.Techniques {
			id = strings.ToUpper(id)
			row, ok := r.Technique(id)
			if !ok || row.Score > GapScore || seen[id] {
				continue
			}
			seen[id] = true
			if _, seen := weights[id]; !seen {
				order = append(order, id)
			}
			weights[id] += p.Score
			users[id] = append(users[id], fmt.Sprintf("%s %s (%.1f)", p.ID, p.Name, p.Score))
		}
	}
	slices.Sort(order)
	top := 0.0
	for _, id := range order {
		row, _ := r.Technique(id)
		w := math.Round(weights[id]*10) / 10
		top = max(top, w)
		enabled := true
		lt := LayerTechnique{TechniqueID: id, Score: &w, Enabled: &enabled,
			Comment:  "used by " + strings.Join(users[id], ", ") + "; coverage " + strconv.Itoa(row.Score) + " (" + row.Label + "): " + strings.Join(row.Reasons, "; "),
			Metadata: []LayerMetadata{{Name: "coverage score", Value: strconv.Itoa(row.Score)}, {Name: "profiles", Value: strconv.Itoa(len(users[id]))}}}
		if len(row.Tactics) == 1 {
			lt.Tactic = row.Tactics[0]
		}
		l.Techniques = append(l.Techniques, lt)
	}
	l.Gradient = &LayerGradient{Colors: []string{"#fff7bc", "#fec44f", "#d95f0e"}, MinValue: 0, MaxValue: max(top, 1)}
	l.LegendItems = []LegendItem{{Label: "less relevant gap", Color: "#fff7bc"}, {Label: "most relevant gap", Color: "#d95f0e"}}
	return l
}

// GapProfile is a threat profile as GapLayer weighs it.
type GapProfile struct {
	ID, Name   string
	Score      float64
	Techniques []string
}
