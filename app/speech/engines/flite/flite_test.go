package flite

import (
	"context"
	"errors"
	"testing"

	"github.com/waihu/waihu/app/speech"
)

func TestSynthesize(t *testing.T) {
	e, err := New("")
	if err != nil {
		t.Fatalf("flite must be installed: %v", err)
	}
	tests := []struct {
		name string
		req  speech.SynthRequest
		err  bool
	}{
		{"8k default voice", speech.SynthRequest{Text: "Hello, this is waihu calling."}, false},
		{"16k awb faster", speech.SynthRequest{Text: "-rf / ; $(rm)", Voice: "awb", Speed: 1.5, SampleRate: 16000}, false},
		{"empty", speech.SynthRequest{Text: "  "}, true},
		{"unknown voice", speech.SynthRequest{Text: "hi", Voice: "../x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := e.Synthesize(context.Background(), tt.req)
			if (err != nil) != tt.err {
				t.Fatalf("err %v", err)
			}
			if err != nil {
				return
			}
			if a.SampleRate != tt.req.Rate() || a.DurationMs() < 300 {
				t.Fatalf("audio %d Hz %d ms", a.SampleRate, a.DurationMs())
			}
		})
	}
	if _, err := e.Synthesize(context.Background(), speech.SynthRequest{}); !errors.Is(err, speech.ErrEmptySynthesis) {
		t.Fatalf("empty: %v", err)
	}
	slow, _ := e.Synthesize(context.Background(), speech.SynthRequest{Text: "one two three four", Speed: 0.5})
	fast, _ := e.Synthesize(context.Background(), speech.SynthRequest{Text: "one two three four", Speed: 2})
	if slow.DurationMs() <= fast.DurationMs() {
		t.Fatalf("speed ignored: slow %d ms, fast %d ms", slow.DurationMs(), fast.DurationMs())
	}
}

func BenchmarkSynthesizeLine(b *testing.B) {
	e, err := New("")
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		if _, err := e.Synthesize(context.Background(), speech.SynthRequest{Text: "Great, let me tell you about the plan."}); err != nil {
			b.Fatal(err)
		}
	}
}
