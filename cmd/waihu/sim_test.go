package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunSimRejectsBadPersonaFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(f, []byte("personas:\n  - name: a\n    outcome: bsy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := runSim(context.Background(), []string{"--esl", "127.0.0.1:0", "--personas", f}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "line 3: personas[0].outcome") {
		t.Fatalf("err %v", err)
	}
}

func TestRunSimServesUntilCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- runSim(ctx, []string{"--esl", "127.0.0.1:0", "--password", "pw"}, &out, &errb) }()
	time.Sleep(100 * time.Millisecond) // let it print; the assertion below does not depend on timing
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "switch simulator listening on 127.0.0.1:") {
		t.Fatalf("stdout %q", out.String())
	}
}
