package aliyun

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/waihu/waihu/app/speech"
)

// The worked example of Alibaba Cloud's RPC signature documentation
// (ECS DescribeRegions, secret "testsecret").
func TestSignRPCDocumentedExample(t *testing.T) {
	p := map[string]string{
		"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
		"Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
	}
	if got := SignRPC("GET", "testsecret", p); got != "OLeaidS1JvxuMvnyHOwuJ+uX5qY=" {
		t.Fatalf("signature %s", got)
	}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

type nlsServer struct {
	t          *testing.T
	tokenCalls atomic.Int32
}

func (s *nlsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		// CreateToken: verify the POP signature over every other parameter.
		q := r.URL.Query()
		p := map[string]string{}
		for k := range q {
			if k != "Signature" {
				p[k] = q.Get(k)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if q.Get("Action") != "CreateToken" || q.Get("Version") != "2019-02-28" || SignRPC("GET", "ak-secret", p) != q.Get("Signature") {
			w.WriteHeader(400)
			w.Write([]byte(`{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation."}`))
			return
		}
		s.tokenCalls.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"Token": map[string]any{"Id": "tok-123", "ExpireTime": time.Now().Add(24 * time.Hour).Unix()}})
	case "/ws/v1":
		if r.URL.Query().Get("token") != "tok-123" || r.Header.Get("X-NLS-Token") != "tok-123" {
			w.WriteHeader(403)
			return
		}
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		var start struct {
			Header  Header         `json:"header"`
			Payload map[string]any `json:"payload"`
		}
		if err := c.ReadJSON(&start); err != nil {
			return
		}
		h := start.Header
		reply := func(name string, payload map[string]any, status int) {
			c.WriteJSON(map[string]any{"header": map[string]any{"message_id": strings.Repeat("a", 32), "task_id": h.TaskID,
				"namespace": "SpeechTranscriber", "name": name, "status": status, "status_message": "GATEWAY|SUCCESS|Success."}, "payload": payload})
		}
		if h.AppKey != "appkey-1" || !hex32.MatchString(h.MessageID) || !hex32.MatchString(h.TaskID) || h.Namespace != "SpeechTranscriber" || h.Name != "StartTranscription" {
			reply("TaskFailed", nil, 40000002)
			return
		}
		if start.Payload["format"] != "pcm" || start.Payload["sample_rate"] != float64(8000) {
			s.t.Errorf("payload %v", start.Payload)
		}
		reply("TranscriptionStarted", map[string]any{"session_id": "s1"}, 20000000)
		n := 0
		for {
			mt, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if mt == websocket.BinaryMessage {
				n += len(data)
				if n == 3200 {
					reply("SentenceBegin", map[string]any{"index": 1, "time": 320}, 20000000)
					reply("TranscriptionResultChanged", map[string]any{"index": 1, "time": 800, "result": "我不"}, 20000000)
				}
				continue
			}
			var stop struct{ Header Header }
			json.Unmarshal(data, &stop)
			if stop.Header.Name == "StopTranscription" && stop.Header.TaskID == h.TaskID {
				reply("SentenceEnd", map[string]any{"index": 1, "time": 1200, "begin_time": 320, "result": "我不需要。", "confidence": 0.92,
					"words": []map[string]any{{"text": "我", "startTime": 320, "endTime": 500}, {"text": "不需要", "startTime": 500, "endTime": 1100}}}, 20000000)
				reply("TranscriptionCompleted", nil, 20000000)
				return
			}
		}
	}
}

func TestTranscription(t *testing.T) {
	s := &nlsServer{t: t}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tokens := &CreateToken{AccessKeyID: "ak-id", AccessKeySecret: "ak-secret", Endpoint: srv.URL + "/"}
	e, err := New(Config{AppKey: "appkey-1", Tokens: tokens, URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/v1"})
	if err != nil {
		t.Fatal(err)
	}
	for turn := range 2 {
		st, err := e.Start(context.Background(), speech.RecognizeOptions{SampleRate: 8000})
		if err != nil {
			t.Fatal(err)
		}
		for range 25 {
			if err := st.Write(make([]byte, 320)); err != nil {
				t.Fatal(err)
			}
		}
		res, err := st.Finish(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Text != "我不需要。" || res.Confidence != 0.92 || res.StartMs != 320 || res.EndMs != 1200 || len(res.Words) != 2 {
			t.Fatalf("turn %d: %+v", turn, res)
		}
	}
	if n := s.tokenCalls.Load(); n != 1 {
		t.Fatalf("token fetched %d times, want 1 (cached)", n)
	}
	bad, _ := New(Config{AppKey: "wrong", Tokens: StaticToken("tok-123"), URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/v1"})
	if _, err := bad.Start(context.Background(), speech.RecognizeOptions{}); !errors.Is(err, speech.ErrEngineUnavailable) || !strings.Contains(err.Error(), "40000002") {
		t.Fatalf("task failed: %v", err)
	}
	badKey := &CreateToken{AccessKeyID: "ak-id", AccessKeySecret: "nope", Endpoint: srv.URL + "/"}
	if _, err := badKey.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("bad secret: %v", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("empty config accepted")
	}
}
