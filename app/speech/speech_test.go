package speech

import (
	"context"
	"errors"
	"testing"
)

func TestWAVRoundTrip(t *testing.T) {
	a := Audio{SampleRate: 8000, Channels: 1, PCM: PCMBytes([]int16{0, 1, -1, 32767, -32768})}
	b, err := DecodeWAV(EncodeWAV(a))
	if err != nil {
		t.Fatal(err)
	}
	if b.SampleRate != 8000 || b.Channels != 1 || string(b.PCM) != string(a.PCM) {
		t.Fatalf("round trip: %+v", b)
	}
	for _, bad := range [][]byte{nil, []byte("RIFF0000WAVE"), []byte("not a wav at all")} {
		if _, err := DecodeWAV(bad); err == nil {
			t.Errorf("DecodeWAV(%q) accepted", bad)
		}
	}
}

func TestResample(t *testing.T) {
	a := Audio{SampleRate: 8000, Channels: 1, PCM: make([]byte, 1600)} // 100 ms
	if got := Resample(a, 16000); got.DurationMs() != 100 || len(got.PCM) != 3200 {
		t.Fatalf("8k→16k: %d bytes", len(got.PCM))
	}
	b := Audio{SampleRate: 22050, Channels: 1, PCM: make([]byte, 44100)} // 1 s
	if got := Resample(b, 8000); got.DurationMs() != 1000 {
		t.Fatalf("22.05k→8k: %d ms", got.DurationMs())
	}
}

type fakeEngine struct {
	info EngineInfo
}

type fakeTTS struct{ info EngineInfo }

func (f fakeTTS) Info() EngineInfo    { return f.info }
func (f fakeEngine) Info() EngineInfo { return f.info }
func (f fakeEngine) Recognize(context.Context, Audio, RecognizeOptions) (Result, error) {
	return Result{Text: f.info.Name, Final: true}, nil
}
func (f fakeTTS) Synthesize(context.Context, SynthRequest) (Audio, error) { return Audio{}, nil }

func TestRegistryResolve(t *testing.T) {
	r := NewRegistry()
	for _, e := range []EngineInfo{
		{Name: "sphinx", Kind: KindASR}, {Name: "sim", Kind: KindASR, Simulated: true},
		{Name: "flite", Kind: KindTTS}, {Name: "espeak", Kind: KindTTS},
	} {
		var eng any = fakeEngine{e}
		if e.Kind == KindTTS {
			eng = fakeTTS{e}
		}
		if err := r.Register(eng); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Register(42); err == nil {
		t.Fatal("registered an int")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.SetPlatformDefault(Choice{ASR: "sphinx", TTS: "flite", Speed: 1}))
	must(r.SetTenant(7, Choice{TTS: "espeak", Voice: "cmn"}))
	must(r.SetScript(7, 70, Choice{ASR: "sim"}))
	if err := r.SetTenant(8, Choice{ASR: "nope"}); !errors.Is(err, ErrUnknownEngine) {
		t.Fatalf("unknown engine accepted: %v", err)
	}
	if err := r.SetScript(7, 9, Choice{Speed: 9}); err == nil {
		t.Fatal("speed 9 accepted")
	}
	tests := []struct {
		name    string
		scope   Scope
		wantASR string
		wantTTS string
		wantErr error
	}{
		{"platform", Scope{TenantID: 1}, "sphinx", "flite", nil},
		{"tenant overrides tts only", Scope{TenantID: 7}, "sphinx", "espeak", nil},
		{"script sim on simulator", Scope{TenantID: 7, ScriptID: 70, Simulated: true}, "sim", "espeak", nil},
		{"script sim on real trunk refused", Scope{TenantID: 7, ScriptID: 70}, "", "", ErrSimulatedEngine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Resolve(tt.scope)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if res.Choice.ASR != tt.wantASR || res.TTS.Info().Name != tt.wantTTS || res.Recognizer().Info().Name != tt.wantASR {
				t.Fatalf("got %+v", res.Choice)
			}
		})
	}
	if n := len(r.Engines()); n != 4 {
		t.Fatalf("engines %d", n)
	}
	must(r.SetScript(7, 70, Choice{}))
	if c := r.Choose(Scope{TenantID: 7, ScriptID: 70}); c.ASR != "sphinx" || c.Voice != "cmn" || c.Speed != 1 {
		t.Fatalf("cleared script: %+v", c)
	}
}

func TestDecideBargeIn(t *testing.T) {
	tests := []struct {
		name string
		p    BargeInPolicy
		in   BargeInInput
		brk  bool
		wait bool
		code string
	}{
		{"off never breaks", BargeInPolicy{Mode: BargeInOff}, BargeInInput{PlayedMs: 5000, SpeechMs: 2000, Text: "stop"}, false, false, "barge_in_off"},
		{"unknown mode is off", BargeInPolicy{Mode: "loud"}, BargeInInput{SpeechMs: 2000}, false, false, "barge_in_off"},
		{"on breaks on speech", BargeInPolicy{Mode: BargeInOn}, BargeInInput{PlayedMs: 100, SpeechMs: 240}, true, false, "barge_in"},
		{"too short waits", BargeInPolicy{Mode: BargeInOn}, BargeInInput{SpeechMs: 120}, false, true, "speech_too_short"},
		{"custom min", BargeInPolicy{Mode: BargeInOn, MinSpeechMs: 500}, BargeInInput{SpeechMs: 400}, false, true, "speech_too_short"},
		{"backchannel text ignored", BargeInPolicy{Mode: BargeInOn}, BargeInInput{SpeechMs: 400, Text: "嗯嗯"}, false, false, "backchannel"},
		{"backchannel allowed", BargeInPolicy{Mode: BargeInOn, AllowBackchannel: true}, BargeInInput{SpeechMs: 400, Text: "uh-huh"}, true, false, "barge_in"},
		{"protected opening", BargeInPolicy{Mode: BargeInProtected, ProtectedMs: 3000}, BargeInInput{PlayedMs: 2000, SpeechMs: 800}, false, true, "protected_opening"},
		{"after protection", BargeInPolicy{Mode: BargeInProtected, ProtectedMs: 3000}, BargeInInput{PlayedMs: 3100, SpeechMs: 800}, true, false, "barge_in"},
		{"intents wait for intent", BargeInPolicy{Mode: BargeInIntents, Intents: []string{"refuse"}}, BargeInInput{SpeechMs: 800}, false, true, "intent_unknown"},
		{"intent listed", BargeInPolicy{Mode: BargeInIntents, Intents: []string{"refuse"}}, BargeInInput{SpeechMs: 800, Text: "不需要", Intent: "refuse"}, true, false, "barge_in"},
		{"intent not listed", BargeInPolicy{Mode: BargeInIntents, Intents: []string{"refuse"}}, BargeInInput{SpeechMs: 800, Text: "多少钱", Intent: "ask_price"}, false, false, "intent_not_listed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecideBargeIn(tt.p, tt.in)
			if d.Break != tt.brk || d.Wait != tt.wait || d.Reason != tt.code {
				t.Fatalf("got %+v", d)
			}
		})
	}
}

func TestIsBackchannel(t *testing.T) {
	for text, want := range map[string]bool{
		"嗯": true, "嗯。": true, "对对对": true, "Uh-huh.": true, "OK ok": true, "yeah yeah": true, "好的": true,
		"": false, "不需要": false, "who is this": false, "嗯我不要": false, "yes I am interested": false,
	} {
		if got := IsBackchannel(text); got != want {
			t.Errorf("IsBackchannel(%q) = %v", text, got)
		}
	}
}

// An adapter implementing both kinds registers as the kind its Info says.
type both struct{ fakeEngine }

func (both) Synthesize(context.Context, SynthRequest) (Audio, error) { return Audio{}, nil }

func TestRegisterRespectsKind(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(both{fakeEngine{EngineInfo{Name: "x", Kind: KindASR}}}); err != nil {
		t.Fatal(err)
	}
	if r.Has(KindTTS, "x") || !r.Has(KindASR, "x") {
		t.Fatalf("engines %+v", r.Engines())
	}
	if err := r.Register(fakeTTS{EngineInfo{Name: "y", Kind: KindASR}}); err == nil {
		t.Fatal("a synthesizer claiming to be asr was registered")
	}
}
