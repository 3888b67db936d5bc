package model

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// evs builds events of case 7 from "kind:value@minute[#external id]" specs,
// minutes after 2026-03-02 09:00 UTC.
func evs(t *testing.T, specs ...string) []CaseEvent {
	t.Helper()
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var out []CaseEvent
	for _, s := range specs {
		var ext string
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s, ext = s[:i], s[i+1:]
		}
		kv, at, ok := strings.Cut(s, "@")
		kind, val, ok2 := strings.Cut(kv, ":")
		var min int
		if _, err := fmt.Sscan(at, &min); err != nil || !ok || !ok2 {
			t.Fatalf("bad event spec %q", s)
		}
		out = append(out, CaseEvent{CaseID: 7, ExternalID: ext, At: base.Add(time.Duration(min) * time.Minute),
			Source: "soar", Actor: "ann", Kind: EventKind(kind), New: val})
	}
	return out
}

// specs renders events back as "kind:old>new@minute[#id]" for comparison.
func specs(es []CaseEvent) string {
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var parts []string
	for _, e := range es {
		s := fmt.Sprintf("%s:%s>%s@%d", e.Kind, e.Old, e.New, int(e.At.Sub(base)/time.Minute))
		if e.ExternalID != "" {
			s += "#" + e.ExternalID
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestDeriveStages(t *testing.T) {
	last := time.Date(2026, 3, 2, 9, 10, 0, 0, time.UTC) // minute 10
	tests := []struct {
		name   string
		evs    []string
		stored *CaseState // nil: replayed from the log
		log    []string
		given  []int // minutes of stage events the batch names explicitly
		want   string
		// readsLog says whether the stored log must be read.
		readsLog bool
	}{
		{
			name:   "status change to a new stage derives a stage event",
			evs:    []string{"status:In Progress@20#s1"},
			stored: &CaseState{Stage: StageNew, LastEventAt: last},
			want:   "status:>In Progress@20#s1 stage:new>investigating@20#s1/stage",
		},
		{
			name:   "status change within the stage derives nothing",
			evs:    []string{"status:Awaiting User Info@20"},
			stored: &CaseState{Stage: StageInvestigating, LastEventAt: last},
			want:   "status:>Awaiting User Info@20",
		},
		{
			name:   "unmapped status derives nothing",
			evs:    []string{"status:Parked by robots@20"},
			stored: &CaseState{Stage: StageNew, LastEventAt: last},
			want:   "status:>Parked by robots@20",
		},
		{
			name:   "stage event given at the same time wins",
			evs:    []string{"status:Closed@20", "stage:resolved@20"},
			stored: &CaseState{Stage: StageInvestigating, LastEventAt: last},
			given:  []int{20},
			want:   "status:>Closed@20 stage:>resolved@20",
		},
		{
			name:   "events are sorted and each status follows the stage in force",
			evs:    []string{"status:Closed@40", "status:Active@20", "status:Resolved@30"},
			stored: &CaseState{Stage: StageTriage, LastEventAt: last},
			want: "status:>Active@20 stage:triage>investigating@20 status:>Resolved@30 stage:investigating>resolved@30 " +
				"status:>Closed@40 stage:resolved>closed@40",
		},
		{
			name: "a new case starts at new once created",
			evs:  []string{"created:phish@0", "status:Open@0", "status:Active@5"},
			log:  []string{},
			want: "created:>phish@0 status:>Open@0 status:>Active@5 stage:new>investigating@5",
			// stored is nil: the case is replayed, so its log is read.
			readsLog: true,
		},
		{
			name: "a late resolution makes a stored status a reopen",
			evs:  []string{"stage:resolved@15"},
			stored: &CaseState{Stage: StageInvestigating,
				LastEventAt: time.Date(2026, 3, 2, 9, 20, 0, 0, time.UTC)},
			log:      []string{"created:x@0", "status:Active@5", "stage:investigating@5", "status:Active@20"},
			given:    []int{15},
			want:     "stage:>resolved@15 stage:resolved>investigating@20",
			readsLog: true,
		},
		{
			name:     "stored stage events are not derived twice",
			evs:      []string{"comment:late@1"},
			stored:   &CaseState{Stage: StageInvestigating, LastEventAt: last},
			log:      []string{"created:x@0", "status:Active@5", "stage:investigating@5"},
			want:     "comment:>late@1",
			readsLog: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			given := StageKeys{}
			base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			for _, m := range tt.given {
				given[StageKey{7, base.Add(time.Duration(m) * time.Minute).UnixMicro()}] = true
			}
			read := false
			got, err := DefaultStatusMap.DeriveStages(7, evs(t, tt.evs...), tt.stored, func() ([]CaseEvent, error) {
				read = true
				return evs(t, tt.log...), nil
			}, given)
			if err != nil {
				t.Fatal(err)
			}
			if s := specs(got); s != tt.want {
				t.Errorf("events:\n got %s\nwant %s", s, tt.want)
			}
			if read != tt.readsLog {
				t.Errorf("stored log read: %v, want %v", read, tt.readsLog)
			}
			for _, e := range got {
				if e.CaseID != 7 {
					t.Errorf("%s event at %s: case %d, want 7", e.Kind, e.At, e.CaseID)
				}
			}
			if len(given) != len(tt.given) {
				t.Errorf("the batch's stage events grew to %d, want %d (derived ones go to the case's own set)", len(given), len(tt.given))
			}
		})
	}
}

func TestDeriveStagesLogError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := DefaultStatusMap.DeriveStages(7, evs(t, "status:Active@1"), nil, func() ([]CaseEvent, error) { return nil, boom }, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the log reader's", err)
	}
}
