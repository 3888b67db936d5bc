package tech

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/watchfloor/watchfloor/internal/budget"
)

// Categories of the platforms the SOC runs.
var Categories = []string{"siem", "soar", "edr", "xdr", "ndr", "ti", "email", "cloud", "identity", "vulnerability", "other"}

// Platform is a product the SOC runs: what it is, who owns it, what it
// costs, when its contract renews and which alert sources in Watchfloor
// come from it.
type Platform struct {
	Name     string `yaml:"name" json:"name"`
	Category string `yaml:"category" json:"category"`
	Vendor   string `yaml:"vendor,omitempty" json:"vendor,omitempty"`
	Product  string `yaml:"product,omitempty" json:"product,omitempty"`
	Version  string `yaml:"version,omitempty" json:"version,omitempty"`
	Owner    string `yaml:"owner,omitempty" json:"owner,omitempty"`
	// Licence is the licence metric ("endpoints", "GB/day", "seats" …).
	Licence string `yaml:"licence,omitempty" json:"licence,omitempty"`
	// Cost prices the platform as the budget model prices tools.
	Cost *Cost `yaml:"cost,omitempty" json:"cost,omitempty"`
	// ContractStart and Renewal are dates (YYYY-MM-DD); NoticeDays is how
	// long before the renewal the contract must be cancelled or renegotiated.
	ContractStart Date     `yaml:"contract_start,omitempty" json:"contract_start,omitzero"`
	Renewal       Date     `yaml:"renewal,omitempty" json:"renewal,omitzero"`
	NoticeDays    int      `yaml:"notice_days,omitempty" json:"notice_days,omitempty"`
	Sources       []string `yaml:"sources,omitempty" json:"sources,omitempty"`
	Notes         string   `yaml:"notes,omitempty" json:"notes,omitempty"`
}

// Cost is a platform's price by the budget model's pricing models.
type Cost struct {
	Pricing  string  `yaml:"pricing" json:"pricing"` // per_gb_day, per_endpoint, per_seat or flat
	Price    float64 `yaml:"price" json:"price"`     // per unit per period
	Period   string  `yaml:"period,omitempty" json:"period,omitempty"`
	Quantity float64 `yaml:"quantity,omitempty" json:"quantity,omitempty"`
}

// Tool is the cost as a budget tool.
func (p Platform) Tool() budget.Tool {
	return budget.Tool{Name: p.Name, Pricing: p.Cost.Pricing, Price: p.Cost.Price, Period: p.Cost.Period, Quantity: p.Cost.Quantity}
}

// Annual is the platform's cost a year when it does not depend on the
// budget's volumes (flat, or a quantity given); nil otherwise.
func (c *Cost) Annual() *float64 {
	if c == nil {
		return nil
	}
	qty := c.Quantity
	if c.Pricing == budget.Flat {
		qty = 1
	}
	if qty == 0 {
		return nil
	}
	v := c.Price * qty
	if c.Period != "year" {
		v *= 12
	}
	return &v
}

// Date is a calendar date (YYYY-MM-DD).
type Date struct{ time.Time }

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// String is YYYY-MM-DD, or "" for no date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD ("" is no date).
func (d *Date) UnmarshalText(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	*d = v
	return err
}

// MarshalJSON writes "YYYY-MM-DD" (not time.Time's timestamp).
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: want a string YYYY-MM-DD")
	}
	return d.UnmarshalText([]byte(s))
}

// IsZero reports whether no date is set.
func (d Date) IsZero() bool { return d.Time.IsZero() }

// Inventory is the platforms the SOC runs.
type Inventory struct {
	Platforms []Platform `yaml:"platforms" json:"platforms"`
}

// ParseInventory reads an inventory file (YAML, or JSON, which is YAML)
// and validates it; an error names the platform and the field.
func ParseInventory(r io.Reader) (Inventory, error) {
	var inv Inventory
	dec := yaml.NewDecoder(io.LimitReader(r, 4<<20))
	dec.KnownFields(true)
	if err := dec.Decode(&inv); err != nil && !errors.Is(err, io.EOF) {
		return Inventory{}, fmt.Errorf("reading the inventory: %w", err)
	}
	return inv, inv.Validate()
}

// Validate checks every platform: a unique name, a known category, a
// valid cost, dates in order, sources named.
func (inv Inventory) Validate() error {
	seen := map[string]bool{}
	for i, p := range inv.Platforms {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("platforms[%d]: %w", i, err)
		}
		k := strings.ToLower(p.Name)
		if seen[k] {
			return fmt.Errorf("platforms[%d]: name %q is used twice", i, p.Name)
		}
		seen[k] = true
	}
	return nil
}

// Validate checks one platform.
func (p Platform) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return errors.New("name: required")
	}
	if len(p.Name) > 200 {
		return fmt.Errorf("%s: name: at most 200 characters", p.Name)
	}
	if !slices.Contains(Categories, p.Category) {
		return fmt.Errorf("%s: category %q: want one of %s", p.Name, p.Category, strings.Join(Categories, ", "))
	}
	if c := p.Cost; c != nil {
		if !slices.Contains([]string{budget.PerGBDay, budget.PerEndpoint, budget.PerSeat, budget.Flat}, c.Pricing) {
			return fmt.Errorf("%s: cost.pricing %q: want per_gb_day, per_endpoint, per_seat or flat", p.Name, c.Pricing)
		}
		if !(c.Price >= 0) || c.Price > 1e12 {
			return fmt.Errorf("%s: cost.price %v: want a non-negative amount", p.Name, c.Price)
		}
		if c.Period != "" && c.Period != "month" && c.Period != "year" {
			return fmt.Errorf("%s: cost.period %q: want month or year", p.Name, c.Period)
		}
		if !(c.Quantity >= 0) || c.Quantity > 1e12 {
			return fmt.Errorf("%s: cost.quantity %v: want a non-negative number", p.Name, c.Quantity)
		}
	}
	if !p.ContractStart.IsZero() && !p.Renewal.IsZero() && p.Renewal.Before(p.ContractStart.Time) {
		return fmt.Errorf("%s: renewal %s is before contract_start %s", p.Name, p.Renewal, p.ContractStart)
	}
	if p.NoticeDays < 0 || p.NoticeDays > 3660 {
		return fmt.Errorf("%s: notice_days %d: want 0 to 3660", p.Name, p.NoticeDays)
	}
	for j, s := range p.Sources {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%s: sources[%d]: empty", p.Name, j)
		}
	}
	return nil
}

// SettingInventory is the store setting holding the inventory (JSON).
const SettingInventory = "tech_inventory"

// SettingStore keeps the inventory.
type SettingStore interface {
	Setting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string) error
}

// LoadInventory reads the stored inventory (empty when none is stored).
func LoadInventory(ctx context.Context, st interface {
	Setting(ctx context.Context, name string) (string, error)
}) (Inventory, error) {
	v, err := st.Setting(ctx, SettingInventory)
	if err != nil || v == "" {
		return Inventory{}, err
	}
	var inv Inventory
	if err := json.Unmarshal([]byte(v), &inv); err != nil {
		return Inventory{}, fmt.Errorf("reading the stored inventory: %w", err)
	}
	return inv, nil
}

// SaveInventory validates and stores the inventory, platforms by name.
func SaveInventory(ctx context.Context, st SettingStore, inv Inventory) error {
	if err := inv.Validate(); err != nil {
		return err
	}
	slices.SortFunc(inv.Platforms, func(a, b Platform) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	b, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	return st.SetSetting(ctx, SettingInventory, string(b))
}

// Put adds a platform or replaces the one of the same name (case ignored).
func (inv *Inventory) Put(p Platform) {
	for i := range inv.Platforms {
		if strings.EqualFold(inv.Platforms[i].Name, p.Name) {
			inv.Platforms[i] = p
			return
		}
	}
	inv.Platforms = append(inv.Platforms, p)
}

// Remove removes a platform by name (case ignored) and reports whether it
// was there.
func (inv *Inventory) Remove(name string) bool {
	n := len(inv.Platforms)
	inv.Platforms = slices.DeleteFunc(inv.Platforms, func(p Platform) bool { return strings.EqualFold(p.Name, name) })
	return len(inv.Platforms) < n
}

// RenewalWindow is how far ahead renewals are due by default.
const RenewalWindow = 90

// PlatformStatus is a platform with what the inventory and source health
// say about it.
type PlatformStatus struct {
	Platform
	// AnnualCost is nil when the cost depends on the budget's volumes.
	AnnualCost *float64 `json:"annual_cost"`
	// RenewalInDays counts days from the report's day to the renewal (nil
	// without a renewal date); RenewalDue is a renewal within the window,
	// NoticeBy the last day to give notice.
	RenewalInDays *int  `json:"renewal_in_days"`
	RenewalDue    bool  `json:"renewal_due"`
	NoticeBy      *Date `json:"notice_by,omitempty"`
	// SourceStates are the linked sources' health (a source with no alert
	// in the active span is "no alerts", a scheduled intelligence feed
	// "feed ok", "feed failing" …); State is the worst of the alert
	// sources' states.
	SourceStates []SourceState `json:"source_states"`
	State        State         `json:"state,omitempty"`
}

// SourceState is a linked source's health state.
type SourceState struct {
	Source string `json:"source"`
	State  string `json:"state"`
}

// InventoryReport is the inventory judged on a day.
type InventoryReport struct {
	Day       Date             `json:"day"`
	Window    int              `json:"renewal_window_days"`
	Platforms []PlatformStatus `json:"platforms"`
	// RenewalsDue names the platforms renewing within the window, soonest
	// first.
	RenewalsDue []string `json:"renewals_due"`
	// AnnualCost sums the platforms whose cost does not depend on the
	// budget's volumes; Unpriced counts the others and those without cost.
	AnnualCost float64 `json:"annual_cost"`
	Unpriced   int     `json:"unpriced"`
	// Unlinked are alert sources no platform claims.
	Unlinked []string `json:"unlinked_sources"`
}

// NoAlerts is the state of a linked source that sent nothing in the span.
const NoAlerts = "no alerts"

// JudgeInventory judges the inventory on now's day (in tz): renewals within
// window days, costs, and the health of each platform's sources (health
// may be nil): an alert source's state, or an intelligence feed's (a source
// named like a scheduled feed).
func JudgeInventory(inv Inventory, health *HealthReport, feeds []FeedHealth, now time.Time, tz *time.Location, window int) InventoryReport {
	if window <= 0 {
		window = RenewalWindow
	}
	lt := now.In(tz)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC)
	out := InventoryReport{Day: Date{day}, Window: window, Platforms: []PlatformStatus{}, RenewalsDue: []string{}, Unlinked: []string{}}
	states := map[string]State{}
	if health != nil {
		for _, s := range health.Sources {
			states[s.Source] = s.State
		}
	}
	feedState := map[string]string{}
	for _, f := range feeds {
		feedState[f.Name] = f.State
	}
	claimed := map[string]bool{}
	for _, p := range inv.Platforms {
		ps := PlatformStatus{Platform: p, AnnualCost: p.Cost.Annual(), SourceStates: []SourceState{}}
		if ps.AnnualCost != nil {
			out.AnnualCost += *ps.AnnualCost
		} else {
			out.Unpriced++
		}
		if !p.Renewal.IsZero() {
			d := int(p.Renewal.Sub(day).Hours() / 24)
			ps.RenewalInDays = &d
			ps.RenewalDue = d >= 0 && d <= window
			if p.NoticeDays > 0 {
				nb := Date{p.Renewal.AddDate(0, 0, -p.NoticeDays)}
				ps.NoticeBy = &nb
			}
		}
		worst := Healthy
		for _, src := range p.Sources {
			claimed[src] = true
			st, ok := states[src]
			if !ok {
				state := NoAlerts
				if fs, ok := feedState[src]; ok {
					state = "feed " + fs
				}
				ps.SourceStates = append(ps.SourceStates, SourceState{Source: src, State: state})
				continue
			}
			ps.SourceStates = append(ps.SourceStates, SourceState{Source: src, State: string(st)})
			if st.Rank() < worst.Rank() {
				worst = st
			}
		}
		if len(p.Sources) > 0 && health != nil {
			ps.State = worst
		}
		out.Platforms = append(out.Platforms, ps)
	}
	due := slices.Clone(out.Platforms)
	slices.SortFunc(due, func(a, b PlatformStatus) int {
		return cmp.Or(cmp.Compare(intOr(a.RenewalInDays), intOr(b.RenewalInDays)), cmp.Compare(a.Name, b.Name))
	})
	for _, p := range due {
		if p.RenewalDue {
			out.RenewalsDue = append(out.RenewalsDue, p.Name)
		}
	}
	if health != nil {
		for _, s := range health.Sources {
			if !claimed[s.Source] {
				out.Unlinked = append(out.Unlinked, s.Source)
			}
		}
		slices.Sort(out.Unlinked)
	}
	return out
}

func intOr(p *int) int {
	if p == nil {
		return 1 << 30
	}
	return *p
}

// Inventory judges the stored inventory at q.At (now when zero) with the
// health of the sources and feeds, renewals due within window days.
func (s *Service) Inventory(ctx context.Context, q HealthQuery, window int) (*InventoryReport, error) {
	health, err := s.Health(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.InventoryOf(ctx, health, window)
}

// InventoryOf judges the stored inventory with a health report already
// made.
func (s *Service) InventoryOf(ctx context.Context, health *HealthReport, window int) (*InventoryReport, error) {
	inv, err := LoadInventory(ctx, s.Store)
	if err != nil {
		return nil, err
	}
	stored, err := s.Store.Feeds(ctx)
	if err != nil {
		return nil, err
	}
	feeds := make([]FeedHealth, 0, len(stored))
	for _, f := range stored {
		feeds = append(feeds, JudgeFeed(f, health.JudgedAt))
	}
	tz, err := s.Store.TimeZone(ctx)
	if err != nil {
		return nil, err
	}
	rep := JudgeInventory(inv, health, feeds, health.JudgedAt, tz, window)
	return &rep, nil
}

// BudgetTools are the inventory's priced platforms as budget tools, except
// those whose name a tool of have already has (case ignored): the budget
// file's own tools win.
func (inv Inventory) BudgetTools(have []budget.Tool) []budget.Tool {
	var out []budget.Tool
	for _, p := range inv.Platforms {
		if p.Cost == nil || slices.ContainsFunc(have, func(t budget.Tool) bool { return strings.EqualFold(t.Name, p.Name) }) {
			continue
		}
		out = append(out, p.Tool())
	}
	return out
}

// BudgetWithInventory returns bcfg with the stored inventory's priced
// platforms added to its tools (BudgetTools), so their cost flows into the
// budget model's tools line, and the names added.
func BudgetWithInventory(ctx context.Context, st interface {
	Setting(ctx context.Context, name string) (string, error)
}, bcfg budget.Config) (budget.Config, []string, error) {
	inv, err := LoadInventory(ctx, st)
	if err != nil {
		return bcfg, nil, err
	}
	add := inv.BudgetTools(bcfg.Tools)
	if len(add) == 0 {
		return bcfg, nil, nil
	}
	names := make([]string, len(add))
	for i, t := range add {
		names[i] = t.Name
	}
	bcfg.Tools = append(slices.Clone(bcfg.Tools), add...)
	return bcfg, names, nil
}

// InventoryNote is the budget plan's note naming the tools the inventory
// added.
func InventoryNote(names []string) string {
	return "Tools priced from the technology inventory (watchfloor tech inventory): " + strings.Join(names, ", ") + "."
}
