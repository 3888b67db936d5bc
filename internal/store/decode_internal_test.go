package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// A JSON column the store cannot decode is an error naming the record and
// the column, not a silently empty field.
func TestCorruptJSONColumnsAreErrors(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "wf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if _, err := s.Apply(ctx, &Batch{
		Cases: []model.Case{{Source: "soar", ExternalID: "C1", Title: "t", Tags: []string{"phish"},
			Attributes: map[string]string{"k": "v"}, CreatedAt: at}},
		Alerts: []model.Alert{{Source: "siem", ExternalID: "a1", Title: "t", CreatedAt: at,
			Entities: []model.Entity{{Type: "host", Value: "ws-1"}}, Techniques: []string{"T1059"}}},
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		column, table, want string
		read                func() error
	}{
		{"tags", "cases", "case soar/C1: tags", func() error { _, err := s.CaseByExternalID(ctx, "soar", "C1"); return err }},
		{"attributes", "cases", "case soar/C1: attributes", func() error { _, err := s.CaseByExternalID(ctx, "soar", "C1"); return err }},
		{"entities", "alerts", "alert siem/a1: entities", func() error { _, err := s.AlertByExternalID(ctx, "siem", "a1"); return err }},
		{"techniques", "alerts", "alert siem/a1: techniques", func() error { _, err := s.AlertByExternalID(ctx, "siem", "a1"); return err }},
	}
	for _, tt := range tests {
		var good string
		if err := s.r.QueryRowContext(ctx, `SELECT `+tt.column+` FROM `+tt.table).Scan(&good); err != nil {
			t.Fatal(err)
		}
		if _, err := s.wconn.ExecContext(ctx, `UPDATE `+tt.table+` SET `+tt.column+` = '{not json'`); err != nil {
			t.Fatal(err)
		}
		err := tt.read()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s.%s corrupt: error %v, want one naming %q", tt.table, tt.column, err, tt.want)
		}
		if _, err := s.wconn.ExecContext(ctx, `UPDATE `+tt.table+` SET `+tt.column+` = ?`, good); err != nil {
			t.Fatal(err)
		}
		if err := tt.read(); err != nil {
			t.Errorf("%s.%s restored: %v", tt.table, tt.column, err)
		}
	}
}
