package servicenow

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
)

// longIncident streams a CSV export of one incident with n updates, each
// carrying width bytes of notes, without holding it in memory.
type longIncident struct {
	n, width, i int
	buf         []byte
}

func (l *longIncident) Read(p []byte) (int, error) {
	for len(l.buf) == 0 {
		if l.i > l.n {
			return 0, io.EOF
		}
		if l.i == 0 {
			l.buf = []byte("number,incident_state,sys_mod_count,sys_updated_by,sys_updated_at,opened_at,priority,assigned_to,u_notes\n")
		} else {
			at := time.Date(2016, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(l.i) * time.Minute).Format("02-01-2006 15:04")
			state := []string{"Active", "Awaiting User Info"}[l.i%2]
			notes := strings.Repeat(fmt.Sprintf("%08d", l.i), l.width/8)
			l.buf = fmt.Appendf(nil, "INC1,%s,%d,Updated by %d,%s,01-03-2016 00:00,2 - High,Resolver %d,%s\n", state, l.i, l.i%7, at, l.i/100, notes)
		}
		l.i++
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

// TestLongIncidentMemory: an incident's buffered updates hold what the
// replay needs, not their fields: 30,000 updates of 2 KB each (60 MB of
// input) leave a few MB on the heap when the incident is replayed. Each
// used to keep all its fields (1.06 GB for a 200,000-row incident).
func TestLongIncidentMemory(t *testing.T) {
	in := &longIncident{n: 30000, width: 2048}
	var live uint64
	events := 0
	err := Parse(context.Background(), in, "long.csv", func(r record.Record) error {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Loc, r.Err)
		}
		if r.Case != nil {
			// The incident ended: every update is buffered now.
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			live = ms.HeapAlloc
			if len(r.Case.Attributes["u_notes"]) != 2048 {
				t.Errorf("the snapshot lacks the latest row's attributes")
			}
		}
		if r.Event != nil {
			events++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 29,999 status changes (Active and Awaiting User Info are one stage)
	// and 300 reassignments (every 100 updates).
	if events != 29999+300 {
		t.Errorf("%d events, want %d", events, 29999+300)
	}
	if live > 24<<20 {
		t.Errorf("%d MB live with the incident's 30,000 updates buffered (60 MB of input), want under 24 MB", live>>20)
	}
	t.Logf("%.1f MB live with the incident buffered", float64(live)/(1<<20))
}
