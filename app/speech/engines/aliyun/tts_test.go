package aliyun

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/waihu/waihu/app/speech"
)

func TestSpeechRate(t *testing.T) {
	for speed, want := range map[float64]int{1: 0, 2: 500, 0.5: -500, 4: 500, 0.25: -500, 1.25: 200, 0: 0} {
		if got := SpeechRate(speed); got != want {
			t.Errorf("SpeechRate(%v) = %d, want %d", speed, got, want)
		}
	}
}

func TestTTS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		if r.Method != http.MethodPost || r.URL.Path != "/stream/v1/tts" || json.NewDecoder(r.Body).Decode(&b) != nil {
			w.WriteHeader(400)
			return
		}
		if b["token"] != "tok-123" || b["appkey"] != "appkey-1" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			w.Write([]byte(`{"task_id":"x","result":"","status":40000001,"message":"Gateway:ACCESS_DENIED:The token 'bad' is invalid!"}`))
			return
		}
		if b["format"] != "pcm" || b["sample_rate"] != float64(8000) || b["voice"] != "xiaoyun" || b["speech_rate"] != float64(500) || b["text"] != "您好" {
			t.Errorf("body %v", b)
		}
		w.Header().Set("Content-Type", "audio/mpeg") // NLS labels every audio format so
		w.Write(make([]byte, 8000))                  // 0.5 s at 8 kHz
	}))
	defer srv.Close()
	tts, err := NewTTS(TTSConfig{AppKey: "appkey-1", Tokens: StaticToken("tok-123"), URL: srv.URL + "/stream/v1/tts"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := tts.Synthesize(context.Background(), speech.SynthRequest{Text: "您好", Speed: 2})
	if err != nil || a.DurationMs() != 500 || a.SampleRate != 8000 {
		t.Fatalf("%+v %v", a.DurationMs(), err)
	}
	bad, _ := NewTTS(TTSConfig{AppKey: "appkey-1", Tokens: StaticToken("bad"), URL: srv.URL + "/stream/v1/tts"})
	if _, err := bad.Synthesize(context.Background(), speech.SynthRequest{Text: "您好"}); !errors.Is(err, speech.ErrEngineUnavailable) {
		t.Fatalf("bad token: %v", err)
	}
	if _, err := tts.Synthesize(context.Background(), speech.SynthRequest{Text: " "}); !errors.Is(err, speech.ErrEmptySynthesis) {
		t.Fatalf("empty: %v", err)
	}
}
