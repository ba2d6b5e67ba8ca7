package esl

import (
	"runtime"
	"strconv"
	"testing"
)

// TestMailboxIdleCostsNoGoroutine: thousands of calls wait most of their
// life, so a mailbox with nothing queued must not hold a goroutine (each
// is a stack of 8 KiB or more); events still come in order, including ones
// queued while nobody reads, and closing delivers what was queued.
func TestMailboxIdleCostsNoGoroutine(t *testing.T) {
	r := NewRouter(nil)
	before := runtime.NumGoroutine()
	const n = 1000
	boxes := make([]*Mailbox, n)
	for i := range boxes {
		boxes[i] = r.Watch("call-" + strconv.Itoa(i))
	}
	if got := runtime.NumGoroutine() - before; got >= n/10 {
		t.Fatalf("%d idle mailboxes hold %d goroutines", n, got)
	}

	mb := boxes[0]
	for i := 0; i < 500; i++ {
		r.dispatch(&Event{Headers: []Header{{"Unique-ID", "call-0"}, {"Event-Sequence", strconv.Itoa(i)}}})
	}
	for i := 0; i < 500; i++ {
		e := <-mb.C()
		if e.Get("Event-Sequence") != strconv.Itoa(i) {
			t.Fatalf("event %d arrived as %s", i, e.Get("Event-Sequence"))
		}
	}
	// queued, then closed for draining: both are delivered, then C closes
	r.dispatch(&Event{Headers: []Header{{"Unique-ID", "call-0"}, {"Event-Sequence", "a"}}})
	r.dispatch(&Event{Headers: []Header{{"Unique-ID", "call-0"}, {"Event-Sequence", "b"}}})
	mb.closeDrain(nil)
	var got string
	for e := range mb.C() {
		got += e.Get("Event-Sequence")
	}
	if got != "ab" {
		t.Fatalf("drained %q", got)
	}
	mb.close(nil)

	// an idle mailbox closes at once; a hard close drops what is queued
	r.Unwatch("call-1")
	if _, ok := <-boxes[1].C(); ok {
		t.Fatal("unwatched mailbox still delivers")
	}
	r.dispatch(&Event{Headers: []Header{{"Unique-ID", "call-2"}}})
	r.Unwatch("call-2")
	for range boxes[2].C() {
	}
	r.closeAll(ErrClosed)
	for _, b := range boxes[3:] {
		if _, ok := <-b.C(); ok {
			t.Fatal("closed mailbox still delivers")
		}
		if b.Err() != ErrClosed {
			t.Fatalf("err %v", b.Err())
		}
	}
	waitFor(t, "pumps gone", func() bool { return runtime.NumGoroutine() <= before })
}
