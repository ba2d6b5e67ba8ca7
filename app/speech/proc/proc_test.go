package proc

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	var b Backoff
	t0 := time.Unix(0, 0)
	if b.Wait(t0) != 0 {
		t.Fatal("fresh backoff waits")
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	for i, w := range want {
		b.Failure(t0)
		if got := b.Wait(t0); got != w {
			t.Fatalf("failure %d: wait %v, want %v", i+1, got, w)
		}
	}
	for range 20 {
		b.Failure(t0)
	}
	if got := b.Wait(t0); got != 10*time.Second {
		t.Fatalf("capped wait %v", got)
	}
	b.Success()
	if b.Wait(t0) != 0 || b.Fails() != 0 {
		t.Fatal("success did not reset")
	}
}

func TestRun(t *testing.T) {
	out, err := Run(context.Background(), []byte("hello"), "cat")
	if err != nil || string(out) != "hello" {
		t.Fatalf("%q %v", out, err)
	}
	if _, err := Run(context.Background(), nil, "sh", "-c", "echo broken >&2; exit 3"); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("stderr not in error: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Run(ctx, nil, "sleep", "10"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("timeout: %v", err)
	}
}

func TestWorkerDies(t *testing.T) {
	w, err := StartWorker("sh", "-c", "exit 0")
	if err != nil {
		t.Fatal(err)
	}
	<-w.Done()
	if w.Alive() {
		t.Fatal("alive after exit")
	}
	if err := w.Write([]byte("x"), time.Second); !errors.Is(err, ErrDied) {
		t.Fatalf("write to dead worker: %v", err)
	}
	w.Kill()
	// A worker that stops reading: the write deadline fails the write.
	s, err := StartWorker("sleep", "10")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Kill()
	big := make([]byte, 1<<20)
	if err := s.Write(big, 100*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("blocked write: %v", err)
	}
}

func TestPending(t *testing.T) {
	w, err := StartWorker("sleep", "10") // never reads stdin
	if err != nil {
		t.Fatal(err)
	}
	defer w.Kill()
	if err := w.Write(make([]byte, 1000), time.Second); err != nil {
		t.Fatal(err)
	}
	if n := w.Pending(); n != 1000 {
		t.Fatalf("pending %d, want 1000", n)
	}
	c, err := StartWorker("cat")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Kill()
	go io.Copy(io.Discard, c.Stdout)
	_ = c.Write(make([]byte, 5000), time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for c.Pending() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := c.Pending(); n != 0 {
		t.Fatalf("cat left %d bytes unread", n)
	}
}
