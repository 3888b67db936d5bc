package store

import (
	"bytes"
	"database/sql"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// TestAppendAlertCopy checks the binary COPY stream of one alert byte by
// byte against the format's definition: signature, flags and header
// extension; per row a 16-bit field count, then each field's 32-bit length
// (-1 for NULL) and bytes, BIGINTs as 8 big-endian bytes; a -1 trailer.
func TestAppendAlertCopy(t *testing.T) {
	al := []model.Alert{{Source: "s", ExternalID: "e", Severity: model.SeverityHigh, CreatedAt: time.UnixMicro(5),
		Entities: []model.Entity{{Type: "host", Value: "h"}}, Raw: []byte(`{}`)}}
	empty := "\x00\x00\x00\x00"
	null := "\xff\xff\xff\xff"
	int8 := func(v byte) string { return "\x00\x00\x00\x08" + "\x00\x00\x00\x00\x00\x00\x00" + string(v) }
	// source, external_id, title, description, severity, status,
	// disposition, rule_id, rule_name, case_ext_id
	front := "\x00\x00\x00\x01s" + "\x00\x00\x00\x01e" + empty + empty + int8(4) + empty + empty + empty + empty + empty
	// occurred_at, created_at, ingested_at (the write's time), entities,
	// techniques, raw
	back := null + int8(5) + int8(7) + "\x00\x00\x00\x1d" + `[{"type":"host","value":"h"}]` + empty + "\x00\x00\x00\x02{}"
	head := "PGCOPY\n\xff\r\n\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00"
	tests := []struct {
		name   string
		ord    bool
		caseID sql.NullInt64
		want   string
	}{
		{"into alerts", false, sql.NullInt64{}, head + "\x00\x11" + front + null + back + "\xff\xff"},
		{"staged: ord first; linked to case 9", true, sql.NullInt64{Int64: 9, Valid: true},
			head + "\x00\x12" + int8(0) + front + int8(9) + back + "\xff\xff"},
	}
	for _, tt := range tests {
		got := appendAlertCopy(nil, al, []int{0}, []sql.NullInt64{tt.caseID}, 7, tt.ord)
		if !bytes.Equal(got, []byte(tt.want)) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
