package main

import (
	"sort"
	"testing"
	"time"
)

// Ten calls a second for 20 s, each up 5 s: the steady window starts when
// 45 are up and holds 10 setups/s with 49–50 calls up on average.
func TestDispatchSimSteadyState(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	var edges []upEdge
	var created []time.Time
	for i := 0; i < 200; i++ {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		created = append(created, at)
		edges = append(edges, upEdge{at, 1}, upEdge{at.Add(5 * time.Second), -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].d < edges[j].d
		}
		return edges[i].at.Before(edges[j].at)
	})
	rep := dispatchSimReport{PeakConcurrent: 50}
	rep.steady(edges, created, created[len(created)-1])
	if rep.SteadySec < 15 || rep.SteadySec > 16 {
		t.Errorf("steady window %.2f s, want 15.5", rep.SteadySec)
	}
	if rep.SteadySetupPerS < 9.8 || rep.SteadySetupPerS > 10.2 {
		t.Errorf("steady setups %.2f/s, want 10", rep.SteadySetupPerS)
	}
	if rep.SteadyMeanUp < 49 || rep.SteadyMeanUp > 50 {
		t.Errorf("calls up: mean %.2f, want 49–50", rep.SteadyMeanUp)
	}
	// No calls: nothing to report, no panic.
	empty := dispatchSimReport{}
	empty.steady(nil, nil, t0)
	if empty.SteadySec != 0 {
		t.Errorf("empty run: %+v", empty)
	}
}
