package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestBenchTurnPrintsTheSplit runs `waihu bench turn` on two unpaced turns
// and checks the JSON shape: every part with p50/p95, the robot's part and
// the whole turn (figures are the benchmark's business, not the test's).
func TestBenchTurnPrintsTheSplit(t *testing.T) {
	for _, cached := range []string{"--cached=true", "--cached=false"} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"bench", "turn", "--turns", "2", "--no-pace", cached}, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", cached, code, errb.String())
		}
		var got map[string]any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", cached, err, out.String())
		}
		if got["turns"] != float64(2) || got["endpoint_silence_ms"] != float64(700) || got["cached"] != (cached == "--cached=true") {
			t.Fatalf("%s: header %v", cached, got)
		}
		parts, _ := got["parts"].(map[string]any)
		want := []string{"endpointing", "recognition", "decision", "synthesis", "command", "robot", "total"}
		var order []string
		for _, o := range got["order"].([]any) {
			order = append(order, o.(string))
		}
		if !slices.Equal(order, want) || len(parts) != len(want) {
			t.Fatalf("%s: parts %v order %v", cached, parts, order)
		}
		for _, name := range want {
			p, _ := parts[name].(map[string]any)
			for _, k := range []string{"p50_ms", "p95_ms", "max_ms"} {
				if _, ok := p[k].(float64); !ok {
					t.Fatalf("%s: part %s lacks %s: %v", cached, name, k, p)
				}
			}
		}
	}
}

func TestBenchTurnRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--turns", "0"}, {"--silence-ms", "5"}, {"extra"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append([]string{"bench", "turn"}, args...), &out, &errb); code == 0 || !strings.Contains(errb.String(), "bench") {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
