package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/store/storetest"
)

func rbEvent(c, id, at, actor string, rec model.RunbookExecution) model.CaseEvent {
	b, _ := json.Marshal(rec)
	return model.CaseEvent{CaseSource: "soar", CaseExternalID: c, ExternalID: id, At: ts(at), Source: "soar", Kind: model.EventRunbook,
		New: string(b), Actor: actor}
}

func TestRunbookReads(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		c := func(id, at string) model.Case {
			return model.Case{Source: "soar", ExternalID: id, Title: id, Priority: model.P2, Stage: model.StageNew, CreatedAt: ts(at), UpdatedAt: ts(at)}
		}
		b := &store.Batch{
			Rules: []model.Rule{{Source: "siem", ExternalID: "R1", Name: "Rule one", Techniques: []string{"T1566.001"}, Tactics: []string{"initial-access"}},
				{Source: "siem", ExternalID: "R9", Name: "Quiet"}},
			Alerts: []model.Alert{
				{Source: "siem", ExternalID: "a1", Title: "x", RuleID: "R1", RuleName: "Rule one", CreatedAt: ts("2026-03-02T09:00:00Z")},
				{Source: "siem", ExternalID: "a2", Title: "x", RuleID: "R2", RuleName: "Rule two", CreatedAt: ts("2026-03-02T09:30:00Z")},
				{Source: "siem", ExternalID: "a3", Title: "x", RuleID: "R2", RuleName: "Rule two", CreatedAt: ts("2026-03-05T09:30:00Z")},
			},
			// C1 before the window with a run inside it; C2 in the window
			// with its run after it; C3 before the window, nothing in it.
			Cases: []model.Case{c("C1", "2026-02-27T10:00:00Z"), c("C2", "2026-03-02T10:00:00Z"), c("C3", "2026-02-20T10:00:00Z")},
			Events: []model.CaseEvent{
				rbEvent("C1", "1", "2026-02-28T10:00:00Z", "ana", model.RunbookExecution{Runbook: "irp", Run: "r", Step: "1.1", Status: "completed"}),
				rbEvent("C1", "2", "2026-03-02T11:00:00Z", "ana", model.RunbookExecution{Runbook: "irp", Run: "r", Step: "1.2", Status: "completed"}),
				rbEvent("C1", "3", "2026-03-02T11:05:00Z", "ana", model.RunbookExecution{Runbook: "Isolate host", Status: "failed"}),
				rbEvent("C1", "4", "2026-03-02T11:10:00Z", "ana", model.RunbookExecution{Runbook: "Isolate host", Status: "completed"}),
				rbEvent("C2", "1", "2026-03-04T10:00:00Z", "ben", model.RunbookExecution{Runbook: "irp", Run: "r", Step: "1.1", Status: "completed"}),
				rbEvent("C3", "1", "2026-02-21T10:00:00Z", "cat", model.RunbookExecution{Runbook: "irp", Run: "x", Step: "1.1", Status: "completed"}),
				{CaseSource: "soar", CaseExternalID: "C3", ExternalID: "2", At: ts("2026-02-21T11:00:00Z"), Source: "soar", Kind: model.EventStage,
					New: "resolved"},
			},
		}
		if res, err := st.Apply(ctx, b); err != nil || len(res.Rejects) > 0 {
			t.Fatalf("apply: %v %v", err, res.Rejects)
		}
		from, to := ts("2026-03-02T00:00:00Z"), ts("2026-03-03T00:00:00Z")
		evs, err := st.RunbookEvents(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Case+" "+e.At.Format("01-02T15:04")+" "+e.Actor)
		}
		want := []string{"soar/C1 02-28T10:00 ana", "soar/C1 03-02T11:00 ana", "soar/C1 03-02T11:05 ana", "soar/C1 03-02T11:10 ana",
			"soar/C2 03-04T10:00 ben"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("runbook events %q, want %q", got, want)
		}
		// The C1 run counts once, each isolation once; C3's run is outside.
		runs, err := st.WorkloadRunbooks(ctx, ts("2026-02-22T00:00:00Z"), ts("2026-03-10T00:00:00Z"))
		if err != nil || !reflect.DeepEqual(runs, map[string]int{"irp": 2, "Isolate host": 2}) {
			t.Errorf("workload runbooks %v, %v", runs, err)
		}
		last, err := st.RunbookLastRuns(ctx)
		if err != nil || !reflect.DeepEqual(last, map[string]time.Time{"irp": ts("2026-03-04T10:00:00Z"), "Isolate host": ts("2026-03-02T11:10:00Z")}) {
			t.Errorf("last runs %v, %v", last, err)
		}
		rules, err := st.RuleInfos(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rules) != 2 || rules[0].ID != "R1" || !reflect.DeepEqual(rules[0].Techniques, []string{"T1566.001"}) ||
			!reflect.DeepEqual(rules[0].Tactics, []string{"initial-access"}) || rules[1].ID != "R9" || rules[1].Name != "Quiet" {
			t.Errorf("rule infos %+v", rules)
		}

		exp := ts("2027-01-01T00:00:00Z")
		n, err := st.SaveCertifications(ctx, []store.Certification{{Analyst: "ana", Name: "GIAC GCIH", Expires: exp, Source: "hr"},
			{Analyst: "ben", Name: "OSCP"}})
		if err != nil || n != 2 {
			t.Fatalf("saving certifications: %d, %v", n, err)
		}
		n, err = st.SaveCertifications(ctx, []store.Certification{{Analyst: "ana", Name: "GIAC GCIH", Issued: ts("2023-01-01T00:00:00Z"), Expires: exp.AddDate(1, 0, 0)}})
		if err != nil || n != 0 {
			t.Fatalf("updating a certification: %d, %v", n, err)
		}
		certs, err := st.Certifications(ctx)
		want2 := []store.Certification{{Analyst: "ana", Name: "GIAC GCIH", Issued: ts("2023-01-01T00:00:00Z"), Expires: exp.AddDate(1, 0, 0)},
			{Analyst: "ben", Name: "OSCP"}}
		if err != nil || !reflect.DeepEqual(certs, want2) {
			t.Errorf("certifications %+v, %v", certs, err)
		}
	})
}
