package esl

import (
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// traceFrame returns the first frame of a trace whose event is name.
func traceFrame(b *testing.B, file, name string) *Frame {
	frames := readAllFrames(b, recvStream(loadTrace(b, file), 0))
	for _, f := range frames {
		if ct := f.ContentType(); ct == ctEventPlain || ct == ctEventJSON {
			e, err := ParseEventFrame(f)
			if err == nil && e.Name() == name {
				return f
			}
		}
	}
	b.Fatalf("no %s in %s", name, file)
	return nil
}

// BenchmarkParsePlainEvent parses the recorded CHANNEL_HANGUP_COMPLETE
// (the largest event, ~200 headers) and reads the hangup view.
func BenchmarkParsePlainEvent(b *testing.B) {
	f := traceFrame(b, "inbound-answered-plain.jsonl", EvChannelHangupComplete)
	b.SetBytes(int64(len(f.Body)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := ParseEventFrame(f)
		if err != nil {
			b.Fatal(err)
		}
		if h, _ := e.AsHangup(); h.Cause != "NORMAL_CLEARING" {
			b.Fatal(h.Cause)
		}
	}
}

// BenchmarkParsePlainEventSmall: a DTMF-sized event (the common case in a
// dialogue).
func BenchmarkParsePlainEventSmall(b *testing.B) {
	f := traceFrame(b, "inbound-busy.jsonl", EvBackgroundJob)
	b.SetBytes(int64(len(f.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEventFrame(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseJSONEvent is the same CHANNEL_HANGUP_COMPLETE as JSON.
func BenchmarkParseJSONEvent(b *testing.B) {
	f := traceFrame(b, "inbound-answered-json.jsonl", EvChannelHangupComplete)
	b.SetBytes(int64(len(f.Body)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := ParseEventFrame(f)
		if err != nil {
			b.Fatal(err)
		}
		if h, _ := e.AsHangup(); h.Cause != "NORMAL_CLEARING" {
			b.Fatal(h.Cause)
		}
	}
}

// BenchmarkReadFrames frames the whole recorded answered-call stream.
func BenchmarkReadFrames(b *testing.B) {
	s := recvStream(loadTrace(b, "inbound-answered-plain.jsonl"), 0)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewFrameReader(strings.NewReader(s), 64<<10)
		for {
			if _, err := r.ReadFrame(); err != nil {
				break
			}
		}
	}
}

func BenchmarkOriginateBuild(b *testing.B) {
	r := OriginateRequest{
		UUID: "0010ba80-58b1-4a81-8594-03e24f3699bc", Endpoint: "sofia/gateway/waihu_3/013800138000",
		CallerIDNumber: "02100000000", TimeoutSec: 30, SocketAddr: "10.0.0.5:8084",
		Vars: map[string]string{"waihu_attempt": "0010ba80-58b1-4a81-8594-03e24f3699bc", "waihu_tenant": "42", "waihu_campaign": "7"},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Originate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAPIRoundTrip: api command through the client, the guard,
// go-eventsocket and the loopback to the in-test server and back.
func BenchmarkAPIRoundTrip(b *testing.B) {
	f := newFakeFS(b)
	c := dialFake(b, f, ClientOptions{})
	ctx := context.Background()
	cmd, _ := Raw("eval x")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.API(ctx, cmd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBgAPIRoundTrip: bgapi plus its BACKGROUND_JOB.
func BenchmarkBgAPIRoundTrip(b *testing.B) {
	f := newFakeFS(b)
	c := dialFake(b, f, ClientOptions{})
	ctx := context.Background()
	cmd, _ := Raw("eval x")
	b.ReportAllocs()
	for b.Loop() {
		j, err := c.BgAPI(ctx, cmd)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := j.Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOutboundSessionMemory holds b.N concurrent outbound sessions,
// each connected with the recorded CHANNEL_DATA block (~7.6 KB, 170+
// headers), and reports the Go heap and goroutines per session. The far
// ends are in this process too (a net.Conn each), so the figure is an upper
// bound for waihu's side.
func BenchmarkOutboundSessionMemory(b *testing.B) {
	lines := loadTrace(b, "outbound-session.jsonl")
	var connectBlock string
	for _, l := range lines {
		if l.Dir == "recv" {
			connectBlock = l.Raw
			break
		}
	}
	srv := NewOutboundServer(OutboundOptions{LeaveParked: true})
	defer srv.Close()
	ln, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln, func(ctx context.Context, s *OutboundSession) { <-ctx.Done() })
	n := max(b.N, 200)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	conns := make([]net.Conn, 0, n)
	buf := make([]byte, 64)
	b.ResetTimer()
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAtLeast(c, buf, len("connect\n\n")); err != nil {
			b.Fatal(err)
		}
		io.WriteString(c, connectBlock)
		conns = append(conns, c)
	}
	for srv.Active() < n {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heapB/session")
	b.ReportMetric(float64(after.StackInuse-before.StackInuse)/float64(n), "stackB/session")
	b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(n), "goroutines/session")
	for _, c := range conns {
		c.Close()
	}
}
