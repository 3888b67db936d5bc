package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TestAlertByIDAndCaseStatuses: an alert read back by its id, a missing
// id is ErrNotFound; case statuses are distinct, lower-cased, sorted and
// leave out the empty one.
func TestAlertByIDAndCaseStatuses(t *testing.T) {
	engines(t, func(t *testing.T, open func() *store.Store) {
		st := open()
		ctx := context.Background()
		at := ts("2026-03-02T08:00:00Z")
		if _, err := st.Apply(ctx, &store.Batch{
			Cases: []model.Case{
				{Source: "s", ExternalID: "c1", Title: "a", Priority: model.P3, Status: "In Progress", CreatedAt: at, UpdatedAt: at},
				{Source: "s", ExternalID: "c2", Title: "b", Priority: model.P3, Status: "in progress", CreatedAt: at, UpdatedAt: at},
				{Source: "s", ExternalID: "c3", Title: "c", Priority: model.P3, Status: "New", CreatedAt: at, UpdatedAt: at},
				{Source: "s", ExternalID: "c4", Title: "d", Priority: model.P3, CreatedAt: at, UpdatedAt: at},
			},
			Alerts: []model.Alert{{Source: "s", ExternalID: "a1", Title: "t", Description: "d", Severity: model.SeverityHigh,
				CreatedAt: at, Raw: []byte(`{"product":"X"}`)}},
		}); err != nil {
			t.Fatal(err)
		}
		got, err := st.CaseStatuses(ctx)
		if err != nil || !slices.Equal(got, []string{"in progress", "new"}) {
			t.Errorf("CaseStatuses = %v, %v", got, err)
		}
		byExt, err := st.AlertByExternalID(ctx, "s", "a1")
		if err != nil {
			t.Fatal(err)
		}
		a, err := st.AlertByID(ctx, byExt.ID)
		if err != nil || a.ExternalID != "a1" || a.Description != "d" || a.Severity != model.SeverityHigh || string(a.Raw) != `{"product":"X"}` {
			t.Errorf("AlertByID = %+v, %v", a, err)
		}
		if _, err := st.AlertByID(ctx, byExt.ID+100); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing id: %v", err)
		}
	})
}
