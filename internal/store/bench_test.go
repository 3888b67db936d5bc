package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

// BenchmarkApplyCaseBatch stores batches of 5,000 new cases, each with its
// assignment, triage, investigation, resolution and closure (25,000 events,
// 20,000 of them stage events): the shape of the KPI benchmark fixture.
//
//	go test -run '^$' -bench ApplyCaseBatch -benchtime 5x ./internal/store
func BenchmarkApplyCaseBatch(b *testing.B) {
	ctx := context.Background()
	st := storetest.Open(b, storetest.SQLitePath(b))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for b.Loop() {
		var batch store.Batch
		for i := 0; i < 5000; i++ {
			id := fmt.Sprintf("C%08d", n)
			created := base.Add(time.Duration(n) * time.Minute)
			n++
			batch.Cases = append(batch.Cases, model.Case{Source: "bench", ExternalID: id, Title: "case", Priority: model.P3,
				Stage: model.StageNew, CreatedAt: created, UpdatedAt: created})
			for j, e := range []struct {
				kind model.EventKind
				v    string
			}{{model.EventAssignee, "a1"}, {model.EventStage, "triage"}, {model.EventStage, "investigating"},
				{model.EventStage, "resolved"}, {model.EventStage, "closed"}} {
				batch.Events = append(batch.Events, model.CaseEvent{CaseSource: "bench", CaseExternalID: id, ExternalID: fmt.Sprintf("%s/%d", id, j),
					At: created.Add(time.Duration(j+1) * time.Minute), Source: "bench", Kind: e.kind, New: e.v})
			}
		}
		if _, err := st.Apply(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "cases/s")
}

// BenchmarkWorkloadHandleTimes replays the logs of 20,000 resolved cases
// (8 events each: assignment, triage, three comments by the analyst, a
// pause and its end, resolution) into their worked time.
//
//	go test -run '^$' -bench WorkloadHandleTimes -count 5 ./internal/store
func BenchmarkWorkloadHandleTimes(b *testing.B) {
	ctx := context.Background()
	st := storetest.Open(b, storetest.SQLitePath(b))
	base := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	const cases = 20000
	for lo := 0; lo < cases; lo += 5000 {
		var batch store.Batch
		for n := lo; n < lo+5000; n++ {
			id := fmt.Sprintf("C%06d", n)
			created := base.Add(time.Duration(n) * time.Minute)
			batch.Cases = append(batch.Cases, model.Case{Source: "bench", ExternalID: id, Title: "case", Priority: model.P3,
				Stage: model.StageNew, CreatedAt: created, UpdatedAt: created})
			for j, e := range []struct {
				kind         model.EventKind
				v            string
				after, actor string
			}{{model.EventAssignee, "a1", "2m", "a1"}, {model.EventStage, "triage", "3m", "a1"}, {model.EventComment, "look", "10m", "a1"},
				{model.EventStatus, "Awaiting User Info", "20m", "a1"}, {model.EventStatus, "Active", "50m", ""},
				{model.EventComment, "more", "55m", "a1"}, {model.EventComment, "done", "70m", "a1"}, {model.EventStage, "resolved", "75m", "a1"}} {
				d, _ := time.ParseDuration(e.after)
				batch.Events = append(batch.Events, model.CaseEvent{CaseSource: "bench", CaseExternalID: id, ExternalID: fmt.Sprintf("%s/%d", id, j),
					At: created.Add(d), Source: "bench", Kind: e.kind, New: e.v, Actor: e.actor})
			}
		}
		if _, err := st.Apply(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	until := base.Add(cases*time.Minute + 2*time.Hour)
	b.ResetTimer()
	for b.Loop() {
		hts, err := st.WorkloadHandleTimes(ctx, base, until, []string{"Awaiting User Info"}, 30*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if len(hts) != cases {
			b.Fatalf("%d handle times, want %d", len(hts), cases)
		}
	}
}
