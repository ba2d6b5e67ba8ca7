package esl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fiorix/go-eventsocket/eventsocket"
)

// readCommand reads one ESL command (lines up to an empty line).
func readCommand(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return b.String(), err
		}
		if l == "\n" && b.Len() > 0 {
			b.WriteString("\n")
			return b.String(), nil
		}
		if l == "\n" {
			continue
		}
		b.WriteString(l)
	}
}

var eventUUIDLine = regexp.MustCompile(`(?m)^Event-UUID: ([0-9a-f-]{36})\n`)

// replayOutbound plays FreeSWITCH's side of outbound-session.jsonl against
// addr: it connects like the socket application, and for each recorded
// `send` reads our command and compares it with the recording (our
// executes carry an extra Event-UUID header; the recorded Application-UUID
// is swapped for it, same length, so every Content-Length still holds), and
// writes each recorded `recv` chunk. It stops at the recorder's `exit` and
// then expects us to close the socket without sending anything else.
func replayOutbound(t *testing.T, addr string) <-chan error {
	lines := loadTrace(t, "outbound-session.jsonl")
	appUUID := regexp.MustCompile(`Application-UUID: ([0-9a-f-]{36})`)
	var recorded []string
	for _, l := range lines {
		for _, m := range appUUID.FindAllStringSubmatch(l.Raw, -1) {
			if !slices.Contains(recorded, m[1]) {
				recorded = append(recorded, m[1])
			}
		}
	}
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				return err
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			swap := map[string]string{}
			execs := 0
			for _, l := range lines {
				if l.Dir == "recv" {
					raw := l.Raw
					for from, to := range swap {
						raw = strings.ReplaceAll(raw, from, to)
					}
					if _, err := io.WriteString(conn, raw); err != nil {
						return err
					}
					continue
				}
				if l.Raw == "exit\n\n" {
					_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
					rest, err := io.ReadAll(br)
					// RST instead of FIN is fine: we close with recorded
					// bytes still unread in our receive buffer.
					if err != nil && !errors.Is(err, syscall.ECONNRESET) {
						return fmt.Errorf("after hangup: %w", err)
					}
					if len(rest) > 0 {
						return fmt.Errorf("unexpected bytes after hangup: %q", rest)
					}
					return nil
				}
				got, err := readCommand(br)
				if err != nil {
					return fmt.Errorf("waiting for %q: %w", l.Raw, err)
				}
				if m := eventUUIDLine.FindStringSubmatch(got); m != nil {
					got = eventUUIDLine.ReplaceAllString(got, "")
					swap[recorded[execs]] = m[1]
					execs++
				}
				if got != l.Raw {
					return fmt.Errorf("command\n got %q\nwant %q", got, l.Raw)
				}
			}
			return errors.New("trace ended without exit")
		}()
	}()
	return done
}

func TestOutboundSessionReplay(t *testing.T) {
	t.Run("all channel data", func(t *testing.T) { testOutboundSessionReplay(t, nil) })
	// KeepChannelData keeps only what the caller names (call control keeps
	// a handful of headers per concurrent call, not ~170); the rest of the
	// session is unaffected.
	t.Run("trimmed channel data", func(t *testing.T) {
		testOutboundSessionReplay(t, func(name string) bool {
			return name == "Answer-State" || strings.HasPrefix(name, "variable_waihu_")
		})
	})
}

func testOutboundSessionReplay(t *testing.T, keep func(string) bool) {
	srv := NewOutboundServer(OutboundOptions{KeepChannelData: keep})
	defer srv.Close()
	ln, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		data      *Event
		responses []string
		digits    []string
		names     []string
		breakBody string
		hangup    *ChannelHangup
		err       error
	}
	res := make(chan result, 1)
	go srv.Serve(ln, func(ctx context.Context, s *OutboundSession) {
		r := result{data: s.ChannelData()}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range s.Events() {
				r.names = append(r.names, e.Name())
				if d, ok := e.AsDTMF(); ok {
					r.digits = append(r.digits, d.Digit)
				}
				if h, ok := e.AsHangup(); ok && h.Complete {
					r.hangup = h
					return
				}
			}
		}()
		r.err = func() error {
			if err := s.MyEvents(ctx); err != nil {
				return err
			}
			if err := s.Linger(ctx); err != nil {
				return err
			}
			x, err := s.PlayFile(ctx, "/usr/freeswitch/share/freeswitch/sounds/test-tone.wav")
			if err != nil {
				return err
			}
			r.responses = append(r.responses, x.ApplicationResponse)
			x, err = s.Execute(ctx, "record", "/srv/fstrace/outbound-record.wav 10 200 2")
			if err != nil {
				return err
			}
			r.responses = append(r.responses, x.ApplicationResponse)
			ex, err := s.ExecuteAsync(ctx, "playback", "/usr/freeswitch/share/freeswitch/sounds/test-tone.wav")
			if err != nil {
				return err
			}
			brk, _ := UUIDBreak(s.UUID(), true)
			if r.breakBody, err = s.API(ctx, brk); err != nil {
				return err
			}
			x, err = ex.Wait(ctx)
			if err != nil {
				return err
			}
			r.responses = append(r.responses, x.ApplicationResponse)
			if err := s.Hangup(ctx, "NORMAL_CLEARING"); err != nil {
				return err
			}
			select {
			case <-s.HungUp():
			case <-ctx.Done():
				return ctx.Err()
			}
			wg.Wait()
			return nil
		}()
		res <- r
	})
	fsDone := replayOutbound(t, ln.Addr().String())
	var r result
	select {
	case r = <-res:
	case err := <-fsDone:
		t.Fatalf("replay ended first: %v", err)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if err := <-fsDone; err != nil {
		t.Fatal(err)
	}
	if r.data.Name() != "CHANNEL_DATA" || r.data.UUID() != "7862a92b-f60d-496c-bba3-94fbb25b8b86" || r.data.Var("waihu_attempt") != "A1" || r.data.Get("Answer-State") != "answered" {
		t.Fatalf("channel data %v", r.data)
	}
	if keep == nil && (r.data.Var("current_application") != "socket" || len(r.data.Headers) < 170) {
		t.Fatalf("channel data not whole: %v", r.data)
	}
	if keep != nil && (r.data.Var("current_application") != "" || len(r.data.Headers) != 4) {
		t.Fatalf("channel data not trimmed: %v %v", r.data, r.data.Headers)
	}
	if !slices.Equal(r.responses, []string{"FILE PLAYED", "_none_", "FILE PLAYED"}) {
		t.Fatalf("responses %v", r.responses)
	}
	if !slices.Equal(r.digits, []string{"1", "2"}) || r.breakBody != "+OK\n" {
		t.Fatalf("digits %v break %q", r.digits, r.breakBody)
	}
	if r.hangup == nil || r.hangup.Cause != "NORMAL_CLEARING" || r.hangup.BillSec != 6 || r.hangup.SIPTermStatusSet {
		t.Fatalf("hangup %+v", r.hangup)
	}
	if r.names[0] != "CHANNEL_PARK" || !slices.Contains(r.names, "CHANNEL_UNPARK") {
		t.Fatalf("names %v", r.names)
	}
	waitFor(t, "session gone", func() bool { return srv.Active() == 0 })
}

// TestOutboundCloseHangsUp: a handler that returns without hangup must not
// leave the channel parked: Close sends hangup first. A socket closed by
// FreeSWITCH ends the handler's context.
func TestOutboundCloseHangsUp(t *testing.T) {
	srv := NewOutboundServer(OutboundOptions{ReplyTimeout: 2 * time.Second})
	defer srv.Close()
	ln, _ := srv.Listen("127.0.0.1:0")
	handlerDone := make(chan struct{})
	go srv.Serve(ln, func(ctx context.Context, s *OutboundSession) {
		defer close(handlerDone)
		if s.UUID() != "u-1" {
			t.Errorf("uuid %q", s.UUID())
		}
		// an injection attempt through an application argument
		if _, err := s.ExecuteAsync(ctx, "playback", "/tmp/a.wav\n\nsendmsg\ncall-command: hangup"); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CR/LF in app arg: %v", err)
		}
		if _, err := s.PlayFile(ctx, "/tmp/{x=1}a.wav"); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("var syntax in file name: %v", err)
		}
		if err := s.SendMsg(ctx, eventsocket.MSG{"call-command": "execute", "execute-app-name": "playback\n\napi uuid_kill x"}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CR/LF in sendmsg value: %v", err)
		}
		if err := s.SendMsg(ctx, eventsocket.MSG{"call-command\nx": "hangup"}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CR/LF in sendmsg key: %v", err)
		}
		if err := s.Hangup(ctx, "NORMAL CLEARING\n"); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("bad cause: %v", err)
		}
	})
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	if c, _ := readCommand(br); c != "connect\n\n" {
		t.Fatalf("%q", c)
	}
	io.WriteString(conn, "Event-Name: CHANNEL_DATA\nUnique-ID: u-1\nContent-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n")
	c, err := readCommand(br)
	if err != nil || c != "sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n" {
		t.Fatalf("%q %v", c, err)
	}
	io.WriteString(conn, "Content-Type: command/reply\nReply-Text: +OK\n\n")
	<-handlerDone
	if _, err := io.ReadAll(br); err != nil {
		t.Fatal(err)
	}

	// FreeSWITCH closing the socket cancels the handler's context
	ctxDone := make(chan struct{})
	srv2 := NewOutboundServer(OutboundOptions{})
	defer srv2.Close()
	ln2, _ := srv2.Listen("127.0.0.1:0")
	go srv2.Serve(ln2, func(ctx context.Context, s *OutboundSession) {
		<-ctx.Done()
		<-s.HungUp()
		close(ctxDone)
	})
	conn2, _ := net.Dial("tcp", ln2.Addr().String())
	br2 := bufio.NewReader(conn2)
	readCommand(br2)
	io.WriteString(conn2, "Event-Name: CHANNEL_DATA\nUnique-ID: u-2\nContent-Type: command/reply\nReply-Text: %2BOK%0A\n\n")
	// garbage of an unknown type first: dropped, session stays
	io.WriteString(conn2, "Content-Type: log/data\nContent-Length: 3\n\nabc")
	conn2.Close()
	<-ctxDone
}

// fakeOutboundCall plays FreeSWITCH's side of one socket-application call:
// answers connect with a CHANNEL_DATA block, acknowledges sendmsg, completes
// each execute with CHANNEL_EXECUTE_COMPLETE carrying the Event-UUID as
// Application-UUID (switch_ivr.c / switch_core_session.c behaviour), answers
// api, and on hangup sends HANGUP, HANGUP_COMPLETE and the linger notice.
func fakeOutboundCall(addr, uuid string) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	var wmu sync.Mutex
	write := func(b []byte) {
		wmu.Lock()
		conn.Write(b)
		wmu.Unlock()
	}
	ch := func(name string, extra ...Header) []byte {
		return AppendPlainEvent(nil, append([]Header{{"Event-Name", name}, {"Unique-ID", uuid}}, extra...), "")
	}
	for {
		cmd, err := readCommand(br)
		if err != nil {
			return nil // our side closed
		}
		lines := strings.Split(strings.TrimRight(cmd, "\n"), "\n")
		hdr := map[string]string{}
		for _, l := range lines[1:] {
			if k, v, ok := strings.Cut(l, ": "); ok {
				hdr[strings.ToLower(k)] = v
			}
		}
		switch {
		case lines[0] == "connect":
			write([]byte("Event-Name: CHANNEL_DATA\nUnique-ID: " + uuid + "\nvariable_waihu_attempt: " + uuid + "\nContent-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n"))
		case lines[0] == "myevents" || lines[0] == "linger":
			write([]byte("Content-Type: command/reply\nReply-Text: +OK\n\n"))
		case strings.HasPrefix(lines[0], "api "):
			write([]byte("Content-Type: api/response\nContent-Length: 4\n\ntrue"))
		case lines[0] == "sendmsg" && hdr["call-command"] == "execute":
			var out []byte
			out = append(out, "Content-Type: command/reply\nReply-Text: +OK\n\n"...)
			out = append(out, ch("CHANNEL_EXECUTE", Header{"Application", hdr["execute-app-name"]}, Header{"Application-UUID", hdr["event-uuid"]})...)
			write(out)
			go write(ch("CHANNEL_EXECUTE_COMPLETE", Header{"Application", hdr["execute-app-name"]}, Header{"Application-Data", hdr["execute-app-arg"]},
				Header{"Application-Response", "FILE PLAYED"}, Header{"Application-UUID", hdr["event-uuid"]}))
		case lines[0] == "sendmsg" && hdr["call-command"] == "hangup":
			var out []byte
			out = append(out, "Content-Type: command/reply\nReply-Text: +OK\n\n"...)
			out = append(out, ch("CHANNEL_HANGUP", Header{"Hangup-Cause", hdr["hangup-cause"]})...)
			out = append(out, ch("CHANNEL_HANGUP_COMPLETE", Header{"Hangup-Cause", hdr["hangup-cause"]}, Header{"Hangup-Cause", hdr["hangup-cause"]})...)
			out = append(out, "Content-Type: text/disconnect-notice\nControlled-Session-UUID: "+uuid+"\nContent-Disposition: linger\nLinger-Time: -1\nContent-Length: 0\n\n"...)
			write(out)
		default:
			write([]byte("Content-Type: command/reply\nReply-Text: -ERR command not found\n\n"))
		}
	}
}

// TestOutboundConcurrentCalls runs 200 calls at once through one server
// (go test -race): each executes three prompts, an api and a hangup; every
// execute must complete with its own Application-UUID and arg.
func TestOutboundConcurrentCalls(t *testing.T) {
	srv := NewOutboundServer(OutboundOptions{})
	defer srv.Close()
	ln, _ := srv.Listen("127.0.0.1:0")
	const n = 200
	errs := make(chan error, n)
	go srv.Serve(ln, func(ctx context.Context, s *OutboundSession) {
		errs <- func() error {
			if s.ChannelData().Var("waihu_attempt") != s.UUID() {
				return fmt.Errorf("channel data %v", s.ChannelData())
			}
			if err := s.MyEvents(ctx); err != nil {
				return err
			}
			go func() {
				for range s.Events() {
				}
			}()
			for k := range 3 {
				path := fmt.Sprintf("/tmp/%s-%d.wav", s.UUID(), k)
				x, err := s.ExecuteAsync(ctx, "playback", path)
				if err != nil {
					return err
				}
				r, err := x.Wait(ctx)
				if err != nil {
					return err
				}
				if r.ApplicationUUID != x.ID || r.ApplicationData != path || r.ApplicationResponse != "FILE PLAYED" {
					return fmt.Errorf("execute %d: %+v", k, r)
				}
			}
			c, _ := UUIDExists(s.UUID())
			if b, err := s.API(ctx, c); err != nil || b != "true" {
				return fmt.Errorf("api %q %v", b, err)
			}
			if err := s.Hangup(ctx, "NORMAL_CLEARING"); err != nil {
				return err
			}
			<-s.HungUp()
			if h, ok := s.HangupEvent().AsHangup(); !ok || h.Cause != "NORMAL_CLEARING" {
				return fmt.Errorf("hangup event %v", s.HangupEvent())
			}
			return nil
		}()
	})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fakeOutboundCall(ln.Addr().String(), fmt.Sprintf("%08x-0000-4000-8000-000000000000", i)); err != nil {
				errs <- err
			}
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	waitFor(t, "sessions closed", func() bool { return srv.Active() == 0 })
}

// TestOutboundCompletedExecuteNotRetained: a completed Execution holds its
// CHANNEL_EXECUTE_COMPLETE event; removing it from the pending list must
// clear the slot, or the list's backing array keeps the last one (a few
// KiB) alive for every concurrent call.
func TestOutboundCompletedExecuteNotRetained(t *testing.T) {
	s := &OutboundSession{execs: map[string]*Execution{}}
	a := &Execution{ID: "a", App: "playback", done: make(chan struct{})}
	b := &Execution{ID: "b", App: "playback", done: make(chan struct{})}
	for _, x := range []*Execution{a, b} {
		s.execs[x.ID] = x
		s.order = append(s.order, x)
	}
	s.completeExec(&Event{Headers: []Header{{"Event-Name", EvChannelExecuteDone}, {"Application-UUID", "a"}, {"Application", "playback"}}})
	// the fallback match (no Application-UUID) takes the oldest pending
	s.completeExec(&Event{Headers: []Header{{"Event-Name", EvChannelExecuteDone}, {"Application", "playback"}}})
	for _, x := range []*Execution{a, b} {
		select {
		case <-x.Done():
		default:
			t.Fatalf("execution %s not completed", x.ID)
		}
	}
	if len(s.order) != 0 || len(s.execs) != 0 {
		t.Fatalf("pending %d/%d", len(s.order), len(s.execs))
	}
	for i, x := range s.order[:cap(s.order)] {
		if x != nil {
			t.Fatalf("slot %d still holds execution %s", i, x.ID)
		}
	}
}
