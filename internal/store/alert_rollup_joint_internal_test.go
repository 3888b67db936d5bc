package store

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestAlertRollupJointAsDecoded checks that reading only the joint counts
// of an encoded rollup gives the decoded rollup's, for random rollups, and
// that it refuses what decoding refuses.
func TestAlertRollupJointAsDecoded(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 6))
	k := AlertRollupKey{Day: 20260302, Source: "siem", RuleID: "R1", RuleName: "Rule one"}
	for i := range 200 {
		a := newAlertRollup(k)
		a.Alerts, a.Linked, a.MTTDN, a.MTTDMicros = r.Int64N(1000), r.Int64N(100), r.Int64N(100), r.Int64N(1<<40)
		for range r.IntN(6) {
			a.Severity[r.Int64N(6)] += r.Int64N(50) - 10
			a.MTTDBins[r.Int64N(5000)-100] += r.Int64N(50)
			a.Dispositions[[]string{"", "false_positive", "true_positive", "duplicate"}[r.IntN(4)]] += r.Int64N(40)
			a.Techniques[`["T1059","T1566.001"]`[:1+r.IntN(20)]] += r.Int64N(9)
			a.Joint[JointKey(r.Int64N(6), r.Int64N(5), r.IntN(2) == 0)] += r.Int64N(30)
		}
		b := a.encode()
		want, err := decodeAlertRollup(k, b)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]int64{}
		noJoint, err := alertRollupJoint(k, b, func(key, n int64) { got[key] += n })
		if err != nil || noJoint || !reflect.DeepEqual(got, want.Joint) {
			t.Fatalf("rollup %d: joint %v (no joint %v, %v), decoded %v", i, got, noJoint, err, want.Joint)
		}
		for _, cut := range []int{1, len(b) / 2, len(b) - 1} {
			_, derr := decodeAlertRollup(k, b[:cut])
			_, jerr := alertRollupJoint(k, b[:cut], func(int64, int64) {})
			if (derr == nil) != (jerr == nil) || jerr != nil && !errors.Is(jerr, errRollupData) {
				t.Fatalf("rollup %d cut at %d: decode %v, joint %v", i, cut, derr, jerr)
			}
		}
	}
}
