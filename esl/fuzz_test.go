package esl

import (
	"context"
	"errors"
	"io"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fuzzSeeds are the recorded streams cut into pieces plus hand-made edge
// cases: truncated frames, wrong Content-Length, blank lines inside bodies,
// invalid URL escapes, JSON arrays and duplicate keys.
func fuzzSeeds(t testing.TB) []string {
	seeds := []string{
		"",
		"\n\n\n",
		"Content-Type: auth/request\n\n",
		"Content-Type: command/reply\nReply-Text: +OK accepted\n\n",
		"Content-Type: api/response\nContent-Length: 4\n\ntrue",
		"Content-Type: api/response\nContent-Length: 40\n\ntrue",
		"Content-Type: api/response\nContent-Length: -1\n\n",
		"Content-Type: api/response\nContent-Length: 99999999999999999999\n\n",
		"Content-Type: api/response\nContent-Length: 2\n\n\n\n\n\n",
		"Content-Length: 20\nContent-Type: text/event-plain\n\nEvent-Name: A%zz%\n\n\n\n",
		"Content-Length: 41\nContent-Type: text/event-plain\n\nEvent-Name: B\nContent-Length: 9\n\n+OK\n\nx\n\n\n",
		"Content-Length: 2\nContent-Type: text/event-json\n\n[]",
		"Content-Length: 47\nContent-Type: text/event-json\n\n{\"Event-Name\":\"X\",\"A\":[\"1\",[2]],\"A\":{\"b\":null}}",
		"Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n",
		"Content-Type: log/data\nContent-Length: 3\n\nabc",
		"no colon here\n\n",
		": empty name\n\n",
		"Event-Name: CHANNEL_DATA\nUnique-ID: x\nContent-Type: command/reply\nReply-Text: %2BOK%0A\n\n",
		"Content-Type: command/reply\nReply-Text: -E\n\n",
		"Content-Type: command/reply\r\nReply-Text: +OK\r\n\r\n",
	}
	for _, name := range []string{"inbound-auth.jsonl", "inbound-busy.jsonl", "outbound-session.jsonl", "inbound-answered-json.jsonl"} {
		lines := loadTrace(t, name)
		for i, l := range lines {
			if l.Dir == "recv" && i < 12 && len(l.Raw) < 16<<10 {
				seeds = append(seeds, l.Raw)
			}
		}
	}
	return seeds
}

// FuzzFrameReader: any byte stream either yields frames or an error; it
// never panics, and every frame honours its Content-Length.
func FuzzFrameReader(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewFrameReader(strings.NewReader(string(data)), 512)
		for range 64 {
			fr, err := r.ReadFrame()
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, ErrProtocol) {
					t.Fatalf("unexpected error kind %v", err)
				}
				return
			}
			if cl := fr.Get("Content-Length"); cl != "" {
				if n, err := parseContentLength(cl); err != nil || n != len(fr.Body) {
					t.Fatalf("body %d vs Content-Length %q", len(fr.Body), cl)
				}
			}
			switch fr.ContentType() {
			case ctEventPlain, ctEventJSON:
				if e, err := ParseEventFrame(fr); err == nil {
					_ = e.Typed()
					_ = e.Name()
				}
			case ctCommandReply:
				e := eventFromReplyFrame(fr)
				_ = e.Typed()
			}
		}
	})
}

// FuzzParsePlainEvent: an event body never panics the parser; the body it
// finds is exactly the inner Content-Length.
func FuzzParsePlainEvent(f *testing.F) {
	f.Add([]byte("Event-Name: BACKGROUND_JOB\nJob-UUID: 1\nContent-Length: 4\n\n+OK\n"))
	f.Add([]byte("Event-Name: X\nA: %\nB: %4\nC: %%41\n\n"))
	f.Add([]byte("Event-Name: X\nContent-Length: 5\n\n\n\n\n\n\n"))
	f.Add([]byte("Event-Name: X\nContent-Length: 50\n\nshort"))
	f.Add([]byte("Event-Name: X\nContent-Length: -3\n\n"))
	f.Add([]byte("Event-Name: X\r\nY: 1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParsePlainEvent(data)
		if err != nil {
			return
		}
		if cl := e.Get("Content-Length"); cl != "" {
			if n, err := parseContentLength(cl); err != nil || n != len(e.Body) {
				t.Fatalf("body %d vs %q", len(e.Body), cl)
			}
		}
		for _, v := range []any{e.Typed()} {
			_ = v
		}
		_, _ = e.AsHangup()
		_, _ = e.AsBackgroundJob()
		_, _ = e.AsHeartbeat()
	})
}

// FuzzParseJSONEvent: arrays, nested values, duplicates, broken JSON never
// panic (go-eventsocket panics on arrays and empty keys), and whenever both
// accept the input the scanner agrees with the encoding/json reference.
func FuzzParseJSONEvent(f *testing.F) {
	f.Add([]byte(`{"Event-Name":"CHANNEL_HANGUP_COMPLETE","Hangup-Cause":"A","Hangup-Cause":"A","_body":"x"}`))
	f.Add([]byte(`{"a":[1,"2",[3],{"x":4}],"b":null,"c":true,"d":1e9,"_body":[1]}`))
	f.Add([]byte(`[{"a":1}]`))
	f.Add([]byte(`{"a":"\ud800\u0041\ud83d\ude00\n\"","\u0062":"\xff"}`))
	f.Add([]byte("{\"a\":\"\xe4\\u00b8\"}"))
	f.Add([]byte(`{"a":`))
	f.Add([]byte(`{"":"x","a":-0.5e+3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseJSONEvent(data)
		if err != nil {
			return
		}
		_ = e.Typed()
		_ = e.GetAll("a")
		ref, rerr := refParseJSONEvent(data)
		if rerr != nil {
			t.Fatalf("scanner accepted what encoding/json refuses (%v): %q", rerr, data)
		}
		if !reflect.DeepEqual(e.Headers, ref.Headers) || e.Body != ref.Body {
			t.Fatalf("differs from reference:\n got %q %q\nwant %q %q", e.Headers, e.Body, ref.Headers, ref.Body)
		}
	})
}

// FuzzURLDecode: lenient decoding agrees with url.PathUnescape whenever that
// accepts the input, and never fails otherwise.
func FuzzURLDecode(f *testing.F) {
	for _, s := range []string{"a%20b", "%", "%zz", "%4", "+%2B", "Tue,%2024%20Nov", "%E5%A4%96%E5%91%BC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := urlDecode(s)
		if want, err := url.PathUnescape(s); err == nil && got != want {
			t.Fatalf("%q: got %q want %q", s, got, want)
		}
	})
}

// FuzzClientStream drives arbitrary bytes from a fake FreeSWITCH into a
// real Client — through the guard into go-eventsocket — and then a known
// event. The process must survive (a panic or log.Fatal in any goroutine,
// ours or go-eventsocket's, kills the fuzz worker and is reported); the
// client must either deliver the known event or close with an error.
func FuzzClientStream(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add([]byte(s))
	}
	fs := newFakeFS(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Dial(context.Background(), fs.Addr(), fs.password, ClientOptions{ReplyTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		mb := c.Watch("sentinel-1")
		fc := fs.last()
		fc.write(string(data))
		// Replies in the fuzz data may be consumed by this command; it must
		// still return (with some answer or error), never hang or crash.
		cmd, _ := Raw("eval after")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, _ = c.API(ctx, cmd)
		cancel()
		fc.write("\n\n" + chanEvent("CHANNEL_ANSWER", "sentinel-1"))
		select {
		case <-mb.C():
		case <-c.Done():
		case <-time.After(20 * time.Millisecond):
			// the fuzz data may announce a large Content-Length the stream
			// never fills; then the client is waiting for bytes, correctly
		}
	})
}

// FuzzPlainRoundTrip: whatever header values and body, AppendPlainEvent
// then the parser gives them back (values containing a ready-made %XX escape
// excepted: FreeSWITCH leaves those unencoded too).
func FuzzPlainRoundTrip(f *testing.F) {
	f.Add("Event-Name", "CUSTOM", "x\n\nContent-Length: 3\n\n")
	f.Add("A", "+86 138:00@x=y&z%", "")
	f.Add("B", "外呼\r\n", "+OK\n")
	f.Fuzz(func(t *testing.T, name, value, body string) {
		if name == "" || strings.ContainsAny(name, ":\r\n") || strings.TrimLeft(name, " \t") != name || strings.EqualFold(name, "Content-Length") || strings.EqualFold(name, "Event-Name") {
			return
		}
		for i := 0; i < len(value); i++ {
			if value[i] == '%' && pctEscape(value, i) {
				return
			}
		}
		hs := []Header{{"Event-Name", "CUSTOM"}, {name, value}}
		fr, err := NewFrameReader(strings.NewReader(string(AppendPlainEvent(nil, hs, body))), 512).ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		e, err := ParseEventFrame(fr)
		if err != nil {
			t.Fatal(err)
		}
		if e.Get(name) != value || e.Body != body {
			t.Fatalf("got %q=%q body %q", name, e.Get(name), e.Body)
		}
	})
}
