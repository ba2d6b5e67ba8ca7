package callctl

import (
	"testing"

	"github.com/waihu/waihu/app/store"
)

func TestDialNumber(t *testing.T) {
	cases := []struct {
		e164, format, prefix, want string
	}{
		{"+8613800138000", FormatNational, "", "13800138000"},
		{"+8675512345678", FormatNational, "", "075512345678"},
		{"+8613800138000", FormatE164, "", "+8613800138000"},
		{"+8613800138000", FormatDigits, "", "8613800138000"},
		{"+8613800138000", FormatNational, "9", "913800138000"},
		{"+14155550123", FormatNational, "", "0014155550123"},
	}
	for _, c := range cases {
		got, err := DialNumber(c.e164, &store.Trunk{Name: "t", Format: c.format, Prefix: c.prefix})
		if err != nil || got != c.want {
			t.Errorf("%s as %s: %q %v, want %q", c.e164, c.format, got, err, c.want)
		}
	}
	if _, err := DialNumber("not a number", &store.Trunk{Name: "t"}); err == nil {
		t.Error("garbage number accepted")
	}
	if _, err := DialNumber("+8613800138000", &store.Trunk{Name: "t", Format: "weird"}); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestPickNode(t *testing.T) {
	up := func(id uint64, calls, max int) NodeLoad {
		return NodeLoad{ID: id, Healthy: true, State: store.NodeEnabled, MaxCalls: max, Calls: calls, CPSFree: true}
	}
	nodes := []NodeLoad{up(1, 50, 100), up(2, 10, 100), up(3, 10, 20)}
	if id, ok := PickNode(nodes, false); !ok || id != 2 {
		t.Fatalf("least loaded: %d %v", id, ok)
	}
	down := up(2, 0, 100)
	down.Healthy = false
	draining := up(4, 0, 100)
	draining.State = store.NodeDraining
	full := up(5, 100, 100)
	noCPS := up(6, 0, 100)
	noCPS.CPSFree = false
	sim := up(7, 0, 100)
	sim.Simulated = true
	if id, ok := PickNode([]NodeLoad{down, draining, full, noCPS, sim}, false); ok {
		t.Fatalf("picked %d from nodes that cannot take a call", id)
	}
	if id, ok := PickNode([]NodeLoad{down, sim}, true); !ok || id != 7 {
		t.Fatalf("simulated call: %d %v", id, ok)
	}
}
