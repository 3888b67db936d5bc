package sla

import (
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

func TestInForce(t *testing.T) {
	v1 := model.SLAPolicy{Name: "std", Version: 1, EffectiveFrom: ts(t, "2026-01-01T00:00:00Z"),
		Targets: map[model.Priority]model.SLATarget{model.P1: {Acknowledge: 15 * m, Resolve: 4 * h}}}
	v2 := model.SLAPolicy{Name: "std", Version: 2, EffectiveFrom: ts(t, "2026-03-03T00:00:00Z"), Calendar: berlinOffice}
	v3 := model.SLAPolicy{Name: "std", Version: 3, EffectiveFrom: ts(t, "2026-06-01T00:00:00Z")}
	// v4 takes effect at the same instant as v3 and wins by number.
	v4 := model.SLAPolicy{Name: "std", Version: 4, EffectiveFrom: ts(t, "2026-06-01T00:00:00Z")}
	p := mustPolicies(t, v4, v2, v1, v3)
	tests := []struct {
		at   string
		want int
	}{
		{"2025-06-01T00:00:00Z", 1}, // before every version: the first
		{"2026-01-01T00:00:00Z", 1},
		{"2026-03-02T23:59:59Z", 1},
		{"2026-03-03T00:00:00Z", 2}, // EffectiveFrom itself is in force
		{"2026-05-31T23:59:59Z", 2},
		{"2026-06-01T00:00:00Z", 4},
		{"2030-01-01T00:00:00Z", 4},
	}
	for _, tt := range tests {
		if got := p.InForce(ts(t, tt.at)).Version; got != tt.want {
			t.Errorf("InForce(%s) = v%d, want v%d", tt.at, got, tt.want)
		}
	}
	var order []int
	for _, v := range p.Versions() {
		order = append(order, v.Version)
	}
	if len(order) != 4 || order[0] != 1 || order[1] != 2 || order[2] != 3 || order[3] != 4 {
		t.Errorf("Versions order = %v, want [1 2 3 4]", order)
	}
	if p.Len() != 4 {
		t.Errorf("Len = %d, want 4", p.Len())
	}
	if c := p.Calendar(ts(t, "2026-01-02T00:00:00Z")); c != nil {
		t.Errorf("v1 calendar = %v, want nil (24×7)", c)
	}
	if c := p.Calendar(ts(t, "2026-04-01T00:00:00Z")); c == nil || c.Location().String() != "Europe/Berlin" {
		t.Errorf("v2 calendar = %v, want Europe/Berlin", c)
	}
	// The policies were copied: editing the input changes nothing.
	v1.Targets[model.P1] = model.SLATarget{Acknowledge: time.Hour}
	if got := p.InForce(ts(t, "2026-01-02T00:00:00Z")).Targets[model.P1].Acknowledge; got != 15*m {
		t.Errorf("target after editing the input = %v, want 15m", got)
	}

	var none *Policies
	if none.InForce(jan1).Version != 0 || none.Len() != 0 || none.Versions() != nil || none.Calendar(jan1) != nil {
		t.Error("nil Policies is not empty")
	}
}

func TestNewPoliciesErrors(t *testing.T) {
	at := ts(t, "2026-01-01T00:00:00Z")
	tests := []struct {
		name     string
		versions []model.SLAPolicy
	}{
		{"none", nil},
		{"version twice", []model.SLAPolicy{{Name: "a", Version: 1, EffectiveFrom: at}, {Name: "a", Version: 1, EffectiveFrom: at.Add(h)}}},
		{"negative target", []model.SLAPolicy{{Name: "a", Version: 1, EffectiveFrom: at,
			Targets: map[model.Priority]model.SLATarget{model.P1: {Resolve: -h}}}}},
		{"bad calendar", []model.SLAPolicy{{Name: "a", Version: 1, EffectiveFrom: at,
			Calendar: &model.BusinessHours{TimeZone: "UTC", Days: weekdays, Start: "17:00", End: "09:00"}}}},
	}
	for _, tt := range tests {
		if _, err := NewPolicies(tt.versions...); err == nil {
			t.Errorf("%s: NewPolicies accepted %+v", tt.name, tt.versions)
		}
	}
}
