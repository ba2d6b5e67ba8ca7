package tencent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/waihu/waihu/app/speech"
)

const secretKey = "test-secret-key"

// fakeTencent verifies the signed URL as the document describes and answers
// audio with slice_type 0 partials, then a slice_type 2 sentence and final:1
// after {"type":"end"}.
func fakeTencent(t *testing.T, host *string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		params := map[string]string{}
		for k := range q {
			if k != "signature" {
				params[k] = q.Get(k)
			}
		}
		appID := strings.TrimPrefix(r.URL.Path, "/asr/v2/")
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		voice := q.Get("voice_id")
		if q.Get("signature") != Sign(secretKey, *host, appID, params) {
			c.WriteJSON(map[string]any{"code": 4002, "message": "鉴权失败", "voice_id": voice})
			return
		}
		for _, k := range []string{"secretid", "timestamp", "expired", "nonce", "engine_model_type", "voice_id", "voice_format"} {
			if q.Get(k) == "" {
				c.WriteJSON(map[string]any{"code": 4001, "message": "missing " + k})
				return
			}
		}
		if q.Get("engine_model_type") != "8k_zh" || q.Get("hotword_list") != "不需要|10,需要|10" {
			t.Errorf("params %v", q)
		}
		c.WriteJSON(map[string]any{"code": 0, "message": "success", "voice_id": voice})
		n := 0
		for {
			mt, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if mt == websocket.BinaryMessage {
				n += len(data)
				if n == 6400 {
					c.WriteJSON(map[string]any{"code": 0, "voice_id": voice, "final": 0,
						"result": map[string]any{"slice_type": 0, "index": 0, "start_time": 200, "end_time": 400, "voice_text_str": "我不"}})
				}
				continue
			}
			var m map[string]string
			json.Unmarshal(data, &m)
			if m["type"] == "end" {
				c.WriteJSON(map[string]any{"code": 0, "voice_id": voice, "final": 0,
					"result": map[string]any{"slice_type": 2, "index": 0, "start_time": 200, "end_time": 900, "voice_text_str": "我不需要。",
						"word_list": []map[string]any{{"word": "我", "start_time": 200, "end_time": 400}, {"word": "不需要", "start_time": 400, "end_time": 900}}}})
				c.WriteJSON(map[string]any{"code": 0, "message": "success", "voice_id": voice, "final": 1})
				return
			}
		}
	})
}

func TestRealtimeASR(t *testing.T) {
	var host string
	srv := httptest.NewServer(fakeTencent(t, &host))
	defer srv.Close()
	host = strings.TrimPrefix(srv.URL, "http://")
	e, err := New(Config{AppID: "1259228442", SecretID: "AKIDtest", SecretKey: secretKey, Host: host, Scheme: "ws"})
	if err != nil {
		t.Fatal(err)
	}
	opts := speech.RecognizeOptions{SampleRate: 8000, Phrases: []string{"不需要", "需要"}}
	st, err := e.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if err := st.Write(make([]byte, 320)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := st.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "我不需要。" || res.StartMs != 200 || res.EndMs != 900 || len(res.Words) != 2 || !res.Final {
		t.Fatalf("result %+v", res)
	}
	var ps []string
	for p := range st.Partials() {
		ps = append(ps, p.Text)
	}
	if len(ps) != 1 || ps[0] != "我不" {
		t.Fatalf("partials %q", ps)
	}

	bad, _ := New(Config{AppID: "1259228442", SecretID: "AKIDtest", SecretKey: "wrong", Host: host, Scheme: "ws"})
	if _, err := bad.Start(context.Background(), opts); !errors.Is(err, speech.ErrEngineUnavailable) || !strings.Contains(err.Error(), "4002") {
		t.Fatalf("bad signature: %v", err)
	}
	if _, err := New(Config{AppID: "1"}); err == nil {
		t.Fatal("missing secrets accepted")
	}
}

func TestSignDocumentedShape(t *testing.T) {
	// Same inputs, same signature; any parameter change changes it.
	p := map[string]string{"secretid": "AKID", "timestamp": "1700000000", "nonce": "42", "voice_id": "abc"}
	a := Sign("k", "asr.cloud.tencent.com", "125", p)
	p["nonce"] = "43"
	if a == Sign("k", "asr.cloud.tencent.com", "125", p) || len(a) != 28 {
		t.Fatalf("signature %q", a)
	}
	e, _ := New(Config{AppID: "125", SecretID: "AKID", SecretKey: "k", Now: func() time.Time { return time.Unix(1700000000, 0) }})
	u := e.URL(speech.RecognizeOptions{SampleRate: 16000}, "v1")
	if !strings.HasPrefix(u, "wss://asr.cloud.tencent.com/asr/v2/125?") || !strings.Contains(u, "engine_model_type=16k_zh") || !strings.Contains(u, "expired=1700086400") || !strings.Contains(u, "signature=") {
		t.Fatal(u)
	}
}
