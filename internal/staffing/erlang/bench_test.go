package erlang

import "testing"

// BenchmarkRequiredLarge sizes a 12,000-erlang queue (about 12,100 agents)
// for 90 % answered within 20 s.
func BenchmarkRequiredLarge(b *testing.B) {
	q := Queue{ArrivalRate: 12000.0 / 300, AHT: 300}
	for b.Loop() {
		if _, err := Required(q, Target{AnswerWithin: 20, ServiceLevel: 0.9}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkErlangALarge evaluates Erlang A with 10,000 agents at 99.9 %
// load and a ten-minute patience.
func BenchmarkErlangALarge(b *testing.B) {
	q := Queue{ArrivalRate: 9990.0 / 180, AHT: 180, Patience: 600}
	for b.Loop() {
		if _, err := Evaluate(q, 10000, 20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHourTypical sizes one typical SOC queue-hour (8 erlangs).
func BenchmarkHourTypical(b *testing.B) {
	q := Queue{ArrivalRate: 96.0 / 3600, AHT: 300}
	for b.Loop() {
		if _, err := Required(q, Target{AnswerWithin: 900, ServiceLevel: 0.9, MaxOccupancy: 0.85}); err != nil {
			b.Fatal(err)
		}
	}
}
