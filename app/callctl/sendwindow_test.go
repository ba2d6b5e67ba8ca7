package callctl

import (
	"testing"
	"time"
)

// TestSendWindowAfterAStall: five slots of a 5-CPS trunk, all sent late
// after a stall, still leave no second with more than five; once the
// window is full the next waits for the oldest to be a second old.
func TestSendWindowAfterAStall(t *testing.T) {
	var w sendWindow
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	// Slots 0, 200 … 800 ms, sent on time.
	for i := 0; i < 5; i++ {
		at := t0.Add(time.Duration(i) * 200 * time.Millisecond)
		if d := w.wait(5, at); d != 0 {
			t.Fatalf("send %d on its slot waits %v", i, d)
		}
		w.record(at)
	}
	// The process stalls; the slot at 1000 ms is reached at 1050 ms. A
	// sixth send there would make six within [50 ms, 1050 ms]: it waits
	// until the first is a second old... which it already is (at 1000).
	if d := w.wait(5, t0.Add(1050*time.Millisecond)); d != 0 {
		t.Fatalf("the sixth, a second after the first, waits %v", d)
	}
	w.record(t0.Add(1050 * time.Millisecond))
	// Three more woken at once by the same stall at 1060 ms: the window
	// holds 200, 400, 600, 800, 1050, so the next may leave at 1200.
	if d := w.wait(5, t0.Add(1060*time.Millisecond)); d != 140*time.Millisecond {
		t.Fatalf("a burst after a stall waits %v, want 140ms", d)
	}
	// Any second of the sends allowed holds at most five.
	var sent []time.Time
	var w2 sendWindow
	now := t0
	for len(sent) < 50 {
		if d := w2.wait(5, now); d > 0 {
			now = now.Add(d)
			continue
		}
		w2.record(now)
		sent = append(sent, now)
		// A stall every seventh send bunches the callers up.
		if len(sent)%7 == 0 {
			now = now.Add(700 * time.Millisecond)
		}
	}
	for i := range sent {
		n := 0
		for j := i; j < len(sent) && sent[j].Sub(sent[i]) < time.Second; j++ {
			n++
		}
		if n > 5 {
			t.Fatalf("%d sends within a second from %v", n, sent[i].Sub(t0))
		}
	}
	// No limit, and a changed limit, start fresh.
	if d := w.wait(0, t0); d != 0 {
		t.Fatalf("no limit waits %v", d)
	}
	if d := w.wait(10, t0.Add(1060*time.Millisecond)); d != 0 {
		t.Fatalf("a raised limit keeps the old window: waits %v", d)
	}
}
