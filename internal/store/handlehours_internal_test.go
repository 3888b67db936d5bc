package store

import (
	"reflect"
	"testing"
)

// testHour is a hand-built hour: one case never measured, cases measured
// with the default gap and no pause statuses (one without a handle time),
// and a pruned case measured with a pause status.
func testHour() *handleHour {
	return &handleHour{unmeasured: 1, groups: []handleGroup{
		{gap: 1800000000, pause: "", none: 1, rows: []handleCount{
			{priority: 1, arrival: 2, active: 0, created: true, ack: 60000000, n: 3},
			{priority: 2, arrival: 2, active: 1200000000, created: false, n: 1},
		}},
		{gap: 1800000000, pause: `["on hold"]`, pruned: true, rows: []handleCount{
			{priority: 3, arrival: 3, active: 7, created: true, ack: -5, n: 1},
		}},
	}}
}

func TestHandleHourRoundTrip(t *testing.T) {
	h := testHour()
	got, err := decodeHandleHour(h.encode())
	if err != nil || !reflect.DeepEqual(got, h) {
		t.Fatalf("decoded %+v (%v), want %+v", got, err, h)
	}
	empty := &handleHour{groups: []handleGroup{}}
	if got, err := decodeHandleHour(empty.encode()); err != nil || !reflect.DeepEqual(got, empty) {
		t.Fatalf("empty hour decoded %+v (%v)", got, err)
	}
	for cut := range len(h.encode()) {
		if _, err := decodeHandleHour(h.encode()[:cut]); err == nil {
			t.Fatalf("an hour cut at %d bytes decoded", cut)
		}
	}
}

// FuzzDecodeHandleHour: stored bytes never panic the decoder, and what
// decodes encodes back to the same bytes.
func FuzzDecodeHandleHour(f *testing.F) {
	f.Add(testHour().encode())
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHandleHour(b)
		if err != nil {
			return
		}
		if again, err := decodeHandleHour(h.encode()); err != nil || !reflect.DeepEqual(again, h) {
			t.Fatalf("%x decoded to %+v, which encodes to something else (%v)", b, h, err)
		}
	})
}
