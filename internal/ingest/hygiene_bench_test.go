package ingest

import (
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// BenchmarkScreen measures screening one clean alert (text hygiene over
// every string, the future-date check): the cost ingest pays per record.
func BenchmarkScreen(b *testing.B) {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	al := model.Alert{Source: "edr", ExternalID: "A00000042", Title: "Suspicious PowerShell Command Line on WS-0042",
		Description: "powershell.exe -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
		RuleID:      "R-004", RuleName: "Suspicious PowerShell Command Line", CreatedAt: at, OccurredAt: at.Add(-time.Minute),
		Entities:   []model.Entity{{Type: "host", Value: "ws-0042"}, {Type: "user", Value: "carlos.adams"}},
		Techniques: []string{"T1059.001"}, Attributes: map[string]string{"sensor": "edr-7"},
		Raw: []byte(`{"id":"A00000042","title":"Suspicious PowerShell Command Line on WS-0042"}`)}
	opt := Options{Now: func() time.Time { return at }}
	p := &pending{}
	b.ReportAllocs()
	for b.Loop() {
		a := al
		screen(record.Record{Loc: "x:1", Alert: &a}, opt, p)
	}
}
