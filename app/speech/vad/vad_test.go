package vad

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// gen builds 8 kHz PCM from segments of tone (speech stand-in) and noise.
type seg struct {
	ms    int
	tone  float64 // amplitude of a 300 Hz + 1200 Hz mix; 0 = none
	noise float64 // white noise amplitude
}

func gen(segs ...seg) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var out []byte
	n := 0
	for _, s := range segs {
		for range s.ms * 8 {
			t := float64(n) / 8000
			v := s.tone*(0.6*math.Sin(2*math.Pi*300*t)+0.4*math.Sin(2*math.Pi*1200*t)) + s.noise*(r.Float64()*2-1)
			out = binary.LittleEndian.AppendUint16(out, uint16(int16(max(-32768, min(32767, v)))))
			n++
		}
	}
	return out
}

func TestEndpointer(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		pcm  []byte
		want []EventKind
		// approximate checks
		startNear, endNear int
	}{
		{"silence only", Config{}, gen(seg{ms: 3000}), nil, 0, 0},
		{"steady line noise", Config{}, gen(seg{ms: 3000, noise: 300}), nil, 0, 0},
		{"click is not speech", Config{}, gen(seg{ms: 500, noise: 30}, seg{ms: 40, tone: 8000}, seg{ms: 1500, noise: 30}), nil, 0, 0},
		{"one utterance", Config{}, gen(seg{ms: 500, noise: 30}, seg{ms: 1000, tone: 6000, noise: 30}, seg{ms: 1000, noise: 30}),
			[]EventKind{SpeechStart, SpeechEnd}, 500, 1500},
		{"pause shorter than silence keeps one utterance", Config{}, gen(seg{ms: 300, noise: 30}, seg{ms: 600, tone: 6000}, seg{ms: 400, noise: 30}, seg{ms: 600, tone: 6000}, seg{ms: 900, noise: 30}),
			[]EventKind{SpeechStart, SpeechEnd}, 300, 1900},
		{"short silence setting splits", Config{SilenceMs: 300}, gen(seg{ms: 300, noise: 30}, seg{ms: 600, tone: 6000}, seg{ms: 400, noise: 30}, seg{ms: 600, tone: 6000}, seg{ms: 900, noise: 30}),
			[]EventKind{SpeechStart, SpeechEnd, SpeechStart, SpeechEnd}, 300, 900},
		{"speech over noise", Config{}, gen(seg{ms: 1000, noise: 500}, seg{ms: 800, tone: 8000, noise: 500}, seg{ms: 1000, noise: 500}),
			[]EventKind{SpeechStart, SpeechEnd}, 1000, 1800},
		{"max length cuts", Config{MaxUtteranceMs: 2000}, gen(seg{ms: 200, noise: 30}, seg{ms: 3000, tone: 6000}),
			[]EventKind{SpeechStart, MaxLength, SpeechStart}, 200, 2200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEndpointer(tt.cfg)
			var got []Event
			// Feed in the 320-byte frames mod_audio_stream sends, plus an odd tail.
			for p := 0; p < len(tt.pcm); p += 333 {
				got = append(got, e.Push(tt.pcm[p:min(p+333, len(tt.pcm))])...)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("events %v, want kinds %v", got, tt.want)
			}
			for i, k := range tt.want {
				if got[i].Kind != k {
					t.Fatalf("event %d = %v, want %v (all %v)", i, got[i].Kind, k, got)
				}
			}
			if len(got) > 0 {
				if d := got[0].StartMs - tt.startNear; d < -40 || d > 40 {
					t.Errorf("start %d ms, want about %d", got[0].StartMs, tt.startNear)
				}
				if d := got[1].EndMs - tt.endNear; d < -60 || d > 60 {
					t.Errorf("end %d ms, want about %d", got[1].EndMs, tt.endNear)
				}
				if got[1].Kind == SpeechEnd && got[1].AtMs-got[1].EndMs < e.Config().SilenceMs {
					t.Errorf("end decided %d ms after voice, want >= %d", got[1].AtMs-got[1].EndMs, e.Config().SilenceMs)
				}
			}
		})
	}
}

func TestClassifierLevels(t *testing.T) {
	c := NewClassifier(Config{})
	if f := c.Classify(make([]byte, 320)); f.Voiced || f.LevelDBFS != -96 {
		t.Fatalf("digital silence: %+v", f)
	}
	if f := c.Classify(nil); f.Voiced {
		t.Fatalf("empty frame voiced")
	}
	loud := gen(seg{ms: 20, tone: 16000})
	if f := c.Classify(loud); !f.Voiced || f.LevelDBFS < -20 {
		t.Fatalf("loud tone: %+v", f)
	}
}

// BenchmarkEndpointerFrame: cost of one 20 ms frame at 8 kHz.
func BenchmarkEndpointerFrame(b *testing.B) {
	pcm := gen(seg{ms: 1000, tone: 6000}, seg{ms: 1000, noise: 30})
	e := NewEndpointer(Config{})
	b.SetBytes(320)
	b.ResetTimer()
	for i := range b.N {
		p := (i * 320) % len(pcm)
		e.Push(pcm[p : p+320])
	}
}
