package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/staffing"
)

// Config is the "report" section of the plan file: the targets the
// headline KPIs are measured against. A target not configured is shown as
// "no target", never invented.
type Config struct {
	Targets Targets `yaml:"targets,omitempty" json:"targets"`
	// Industry lists the published figures the report sets beside the
	// organisation's; nil means DefaultIndustry, an empty list none.
	Industry *[]Benchmark `yaml:"industry,omitempty" json:"industry,omitempty"`
	// PDFFont and PDFFonts are TrueType fonts (.ttf, glyf outlines) the
	// PDF reports draw the characters the embedded Go fonts lack with, such
	// as CJK, Hangul, Arabic or Hebrew names: each character with the first
	// of PDFFont, PDFFonts, then the installed FallbackFontPaths that has
	// it.
	PDFFont  string   `yaml:"pdf_font,omitempty" json:"pdf_font,omitempty"`
	PDFFonts []string `yaml:"pdf_fonts,omitempty" json:"pdf_fonts,omitempty"`
}

// Benchmark is a published industry figure and the organisation's KPI it
// is compared with. Source, year and what it measures are printed with it.
type Benchmark struct {
	// Source names the publication ("IBM Cost of a Data Breach Report").
	Source string `yaml:"source" json:"source"`
	Year   int    `yaml:"year" json:"year"`
	// Measures says what the figure measures, as the publication does.
	Measures string `yaml:"measures" json:"measures"`
	// Statistic is mean or median; Value the figure.
	Statistic string   `yaml:"statistic" json:"statistic"`
	Value     Duration `yaml:"value" json:"value"`
	// Compare is the organisation's KPI set beside it: mttd, mtta, mttc,
	// mttr or dwell (the same statistic of it).
	Compare string `yaml:"compare" json:"compare"`
	// Note says how the two differ; URL where the publication is.
	Note string `yaml:"note,omitempty" json:"note,omitempty"`
	URL  string `yaml:"url,omitempty" json:"url,omitempty"`
}

// DefaultIndustry are the published figures shown when the configuration
// names none: single statistics quoted with their source and year (facts,
// not the publications' text). Replace or drop them with report.industry.
var DefaultIndustry = []Benchmark{
	{Source: "IBM Cost of a Data Breach Report", Year: 2025, Statistic: "mean", Value: Duration(241 * 24 * time.Hour),
		Measures: "time to identify and contain a data breach (600 organisations, breaches from March 2024 to February 2025)",
		Compare:  "dwell", URL: "https://www.ibm.com/reports/data-breach",
		Note: "IBM counts breaches only; Watchfloor's dwell time runs from the first activity to resolution of every case, a little past containment"},
	{Source: "Mandiant M-Trends", Year: 2026, Statistic: "median", Value: Duration(14 * 24 * time.Hour),
		Measures: "global dwell time, from intrusion to detection (Mandiant's incident investigations in 2025)",
		Compare:  "mttd", URL: "https://cloud.google.com/security/resources/m-trends",
		Note: "Mandiant counts the intrusions it investigated; Watchfloor's MTTD runs from the first activity to the creation of the case, for every case"},
}

// Benchmarks are the configured published figures, or the defaults.
func (c Config) Benchmarks() []Benchmark {
	if c.Industry == nil {
		return DefaultIndustry
	}
	return *c.Industry
}

// Targets are the organisation's goals for the headline figures. Durations
// are targets for the median; ratios are shares (0.95 for 95 %).
type Targets struct {
	MTTD              *Duration `yaml:"mttd,omitempty" json:"mttd,omitempty"`
	MTTA              *Duration `yaml:"mtta,omitempty" json:"mtta,omitempty"`
	MTTC              *Duration `yaml:"mttc,omitempty" json:"mttc,omitempty"`
	MTTR              *Duration `yaml:"mttr,omitempty" json:"mttr,omitempty"`
	SLAAdherence      *float64  `yaml:"sla_adherence,omitempty" json:"sla_adherence,omitempty"`
	FalsePositiveRate *float64  `yaml:"false_positive_rate,omitempty" json:"false_positive_rate,omitempty"`
}

// Duration is a time.Duration read from YAML as "4h" or "30m".
type Duration time.Duration

// UnmarshalText reads a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes a Go duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) seconds() *float64 {
	if d == nil {
		return nil
	}
	v := time.Duration(*d).Seconds()
	return &v
}

// Validate checks the configuration: durations positive, ratios in [0, 1].
func (c Config) Validate() error {
	t := c.Targets
	for name, d := range map[string]*Duration{"mttd": t.MTTD, "mtta": t.MTTA, "mttc": t.MTTC, "mttr": t.MTTR} {
		if d != nil && *d <= 0 {
			return fmt.Errorf("report.targets.%s: %v is not a positive duration", name, time.Duration(*d))
		}
	}
	for name, r := range map[string]*float64{"sla_adherence": t.SLAAdherence, "false_positive_rate": t.FalsePositiveRate} {
		if r != nil && (*r < 0 || *r > 1) {
			return fmt.Errorf("report.targets.%s: %v is not a share between 0 and 1 (0.95 for 95 %%)", name, *r)
		}
	}
	for i, b := range c.Benchmarks() {
		at := fmt.Sprintf("report.industry[%d]", i)
		switch {
		case strings.TrimSpace(b.Source) == "":
			return fmt.Errorf("%s: source is required (the publication the figure comes from)", at)
		case b.Year < 1990 || b.Year > 2100:
			return fmt.Errorf("%s (%s): year %d is not a publication year", at, b.Source, b.Year)
		case strings.TrimSpace(b.Measures) == "":
			return fmt.Errorf("%s (%s): measures is required (what the figure measures)", at, b.Source)
		case b.Statistic != "mean" && b.Statistic != "median":
			return fmt.Errorf("%s (%s): statistic %q is not mean or median", at, b.Source, b.Statistic)
		case b.Value <= 0:
			return fmt.Errorf("%s (%s): value %v is not a positive duration", at, b.Source, time.Duration(b.Value))
		}
		if _, ok := compareKPIs[b.Compare]; !ok {
			return fmt.Errorf("%s (%s): compare %q is not one of mttd, mtta, mttc, mttr, dwell", at, b.Source, b.Compare)
		}
	}
	return nil
}

// LoadConfig reads the "report" key of a YAML file ("" for none) and makes
// the PDF renderer use its pdf_font and pdf_fonts, which must be readable
// TrueType fonts, ahead of FallbackFontPaths.
func LoadConfig(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	if err := staffing.LoadSection(path, "report", &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, c.useFonts()
}

// useFonts makes the PDF renderer use the configured fonts.
func (c Config) useFonts() error {
	var paths, names []string
	if c.PDFFont != "" {
		paths, names = append(paths, c.PDFFont), append(names, "report.pdf_font")
	}
	for i, p := range c.PDFFonts {
		paths, names = append(paths, p), append(names, fmt.Sprintf("report.pdf_fonts[%d]", i))
	}
	return useFonts(paths, names)
}

// DecodeConfig reads the "report" key of a YAML document; unknown keys are
// errors.
func DecodeConfig(r io.Reader, name string) (Config, error) {
	var c Config
	if err := staffing.DecodeSection(r, name, "report", &c); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}
