package proc

import (
	"context"
	"errors"
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
