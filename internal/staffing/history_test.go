package staffing

import (
	"strings"
	"testing"
	"time"
)

func TestServiceLevelOverride(t *testing.T) {
	w := func() *Workload {
		return &Workload{Queues: []Queue{
			{Name: "cases P1", AnswerWithinSeconds: 900, TargetServiceLevel: 0.9, Sources: map[string]Source{"answer_within": FromSLA, "target_service_level": FromAssumption}},
			{Name: "cases P5", AnswerWithinSeconds: 3 * 86400, TargetServiceLevel: 0.9, Sources: map[string]Source{"answer_within": FromAssumption, "target_service_level": FromAssumption}},
		}, Assumptions: []Assumption{{Input: "P5 answer_within"}, {Input: "target_service_level"}, {Input: "shrinkage"}}}
	}
	for _, tc := range []struct {
		name        string
		within      Duration
		target      float64
		wantWithin  [2]float64
		wantTarget  float64
		wantAssumed string
		wantErr     string
	}{
		{"none", 0, 0, [2]float64{900, 3 * 86400}, 0.9, "P5 answer_within target_service_level shrinkage", ""},
		{"both", Duration(10 * time.Minute), 0.95, [2]float64{600, 600}, 0.95, "shrinkage", ""},
		{"target only", 0, 0.8, [2]float64{900, 3 * 86400}, 0.8, "P5 answer_within shrinkage", ""},
		{"target of 1", 0, 1, [2]float64{}, 0, "", "between 0 and 1"},
		{"negative time", Duration(-time.Second), 0, [2]float64{}, 0, "", "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wl := w()
			err := wl.ServiceLevel(tc.within, tc.target)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var assumed []string
			for _, a := range wl.Assumptions {
				assumed = append(assumed, a.Input)
			}
			if got := strings.Join(assumed, " "); got != tc.wantAssumed {
				t.Errorf("assumptions %q, want %q", got, tc.wantAssumed)
			}
			for i, q := range wl.Queues {
				if q.AnswerWithinSeconds != tc.wantWithin[i] || q.TargetServiceLevel != tc.wantTarget {
					t.Errorf("%s: within %g, target %g", q.Name, q.AnswerWithinSeconds, q.TargetServiceLevel)
				}
				if tc.within > 0 && q.Sources["answer_within"] != FromConfig || tc.target > 0 && q.Sources["target_service_level"] != FromConfig {
					t.Errorf("%s: sources %v", q.Name, q.Sources)
				}
			}
		})
	}
}
