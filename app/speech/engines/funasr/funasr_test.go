package funasr

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

// fakeFunASR implements the server side of the documented protocol: it
// checks the first JSON message, answers audio with 2pass-online deltas and
// {"is_speaking":false} with the 2pass-offline sentence.
type fakeFunASR struct {
	t        *testing.T
	sentence []string // online deltas; their concatenation is the sentence
	behavior string   // "", "drop" (close mid-turn), "silent" (never answer)
	gotInit  chan map[string]any
}

func (f *fakeFunASR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	var init map[string]any
	if err := c.ReadJSON(&init); err != nil {
		return
	}
	f.gotInit <- init
	bytes, sent := 0, 0
	for {
		mt, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		if mt == websocket.BinaryMessage {
			bytes += len(data)
			if f.behavior == "drop" && bytes > 3200 {
				c.UnderlyingConn().Close() // no CLOSE frame
				return
			}
			// One delta per 600 ms chunk at 8 kHz.
			if bytes >= (sent+1)*9600 && sent < len(f.sentence) {
				c.WriteJSON(map[string]any{"mode": "2pass-online", "wav_name": init["wav_name"], "text": f.sentence[sent], "is_final": false})
				sent++
			}
			continue
		}
		var m map[string]any
		json.Unmarshal(data, &m)
		if m["is_speaking"] == false {
			if f.behavior == "silent" {
				continue
			}
			c.WriteJSON(map[string]any{"mode": "2pass-offline", "wav_name": init["wav_name"], "text": strings.Join(f.sentence, "") + "。",
				"is_final": true, "timestamp": "[[120,400],[400,980]]"})
		}
	}
}

func start(t *testing.T, f *fakeFunASR) *Engine {
	// Only the "silent" server makes the client wait for FinalWait.
	wait := 3 * time.Second
	if f.behavior == "silent" {
		wait = 300 * time.Millisecond
	}
	t.Helper()
	f.t = t
	f.gotInit = make(chan map[string]any, 1)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	e, err := New(Config{URL: "ws" + strings.TrimPrefix(srv.URL, "http"), FinalWait: wait})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestStreamingTurn(t *testing.T) {
	f := &fakeFunASR{sentence: []string{"我不", "需要"}}
	e := start(t, f)
	st, err := e.Start(context.Background(), speech.RecognizeOptions{SampleRate: 8000, CallUUID: "call-1", Phrases: []string{"不需要", "需要"}})
	if err != nil {
		t.Fatal(err)
	}
	init := <-f.gotInit
	if init["mode"] != "2pass" || init["wav_name"] != "call-1" || init["is_speaking"] != true || init["audio_fs"] != float64(8000) || init["wav_format"] != "pcm" {
		t.Fatalf("init %v", init)
	}
	var hw map[string]int
	if err := json.Unmarshal([]byte(init["hotwords"].(string)), &hw); err != nil || hw["不需要"] != 20 {
		t.Fatalf("hotwords %v", init["hotwords"])
	}
	for range 100 { // 2 s of 20 ms frames
		if err := st.Write(make([]byte, 320)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := st.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "我不需要。" || !res.Final || res.StartMs != 120 || res.EndMs != 980 || res.Confidence != 1 {
		t.Fatalf("final %+v", res)
	}
	var partials []string
	for p := range st.Partials() {
		partials = append(partials, p.Text)
	}
	if strings.Join(partials, "|") != "我不|我不需要" {
		t.Fatalf("partials %q", partials)
	}
}

func TestFailures(t *testing.T) {
	for _, tc := range []struct {
		behavior string
		want     error
	}{{"drop", speech.ErrEngineUnavailable}, {"silent", speech.ErrEngineTimeout}} {
		t.Run(tc.behavior, func(t *testing.T) {
			e := start(t, &fakeFunASR{behavior: tc.behavior})
			st, err := e.Start(context.Background(), speech.RecognizeOptions{SampleRate: 8000})
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for range 50 {
				if err := st.Write(make([]byte, 320)); err != nil {
					werr = err
					break
				}
			}
			_, ferr := st.Finish(context.Background())
			if !errors.Is(ferr, tc.want) && !errors.Is(werr, tc.want) {
				t.Fatalf("write %v finish %v, want %v", werr, ferr, tc.want)
			}
		})
	}
	if _, err := New(Config{URL: "http://x"}); err == nil {
		t.Fatal("http url accepted")
	}
	if _, err := New(Config{URL: "ws://x", Mode: "3pass"}); err == nil {
		t.Fatal("bad mode accepted")
	}
	e, _ := New(Config{URL: "ws://127.0.0.1:1/nothing"})
	if _, err := e.Start(context.Background(), speech.RecognizeOptions{}); !errors.Is(err, speech.ErrEngineUnavailable) {
		t.Fatalf("refused connection: %v", err)
	}
}

func TestOnlineTextWhenCorrectionMissing(t *testing.T) {
	e := start(t, &fakeFunASR{sentence: []string{"好的"}, behavior: "silent"})
	st, _ := e.Start(context.Background(), speech.RecognizeOptions{SampleRate: 8000})
	for range 50 {
		st.Write(make([]byte, 320))
	}
	res, err := st.Finish(context.Background())
	if err != nil || res.Text != "好的" {
		t.Fatalf("%+v %v", res, err)
	}
}
