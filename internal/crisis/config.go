package crisis

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/staffing"
)

// Severity is an incident severity level with its status-update cadence.
type Severity struct {
	// ID is what commands and the log use ("SEV1"); Name what people call
	// it ("Critical").
	ID          string            `yaml:"id" json:"id"`
	Name        string            `yaml:"name,omitempty" json:"name,omitempty"`
	UpdateEvery staffing.Duration `yaml:"update_every" json:"update_every"`
}

// DefaultSeverities are SEV1 to SEV3 with status updates every hour, two
// hours and eight hours.
var DefaultSeverities = []Severity{
	{ID: "SEV1", Name: "Critical", UpdateEvery: staffing.Duration(time.Hour)},
	{ID: "SEV2", Name: "Major", UpdateEvery: staffing.Duration(2 * time.Hour)},
	{ID: "SEV3", Name: "Minor", UpdateEvery: staffing.Duration(8 * time.Hour)},
}

// Audience is a group of stakeholders addressed with one template.
type Audience struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// External audiences are outside the organisation (regulators,
	// customers, media, partners): notifying them needs the manager role.
	External bool `yaml:"external,omitempty" json:"external,omitempty"`
	// Subject and Body are text/template templates over TemplateData;
	// empty means the built-in template of the same audience.
	Subject string `yaml:"subject,omitempty" json:"subject,omitempty"`
	Body    string `yaml:"body,omitempty" json:"body,omitempty"`
}

// Config is the "crisis" section of the configuration file.
type Config struct {
	Severities []Severity `yaml:"severities,omitempty" json:"severities"`
	// Audiences add to or replace (by id) the built-in audiences.
	Audiences []Audience `yaml:"audiences,omitempty" json:"audiences"`
	// Stakeholders is the standing register copied into every incident
	// declared; incidents may register more.
	Stakeholders []Stakeholder `yaml:"stakeholders,omitempty" json:"stakeholders"`
	// Regimes add to or replace (by id) the default regulatory rule set.
	Regimes []Regime `yaml:"regimes,omitempty" json:"regimes,omitempty"`
	// DefaultRegimes apply to incidents declared without --regimes.
	DefaultRegimes []string `yaml:"default_regimes,omitempty" json:"default_regimes,omitempty"`
	// ReminderChannel, when set, receives the reminders for due status
	// updates and regulatory reports.
	ReminderChannel string `yaml:"reminder_channel,omitempty" json:"reminder_channel,omitempty"`

	rules Rules
}

// LoadConfig reads the "crisis" section of a YAML file; a missing section
// gives the defaults.
func LoadConfig(path string) (Config, error) {
	var c Config
	if err := staffing.LoadSection(path, "crisis", &c); err != nil {
		return Config{}, err
	}
	if err := c.Prepare(); err != nil {
		return Config{}, fmt.Errorf("%s: crisis: %w", path, err)
	}
	return c, nil
}

// DecodeConfig reads the "crisis" section of a YAML document; unknown keys
// are errors.
func DecodeConfig(r io.Reader, name string) (Config, error) {
	var c Config
	if err := staffing.DecodeSection(r, name, "crisis", &c); err != nil {
		return Config{}, err
	}
	if err := c.Prepare(); err != nil {
		return Config{}, fmt.Errorf("%s: crisis: %w", name, err)
	}
	return c, nil
}

// Prepare fills defaults and checks the configuration; the zero Config
// becomes the defaults.
func (c *Config) Prepare() error {
	if len(c.Severities) == 0 {
		c.Severities = slices.Clone(DefaultSeverities)
	}
	seen := map[string]bool{}
	for i, s := range c.Severities {
		k := strings.ToUpper(s.ID)
		if s.ID == "" || seen[k] {
			return fmt.Errorf("severities[%d]: needs a unique id", i)
		}
		seen[k] = true
		if s.UpdateEvery <= 0 {
			return fmt.Errorf("severity %s: update_every must be positive", s.ID)
		}
	}
	auds := slices.Clone(DefaultAudiences)
	for _, a := range c.Audiences {
		if !idRE.MatchString(a.ID) {
			return fmt.Errorf("audience %q: want lower-case letters, digits and dashes", a.ID)
		}
		if i := slices.IndexFunc(auds, func(x Audience) bool { return x.ID == a.ID }); i >= 0 {
			def := auds[i]
			if a.Subject == "" && a.Body == "" {
				a.Subject, a.Body = def.Subject, def.Body
			}
			if a.Name == "" {
				a.Name = def.Name
			}
			auds[i] = a
		} else {
			if a.Subject == "" || a.Body == "" {
				return fmt.Errorf("audience %s: a new audience needs a subject and a body template", a.ID)
			}
			auds = append(auds, a)
		}
	}
	c.Audiences = auds
	for _, a := range c.Audiences {
		if err := checkTemplate(a); err != nil {
			return err
		}
	}
	rules, err := DefaultRules().Merge(c.Regimes)
	if err != nil {
		return err
	}
	c.rules = rules
	if err := rules.CheckRegimes(c.DefaultRegimes); err != nil {
		return fmt.Errorf("default_regimes: %w", err)
	}
	for i, s := range c.Stakeholders {
		if err := c.checkStakeholder(s); err != nil {
			return fmt.Errorf("stakeholders[%d]: %w", i, err)
		}
	}
	return nil
}

// Rules returns the regulatory rule set: the defaults with the
// configuration's regimes.
func (c *Config) Rules() Rules {
	if c.rules.Regimes == nil {
		return DefaultRules()
	}
	return c.rules
}

// Severity finds a severity by id or name, ignoring case.
func (c *Config) Severity(s string) (Severity, error) {
	t := strings.TrimSpace(s)
	for _, v := range c.Severities {
		if strings.EqualFold(v.ID, t) || v.Name != "" && strings.EqualFold(v.Name, t) {
			return v, nil
		}
	}
	ids := make([]string, len(c.Severities))
	for i, v := range c.Severities {
		ids[i] = v.ID
	}
	return Severity{}, fmt.Errorf("unknown severity %q (want %s)", s, strings.Join(ids, ", "))
}

// rank orders severities: 0 is the most severe.
func (c *Config) rank(id string) int {
	return slices.IndexFunc(c.Severities, func(v Severity) bool { return v.ID == id })
}

// Audience finds an audience by id.
func (c *Config) Audience(id string) (Audience, error) {
	for _, a := range c.Audiences {
		if a.ID == strings.ToLower(strings.TrimSpace(id)) {
			return a, nil
		}
	}
	ids := make([]string, len(c.Audiences))
	for i, a := range c.Audiences {
		ids[i] = a.ID
	}
	return Audience{}, fmt.Errorf("unknown audience %q (want %s)", id, strings.Join(ids, ", "))
}

// checkStakeholder checks a register entry.
func (c *Config) checkStakeholder(s Stakeholder) error {
	if strings.TrimSpace(s.Name) == "" || strings.TrimSpace(s.Channel) == "" {
		return errors.New("a stakeholder needs a name and a channel")
	}
	if len(s.Name) > 200 || len(s.Address) > 320 {
		return errors.New("stakeholder name or address too long")
	}
	if strings.ContainsAny(s.Name+s.Address+s.Channel, "\r\n") {
		return errors.New("stakeholder name, address and channel must be one line")
	}
	_, err := c.Audience(s.Audience)
	return err
}
