package esl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fiorix/go-eventsocket/eventsocket"
	"github.com/google/uuid"
)

// ErrHangup: the channel hung up before an execute completed.
var ErrHangup = errors.New("esl: channel hung up")

// OutboundOptions configure the outbound socket server.
type OutboundOptions struct {
	Log     *slog.Logger
	Metrics *Metrics
	// ConnectTimeout bounds `connect` and its reply (default 5 s).
	ConnectTimeout time.Duration
	// ReplyTimeout bounds each command's reply (default 10 s); a timeout
	// closes the session (replies match by order only).
	ReplyTimeout time.Duration
	// ReadBuffer per session (default 1 KiB: thousands of calls at once).
	// Frame bodies larger than the buffer are read straight into their own
	// allocation, so a small buffer costs few extra reads: the buffer only
	// ever holds the frame's few outer header lines.
	ReadBuffer int
	// KeepChannelData, when set, picks the headers of the `connect` reply
	// that ChannelData keeps for the life of the call. The reply carries
	// every channel header and variable (about 170 headers, 8–10 KiB on the
	// wire and twice that parsed, from FreeSWITCH 1.10 in the traces), and
	// a caller that reads a handful of them need not hold the rest for
	// every concurrent call. Event-Name and Unique-ID are always kept; nil
	// keeps everything.
	KeepChannelData func(name string) bool
	// LeaveParked keeps a channel alive when its handler returns without
	// hangup. Default false: Close hangs the call up first, because a socket
	// closed without hangup leaves the channel parked until killed (traces).
	LeaveParked bool
}

// OutboundServer accepts FreeSWITCH's `socket` application connections and
// runs one handler goroutine per call.
//
// go-eventsocket's ListenAndServe is not used: it cannot take a listener
// (so no port 0 and no address to report), cannot be stopped, and gives each
// call a go-eventsocket Connection with a 64 KiB read buffer, an unguarded
// read loop and no execute-completion matching. Here the session owns its
// socket with a small FrameReader.
type OutboundServer struct {
	o OutboundOptions

	mu       sync.Mutex
	lns      map[net.Listener]bool
	sessions map[*OutboundSession]bool
	closed   bool
	wg       sync.WaitGroup
}

// NewOutboundServer makes a server.
func NewOutboundServer(o OutboundOptions) *OutboundServer {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.ReplyTimeout <= 0 {
		o.ReplyTimeout = 10 * time.Second
	}
	if o.ReadBuffer <= 0 {
		o.ReadBuffer = 1024
	}
	return &OutboundServer{o: o, lns: map[net.Listener]bool{}, sessions: map[*OutboundSession]bool{}}
}

// Listen opens a TCP listener (":0" works; read the address from it).
func (s *OutboundServer) Listen(addr string) (net.Listener, error) {
	return net.Listen("tcp", addr)
}

// Handler runs one call. ctx ends when the socket closes or the server
// closes; the session is closed (and, unless LeaveParked, hung up) when the
// handler returns.
type Handler func(ctx context.Context, s *OutboundSession)

// Serve accepts on ln until it fails or the server closes.
func (s *OutboundServer) Serve(ln net.Listener, h Handler) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	s.lns[ln] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return ErrClosed
			}
			// EMFILE and friends: back off and keep serving; only a closed
			// listener ends Serve (calls in progress are unaffected).
			delay = min(max(delay*2, 5*time.Millisecond), time.Second)
			s.o.Log.Warn("esl: outbound accept failed", "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.wg.Add(1)
		go s.handle(conn, h)
	}
}

// ListenAndServe is Listen then Serve.
func (s *OutboundServer) ListenAndServe(addr string, h Handler) error {
	ln, err := s.Listen(addr)
	if err != nil {
		return err
	}
	return s.Serve(ln, h)
}

// Active is the number of live sessions.
func (s *OutboundServer) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close stops accepting, closes every session socket, and waits for the
// handlers to return.
func (s *OutboundServer) Close() error {
	s.mu.Lock()
	s.closed = true
	for ln := range s.lns {
		ln.Close()
	}
	sessions := make([]*OutboundSession, 0, len(s.sessions))
	for ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.fail(ErrClosed)
	}
	s.wg.Wait()
	return nil
}

func (s *OutboundServer) handle(conn net.Conn, h Handler) {
	defer s.wg.Done()
	ss := newOutboundSession(conn, s.o)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.sessions[ss] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, ss)
		s.mu.Unlock()
	}()
	defer ss.events.close(nil)
	defer ss.Close()
	if err := ss.connect(); err != nil {
		s.o.Log.Warn("esl: outbound connect failed", "remote", conn.RemoteAddr().String(), "err", err)
		return
	}
	go ss.readLoop()
	// A panic in one call's handler must not take down every other call.
	defer func() {
		if r := recover(); r != nil {
			s.o.Log.Error("esl: outbound handler panicked", "uuid", ss.UUID(), "panic", fmt.Sprint(r))
		}
	}()
	h(ss.ctx, ss)
}

// OutboundSession is one call's socket.
type OutboundSession struct {
	conn net.Conn
	o    OutboundOptions
	fr   *FrameReader
	data *Event
	uuid string

	ctx    context.Context
	cancel context.CancelFunc

	wmu sync.Mutex // one writer; the reply queue is appended under it

	qmu     sync.Mutex
	replies []chan outReply
	execs   map[string]*Execution // by Event-UUID we sent
	order   []*Execution          // pending, in send order (fallback match)

	events *Mailbox

	hupOnce sync.Once
	hungUp  chan struct{}
	hupMu   sync.Mutex
	hupEv   *Event

	failOnce sync.Once
	done     chan struct{}
	err      error
}

type outReply struct {
	f   *Frame
	err error
}

func newOutboundSession(conn net.Conn, o OutboundOptions) *OutboundSession {
	ctx, cancel := context.WithCancel(context.Background())
	return &OutboundSession{
		conn: conn, o: o, fr: NewFrameReader(conn, o.ReadBuffer),
		ctx: ctx, cancel: cancel,
		execs:  map[string]*Execution{},
		events: newMailbox("", DefaultMailboxLimit, o.Metrics),
		hungUp: make(chan struct{}),
		done:   make(chan struct{}),
	}
}

// connect sends `connect` and reads the CHANNEL_DATA reply
// (mod_event_socket.c: in outbound mode the reply to connect is the
// channel's whole event, URL-encoded, with Reply-Text last).
func (s *OutboundSession) connect() error {
	_ = s.conn.SetDeadline(time.Now().Add(s.o.ConnectTimeout))
	if _, err := io.WriteString(s.conn, "connect\n\n"); err != nil {
		return err
	}
	for {
		f, err := s.fr.ReadFrame()
		if err != nil {
			return err
		}
		switch f.ContentType() {
		case ctCommandReply:
		case ctDisconnectNotice:
			// the channel went away before we could take it over
			return fmt.Errorf("%w: disconnected before connect completed", ErrHangup)
		default:
			// nothing else is expected before the reply; skip rather than fail
			continue
		}
		e := eventFromReplyFrame(f)
		if e.Name() != EvChannelData || e.UUID() == "" {
			return fmt.Errorf("%w: connect reply without channel data (%q)", ErrProtocol, truncate(e.Get("Reply-Text"), 40))
		}
		e.Received = time.Now()
		if keep := s.o.KeepChannelData; keep != nil {
			e = trimEvent(e, keep)
		}
		s.data = e
		s.uuid = e.UUID()
		s.events.UUID = s.uuid
		break
	}
	_ = s.conn.SetDeadline(time.Time{})
	return nil
}

// trimEvent copies the headers keep picks (and Event-Name, Unique-ID) into
// a right-sized Event, so the rest of the block can be collected.
func trimEvent(e *Event, keep func(string) bool) *Event {
	n := 0
	for _, h := range e.Headers {
		if h.Name == "Event-Name" || h.Name == "Unique-ID" || keep(h.Name) {
			n++
		}
	}
	out := &Event{Headers: make([]Header, 0, n), Body: e.Body, Received: e.Received}
	for _, h := range e.Headers {
		if h.Name == "Event-Name" || h.Name == "Unique-ID" || keep(h.Name) {
			out.Headers = append(out.Headers, h)
		}
	}
	return out
}

// ChannelData is the `connect` reply: every channel header and variable
// (only those OutboundOptions.KeepChannelData picks, when it is set).
func (s *OutboundSession) ChannelData() *Event { return s.data }

// UUID is the channel's Unique-ID.
func (s *OutboundSession) UUID() string { return s.uuid }

// Events delivers the call's events in wire order (after MyEvents). It is
// closed when the socket closes.
func (s *OutboundSession) Events() <-chan *Event { return s.events.C() }

// HungUp is closed once the channel has hung up (CHANNEL_HANGUP, a linger
// disconnect notice, or the socket closing).
func (s *OutboundSession) HungUp() <-chan struct{} { return s.hungUp }

// HangupEvent is the CHANNEL_HANGUP(_COMPLETE) seen, if any.
func (s *OutboundSession) HangupEvent() *Event {
	s.hupMu.Lock()
	defer s.hupMu.Unlock()
	return s.hupEv
}

// Done is closed when the socket is closed; Err says why.
func (s *OutboundSession) Done() <-chan struct{} { return s.done }

// Err is nil while the socket is open.
func (s *OutboundSession) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

func (s *OutboundSession) markHungUp(e *Event) {
	if e != nil {
		s.hupMu.Lock()
		if s.hupEv == nil || e.Name() == EvChannelHangupComplete {
			s.hupEv = e
		}
		s.hupMu.Unlock()
	}
	s.hupOnce.Do(func() { close(s.hungUp) })
}

func (s *OutboundSession) fail(err error) {
	s.failOnce.Do(func() {
		s.err = err
		close(s.done)
		s.cancel()
		s.conn.Close()
		s.markHungUp(nil)
		s.qmu.Lock()
		replies := s.replies
		s.replies = nil
		execs := s.order
		s.order = nil
		s.execs = map[string]*Execution{}
		s.qmu.Unlock()
		for _, ch := range replies {
			ch <- outReply{err: fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)}
		}
		for _, x := range execs {
			x.finish(nil, fmt.Errorf("%w: %w", ErrHangup, err))
		}
		// the handler may still read the last events (HANGUP_COMPLETE);
		// handle() closes the mailbox hard when the handler returns
		s.events.closeDrain(nil)
	})
}

func (s *OutboundSession) readLoop() {
	for {
		f, err := s.fr.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				err = ErrClosed
			}
			s.fail(err)
			return
		}
		switch ct := f.ContentType(); ct {
		case ctEventPlain, ctEventJSON:
			e, perr := ParseEventFrame(f)
			if perr != nil {
				s.o.Metrics.drop("bad_event")
				s.o.Log.Warn("esl: outbound dropped unparsable event", "uuid", s.uuid, "err", perr)
				continue
			}
			e.Received = time.Now()
			s.o.Metrics.event(e.Name())
			s.onEvent(e)
		case ctCommandReply, ctAPIResponse:
			s.qmu.Lock()
			var ch chan outReply
			if len(s.replies) > 0 {
				ch = s.replies[0]
				s.replies = s.replies[1:]
			}
			s.qmu.Unlock()
			if ch == nil {
				s.o.Metrics.drop("unexpected_reply")
				s.fail(fmt.Errorf("%w: unexpected %s", ErrProtocol, ct))
				return
			}
			ch <- outReply{f: f}
		case ctDisconnectNotice:
			// "linger": the channel hung up and FreeSWITCH keeps the socket
			// open for the remaining events; "disconnect": it is closing.
			s.markHungUp(nil)
			if !strings.EqualFold(f.Get("Content-Disposition"), "linger") {
				s.fail(ErrClosed)
				return
			}
		default:
			s.o.Metrics.drop("unknown_content_type")
			s.o.Log.Warn("esl: outbound dropped frame of unknown type", "uuid", s.uuid, "content_type", truncate(ct, 60))
		}
	}
}

func (s *OutboundSession) onEvent(e *Event) {
	switch e.Name() {
	case EvChannelExecuteDone:
		s.completeExec(e)
	case EvChannelHangup, EvChannelHangupComplete:
		s.markHungUp(e)
	}
	if !s.events.push(e) {
		// The handler stopped reading Events. Executes and hangup
		// detection above still work; only the event stream is given up
		// (Events closes, Err on it is ErrMailboxOverflow).
		s.o.Metrics.drop("mailbox_overflow")
	}
}

// completeExec matches CHANNEL_EXECUTE_COMPLETE to the waiting Execute by
// Application-UUID, which FreeSWITCH takes from the Event-UUID header of
// the sendmsg (switch_ivr.c switch_ivr_parse_event keeps it as the app_uuid
// variable; switch_core_session.c switch_core_session_exec reports it as
// Application-UUID); failing that, the oldest pending execute of the same
// application.
func (s *OutboundSession) completeExec(e *Event) {
	id, app := e.Get("Application-UUID"), e.Get("Application")
	s.qmu.Lock()
	x := s.execs[id]
	if x == nil {
		for _, p := range s.order {
			if p.App == app {
				x = p
				break
			}
		}
	}
	if x != nil {
		delete(s.execs, x.ID)
		s.dropPending(x)
	}
	s.qmu.Unlock()
	if x != nil {
		x.finish(e, nil)
	}
}

// dropPending removes x from the pending executes (qmu held). The freed
// slot is cleared: a removed Execution holds its completion event (a few
// KiB), and the order slice's backing array would otherwise keep the last
// one alive for the rest of the call.
func (s *OutboundSession) dropPending(x *Execution) {
	if i := slices.Index(s.order, x); i >= 0 {
		s.order = slices.Delete(s.order, i, i+1)
	}
}

// command writes one message and waits for its reply. Replies are queued in
// command order, so a caller giving up does not disturb later commands; a
// reply that does not come within ReplyTimeout closes the session (call
// control should then uuid_kill the channel over the inbound pool, since a
// socket closed without hangup leaves it parked).
func (s *OutboundSession) command(ctx context.Context, kind string, msg []byte, before func()) (*Frame, error) {
	ch := make(chan outReply, 1)
	s.wmu.Lock()
	if err := s.Err(); err != nil {
		s.wmu.Unlock()
		return nil, errors.Join(ErrNotSent, err)
	}
	if before != nil {
		before()
	}
	s.qmu.Lock()
	s.replies = append(s.replies, ch)
	s.qmu.Unlock()
	start := time.Now()
	_ = s.conn.SetWriteDeadline(start.Add(s.o.ReplyTimeout))
	_, err := s.conn.Write(msg)
	s.wmu.Unlock()
	if err != nil {
		s.fail(fmt.Errorf("write: %w", err))
		return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	timer := time.NewTimer(s.o.ReplyTimeout)
	select {
	case r := <-ch:
		timer.Stop()
		if r.err != nil {
			return nil, r.err
		}
		s.o.Metrics.command(kind, time.Since(start))
		return r.f, nil
	case <-timer.C:
		s.o.Metrics.replyTimeout()
		s.fail(ErrReplyTimeout)
		return nil, fmt.Errorf("%w: %w", ErrReplyTimeout, ErrOutcomeUnknown)
	case <-ctx.Done():
		// The reply queue stays in order without us: the reader hands the
		// late reply to ch (buffered) and moves on. Closing the socket here
		// would leave the channel parked. Only a reply that never comes
		// closes the session.
		go func() {
			select {
			case <-ch:
				timer.Stop()
			case <-timer.C:
				s.o.Metrics.replyTimeout()
				s.fail(ErrReplyTimeout)
			}
		}()
		return nil, errors.Join(ctx.Err(), ErrOutcomeUnknown)
	}
}

func (s *OutboundSession) simple(ctx context.Context, text string) error {
	f, err := s.command(ctx, "command", []byte(text+"\n\n"), nil)
	if err != nil {
		return err
	}
	if rt := f.Get("Reply-Text"); !strings.HasPrefix(rt, "+OK") {
		ok, reason := splitReply(rt)
		_ = ok
		return &CommandError{Command: text, Reply: rt, Reason: reason}
	}
	return nil
}

// MyEvents subscribes this socket to its own channel's events
// (`myevents`; the traces show it delivers PARK, EXECUTE(_COMPLETE), DTMF,
// HANGUP, HANGUP_COMPLETE …, not PLAYBACK_START/STOP).
func (s *OutboundSession) MyEvents(ctx context.Context) error { return s.simple(ctx, "myevents") }

// Subscribe adds events to this socket (`event plain <names>`): myevents
// leaves CUSTOM out (mod_event_socket.c), so mod_audio_stream's
// ::connect / ::error / ::disconnect need `event plain CUSTOM <subclass>…`;
// myevents' filter to this channel still applies.
func (s *OutboundSession) Subscribe(ctx context.Context, names ...string) error {
	for _, n := range names {
		if err := checkToken("event", n, "_:", 128); err != nil {
			return err
		}
	}
	if len(names) == 0 {
		return nil
	}
	return s.simple(ctx, "event plain "+strings.Join(names, " "))
}

// Linger keeps the socket open after hangup so the final events (and
// HANGUP_COMPLETE with billsec) arrive; FreeSWITCH then sends a
// text/disconnect-notice with Content-Disposition: linger and waits for us
// to close.
func (s *OutboundSession) Linger(ctx context.Context) error { return s.simple(ctx, "linger") }

// API runs `api <cmd>` on this socket.
func (s *OutboundSession) API(ctx context.Context, cmd Command) (string, error) {
	if cmd.IsZero() {
		return "", &ArgumentError{Field: "command", Reason: "empty"}
	}
	f, err := s.command(ctx, "api", []byte("api "+cmd.text+"\n\n"), nil)
	if err != nil {
		return "", err
	}
	if ok, reason := splitReply(string(f.Body)); !ok {
		return string(f.Body), &CommandError{Command: cmd.text, Reply: string(f.Body), Reason: reason}
	}
	return string(f.Body), nil
}

// SendMsg sends a sendmsg with the given headers (go-eventsocket's MSG
// type). Names and values are checked for CR/LF and control characters;
// keys are written in sorted order for a deterministic wire image.
func (s *OutboundSession) SendMsg(ctx context.Context, m eventsocket.MSG) error {
	hs := make([]Header, 0, len(m))
	for k, v := range m {
		if err := checkToken("sendmsg header", k, "-_", 64); err != nil {
			return err
		}
		if err := checkLine("sendmsg "+k, v); err != nil {
			return err
		}
		hs = append(hs, Header{k, v})
	}
	sortHeaders(hs)
	return s.sendmsg(ctx, hs, nil)
}

func sortHeaders(hs []Header) {
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && hs[j].Name < hs[j-1].Name; j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}

func (s *OutboundSession) sendmsg(ctx context.Context, hs []Header, before func()) error {
	f, err := s.command(ctx, "sendmsg", appendSendmsg(nil, "", hs), before)
	if err != nil {
		return err
	}
	if rt := f.Get("Reply-Text"); !strings.HasPrefix(rt, "+OK") {
		_, reason := splitReply(rt)
		return &CommandError{Command: "sendmsg", Reply: rt, Reason: reason}
	}
	return nil
}

// Execution is one dialplan application started with ExecuteAsync.
type Execution struct {
	ID  string // Event-UUID sent; Application-UUID in the completion
	App string
	Arg string

	once sync.Once
	done chan struct{}
	ev   *Event
	err  error
}

func (x *Execution) finish(e *Event, err error) {
	x.once.Do(func() {
		x.ev, x.err = e, err
		close(x.done)
	})
}

// Done is closed when the application completed or can no longer complete.
func (x *Execution) Done() <-chan struct{} { return x.done }

// Wait returns the CHANNEL_EXECUTE_COMPLETE view.
func (x *Execution) Wait(ctx context.Context) (*ChannelExecute, error) {
	select {
	case <-x.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if x.err != nil {
		return nil, x.err
	}
	v, _ := x.ev.AsExecute()
	return v, nil
}

// ExecuteAsync queues a dialplan application on the channel with event-lock
// (applications run one after another, in order) and returns at once after
// FreeSWITCH's +OK. The arg must be one line; application-specific syntax
// (file names …) is the caller's to validate — PlayFile does it for
// playback.
func (s *OutboundSession) ExecuteAsync(ctx context.Context, app, arg string) (*Execution, error) {
	if err := checkToken("app", app, "_", 64); err != nil {
		return nil, err
	}
	if err := checkLine("app arg", arg); err != nil {
		return nil, err
	}
	x := &Execution{ID: uuid.NewString(), App: app, Arg: arg, done: make(chan struct{})}
	hs := []Header{{"call-command", "execute"}, {"execute-app-name", app}}
	if arg != "" {
		hs = append(hs, Header{"execute-app-arg", arg})
	}
	hs = append(hs, Header{"event-lock", "true"}, Header{"Event-UUID", x.ID})
	register := func() {
		s.qmu.Lock()
		s.execs[x.ID] = x
		s.order = append(s.order, x)
		s.qmu.Unlock()
	}
	if err := s.sendmsg(ctx, hs, register); err != nil {
		s.qmu.Lock()
		delete(s.execs, x.ID)
		s.dropPending(x)
		s.qmu.Unlock()
		x.finish(nil, err)
		return nil, err
	}
	return x, nil
}

// Execute runs an application and waits for its CHANNEL_EXECUTE_COMPLETE
// (requires MyEvents). After uuid_break a cut playback still completes with
// "FILE PLAYED" (traces).
func (s *OutboundSession) Execute(ctx context.Context, app, arg string) (*ChannelExecute, error) {
	x, err := s.ExecuteAsync(ctx, app, arg)
	if err != nil {
		return nil, err
	}
	return x.Wait(ctx)
}

// PlayFile runs playback after validating the file name.
func (s *OutboundSession) PlayFile(ctx context.Context, path string) (*ChannelExecute, error) {
	if err := ValidatePath("path", path); err != nil {
		return nil, err
	}
	return s.Execute(ctx, "playback", path)
}

// Hangup hangs the channel up (`sendmsg` call-command: hangup).
func (s *OutboundSession) Hangup(ctx context.Context, cause string) error {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	if err := validCause("cause", cause); err != nil {
		return err
	}
	return s.sendmsg(ctx, []Header{{"call-command", "hangup"}, {"hangup-cause", cause}}, nil)
}

// Close ends the session: unless LeaveParked or already hung up, it hangs
// the call up first (best effort, bounded by ReplyTimeout), then closes the
// socket.
func (s *OutboundSession) Close() error {
	if s.Err() == nil && !s.o.LeaveParked && s.data != nil {
		select {
		case <-s.hungUp:
		default:
			ctx, cancel := context.WithTimeout(context.Background(), s.o.ReplyTimeout)
			if err := s.Hangup(ctx, "NORMAL_CLEARING"); err != nil {
				s.o.Log.Warn("esl: hangup on close failed", "uuid", s.uuid, "err", err)
			}
			cancel()
		}
	}
	s.fail(ErrClosed)
	return nil
}
