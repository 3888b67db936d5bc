package crisis

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
)

// CostDefinition says how an incident's cost is computed.
const CostDefinition = "People's time by role: each spell in a role, from assuming it to handing it over, releasing it or " +
	"closing the incident (or now while open); a person holding several roles at once counts once, under the most senior; priced at the loaded hourly cost of the person's tier in force at each moment " +
	"(the budget configuration's tier costs, else the mean hourly cost of the tier on the roster). A new rate version is " +
	"recorded whenever those rates change, so earlier hours keep the rates of their time. People not on the roster are " +
	"counted in hours but not priced."

// RoleCost is the time and cost of one role.
type RoleCost struct {
	Role        Role    `json:"role"`
	Title       string  `json:"title"`
	People      int     `json:"people"`
	Hours       float64 `json:"hours"`
	PricedHours float64 `json:"priced_hours"`
	Cost        float64 `json:"cost"`
}

// Cost is an incident's people cost.
type Cost struct {
	Currency    string     `json:"currency"`
	Total       float64    `json:"total"`
	Hours       float64    `json:"hours"`
	PricedHours float64    `json:"priced_hours"`
	ByRole      []RoleCost `json:"by_role"`
	// Unpriced lists people whose time has no rate (not on the roster, or
	// their tier has no cost).
	Unpriced []string `json:"unpriced_people"`
	// Rates are the rate versions the cost used.
	Rates      []store.RateVersion `json:"rate_versions"`
	Definition string              `json:"definition"`
	Notes      []string            `json:"notes,omitempty"`
}

func (s *Service) contractHours() float64 {
	if s.ContractHours > 0 {
		return s.ContractHours
	}
	return staffing.DefaultContractHours
}

// currentRates are the loaded rates per tier as configured now.
func (s *Service) currentRates(ctx context.Context) (store.RateVersion, store.Roster, error) {
	ro, err := s.Store.WorkloadRoster(ctx)
	if err != nil {
		return store.RateVersion{}, ro, err
	}
	var cfg budget.Config
	if s.Budget != nil {
		cfg = *s.Budget
	}
	rates, sources, err := budget.LoadedRates(ro, cfg, s.contractHours())
	if err != nil {
		return store.RateVersion{}, ro, err
	}
	for t, r := range rates {
		rates[t] = math.Round(r*100) / 100
	}
	return store.RateVersion{EffectiveFrom: s.now(), Currency: cfg.Currency, Rates: rates, Sources: sources}, ro, nil
}

// recordRates stores a new rate version when the rates changed. A failure
// only leaves the cost on the previous version, so it is not an error of
// the command that triggered it.
func (s *Service) recordRates(ctx context.Context, at time.Time) {
	v, _, err := s.currentRates(ctx)
	if err != nil || len(v.Rates) == 0 {
		return
	}
	v.EffectiveFrom = at
	s.Store.AddRateVersion(ctx, v)
}

// Cost prices the incident's people time at now.
func (s *Service) Cost(ctx context.Context, inc *Incident, now time.Time) Cost {
	c := Cost{Definition: CostDefinition, ByRole: []RoleCost{}, Unpriced: []string{}, Rates: []store.RateVersion{}}
	versions, err := s.Store.RateVersions(ctx)
	if err != nil {
		c.Notes = append(c.Notes, "rate versions unreadable: "+err.Error())
	}
	cur, ro, curErr := s.currentRates(ctx)
	if len(versions) == 0 {
		if curErr != nil {
			c.Notes = append(c.Notes, "no loaded rates: "+curErr.Error())
		} else if len(cur.Rates) > 0 {
			cur.EffectiveFrom = time.Time{}
			versions = []store.RateVersion{cur}
			c.Notes = append(c.Notes, "rates as configured now (no version recorded yet)")
		}
	}
	tiers := map[string]string{}
	for _, a := range ro.Analysts {
		tiers[strings.ToLower(a.ExternalID)] = budget.TierOf(a)
		tiers[strings.ToLower(a.Name)] = budget.TierOf(a)
	}
	used := map[int]bool{}
	byRole := map[Role]*RoleCost{}
	people := map[Role]map[string]bool{}
	unpriced := map[string]bool{}
	for _, sp := range chargedSpells(inc.Roles, now) {
		end := sp.To
		rc := byRole[sp.Role]
		if rc == nil {
			rc = &RoleCost{Role: sp.Role, Title: sp.Role.Info().Title}
			byRole[sp.Role] = rc
			people[sp.Role] = map[string]bool{}
		}
		if !people[sp.Role][sp.Person] {
			people[sp.Role][sp.Person] = true
			rc.People++
		}
		hours := end.Sub(sp.From).Hours()
		rc.Hours += hours
		tier, onRoster := tiers[strings.ToLower(sp.Person)]
		priced := false
		for _, piece := range splitByVersion(sp.From, end, versions) {
			rate, ok := versions[piece.v].Rates[tier]
			if !onRoster || !ok {
				continue
			}
			h := piece.to.Sub(piece.from).Hours()
			rc.PricedHours += h
			rc.Cost += h * rate
			used[piece.v], priced = true, true
		}
		if !priced {
			unpriced[sp.Person] = true
		}
	}
	for _, ri := range Roles {
		if rc := byRole[ri.Role]; rc != nil {
			rc.Hours, rc.PricedHours, rc.Cost = round2(rc.Hours), round2(rc.PricedHours), round2(rc.Cost)
			c.ByRole = append(c.ByRole, *rc)
			c.Hours += rc.Hours
			c.PricedHours += rc.PricedHours
			c.Total += rc.Cost
		}
	}
	c.Hours, c.PricedHours, c.Total = round2(c.Hours), round2(c.PricedHours), round2(c.Total)
	for p := range unpriced {
		c.Unpriced = append(c.Unpriced, p)
	}
	sort.Strings(c.Unpriced)
	for i, v := range versions {
		if used[i] {
			c.Rates = append(c.Rates, v)
			c.Currency = v.Currency
		}
	}
	if len(versions) > 0 && !versions[0].EffectiveFrom.IsZero() && len(inc.Roles) > 0 && inc.Roles[0].From.Before(versions[0].EffectiveFrom) {
		c.Notes = append(c.Notes, fmt.Sprintf("hours before the first recorded rate version (%s) are priced at that version",
			versions[0].EffectiveFrom.Format(time.RFC3339)))
	}
	return c
}

// roleRank orders roles by seniority: the commander first.
func roleRank(r Role) int {
	return slices.IndexFunc(Roles, func(ri RoleInfo) bool { return ri.Role == r })
}

// chargedSpells turns role spells into the time to charge: open spells end
// at now, and a person holding several roles at once is charged once, under
// the most senior of them.
func chargedSpells(spells []Spell, now time.Time) []Spell {
	byPerson := map[string][]Spell{}
	var order []string
	for _, sp := range spells {
		if sp.To.IsZero() {
			sp.To = now
		}
		if !sp.To.After(sp.From) {
			continue
		}
		if _, ok := byPerson[sp.Person]; !ok {
			order = append(order, sp.Person)
		}
		byPerson[sp.Person] = append(byPerson[sp.Person], sp)
	}
	var out []Spell
	for _, p := range order {
		ss := byPerson[p]
		var cuts []time.Time
		for _, sp := range ss {
			cuts = append(cuts, sp.From, sp.To)
		}
		slices.SortFunc(cuts, time.Time.Compare)
		cuts = slices.CompactFunc(cuts, time.Time.Equal)
		for i := 0; i+1 < len(cuts); i++ {
			from, to := cuts[i], cuts[i+1]
			best := -1
			for j, sp := range ss {
				if !sp.From.After(from) && !sp.To.Before(to) && (best < 0 || roleRank(sp.Role) < roleRank(ss[best].Role)) {
					best = j
				}
			}
			if best < 0 {
				continue
			}
			// extend the previous piece when the same role continues
			if n := len(out); n > 0 && out[n-1].Person == p && out[n-1].Role == ss[best].Role && out[n-1].To.Equal(from) {
				out[n-1].To = to
				continue
			}
			out = append(out, Spell{Role: ss[best].Role, Person: p, From: from, To: to})
		}
	}
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

type versionPiece struct {
	v        int
	from, to time.Time
}

// splitByVersion cuts [from, to) at the rate versions' start times; time
// before the first version is priced at the first.
func splitByVersion(from, to time.Time, versions []store.RateVersion) []versionPiece {
	if len(versions) == 0 {
		return nil
	}
	var out []versionPiece
	cur := from
	for i := range versions {
		end := to
		if i+1 < len(versions) && versions[i+1].EffectiveFrom.Before(end) {
			end = versions[i+1].EffectiveFrom
		}
		if end.After(cur) {
			out = append(out, versionPiece{i, cur, end})
			cur = end
		}
		if !cur.Before(to) {
			break
		}
	}
	return out
}
