package speech

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestWatchdog(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	w := NewWatchdog(WatchdogConfig{NoAudioTimeout: 3 * time.Second, ListenTimeout: 4 * time.Second})
	reasons := func(as []Alarm) string {
		s := ""
		for _, a := range as {
			s += a.Reason + "/" + a.Fallback + " "
		}
		return s
	}
	steps := []struct {
		name string
		do   func()
		at   int
		want string
	}{
		{"nothing yet", func() {}, 0, ""},
		{"prompt requested", func() { w.PromptRequested(at(0)) }, 1999, ""},
		{"prompt late", func() {}, 2000, "prompt_not_started/canned_line "},
		{"fires once", func() {}, 2500, ""},
		{"prompt starts, stream up", func() { w.PromptStarted(at(2600)); w.StreamStarted(at(2600)) }, 5000, ""},
		{"audio stops", func() {}, 5600, "no_callee_audio/restart_stream "},
		{"audio back", func() { w.Audio(at(5700)) }, 6000, ""},
		{"listening", func() { w.Audio(at(9000)); w.Listen(at(6000), 0) }, 9999, ""},
		{"callee silent", func() { w.Audio(at(10000)) }, 10000, "callee_silent/no_match "},
		{"heard resets", func() { w.Listen(at(11000), 0); w.Heard(); w.Audio(at(20000)) }, 20000, ""},
		{"stream stopped on purpose", func() { w.StreamStopped() }, 60000, ""},
	}
	for _, s := range steps {
		s.do()
		if got := reasons(w.Check(at(s.at))); got != s.want {
			t.Fatalf("%s: %q, want %q", s.name, got, s.want)
		}
	}
}

func TestReasonFor(t *testing.T) {
	for err, want := range map[error]string{
		nil: "", ErrEmptySynthesis: ReasonEmptySynthesis, fmt.Errorf("x: %w", ErrEngineTimeout): ReasonEngineTimeout,
		context.DeadlineExceeded: ReasonEngineTimeout, ErrEngineUnavailable: ReasonEngineError, errors.New("boom"): ReasonEngineError,
	} {
		if got := ReasonFor(err); got != want {
			t.Errorf("ReasonFor(%v) = %q", err, got)
		}
	}
	if FallbackFor(ReasonESLLost) != FallbackHangup || FallbackFor("other") != FallbackNoMatch {
		t.Fatal("fallbacks")
	}
}

func TestTurnClock(t *testing.T) {
	t0 := time.Unix(0, 0)
	c := TurnClock{LastVoice: t0, Endpointed: t0.Add(700 * time.Millisecond), Recognized: t0.Add(760 * time.Millisecond),
		Decided: t0.Add(761 * time.Millisecond), AudioReady: t0.Add(763 * time.Millisecond), CommandSent: t0.Add(765 * time.Millisecond)}
	var r TurnRecord
	c.Fill(&r)
	if r.EndpointMs != 700 || r.RecognitionMs != 60 || r.RobotMs() != 65 || r.TotalMs() != 765 {
		t.Fatalf("%+v", r)
	}
	var z TurnRecord
	TurnClock{Endpointed: t0}.Fill(&z)
	if z.TotalMs() != 0 {
		t.Fatalf("partial marks %+v", z)
	}
}
