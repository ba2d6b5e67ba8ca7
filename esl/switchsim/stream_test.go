package switchsim

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

type wsMsg struct {
	op   int
	data []byte
}

// TestAudioStream drives uuid_audio_stream against a WebSocket server and
// checks the handshake quirks, metadata-first, 320-byte frames, and the
// mod_audio_stream::connect / json / disconnect / error events.
func TestAudioStream(t *testing.T) {
	got := make(chan wsMsg, 4096)
	hdrs := make(chan http.Header, 1)
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdrs <- r.Header.Clone()
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		n := 0
		for {
			op, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			got <- wsMsg{op, data}
			n++
			if n == 30 {
				_ = conn.WriteMessage(websocket.TextMessage, []byte("not json at all"))
			}
			if n == 60 {
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "server bye"), timeNowPlus())
			}
		}
	}))
	defer srv.Close()
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/stream/t1?x=1"

	personas, _ := ParsePersonas([]byte("personas:\n  - name: t\n    match: [\"13700000000\"]\n    ring_ms: 100\n    greeting: {text: \"喂你好，请问是哪位？我现在有点忙，你快说吧。\"}\n"))
	s := startSim(t, Options{Personas: personas, TimeScale: 0.1})
	c := dial(t, s.ESLAddr(), "ClueCon")
	c.cmd("event plain CUSTOM mod_audio_stream::connect mod_audio_stream::disconnect mod_audio_stream::error mod_audio_stream::json", nil)
	if r := c.cmd("api originate {origination_uuid=as-1}sofia/gateway/gw/13700000000 &park()", nil); r.body != "+OK as-1\n" {
		t.Fatalf("%q", r.body)
	}
	if r := c.cmd("api uuid_audio_stream as-1 start "+wsURL+" mono 8k {\"callId\":\"t1\", \"from\":\"1000\"}", nil); r.body != "+OK Success\n" {
		t.Fatalf("start %q", r.body)
	}
	if r := c.cmd("api uuid_audio_stream as-1 start "+wsURL+" mono 8k", nil); r.body != "-ERR Operation Failed\n" {
		t.Fatalf("second start %q", r.body)
	}
	h := <-hdrs
	if h.Get("User-Agent") != "" || h.Get("Origin") != "http://"+strings.TrimPrefix(srv.URL, "http://") || h.Get("Sec-WebSocket-Protocol") != "" || h.Get("Sec-WebSocket-Extensions") != "" {
		t.Fatalf("handshake headers %v", h)
	}
	first := <-got
	if first.op != websocket.TextMessage || string(first.data) != `{"callId":"t1", "from":"1000"}` {
		t.Fatalf("first frame %d %q", first.op, first.data)
	}
	e := c.nextEvent()
	if e.get("Event-Subclass") != "mod_audio_stream::connect" || e.body != `{"status":"connected"}` || e.get("Unique-ID") != "as-1" {
		t.Fatalf("connect %v %q", e.get("Event-Subclass"), e.body)
	}
	voiced := 0
	for i := 0; i < 50; i++ {
		m := <-got
		if m.op != websocket.BinaryMessage || len(m.data) != 320 {
			t.Fatalf("frame %d: op %d len %d", i, m.op, len(m.data))
		}
		for _, b := range m.data {
			if b != 0 {
				voiced++
				break
			}
		}
	}
	if voiced == 0 {
		t.Fatal("no callee audio in 50 frames while the greeting plays")
	}
	if e := c.nextEvent(); e.get("Event-Subclass") != "mod_audio_stream::json" || e.body != "not json at all" {
		t.Fatalf("json %v %q", e.get("Event-Subclass"), e.body)
	}
	if e := c.nextEvent(); e.get("Event-Subclass") != "mod_audio_stream::disconnect" ||
		e.body != `{"message":{"code":1000,"reason":"server bye"},"status":"disconnected"}` {
		t.Fatalf("disconnect %v %q", e.get("Event-Subclass"), e.body)
	}
	// the bug stays attached after a server close: start fails until stop.
	if r := c.cmd("api uuid_audio_stream as-1 start "+wsURL, nil); r.body != "-ERR Operation Failed\n" {
		t.Fatalf("start after server close %q", r.body)
	}
	if r := c.cmd("api uuid_audio_stream as-1 stop", nil); r.body != "+OK Success\n" {
		t.Fatalf("stop %q", r.body)
	}
	if r := c.cmd("api uuid_audio_stream as-1 stop", nil); r.body != "-ERR Operation Failed\n" {
		t.Fatalf("second stop %q", r.body)
	}
	// server down: +OK, then ::error code 6.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	if r := c.cmd("api uuid_audio_stream as-1 start ws://"+dead+"/x mono 16k", nil); r.body != "+OK Success\n" {
		t.Fatalf("start to dead server %q", r.body)
	}
	if e := c.nextEvent(); e.get("Event-Subclass") != "mod_audio_stream::error" || !strings.Contains(e.body, `"code":6`) {
		t.Fatalf("error %v %q", e.get("Event-Subclass"), e.body)
	}
	for _, tc := range []struct{ args, want string }{
		{"as-1 start http://x/y", "-ERR Operation Failed\n"},
		{"as-1 start ws://x/y quad", "-ERR no reply\n"},
		{"as-1 start ws://x/y mono 12k", "-ERR Operation Failed\n"},
		{"nope start ws://x/y", "-ERR Operation Failed\n"},
		{"as-1 send_text", "-ERR no reply\n"},
	} {
		if r := c.cmd("api uuid_audio_stream "+tc.args, nil); r.body != tc.want {
			t.Errorf("%s: %q", tc.args, r.body)
		}
	}
}
