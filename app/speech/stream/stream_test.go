package stream

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines/espeak"
	"github.com/waihu/waihu/app/speech/engines/flite"
	"github.com/waihu/waihu/app/speech/engines/sim"
	"github.com/waihu/waihu/app/speech/engines/sphinx"
)

var phrases = []string{"Yes, I am interested.", "No thanks", "Call me later", "Not interested", "Who is this?"}

// Handshakes exactly as mod_audio_stream sent them (freeswitch-traces
// audio-stream-16k-buffer-headers.jsonl, connection 4, and
// audio-stream-mono8k-control.jsonl with our token added to the query).
var (
	handshakeHeaders = []string{
		"GET /t4-mono16k-100ms?rate=16000 HTTP/1.1", "Host:127.0.0.1:8090", "Upgrade:websocket", "Connection:upgrade",
		"Sec-WebSocket-Key:FusvjovTWwJtexMSrQ+Wng==", "Sec-WebSocket-Version:13", "Origin:http://127.0.0.1:8090",
		"Authorization:Bearer abc123", "X-Call-Id:t4",
	}
	handshake8k = []string{
		"GET /stream/t1?reply=2000&play=3000&playwav=3500&bin=4000&ping=4500&token=tok-t1-secret HTTP/1.1", "Host:127.0.0.1:8090",
		"Upgrade:websocket", "Connection:upgrade", "Sec-WebSocket-Key:cimH0/D2kYXTaHQSvZW5xw==", "Sec-WebSocket-Version:13",
		"Origin:http://127.0.0.1:8090",
	}
)

// fsClient speaks to the server the way libwsc does, byte by byte.
type fsClient struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

func dialRaw(t *testing.T, addr string, lines []string) (*fsClient, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fsClient{t: t, conn: conn, br: br}, resp
}

// send writes one masked, unfragmented frame (FIN=1, RSV=0), as recorded.
func (c *fsClient) send(op byte, payload []byte) {
	c.t.Helper()
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 65536:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var key [4]byte
	_, _ = rand.Read(key[:])
	b = append(b, key[:]...)
	for i, x := range payload {
		b = append(b, x^key[i%4])
	}
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one server frame (servers do not mask).
func (c *fsClient) recv() (byte, []byte) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	h := make([]byte, 2)
	if _, err := io.ReadFull(c.br, h); err != nil {
		c.t.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		x := make([]byte, 2)
		io.ReadFull(c.br, x)
		n = int(binary.BigEndian.Uint16(x))
	case 127:
		x := make([]byte, 8)
		io.ReadFull(c.br, x)
		n = int(binary.BigEndian.Uint64(x))
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.br, p); err != nil {
		c.t.Fatal(err)
	}
	return h[0] & 0x0f, p
}

func say(t *testing.T, text string, rate int) []byte {
	t.Helper()
	f, err := flite.New("")
	if err != nil {
		t.Fatalf("flite must be installed: %v", err)
	}
	a, err := f.Synthesize(context.Background(), speech.SynthRequest{Text: text, SampleRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	// A phone line is never digitally silent: add faint noise-like dither.
	pcm := append(speech.Silence(rate, 400), a.PCM...)
	pcm = append(pcm, speech.Silence(rate, 1200)...)
	s := speech.Samples(pcm)
	for i := range s {
		s[i] += int16(i%7) - 3
	}
	return speech.PCMBytes(s)
}

func newServer(t *testing.T) (*Registry, string) {
	t.Helper()
	rec, err := sphinx.New(sphinx.Config{})
	if err != nil {
		t.Fatalf("pocketsphinx must be installed: %v", err)
	}
	t.Cleanup(func() { rec.Close() })
	reg := NewRegistry(Options{Recognizer: rec, Recognize: speech.RecognizeOptions{Language: "en-US", Phrases: phrases}})
	mux := http.NewServeMux()
	mux.Handle("/", NewServer(reg))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return reg, strings.TrimPrefix(srv.URL, "http://")
}

func collect(t *testing.T, c *Call, until EventKind) []Event {
	t.Helper()
	var evs []Event
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return evs
			}
			evs = append(evs, ev)
			if ev.Kind == until {
				return evs
			}
		case <-timeout:
			t.Fatalf("no %s event; got %v", until, kinds(evs))
		}
	}
}

func kinds(evs []Event) []EventKind {
	out := make([]EventKind, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

func find(evs []Event, k EventKind) (Event, bool) {
	for _, e := range evs {
		if e.Kind == k {
			return e, true
		}
	}
	return Event{}, false
}

func TestRecordedHandshakeAndRecognition(t *testing.T) {
	reg, addr := newServer(t)
	tests := []struct {
		name   string
		uuid   string
		token  string
		lines  []string
		accept string // RFC 6455 value for the recorded key
		rate   int
		frame  int
		say    string
	}{
		{"8k mono 20 ms, token in URL", "t1", "tok-t1-secret", handshake8k, acceptFor("cimH0/D2kYXTaHQSvZW5xw=="), 8000, 320, "Yes, I am interested."},
		{"16k 100 ms buffer, bearer header", "t4-mono16k-100ms", "abc123", handshakeHeaders, acceptFor("FusvjovTWwJtexMSrQ+Wng=="), 16000, 3200, "Call me later"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, err := reg.Expect(tt.uuid, tt.token)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Forget(tt.uuid)
			c, resp := dialRaw(t, addr, tt.lines)
			if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != tt.accept {
				t.Fatalf("handshake: %d %v", resp.StatusCode, resp.Header)
			}
			if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
				t.Fatalf("server negotiated extensions %q", ext)
			}
			c.send(1, []byte(`{"callId":"t1","from":"1000"}`))
			pcm := say(t, tt.say, tt.rate)
			for p := 0; p < len(pcm); p += tt.frame {
				c.send(2, pcm[p:min(p+tt.frame, len(pcm))])
			}
			c.send(9, []byte("ping")) // STREAM_HEART_BEAT
			if op, p := c.recv(); op != 10 || string(p) != "ping" {
				t.Fatalf("pong: op %d %q", op, p)
			}
			evs := collect(t, call, Final)
			c.send(8, append([]byte{0x03, 0xe8}, "Normal closure"...))
			if op, p := c.recv(); op != 8 || binary.BigEndian.Uint16(p) != 1000 {
				t.Fatalf("close echo: op %d %x", op, p)
			}
			evs = append(evs, collect(t, call, StreamClosed)...)
			want := []EventKind{Connected, SpeechStarted, SpeechEnded, Final, StreamClosed}
			var got []EventKind
			for _, k := range kinds(evs) {
				if k != Partial { // optional, engine-dependent
					got = append(got, k)
				}
			}
			if strings.Join(toS(got), ",") != strings.Join(toS(want), ",") {
				t.Fatalf("events %v, want %v", got, want)
			}
			fin, _ := find(evs, Final)
			if fin.Result.Text != tt.say || fin.Err != nil {
				t.Fatalf("final %+v %v", fin.Result, fin.Err)
			}
			st, _ := find(evs, SpeechStarted)
			if st.AtMs < 300 || st.AtMs > 600 || fin.Result.StartMs < 250 {
				t.Errorf("speech started at %d ms, words from %d ms; audio starts at 400 ms", st.AtMs, fin.Result.StartMs)
			}
			if call.Connects() != 1 {
				t.Errorf("connects %d", call.Connects())
			}
			if call.Metadata() != `{"callId":"t1","from":"1000"}` {
				t.Errorf("metadata %q", call.Metadata())
			}
			if cl, _ := find(evs, StreamClosed); cl.Reason != "close 1000 Normal closure" {
				t.Errorf("close reason %q", cl.Reason)
			}
		})
	}
}

func toS(k []EventKind) []string {
	out := make([]string, len(k))
	for i, x := range k {
		out[i] = string(x)
	}
	return out
}

func TestRefusals(t *testing.T) {
	reg, addr := newServer(t)
	if _, err := reg.Expect("t1", "tok-t1-secret"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{"", "x"}, {"a/b", "tok-t1-secret"}, {"u", "short"}} {
		if _, err := reg.Expect(bad[0], bad[1]); err == nil {
			t.Errorf("Expect(%q,%q) accepted", bad[0], bad[1])
		}
	}
	if _, err := reg.Expect("t1", "another-token"); err == nil {
		t.Error("re-expect with another token accepted")
	}
	cases := []struct {
		name  string
		line0 string
		want  int
	}{
		{"unknown call", "GET /stream/nope?token=tok-t1-secret HTTP/1.1", 403},
		{"wrong token", "GET /stream/t1?token=tok-t1-WRONG HTTP/1.1", 403},
		{"no token", "GET /stream/t1 HTTP/1.1", 403},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			lines := append([]string{tt.line0}, handshake8k[1:]...)
			_, resp := dialRaw(t, addr, lines)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	// A second stream for a connected call replaces the first: FreeSWITCH
	// starts one only after giving the old one up (a half-open connection
	// after a network loss must not block the restart).
	first, resp := dialRaw(t, addr, handshake8k)
	if resp.StatusCode != 101 {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	first.send(1, []byte("meta"))
	second, resp := dialRaw(t, addr, handshake8k)
	if resp.StatusCode != 101 {
		t.Fatalf("second stream: %d, want it to replace the first", resp.StatusCode)
	}
	second.send(1, []byte("meta"))
	_ = first.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(first.br); err != nil {
		t.Fatalf("the replaced stream was not closed: %v", err)
	}
	if c, _ := reg.Call("t1"); c.Connects() != 2 {
		t.Fatalf("connects %d, want 2", c.Connects())
	}
}

func TestBargeInOrdering(t *testing.T) {
	reg, addr := newServer(t)
	tests := []struct {
		name   string
		policy speech.BargeInPolicy
		want   bool
	}{
		{"interruptible prompt", speech.BargeInPolicy{Mode: speech.BargeInOn}, true},
		{"disclosure plays to the end", speech.BargeInPolicy{Mode: speech.BargeInOff}, false},
		{"protected opening longer than the speech", speech.BargeInPolicy{Mode: speech.BargeInProtected, ProtectedMs: 60000}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uuid := "barge" + string(rune('a'+i))
			call, _ := reg.Expect(uuid, "tok-t1-secret")
			defer reg.Forget(uuid)
			lines := append([]string{"GET /stream/" + uuid + "?token=tok-t1-secret HTTP/1.1"}, handshake8k[1:]...)
			c, resp := dialRaw(t, addr, lines)
			if resp.StatusCode != 101 {
				t.Fatal(resp.Status)
			}
			call.Prompt(tt.policy) // the robot starts talking
			pcm := say(t, "Who is this?", 8000)
			for p := 0; p < len(pcm); p += 320 {
				c.send(2, pcm[p:min(p+320, len(pcm))])
			}
			evs := collect(t, call, Final)
			call.PromptDone()
			st, _ := find(evs, SpeechStarted)
			b, got := find(evs, BargeIn)
			if got != tt.want {
				t.Fatalf("barge-in %v, want %v (%v)", got, tt.want, kinds(evs))
			}
			if got {
				// Stream-time ordering, not wall clock: the break decision
				// comes within 300 ms of speech start.
				if d := b.AtMs - st.AtMs; d < 0 || d > 300 {
					t.Fatalf("barge-in %d ms after speech start", d)
				}
			}
		})
	}
}

func TestEngineFailureIsNoMatch(t *testing.T) {
	reg, addr := newServer(t)
	call, _ := reg.Expect("t1", "tok-t1-secret")
	// A phrase the dictionary lacks makes this turn's engine start fail.
	call.SetRecognize(nil, speech.RecognizeOptions{Phrases: []string{"zzqxv"}})
	c, _ := dialRaw(t, addr, handshake8k)
	pcm := say(t, "Not interested", 8000)
	for p := 0; p < len(pcm); p += 320 {
		c.send(2, pcm[p:min(p+320, len(pcm))])
	}
	evs := collect(t, call, Final)
	fin, _ := find(evs, Final)
	if fin.Err == nil || fin.Result.Text != "" || fin.Reason != "engine_error" {
		t.Fatalf("final %+v", fin)
	}
	// The next turn with good phrases works on the same stream.
	call.SetRecognize(nil, speech.RecognizeOptions{Phrases: phrases})
	for p := 0; p < len(pcm); p += 320 {
		c.send(2, pcm[p:min(p+320, len(pcm))])
	}
	evs = collect(t, call, Final)
	if fin, _ := find(evs, Final); fin.Result.Text != "Not interested" {
		t.Fatalf("next turn %+v", fin)
	}
}

func TestHelpers(t *testing.T) {
	if u := URL("ws://10.0.0.5:8085/fs/stream/", "abc-1", "t k"); u != "ws://10.0.0.5:8085/fs/stream/abc-1?token=t+k" {
		t.Fatal(u)
	}
	got := StartArgs("ws://h/fs/stream", "u1", "tok", 8000, map[string]string{"callId": "u1"})
	if got != `u1 start ws://h/fs/stream/u1?token=tok mono 8k {"callId":"u1"}` {
		t.Fatal(got)
	}
	if h := ExtraHeaders("tok"); h != `{"Authorization":"Bearer tok"}` {
		t.Fatal(h)
	}
	if l := left([]byte{1, 2, 3, 4, 5, 6, 7, 8}); string(l) != string([]byte{1, 2, 5, 6}) {
		t.Fatal(l)
	}
}

// acceptFor computes Sec-WebSocket-Accept per RFC 6455 §4.2.2. (The
// recorded 101 responses in the trace carry accept values that do not match
// their recorded keys, so the trace's keys or accepts were altered when it was
// written down; the RFC value is what libwsc checks.)
func acceptFor(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// Forget while the stream is still delivering must not panic or block.
func TestForgetDuringStream(t *testing.T) {
	reg, addr := newServer(t)
	call, _ := reg.Expect("t1", "tok-t1-secret")
	c, _ := dialRaw(t, addr, handshake8k)
	pcm := say(t, "Who is this?", 8000)
	for p := 0; p < len(pcm)/2; p += 320 {
		c.send(2, pcm[p:p+320])
	}
	reg.Forget("t1") // nobody reads call.Events()
	for p := len(pcm) / 2; p+320 <= len(pcm); p += 320 {
		c.send(2, pcm[p:p+320])
	}
	c.send(8, append([]byte{0x03, 0xe8}, "Normal closure"...))
	if op, _ := c.recv(); op != 8 {
		t.Fatalf("close echo op %d", op)
	}
	for range call.Events() { // closed by Forget; drains what was queued
	}
	if _, ok := reg.Call("t1"); ok {
		t.Fatal("call still registered")
	}
}

func TestWaitFinal(t *testing.T) {
	reg, addr := newServer(t)
	call, _ := reg.Expect("t1", "tok-t1-secret")
	c, _ := dialRaw(t, addr, handshake8k)
	// Silence only: no answer.
	for range 25 {
		c.send(2, make([]byte, 320))
	}
	if _, err := call.WaitFinal(context.Background(), 50*time.Millisecond, nil); err != ErrNoAnswer {
		t.Fatalf("silence: %v", err)
	}
	call.Prompt(speech.BargeInPolicy{Mode: speech.BargeInOn})
	pcm := say(t, "Not interested", 8000)
	for p := 0; p+320 <= len(pcm); p += 320 {
		c.send(2, pcm[p:p+320])
	}
	var barged Event
	ev, err := call.WaitFinal(context.Background(), 10*time.Second, func(e Event) {
		if e.Kind == BargeIn {
			barged = e
		}
	})
	if err != nil || ev.Result.Text != "Not interested" {
		t.Fatalf("final %+v %v", ev, err)
	}
	if barged.Kind != BargeIn || barged.PlayedMs <= 0 {
		t.Fatalf("barge-in event %+v", barged)
	}
	c.send(8, append([]byte{0x03, 0xe8}, "Normal closure"...))
	if ev, err := call.WaitFinal(context.Background(), 10*time.Second, nil); err == nil || ev.Kind != StreamClosed {
		t.Fatalf("closed: %+v %v", ev, err)
	}
}

// The Mandarin demo path: the simulated callee's Mandarin audio (espeak-ng
// via pinyin) streams in, VAD endpoints it, and the simulation recognizer
// supplies the text from the side channel, marked simulated.
func TestMandarinSimulated(t *testing.T) {
	simRec := sim.New()
	reg := NewRegistry(Options{Recognizer: simRec})
	srv := httptest.NewServer(NewServer(reg))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	call, _ := reg.Expect("t1", "tok-t1-secret")
	zh, err := espeak.New("")
	if err != nil {
		t.Fatalf("espeak-ng must be installed: %v", err)
	}
	a, err := zh.Synthesize(context.Background(), speech.SynthRequest{Text: "我不需要，谢谢。", SampleRate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	pcm := append(append(speech.Silence(8000, 300), a.PCM...), speech.Silence(8000, 1000)...)
	c, _ := dialRaw(t, addr, handshake8k)
	// The simulator sends the side-channel event as it starts speaking.
	if err := simRec.HandleEvent(map[string]string{"Event-Subclass": "waihu::sim_speech", "Unique-ID": "t1",
		"Speech-Text": "我不需要，谢谢。", "Speech-Start-Ms": "300", "Speech-End-Ms": "1900"}); err != nil {
		t.Fatal(err)
	}
	for p := 0; p+320 <= len(pcm); p += 320 {
		c.send(2, pcm[p:p+320])
	}
	ev, err := call.WaitFinal(context.Background(), 10*time.Second, nil)
	if err != nil || ev.Result.Text != "我不需要，谢谢。" || !ev.Result.Simulated || ev.Result.Engine != "simulation" {
		t.Fatalf("final %+v %v", ev, err)
	}
}

// A click-length burst the recognizer cannot match is noise, not an answer.
func TestWaitFinalIgnoresNoise(t *testing.T) {
	reg, addr := newServer(t)
	call, _ := reg.Expect("t1", "tok-t1-secret")
	c, _ := dialRaw(t, addr, handshake8k)
	burst := make([]int16, 8000*250/1000)
	for i := range burst {
		burst[i] = int16(9000 * math.Sin(2*math.Pi*300*float64(i)/8000))
	}
	pcm := append(append(speech.Silence(8000, 300), speech.PCMBytes(burst)...), speech.Silence(8000, 1200)...)
	for p := 0; p+320 <= len(pcm); p += 320 {
		c.send(2, pcm[p:p+320])
	}
	var noise bool
	_, err := call.WaitFinal(context.Background(), time.Second, func(e Event) { noise = noise || e.Kind == Final })
	if err != ErrNoAnswer || !noise {
		t.Fatalf("burst: err %v, noise final seen %v", err, noise)
	}
}
