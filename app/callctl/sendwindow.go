package callctl

import (
	"context"
	"time"

	"github.com/waihu/waihu/app/store"
)

// sendWindow remembers when the last cps originates actually left, for one
// node or trunk. Slots (pace) space originates 1/cps apart, but a stalled
// process (GC, a loaded machine) wakes several waiting dials at once, and
// a dial sent late has a slot from before the stall: right after it, more
// than cps could leave within one second. The window is the hard rule a
// carrier enforces — never more than cps in any second — checked against
// real send times.
type sendWindow struct {
	sent []time.Time // ring of the last len(sent) send times
	i    int         // where the next one goes (the oldest)
	n    int         // how many are recorded (≤ len(sent))
}

// wait is how long until one more may leave at now under cps per second:
// the oldest of the last cps sends must be a second old. A changed limit
// starts the window afresh.
func (w *sendWindow) wait(cps int, now time.Time) time.Duration {
	if cps <= 0 {
		return 0
	}
	if len(w.sent) != cps {
		*w = sendWindow{sent: make([]time.Time, cps)}
	}
	if w.n < cps {
		return 0
	}
	return max(0, w.sent[w.i].Add(time.Second).Sub(now))
}

// record notes a send at now (after wait said 0).
func (w *sendWindow) record(now time.Time) {
	if len(w.sent) == 0 {
		return
	}
	w.sent[w.i] = now
	w.i = (w.i + 1) % len(w.sent)
	w.n = min(w.n+1, len(w.sent))
}

// admitSend blocks until the node's and the trunk's send windows both let
// one more originate leave, and records it in both. It returns the
// context's error if the call is given up while waiting.
func (e *Engine) admitSend(ctx context.Context, nodeID uint64, t *store.Trunk) error {
	for {
		now := time.Now()
		e.mu.Lock()
		var nodeCPS int
		var nw *sendWindow
		if n := e.nodes[nodeID]; n != nil {
			nodeCPS, nw = n.row.MaxCPS, &n.sent
		}
		if e.trunkSent == nil {
			e.trunkSent = map[uint64]*sendWindow{}
		}
		tw := e.trunkSent[t.ID]
		if tw == nil {
			tw = &sendWindow{}
			e.trunkSent[t.ID] = tw
		}
		d := tw.wait(t.MaxCPS, now)
		if nw != nil {
			d = max(d, nw.wait(nodeCPS, now))
		}
		if d == 0 {
			tw.record(now)
			if nw != nil {
				nw.record(now)
			}
			e.mu.Unlock()
			return nil
		}
		e.mu.Unlock()
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
