package esl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func dialFake(t testing.TB, f *fakeFS, o ClientOptions) *Client {
	t.Helper()
	c, err := Dial(context.Background(), f.Addr(), f.password, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClientAPIAndBgAPI(t *testing.T) {
	f := newFakeFS(t)
	c := dialFake(t, f, ClientOptions{})
	ctx := context.Background()

	subs, _ := f.last().subs.Load().(string)
	if !strings.HasPrefix(subs, "event plain ") || !strings.Contains(subs, " BACKGROUND_JOB") || strings.Contains(strings.ToLower(subs), " log") {
		t.Fatalf("subscription %q", subs)
	}
	body, err := c.API(ctx, Status())
	if err != nil || body != "UP 0 years\n" {
		t.Fatalf("%q %v", body, err)
	}
	cmd, _ := Raw("foobar")
	_, err = c.API(ctx, cmd)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Reason != "foobar Command not found!" || ce.Command != "foobar" {
		t.Fatalf("%v", err)
	}
	// the connection survives an -ERR
	if _, err := c.API(ctx, Status()); err != nil {
		t.Fatal(err)
	}
	ev, _ := Raw("eval hello")
	j, err := c.BgAPI(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := j.Wait(ctx)
	if err != nil || got != "+OK hello\n" {
		t.Fatalf("%q %v", got, err)
	}
	oc, _ := Originate(OriginateRequest{UUID: "ab12", Endpoint: "sofia/gateway/gw/13800138000", SocketAddr: "127.0.0.1:8084"})
	j, err = c.BgAPI(ctx, oc)
	if err != nil {
		t.Fatal(err)
	}
	got, err = j.Wait(ctx)
	if !errors.As(err, &ce) || ce.Reason != "USER_BUSY" || got != "-ERR USER_BUSY\n" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestClientAuthRefused(t *testing.T) {
	f := newFakeFS(t)
	_, err := Dial(context.Background(), f.Addr(), "wrong", ClientOptions{})
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("%v", err)
	}
	if _, err := Dial(context.Background(), f.Addr(), "a\nb", ClientOptions{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("%v", err)
	}
	if _, err := Dial(context.Background(), f.Addr(), f.password, ClientOptions{Events: []string{"CHANNEL_ANSWER", "log"}}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("log subscription: %v", err)
	}
}

func TestClientACLRejected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n")
	}()
	_, err = Dial(context.Background(), ln.Addr().String(), "x", ClientOptions{})
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "Access Denied") {
		t.Fatalf("%v", err)
	}
}

func TestClientDialTimeout(t *testing.T) {
	// A server that accepts and never greets.
	f := newFakeFS(t)
	f.ln.Close()
	ln := listenSilent(t)
	_, err := Dial(context.Background(), ln, "x", ClientOptions{DialTimeout: 100 * time.Millisecond})
	if err == nil {
		t.Fatal("dial to a silent server succeeded")
	}
}

// TestClientConcurrentRace runs hundreds of concurrent API and BgAPI commands
// (go test -race) and checks every caller gets its own answer: replies are
// matched by order only, so any interleaving bug shows up as a wrong answer.
func TestClientConcurrentRace(t *testing.T) {
	f := newFakeFS(t)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	c := dialFake(t, f, ClientOptions{Metrics: m})
	ctx := context.Background()
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			cmd, _ := Raw("eval api-" + strconv.Itoa(i))
			body, err := c.API(ctx, cmd)
			if err != nil || body != "api-"+strconv.Itoa(i) {
				errs <- fmt.Errorf("api %d: %q %v", i, body, err)
			}
		}()
		go func() {
			defer wg.Done()
			cmd, _ := Raw("eval bg-" + strconv.Itoa(i))
			j, err := c.BgAPI(ctx, cmd)
			if err != nil {
				errs <- err
				return
			}
			body, err := j.Wait(ctx)
			if err != nil || body != "+OK bg-"+strconv.Itoa(i)+"\n" {
				errs <- fmt.Errorf("bgapi %d: %q %v", i, body, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := counterValue(m.Events.WithLabelValues("BACKGROUND_JOB")); got != n {
		t.Fatalf("BACKGROUND_JOB events counted %v", got)
	}
}

// TestClientReplyTimeout: a command whose reply does not come closes the
// connection; the late reply is never handed to a later command.
func TestClientReplyTimeout(t *testing.T) {
	f := newFakeFS(t)
	release := make(chan struct{})
	base := f.api
	f.api = func(c *fakeConn, cmd string) (string, bool) {
		if cmd == "eval slow" {
			go func() {
				<-release
				c.write("Content-Type: api/response\nContent-Length: 5\n\nstale")
			}()
			return "", false
		}
		return base(c, cmd)
	}
	c := dialFake(t, f, ClientOptions{ReplyTimeout: time.Second})
	slow, _ := Raw("eval slow")
	_, err := c.API(context.Background(), slow)
	if !errors.Is(err, ErrReplyTimeout) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("%v", err)
	}
	<-c.Done()
	close(release)
	next, _ := Raw("eval next")
	body, err := c.API(context.Background(), next)
	if !errors.Is(err, ErrNotSent) || body == "stale" {
		t.Fatalf("after timeout: %q %v", body, err)
	}
	// a fresh connection answers correctly
	c2 := dialFake(t, f, ClientOptions{})
	if body, err := c2.API(context.Background(), next); err != nil || body != "next" {
		t.Fatalf("%q %v", body, err)
	}
}

// TestClientUnexpectedFrames sends everything go-eventsocket cannot survive
// (log.Fatal on an unknown Content-Type, panics on JSON array headers, on an
// empty Reply-Text, on short "-E" replies) plus garbage, and checks the
// client keeps working; then broken framing, which closes only that
// connection. The test process itself staying alive is the proof.
func TestClientUnexpectedFrames(t *testing.T) {
	f := newFakeFS(t)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	c := dialFake(t, f, ClientOptions{Metrics: m})
	events := c.Events()
	fc := f.last()
	jsonEv := func(s string) string {
		return "Content-Length: " + strconv.Itoa(len(s)) + "\nContent-Type: text/event-json\n\n" + s
	}
	fc.write("Content-Type: log/data\nContent-Length: 5\nLog-Level: 7\n\nhello")
	fc.write("Content-Type: text/rude-rejection\nContent-Length: 3\n\nbye")
	fc.write("Content-Type: \n\n")
	fc.write("X-No-Type: 1\n\n")
	fc.write(jsonEv(`{"Event-Name":"CUSTOM","Event-Subclass":"x::y","Arr":["a","b"],"Unique-ID":"u-1"}`))
	fc.write(jsonEv(`{"":"empty key","Event-Name":"CUSTOM"}`))
	fc.write(jsonEv(`[1,2,3]`))
	fc.write(jsonEv(`{"Event-Name":`))
	fc.write("Content-Length: 10\nContent-Type: text/event-plain\n\nno colon\n\n")
	fc.write("Content-Length: 34\nContent-Type: text/event-plain\n\nEvent-Name: X\nContent-Length: 99\n\n")
	fc.write(chanEvent("CHANNEL_ANSWER", "u-2"))

	var got []string
	timeout := time.After(5 * time.Second)
	for len(got) < 2 {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("events closed: %v", c.Err())
			}
			got = append(got, e.Name()+"/"+strings.Join(e.GetAll("Arr"), ","))
		case <-timeout:
			t.Fatalf("events so far %v", got)
		}
	}
	if got[0] != "CUSTOM/a,b" || got[1] != "CUSTOM/" {
		t.Fatalf("%v", got)
	}
	e := <-events
	if e.Name() != "CHANNEL_ANSWER" {
		t.Fatalf("%v", e)
	}
	if n := counterValue(m.Dropped.WithLabelValues("unknown_content_type")); n != 4 {
		t.Fatalf("unknown_content_type drops %v", n)
	}
	if n := counterValue(m.Dropped.WithLabelValues("bad_event")); n != 4 {
		t.Fatalf("bad_event drops %v", n)
	}
	// replies go-eventsocket would crash on
	odd := map[string]string{"eval e1": "-E", "eval e2": "-ERR", "eval e3": "", "eval e4": "-E\x14 \t"}
	base := f.api
	f.api = func(c *fakeConn, cmd string) (string, bool) {
		if b, ok := odd[cmd]; ok {
			return b, true
		}
		return base(c, cmd)
	}
	for cmdText := range odd {
		cmd, _ := Raw(cmdText)
		_, err := c.API(context.Background(), cmd)
		var ce *CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: %v", cmdText, err)
		}
	}
	if _, err := c.API(context.Background(), Status()); err != nil {
		t.Fatal(err)
	}
	// command replies go-eventsocket would crash on: blank or control-only
	// Reply-Text (textproto trims it to "" and go-eventsocket indexes [0])
	for _, rt := range []string{"\x14", "   ", "\t", "-E", "-ERR"} {
		f.api = func(c *fakeConn, cmd string) (string, bool) {
			c.write("Content-Type: command/reply\nReply-Text: " + rt + "\n\n")
			return "", false
		}
		cmd, _ := Raw("eval odd-reply")
		if _, err := c.API(context.Background(), cmd); err == nil {
			t.Fatalf("reply %q accepted as success", rt)
		}
		if c.Err() != nil {
			t.Fatalf("connection lost on reply %q: %v", rt, c.Err())
		}
	}
	f.api = base
	// broken framing: this connection closes, nothing else happens
	fc.write("this is not ESL at all\n\n")
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed on broken framing")
	}
	if !errors.Is(c.Err(), ErrProtocol) {
		t.Fatalf("%v", c.Err())
	}
	fc2 := dialFake(t, f, ClientOptions{})
	f.last().write("Content-Length: -5\nContent-Type: text/event-plain\n\n")
	<-fc2.Done()
	if !errors.Is(fc2.Err(), ErrProtocol) {
		t.Fatalf("%v", fc2.Err())
	}
	// an unsolicited reply: order is lost, so the connection is dropped
	c3 := dialFake(t, f, ClientOptions{})
	f.last().write("Content-Type: command/reply\nReply-Text: +OK surprise\n\n")
	<-c3.Done()
	if !errors.Is(c3.Err(), ErrProtocol) {
		t.Fatalf("%v", c3.Err())
	}
}

// TestClientMailboxOrder: events for one call arrive in wire order on its
// mailbox, and the lag histogram is fed.
func TestClientMailboxOrder(t *testing.T) {
	f := newFakeFS(t)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	c := dialFake(t, f, ClientOptions{Metrics: m})
	mb := c.Watch("call-a")
	other := c.Watch("call-b")
	fc := f.last()
	names := []string{"CHANNEL_OUTGOING", "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_ANSWER", "DTMF", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"}
	var all strings.Builder
	for i, n := range names {
		all.WriteString(chanEvent(n, "call-a", Header{"Seq", strconv.Itoa(i)}))
		all.WriteString(chanEvent(n, "call-b"))
	}
	fc.write(all.String())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, n := range names {
		e, err := mb.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() != n || e.Get("Seq") != strconv.Itoa(i) {
			t.Fatalf("%d: %v", i, e)
		}
	}
	if e, err := other.Next(ctx); err != nil || e.Name() != names[0] {
		t.Fatalf("%v %v", e, err)
	}
	c.Unwatch("call-a")
	if _, err := mb.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("%v", err)
	}
	// closing the client closes the remaining mailboxes with a reason
	c.Close()
	for {
		if _, err := other.Next(ctx); err != nil {
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("%v", err)
			}
			break
		}
	}
	// the pump observes right after the hand-over, so wait for it
	waitFor(t, "lag samples", func() bool {
		var d dto.Metric
		return m.EventLag.Write(&d) == nil && d.GetHistogram().GetSampleCount() >= uint64(len(names)+1)
	})
}

func counterValue(c prometheus.Counter) float64 {
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		panic(err)
	}
	return d.GetCounter().GetValue()
}

// TestClientJSONFormatAndFilters: `event json …` is sent and JSON events
// (arrays, duplicate keys, _body) are parsed by our parser; filters are
// applied in order after the subscription.
func TestClientJSONFormatAndFilters(t *testing.T) {
	f := newFakeFS(t)
	c := dialFake(t, f, ClientOptions{Format: "json", Events: []string{"CHANNEL_HANGUP_COMPLETE"},
		Filters: []Filter{{"Event-Name", "CHANNEL_HANGUP_COMPLETE"}, {"variable_waihu_node", "3"}}})
	subs, _ := f.last().subs.Load().(string)
	if subs != "event json BACKGROUND_JOB CHANNEL_HANGUP_COMPLETE" {
		t.Fatalf("%q", subs)
	}
	if got := f.last().filters(); !slices.Equal(got, []string{"filter Event-Name CHANNEL_HANGUP_COMPLETE", "filter variable_waihu_node 3"}) {
		t.Fatalf("filters %q", got)
	}
	mb := c.Watch("j-1")
	js := `{"Event-Name":"CHANNEL_HANGUP_COMPLETE","Unique-ID":"j-1","Hangup-Cause":"USER_BUSY","Answer-State":"hangup","Hangup-Cause":"USER_BUSY","variable_sip_term_status":"486","Arr":["x","y"],"_body":""}`
	f.last().write("Content-Length: " + strconv.Itoa(len(js)) + "\nContent-Type: text/event-json\n\n" + js)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := mb.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := e.AsHangup()
	if !ok || h.Cause != "USER_BUSY" || h.SIPTermStatus != "486" || len(e.GetAll("Hangup-Cause")) != 2 || len(e.GetAll("Arr")) != 2 {
		t.Fatalf("%+v", h)
	}
	if _, err := Dial(ctx, f.Addr(), f.password, ClientOptions{Format: "xml"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("xml format: %v", err)
	}
	if _, err := Dial(ctx, f.Addr(), f.password, ClientOptions{Filters: []Filter{{"Unique-ID", "x\nexit"}}}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("filter injection: %v", err)
	}
}

// TestClientCallerGivesUp: a caller whose context ends mid-command gets
// ErrOutcomeUnknown; the connection stays up, the late reply is swallowed,
// and the next command gets its own answer.
func TestClientCallerGivesUp(t *testing.T) {
	f := newFakeFS(t)
	release := make(chan struct{})
	base := f.api
	f.api = func(c *fakeConn, cmd string) (string, bool) {
		if cmd == "eval slow" {
			go func() {
				<-release
				c.write("Content-Type: api/response\nContent-Length: 5\n\nstale")
			}()
			return "", false
		}
		return base(c, cmd)
	}
	c := dialFake(t, f, ClientOptions{ReplyTimeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	slow, _ := Raw("eval slow")
	errc := make(chan error, 1)
	go func() {
		_, err := c.API(ctx, slow)
		errc <- err
	}()
	waitFor(t, "slow command in flight", func() bool { return c.pending.Load() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
	type res struct {
		body string
		err  error
	}
	nextc := make(chan res, 1)
	go func() {
		next, _ := Raw("eval next")
		b, err := c.API(context.Background(), next)
		nextc <- res{b, err}
	}()
	close(release)
	r := <-nextc
	if r.err != nil || r.body != "next" {
		t.Fatalf("%q %v", r.body, r.err)
	}
	if c.Err() != nil {
		t.Fatalf("connection closed: %v", c.Err())
	}
	// an already-cancelled context never sends
	if _, err := c.API(ctx, Status()); !errors.Is(err, ErrNotSent) {
		t.Fatalf("%v", err)
	}
}

func TestClientSubscriptionWithCustom(t *testing.T) {
	f := newFakeFS(t)
	dialFake(t, f, ClientOptions{Events: []string{"CHANNEL_ANSWER", "CUSTOM", "mod_audio_stream::json"}})
	if s, _ := f.last().subs.Load().(string); s != "event plain BACKGROUND_JOB CHANNEL_ANSWER CUSTOM mod_audio_stream::json" {
		t.Fatalf("%q", s)
	}
	dialFake(t, f, ClientOptions{})
	s, _ := f.last().subs.Load().(string)
	if !strings.HasPrefix(s, "event plain CHANNEL_OUTGOING ") || strings.Index(s, "BACKGROUND_JOB") > strings.Index(s, "CUSTOM") {
		t.Fatalf("%q", s)
	}
}

func TestRouterExpiresLostJobs(t *testing.T) {
	r := NewRouter(nil)
	old := newJob("a1", Status())
	r.addJob(old)
	old.created = time.Now().Add(-2 * JobTTL)
	r.swept = time.Time{}
	r.addJob(newJob("b2", Status()))
	if _, err := old.Wait(context.Background()); !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("%v", err)
	}
	if r.PendingJobs() != 1 {
		t.Fatalf("pending %d", r.PendingJobs())
	}
}
