package erlang

import (
	"math"
	"testing"
)

// TestPrioritySingleClass: one class on its own is Erlang C exactly
// (the published A = 10, N = 14 case).
func TestPrioritySingleClass(t *testing.T) {
	rs, err := EvaluatePriority([]Class{{ArrivalRate: 10.0 / 180, AHT: 180, AnswerWithin: 20}}, 14)
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if math.Abs(r.PWait-0.1741319336) > 1e-9 || math.Abs(r.ServiceLevel-0.8883500192) > 1e-9 || math.Abs(r.ASA-7.835937) > 1e-6 ||
		math.Abs(r.Occupancy-10.0/14) > 1e-12 || r.Model != ModelPriority || !r.Stable {
		t.Errorf("single class: %+v", r)
	}
}

// TestPriorityCobham checks the mean waits against a hand computation of
// Cobham's formula: n = 2, handle time 60 s, two classes of 1/120 per
// second each (A = 1, σ₁ = 0.25, σ₂ = 0.5). B(2, 1) = 0.2, so C(2, 1) =
// 2·0.2/(2 − 0.8) = 1/3; E[W₁] = (1/3)·60/(2·1·0.75) = 40/3 s and
// E[W₂] = (1/3)·60/(2·0.75·0.5) = 80/3 s, whose average, 20 s, is the
// FCFS (Erlang C) wait C·AHT/(n − A) — the conservation law.
func TestPriorityCobham(t *testing.T) {
	cl := []Class{{ArrivalRate: 1.0 / 120, AHT: 60, AnswerWithin: 30}, {ArrivalRate: 1.0 / 120, AHT: 60, AnswerWithin: 30}}
	rs, err := EvaluatePriority(cl, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct{ asa, sl float64 }{
		// SL = 1 − C·exp(−t·C/E[W]): 1 − (1/3)e^(−30/40) and 1 − (1/3)e^(−30/80).
		{40.0 / 3, 1 - math.Exp(-0.75)/3},
		{80.0 / 3, 1 - math.Exp(-0.375)/3},
	} {
		if math.Abs(rs[i].ASA-want.asa) > 1e-9 || math.Abs(rs[i].ServiceLevel-want.sl) > 1e-12 || math.Abs(rs[i].PWait-1.0/3) > 1e-12 {
			t.Errorf("class %d: ASA %v SL %v P(wait) %v, want %v %v 1/3", i+1, rs[i].ASA, rs[i].ServiceLevel, rs[i].PWait, want.asa, want.sl)
		}
	}
	fcfs, _ := Evaluate(Queue{ArrivalRate: 1.0 / 60, AHT: 60}, 2, 30)
	if avg := (rs[0].ASA + rs[1].ASA) / 2; math.Abs(avg-fcfs.ASA) > 1e-9 || math.Abs(fcfs.ASA-20) > 1e-9 {
		t.Errorf("conservation: mean wait %v, FCFS %v, want 20", avg, fcfs.ASA)
	}
}

// TestPriorityEdges: idle classes, no arrivals, an unstable floor, errors.
func TestPriorityEdges(t *testing.T) {
	rs, err := EvaluatePriority([]Class{{ArrivalRate: 0, AHT: 60}, {ArrivalRate: 0.01, AHT: 60, AnswerWithin: 10}}, 1)
	if err != nil || rs[0].ServiceLevel != 1 || rs[0].ASA != 0 || rs[1].ServiceLevel >= 1 || rs[1].ServiceLevel <= 0 {
		t.Errorf("idle first class: %+v %v", rs, err)
	}
	rs, err = EvaluatePriority([]Class{{ArrivalRate: 0, AHT: 60}}, 0)
	if err != nil || rs[0].ServiceLevel != 1 || !rs[0].Stable {
		t.Errorf("nothing arrives: %+v %v", rs, err)
	}
	rs, err = EvaluatePriority([]Class{{ArrivalRate: 1.0 / 60, AHT: 60}, {ArrivalRate: 1.0 / 60, AHT: 60}}, 2)
	if err != nil || rs[1].Stable || rs[1].ServiceLevel != 0 || !math.IsInf(rs[1].ASA, 1) || rs[0].Occupancy != 1 {
		t.Errorf("A = n: %+v %v", rs, err)
	}
	for _, bad := range [][]Class{nil, {{ArrivalRate: -1, AHT: 1}}, {{ArrivalRate: 1, AHT: 0}}, {{ArrivalRate: 1, AHT: 1, AnswerWithin: math.NaN()}}} {
		if _, err := EvaluatePriority(bad, 3); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if _, err := EvaluatePriority([]Class{{ArrivalRate: 1, AHT: 1}}, -1); err == nil {
		t.Error("negative agents: no error")
	}
}

// TestRequiredPriority: the answer meets every target and one agent fewer
// does not; a single class needs what Required says; the most urgent
// class's target drives the floor, and the occupancy cap applies.
func TestRequiredPriority(t *testing.T) {
	single := []Class{{ArrivalRate: 10.0 / 180, AHT: 180, AnswerWithin: 20}}
	n, _, err := RequiredPriority(single, []Target{{ServiceLevel: 0.8}}, 0)
	if err != nil || n != 14 {
		t.Errorf("A = 10, 80%% in 20 s: %d agents (%v), want 14", n, err)
	}
	cases := []struct {
		name    string
		classes []Class
		targets []Target
		from    int
		want    int
	}{
		{"nothing arrives", []Class{{AHT: 60}}, []Target{{ServiceLevel: 0.9}}, 0, 0},
		{"nothing arrives, floor kept", []Class{{AHT: 60}}, []Target{{ServiceLevel: 0.9}}, 3, 3},
		{"a trickle needs one", []Class{{ArrivalRate: 1e-6, AHT: 60, AnswerWithin: 3600}}, []Target{{ServiceLevel: 0.9}}, 0, 1},
		{"occupancy cap", []Class{{ArrivalRate: 1.0 / 60, AHT: 60, AnswerWithin: 86400}}, []Target{{ServiceLevel: 0.5, MaxOccupancy: 0.4}}, 0, 3},
		// A class without a service-level target only loads the floor: an
		// impossible threshold (answered at once) does not count, its
		// occupancy cap does.
		{"no target, load only", []Class{{ArrivalRate: 1.0 / 60, AHT: 60, AnswerWithin: 0}}, []Target{{MaxOccupancy: 0.5}}, 0, 2},
	}
	for _, c := range cases {
		n, _, err := RequiredPriority(c.classes, c.targets, c.from)
		if err != nil || n != c.want {
			t.Errorf("%s: %d (%v), want %d", c.name, n, err, c.want)
		}
	}
	// Urgent and deferrable work: the same load needs fewer agents when
	// the second class may wait a day than when both must be answered
	// within a minute, and the answer is the least that meets both.
	urgent := Class{ArrivalRate: 2.0 / 3600, AHT: 1200, AnswerWithin: 60}
	later := Class{ArrivalRate: 10.0 / 3600, AHT: 1200, AnswerWithin: 86400}
	tg := []Target{{ServiceLevel: 0.9, MaxOccupancy: 0.85}, {ServiceLevel: 0.9, MaxOccupancy: 0.85}}
	nMixed, rs, err := RequiredPriority([]Class{urgent, later}, tg, 0)
	if err != nil {
		t.Fatal(err)
	}
	later.AnswerWithin = 60
	nBoth, _, err := RequiredPriority([]Class{urgent, later}, tg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if nMixed >= nBoth || rs[0].ServiceLevel < 0.9 || rs[1].ServiceLevel < 0.9 {
		t.Errorf("mixed %d agents (%+v), both urgent %d", nMixed, rs, nBoth)
	}
	t.Logf("mixed %d, both urgent %d", nMixed, nBoth)
	fewer, _ := EvaluatePriority([]Class{urgent, {ArrivalRate: 10.0 / 3600, AHT: 1200, AnswerWithin: 86400}}, nMixed-1)
	if fewer[0].ServiceLevel >= 0.9 && fewer[0].Occupancy <= 0.85 && fewer[1].ServiceLevel >= 0.9 {
		t.Errorf("%d agents would do: %+v", nMixed-1, fewer)
	}
	if _, _, err := RequiredPriority(single, nil, 0); err == nil {
		t.Error("missing targets: no error")
	}
	if _, _, err := RequiredPriority(single, []Target{{ServiceLevel: 1.5}}, 0); err == nil {
		t.Error("bad target: no error")
	}
}
