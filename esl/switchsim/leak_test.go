package switchsim

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestCloseLeavesNoGoroutines: after Close every call, socket and timer
// goroutine of the simulator is gone (tests create many simulators).
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := New(Options{TimeScale: 0.01, HeartbeatEvery: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ss := newSocketServer(t)
	c := dial(t, s.ESLAddr(), "ClueCon")
	c.cmd("event plain ALL", nil)
	for i := 0; i < 10; i++ {
		c.cmd(fmt.Sprintf("bgapi originate {origination_uuid=leak-%d}sofia/gateway/gw/1380000000%d '&socket(%s async full)'", i, i, ss.ln.Addr()), nil)
	}
	for i := 0; i < 5; i++ { // the answered and early ones connect
		oc := ss.accept(t)
		oc.send("connect\n\nmyevents\n\nlinger")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c.nc.Close()
	ss.ln.Close()
	var now int
	for i := 0; i < 200; i++ {
		if now = runtime.NumGoroutine(); now <= before+2 { // +2: the socket server's accept loop winding down
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	n := runtime.Stack(buf, true)
	t.Fatalf("%d goroutines before, %d after Close\n%s", before, now, buf[:n])
}
