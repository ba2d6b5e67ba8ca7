package esl

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds; the deadline only bounds a hung test,
// nothing is asserted about timing.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPoolReconnectResubscribeAndHealth(t *testing.T) {
	f := newFakeFS(t)
	p := NewPool(PoolOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, ProbeInterval: -1,
		Client: ClientOptions{Events: []string{"CHANNEL_ANSWER", "HEARTBEAT"}}})
	defer p.Close()
	var mu sync.Mutex
	var seen []string
	var states []bool
	p.OnEvent(func(id uint64, e *Event) {
		mu.Lock()
		seen = append(seen, e.Name())
		mu.Unlock()
		if id != 7 {
			t.Errorf("node id %d", id)
		}
	})
	p.OnState(func(id uint64, up bool, err error) {
		mu.Lock()
		states = append(states, up)
		mu.Unlock()
	})
	if err := p.Add(7, f.Addr(), f.password); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(7, f.Addr(), f.password); err == nil {
		t.Fatal("duplicate node accepted")
	}
	up := func() bool { h, _ := p.Health(7); return h.Up }
	waitFor(t, "node up", up)
	mb, err := p.Watch(7, "call-1")
	if err != nil {
		t.Fatal(err)
	}
	f.last().write(plainEvent([]Header{{"Event-Name", "HEARTBEAT"}, {"Core-UUID", "core-9"}, {"Session-Count", "12"}, {"Max-Sessions", "1000"}, {"Session-Per-Sec", "30"}, {"Idle-CPU", "97.5"}}, ""))
	waitFor(t, "heartbeat", func() bool { h, _ := p.Health(7); return h.SessionCount == 12 })
	h, _ := p.Health(7)
	if h.MaxSessions != 1000 || h.SessionPerSec != 30 || h.IdleCPU != 97.5 || h.CoreUUID != "core-9" || h.LastHeartbeat.IsZero() {
		t.Fatalf("%+v", h)
	}

	// drop the connection from the FreeSWITCH side
	first := f.last()
	first.c.Close()
	waitFor(t, "redial", func() bool { return f.dials.Load() >= 2 && up() && f.last() != first })
	waitFor(t, "resubscribed", func() bool { s, _ := f.last().subs.Load().(string); return s != "" })
	if s, _ := f.last().subs.Load().(string); !strings.Contains(s, "BACKGROUND_JOB CHANNEL_ANSWER HEARTBEAT") {
		t.Fatalf("resubscription %q", s)
	}
	h, _ = p.Health(7)
	if h.Reconnects < 1 || h.LastError == "" {
		t.Fatalf("%+v", h)
	}
	// the mailbox opened before the reconnect still receives
	f.last().write(chanEvent("CHANNEL_ANSWER", "call-1"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e, err := mb.Next(ctx); err != nil || e.Name() != "CHANNEL_ANSWER" {
		t.Fatalf("%v %v", e, err)
	}
	if body, err := p.API(ctx, 7, Status()); err != nil || body != "UP 0 years\n" {
		t.Fatalf("%q %v", body, err)
	}
	if _, err := p.API(ctx, 8, Status()); !errors.Is(err, ErrUnknownNode) || !errors.Is(err, ErrNotSent) {
		t.Fatalf("%v", err)
	}
	mu.Lock()
	if len(states) < 3 || !states[0] || states[1] || !states[2] {
		t.Fatalf("states %v", states)
	}
	mu.Unlock()
	p.Remove(7)
	if _, ok := p.Health(7); ok {
		t.Fatal("removed node still reported")
	}
}

// TestPoolReplyTimeoutRedials: after a reply timeout the pool closes the
// connection and dials a new one; the stale reply reaches nobody.
func TestPoolReplyTimeoutRedials(t *testing.T) {
	f := newFakeFS(t)
	release := make(chan struct{})
	base := f.api
	f.api = func(c *fakeConn, cmd string) (string, bool) {
		if cmd == "eval slow" {
			go func() {
				<-release
				c.write("Content-Type: api/response\nContent-Length: 5\n\nstale")
			}()
			return "", false
		}
		return base(c, cmd)
	}
	p := NewPool(PoolOptions{MinBackoff: 10 * time.Millisecond, ProbeInterval: -1, Client: ClientOptions{ReplyTimeout: 2 * time.Second}})
	defer p.Close()
	if err := p.Add(1, f.Addr(), f.password); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "up", func() bool { h, _ := p.Health(1); return h.Up })
	c1, _ := p.Client(1)
	slow, _ := Raw("eval slow")
	if _, err := p.API(context.Background(), 1, slow); !errors.Is(err, ErrReplyTimeout) {
		t.Fatalf("%v", err)
	}
	close(release)
	waitFor(t, "redialed", func() bool { c, err := p.Client(1); return err == nil && c != c1 })
	for i := range 20 {
		cmd, _ := Raw("eval n" + string(rune('a'+i)))
		body, err := p.API(context.Background(), 1, cmd)
		if err != nil || body != "n"+string(rune('a'+i)) {
			t.Fatalf("%d: %q %v", i, body, err)
		}
	}
	if f.dials.Load() != 2 {
		t.Fatalf("dials %d", f.dials.Load())
	}
}

func TestPoolBackoffWhileDown(t *testing.T) {
	addr := listenSilent(t) // accepts, never greets: every dial fails on the handshake
	p := NewPool(PoolOptions{MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Client: ClientOptions{DialTimeout: 20 * time.Millisecond}})
	defer p.Close()
	if err := p.Add(3, addr, "x"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "several attempts", func() bool { h, _ := p.Health(3); return h.Reconnects >= 3 && h.LastError != "" })
	if _, err := p.Client(3); !errors.Is(err, ErrNodeDown) {
		t.Fatalf("%v", err)
	}
}

// TestPoolJobSurvivesReconnect: FreeSWITCH fires BACKGROUND_JOB to every
// subscriber, so a job whose connection dropped can complete on the
// redialed one; the node's router keeps the waiter.
func TestPoolJobSurvivesReconnect(t *testing.T) {
	f := newFakeFS(t)
	base := f.bg
	f.bg = func(c *fakeConn, cmd string) string {
		if cmd == "eval later" {
			return ""
		}
		return base(c, cmd)
	}
	p := NewPool(PoolOptions{MinBackoff: 10 * time.Millisecond, ProbeInterval: -1})
	defer p.Close()
	if err := p.Add(2, f.Addr(), f.password); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "up", func() bool { h, _ := p.Health(2); return h.Up })
	cmd, _ := Raw("eval later")
	j, err := p.BgAPI(context.Background(), 2, cmd)
	if err != nil {
		t.Fatal(err)
	}
	first := f.last()
	first.c.Close()
	waitFor(t, "redial", func() bool { h, _ := p.Health(2); return h.Up && f.last() != first })
	waitFor(t, "resubscribed", func() bool { s, _ := f.last().subs.Load().(string); return s != "" })
	f.last().write(plainEvent([]Header{{"Event-Name", "BACKGROUND_JOB"}, {"Job-UUID", j.ID}}, "+OK done\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if body, err := j.Wait(ctx); err != nil || body != "+OK done\n" {
		t.Fatalf("%q %v", body, err)
	}
}
