package bench

import (
	"context"
	"testing"
)

// TestTurnRuns checks the harness works end to end on a few unpaced turns
// (no timing assertions: figures come from the benchmark).
func TestTurnRuns(t *testing.T) {
	rep, err := Turn(context.Background(), Options{Turns: 4, NoPace: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Turns != 4 || len(rep.Records) != 4 || rep.Correct < 3 {
		t.Fatalf("report %s", rep)
	}
	for _, r := range rep.Records {
		if !r.CacheHit || r.EndpointMs < 700 {
			t.Fatalf("record %+v", r)
		}
	}
	if len(rep.Stages) != 7 || rep.Stage("total").P95 < rep.Stage("robot").P95 {
		t.Fatalf("stages %+v", rep.Stages)
	}
	t.Log("\n" + rep.String())
}

// BenchmarkTurn runs real-time paced turns; see the report metrics.
//
//	go test -run=^$ -bench=Turn -benchtime=30x ./app/speech/bench/
func BenchmarkTurn(b *testing.B) {
	rep, err := Turn(context.Background(), Options{Turns: b.N})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rep.Stage("robot").P95, "robot_p95_ms")
	b.ReportMetric(rep.Stage("total").P95, "total_p95_ms")
	b.ReportMetric(rep.Stage("recognition").P95, "recog_p95_ms")
	b.ReportMetric(rep.Stage("endpointing").P95, "endpoint_p95_ms")
	b.ReportMetric(float64(rep.Correct)/float64(rep.Turns), "accuracy")
	b.ReportMetric(rep.Stage("synthesis").P95, "synth_p95_ms")
	b.Log("\n" + rep.String())
}

// BenchmarkTurnUncached synthesizes every reply during the turn (lines with
// variables) instead of serving it from the prewarmed cache.
func BenchmarkTurnUncached(b *testing.B) {
	rep, err := Turn(context.Background(), Options{Turns: b.N, Uncached: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rep.Stage("synthesis").P95, "synth_p95_ms")
	b.ReportMetric(rep.Stage("robot").P95, "robot_p95_ms")
	b.ReportMetric(rep.Stage("total").P95, "total_p95_ms")
}

// BenchmarkTurnShortEndpoint endpoints after 400 ms, before pocketsphinx's
// own 500 ms post-speech window closes, so recognition time shows.
func BenchmarkTurnShortEndpoint(b *testing.B) {
	rep, err := Turn(context.Background(), Options{Turns: b.N, SilenceMs: 400})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rep.Stage("recognition").P50, "recog_p50_ms")
	b.ReportMetric(rep.Stage("recognition").P95, "recog_p95_ms")
	b.ReportMetric(rep.Stage("robot").P95, "robot_p95_ms")
	b.ReportMetric(rep.Stage("total").P95, "total_p95_ms")
	b.ReportMetric(float64(rep.Correct)/float64(rep.Turns), "accuracy")
}
