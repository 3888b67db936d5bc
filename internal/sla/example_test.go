package sla_test

import (
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/sla"
)

func ExampleEvaluator_Evaluate() {
	policies, err := sla.NewPolicies(model.SLAPolicy{
		Name: "SOC standard", Version: 1,
		EffectiveFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Targets: map[model.Priority]model.SLATarget{
			model.P1: {Acknowledge: 15 * time.Minute, Resolve: 4 * time.Hour},
		},
		PauseStatuses: []string{"Awaiting User Info"},
	})
	if err != nil {
		panic(err)
	}
	at := func(hhmm string) time.Time {
		t, _ := time.Parse("2006-01-02 15:04", "2026-03-02 "+hhmm)
		return t
	}
	log := []model.CaseEvent{
		{ID: 1, At: at("10:00"), Kind: model.EventPriority, New: "P1"},
		{ID: 2, At: at("10:12"), Kind: model.EventAssignee, New: "ana"},
		{ID: 3, At: at("11:00"), Kind: model.EventStatus, New: "Awaiting User Info"},
		{ID: 4, At: at("12:30"), Kind: model.EventStatus, New: "In Progress"},
	}
	res := sla.Evaluator{Policies: policies}.Evaluate(at("10:00"), log, at("13:30"))
	for _, c := range []sla.Clock{res.Acknowledge, res.Resolve} {
		deadline := "none"
		if !c.Deadline.IsZero() {
			deadline = c.Deadline.Format("15:04")
		}
		fmt.Printf("%s elapsed=%v paused=%v remaining=%v deadline=%s\n",
			c.Status, c.Elapsed, c.Paused, c.Remaining, deadline)
	}
	// Output:
	// met elapsed=12m0s paused=0s remaining=3m0s deadline=none
	// on_track elapsed=2h0m0s paused=1h30m0s remaining=2h0m0s deadline=15:30
}
