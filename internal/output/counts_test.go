package output

import "testing"

func TestCounts(t *testing.T) {
	if got := Counts(map[string]int{"P3": 11, "P2": 22, "P1": 11}); got != "P2 22, P1 11, P3 11" {
		t.Errorf("Counts = %q", got)
	}
	if got := Counts(nil); got != "" {
		t.Errorf("Counts(nil) = %q", got)
	}
}
