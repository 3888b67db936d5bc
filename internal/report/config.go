package report

import (
	"fmt"
	"io"
	"time"

	"github.com/watchfloor/watchfloor/internal/staffing"
)

// Config is the "report" section of the plan file: the targets the
// headline KPIs are measured against. A target not configured is shown as
// "no target", never invented.
type Config struct {
	Targets Targets `yaml:"targets,omitempty" json:"targets"`
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
	return nil
}

// LoadConfig reads the "report" key of a YAML file ("" for none).
func LoadConfig(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	if err := staffing.LoadSection(path, "report", &c); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
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
