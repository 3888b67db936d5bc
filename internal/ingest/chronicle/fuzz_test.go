package chronicle

import (
	"bytes"
	"context"
	"testing"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/ingest/record/recordtest"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"cases":[{"name":"projects/p/locations/us/instances/i/cases/4211","displayName":"x","createTime":"2025-06-02T08:14:07.512Z","priority":"PRIORITY_HIGH","status":"OPENED","stage":"Investigation","tags":[{"displayName":"edr"}]}],"nextPageToken":"","totalSize":1}`,
		`{"caseCards":[{"id":4150,"title":"scan","priority":-1,"status":2,"stage":"Assessment","assignedUserName":"@Tier1","creationTimeUnixTimeInMs":1748390400000,"caseCloseReason":2,"rootCause":"Scheduled scan"}],"totalCount":1}`,
		"{\n\"case_details:\": {\"id\": 4305, \"title\": \"t\", \"status\": \"Opened\"},\n\"case_alerts\": {\"objectsList\": [{\"identifier\": \"A_1\", \"priority\": 80, \"entities\": [{\"identifier\": \"10.0.0.1\", \"entityType\": \"ADDRESS\"}]}]},\n\"case_comments\": {\"objectsList\": [{\"id\": 5, \"comment\": \"c\", \"creationTimeUnixTimeInMs\": 1749023400000}]}\n}",
		`{"caseComments":[{"name":"projects/p/locations/us/instances/i/cases/1/caseComments/2","createTime":"1748853000123","comment":"c","isDeleted":false}]}`,
		`{"id":7,"title":"t","alertCards":[{"identifier":"X","caseId":1,"startTime":1749099950000,"closureDetails":{"reason":"MALICIOUS"}}]}`,
		"[{\"id\": 1, \"title\": \"a\"}, 42, {\"foo\": 1}, {\"error\": \"e\"}]",
		"{\"id\": 1}\n{\"caseAlerts\": [{\"identifier\": \"Y\", \"caseId\": 2}]}\nnot json\n",
		"{\n\"cases\": [{\"id\": 1, \"ti",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		err := Parse(context.Background(), bytes.NewReader(in), "fuzz", func(r record.Record) error {
			if err := recordtest.Shape(r, "fuzz"); err != nil {
				t.Error(err)
			}
			switch {
			case r.Case != nil:
				if r.Case.ExternalID == "" || r.Case.Source != Source {
					t.Errorf("%s: case without id or source: %+v", r.Loc, r.Case)
				}
				if !r.Case.CreatedAt.IsZero() && r.Case.CreatedAt.Location().String() != "UTC" {
					t.Errorf("%s: CreatedAt not UTC", r.Loc)
				}
			case r.Alert != nil:
				if r.Alert.ExternalID == "" || r.Alert.Source != Source {
					t.Errorf("%s: alert without id or source: %+v", r.Loc, r.Alert)
				}
			case r.Event != nil:
				if r.Event.CaseExternalID == "" || r.Event.At.IsZero() || r.Event.Kind != "comment" {
					t.Errorf("%s: comment without case or time: %+v", r.Loc, r.Event)
				}
			}
			return nil
		})
		if err != nil {
			t.Errorf("Parse of an in-memory input returned %v", err)
		}
	})
}
