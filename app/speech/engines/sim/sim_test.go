package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/waihu/waihu/app/speech"
)

func TestSideChannel(t *testing.T) {
	r := New()
	r.Wait = 50 * time.Millisecond
	ev := func(uuid, text, s, e string) map[string]string {
		return map[string]string{"Event-Name": "CUSTOM", "Event-Subclass": "waihu%3A%3Asim_speech", "Unique-ID": uuid,
			"Speech-Text": text, "Speech-Start-Ms": s, "Speech-End-Ms": e}
	}
	tests := []struct {
		name string
		h    map[string]string
		err  bool
	}{
		{"encoded mandarin", ev("c1", "%E6%88%91%E4%B8%8D%E9%9C%80%E8%A6%81", "1200", "2100"), false},
		{"plain english", ev("c1", "call me later", "5000", "5800"), false},
		{"other subclass ignored", map[string]string{"Event-Subclass": "mod_audio_stream::connect", "Unique-ID": "c1"}, false},
		{"no uuid", ev("", "x", "1", "2"), true},
		{"bad start", ev("c1", "x", "soon", "2"), true},
		{"end before start", ev("c1", "x", "9", "2"), true},
	}
	for _, tt := range tests {
		if err := r.HandleEvent(tt.h); (err != nil) != tt.err {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	st, err := r.Start(context.Background(), speech.RecognizeOptions{CallUUID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Write(make([]byte, 320))
	res, err := st.Finish(context.Background())
	if err != nil || res.Text != "我不需要" || !res.Simulated || res.StartMs != 1200 || res.EndMs != 2100 || res.Confidence != 1 {
		t.Fatalf("first turn %+v %v", res, err)
	}
	res, _ = r.Recognize(context.Background(), speech.Audio{}, speech.RecognizeOptions{CallUUID: "c1"})
	if res.Text != "call me later" {
		t.Fatalf("second turn %+v", res)
	}
	// Nothing queued: an empty (no-match) result after Wait.
	res, _ = r.Recognize(context.Background(), speech.Audio{}, speech.RecognizeOptions{CallUUID: "c1"})
	if res.Text != "" || !res.Final {
		t.Fatalf("empty turn %+v", res)
	}
	// The event may arrive after the audio ended.
	r.Wait = 5 * time.Second
	go func() {
		time.Sleep(20 * time.Millisecond)
		r.Deliver("c2", Utterance{Text: "好的"})
	}()
	res, _ = r.Recognize(context.Background(), speech.Audio{}, speech.RecognizeOptions{CallUUID: "c2"})
	if res.Text != "好的" {
		t.Fatalf("late event %+v", res)
	}
	r.Forget("c2")
	if _, err := r.Start(context.Background(), speech.RecognizeOptions{}); err == nil {
		t.Fatal("no uuid accepted")
	}
}

func TestNeverForRealTrunks(t *testing.T) {
	reg := speech.NewRegistry()
	if err := reg.Register(New()); err != nil {
		t.Fatal(err)
	}
	if err := reg.SetPlatformDefault(speech.Choice{ASR: "simulation"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Resolve(speech.Scope{TenantID: 1}); !errors.Is(err, speech.ErrSimulatedEngine) {
		t.Fatalf("real trunk got the simulation recognizer: %v", err)
	}
	if res, err := reg.Resolve(speech.Scope{TenantID: 1, Simulated: true}); err != nil || res.Stream == nil {
		t.Fatalf("simulator: %v", err)
	}
}
