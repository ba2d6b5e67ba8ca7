package oai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/waihu/waihu/app/speech"
)

// server implements the documented OpenAI audio endpoints.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	auth := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer sk-test" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
			return false
		}
		return true
	}
	mux.HandleFunc("POST /v1/audio/transcriptions", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			t.Errorf("multipart: %v", err)
			w.WriteHeader(400)
			return
		}
		f, fh, err := r.FormFile("file")
		if err != nil {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"message":"file is required","type":"invalid_request_error"}}`)
			return
		}
		b, _ := io.ReadAll(f)
		a, err := speech.DecodeWAV(b)
		if err != nil || a.SampleRate != 8000 || fh.Filename != "turn.wav" {
			t.Errorf("upload %s: %v %+v", fh.Filename, err, a.SampleRate)
		}
		if r.FormValue("model") != "whisper-1" || r.FormValue("response_format") != "verbose_json" || r.FormValue("language") != "zh" {
			t.Errorf("form %v", r.MultipartForm.Value)
		}
		if r.FormValue("prompt") != "需要, 不需要" {
			t.Errorf("prompt %q", r.FormValue("prompt"))
		}
		w.Header().Set("Content-Type", "application/json")
		if len(a.PCM) < 1000 {
			io.WriteString(w, `{"task":"transcribe","language":"chinese","duration":0.05,"text":"","segments":[]}`)
			return
		}
		io.WriteString(w, `{"task":"transcribe","language":"chinese","duration":1.0,"text":" 我不需要。","segments":[{"id":0,"start":0.2,"end":0.9,"text":"我不需要。","avg_logprob":-0.105}],"words":[{"word":"我","start":0.2,"end":0.4},{"word":"不需要","start":0.4,"end":0.9}]}`)
	})
	mux.HandleFunc("POST /v1/audio/speech", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		var req struct {
			Model, Input, Voice string
			ResponseFormat      string  `json:"response_format"`
			Speed               float64 `json:"speed"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "tts-1" || req.ResponseFormat != "wav" || req.Input == "" {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`)
			return
		}
		if req.Input == "boom" {
			w.WriteHeader(500)
			io.WriteString(w, `{"error":{"message":"The server had an error","type":"server_error"}}`)
			return
		}
		// 0.5 s of a 24 kHz stereo tone: the adapter must downmix and resample.
		n := 12000
		s := make([]int16, 0, 2*n)
		for i := range n {
			v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/24000))
			s = append(s, v, v)
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(speech.EncodeWAV(speech.Audio{SampleRate: 24000, Channels: 2, PCM: speech.PCMBytes(s)}))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestTranscription(t *testing.T) {
	srv := server(t)
	e, err := New(Config{BaseURL: srv.URL + "/v1", APIKey: "sk-test"})
	if err != nil {
		t.Fatal(err)
	}
	opts := speech.RecognizeOptions{Language: "zh-CN", SampleRate: 8000, Phrases: []string{"需要", "不需要"}}
	st, _ := e.Start(context.Background(), opts)
	for range 50 {
		st.Write(make([]byte, 320))
	}
	res, err := st.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "我不需要。" || !res.Final || res.StartMs != 200 || res.EndMs != 900 || len(res.Words) != 2 || math.Abs(res.Confidence-0.9) > 0.01 {
		t.Fatalf("result %+v", res)
	}
	res, err = e.Recognize(context.Background(), speech.Audio{SampleRate: 8000, PCM: make([]byte, 10)}, opts)
	if err != nil || res.Text != "" || res.Confidence != 0 {
		t.Fatalf("empty: %+v %v", res, err)
	}
	bad, _ := New(Config{BaseURL: srv.URL + "/v1", APIKey: "wrong"})
	if _, err := bad.Recognize(context.Background(), speech.Audio{SampleRate: 8000, PCM: make([]byte, 3200)}, opts); !errors.Is(err, speech.ErrEngineUnavailable) {
		t.Fatalf("bad key: %v", err)
	}
}

func TestSpeech(t *testing.T) {
	srv := server(t)
	e, _ := New(Config{BaseURL: srv.URL + "/v1/", APIKey: "sk-test"})
	tts := e.TTS()
	if tts.Info().Kind != speech.KindTTS || e.Info().Kind != speech.KindASR {
		t.Fatal("kinds")
	}
	a, err := tts.Synthesize(context.Background(), speech.SynthRequest{Text: "您好", SampleRate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	if a.SampleRate != 8000 || a.Channels != 1 || a.DurationMs() != 500 {
		t.Fatalf("audio %+v ch %d %d ms", a.SampleRate, a.Channels, a.DurationMs())
	}
	for _, tc := range []struct {
		text string
		want error
	}{{"boom", speech.ErrEngineUnavailable}, {" ", speech.ErrEmptySynthesis}} {
		if _, err := tts.Synthesize(context.Background(), speech.SynthRequest{Text: tc.text}); !errors.Is(err, tc.want) {
			t.Errorf("%q: %v", tc.text, err)
		}
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("no base url accepted")
	}
}
