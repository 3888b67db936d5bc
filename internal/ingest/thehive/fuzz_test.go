package thehive

import (
	"bytes"
	"context"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/record/recordtest"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`[{"_id":"~41160","_type":"Alert","_createdAt":1748849400123,"sourceRef":"n-1","title":"t","severity":3,"date":1748849100000,"tags":["attack.t1059.001"],"caseId":"~82001","status":"Imported","observables":[{"dataType":"ip","data":"10.20.4.17"},{"dataType":"file","attachment":{"name":"p.ps1"}}]}]`,
		`{"_id":"~81950","_type":"Case","_createdAt":1748400000000,"_updatedAt":1748600000000,"number":1377,"title":"t","severity":4,"startDate":1748399000000,"endDate":1748590000000,"status":"TruePositive","stage":"Closed","impactStatus":"WithImpact","inProgressDate":1748400600000}`,
		"{\"_id\":\"AYx1\",\"_type\":\"case\",\"caseId\":57,\"severity\":2,\"resolutionStatus\":\"TruePositive\",\"status\":\"Resolved\",\"owner\":\"a\",\"createdAt\":1700000100000}\n{\"_id\":\"ce2c\",\"_type\":\"alert\",\"sourceRef\":\"2291\",\"case\":\"AYx1\",\"artifacts\":[{\"dataType\":\"domain\",\"data\":\"x.example\"}]}\n",
		`{"operation":"update","objectId":"~82001","objectType":"Case","object":{"_type":"Case","severityLabel":"HIGH","status":"InProgress"}}`,
		"[\"s\", 1, {\"title\": \"no type\"}, {\"_id\": \"~1\", \"_type\": \"Task\"}, {\"_id\": \"~2\", \"_type\": \"Case\", \"_createdAt\": \"x\"}]",
		"{\n  \"_id\": \"~9\",\n  \"_type\": \"Alert\",\n  \"date\": ",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		err := Parse(context.Background(), bytes.NewReader(in), "fuzz", func(r record.Record) error {
			if err := recordtest.Shape(r, "fuzz"); err != nil {
				t.Error(err)
			}
			if r.Event != nil {
				t.Errorf("%s: TheHive input gave an event: %+v", r.Loc, r.Event)
			}
			switch {
			case r.Case != nil:
				c := r.Case
				if c.ExternalID == "" || c.Source != Source || !c.Disposition.Valid() || (c.Stage != "" && !c.Stage.Valid()) {
					t.Errorf("%s: bad case %+v", r.Loc, c)
				}
				if !c.ClosedAt.IsZero() && c.Stage != "closed" {
					t.Errorf("%s: ClosedAt set on a case in stage %q", r.Loc, c.Stage)
				}
			case r.Alert != nil:
				if r.Alert.ExternalID == "" || r.Alert.Source != Source || !r.Alert.Disposition.Valid() {
					t.Errorf("%s: bad alert %+v", r.Loc, r.Alert)
				}
			}
			return nil
		})
		if err != nil {
			t.Errorf("Parse of an in-memory input returned %v", err)
		}
	})
}
