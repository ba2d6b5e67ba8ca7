package esl

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fiorix/go-eventsocket/eventsocket"
	"github.com/google/uuid"
)

// Errors returned by clients and sessions.
var (
	// ErrClosed: the connection is closed (or was never usable).
	ErrClosed = errors.New("esl: connection closed")
	// ErrNotSent: the command never reached the socket; nothing happened
	// in FreeSWITCH and the caller may retry it anywhere.
	ErrNotSent = errors.New("esl: command not sent")
	// ErrOutcomeUnknown: the command was written but its result is
	// unknown (connection lost, timeout). An originate may have been placed:
	// reconcile (uuid_exists) before dialing again.
	ErrOutcomeUnknown = errors.New("esl: command outcome unknown")
	// ErrReplyTimeout: no reply within ReplyTimeout. The connection is
	// closed at once because ESL matches replies by order only: the late
	// reply would otherwise be taken as the answer to the next command.
	ErrReplyTimeout = errors.New("esl: reply timeout")
	// ErrAuth: FreeSWITCH refused the password.
	ErrAuth = errors.New("esl: authentication refused")
)

// CommandError is a "-ERR …" answer: Reply-Text of a command/reply, the body
// of an api/response, or the body of a BACKGROUND_JOB.
type CommandError struct {
	Command string
	Reply   string // as received
	Reason  string // without "-ERR ", e.g. USER_BUSY, "foobar Command not found!"
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("esl: %s: -ERR %s", truncate(e.Command, 60), e.Reason)
}

// DefaultEvents is what call control subscribes to: the channel life cycle,
// execution, DTMF, background jobs, heartbeats and the mod_audio_stream
// custom events. Never `log`, never ALL (CHANNEL_STATE/CALLSTATE/CODEC
// triple the traffic and nobody reads them).
var DefaultEvents = []string{
	EvChannelOutgoing, EvChannelCreate, EvChannelProgress, EvChannelProgressMedia, EvChannelAnswer,
	EvChannelHangup, EvChannelHangupComplete, EvChannelDestroy, EvChannelExecute, EvChannelExecuteDone,
	EvDTMF, EvBackgroundJob, EvHeartbeat,
	EvCustom, "mod_audio_stream::connect", "mod_audio_stream::disconnect", "mod_audio_stream::error",
	"mod_audio_stream::json", "mod_audio_stream::play",
}

// Filter is one `filter <header> <value>` line (mod_event_socket.c: with
// filters set, only events matching one of them are delivered).
type Filter struct{ Header, Value string }

// ClientOptions configure an inbound connection.
type ClientOptions struct {
	// DialTimeout bounds TCP connect plus the auth handshake (default 5 s).
	DialTimeout time.Duration
	// ReplyTimeout bounds each command's wait for its reply (default 10 s,
	// at most 50 s because go-eventsocket gives up by itself at 60 s).
	ReplyTimeout time.Duration
	// Events to subscribe to (default DefaultEvents). BACKGROUND_JOB is
	// always added: bgapi depends on it. "log" is refused.
	Events []string
	// Format is "plain" (default) or "json"; both are parsed by this
	// package's own parser, never by go-eventsocket.
	Format  string
	Filters []Filter
	Log     *slog.Logger
	Metrics *Metrics
	// Router receives per-call events and job results; the Pool passes one
	// that outlives reconnects. Default: a private router.
	Router *Router
	// OnEvent, when set, is called for every event from the read loop, in
	// order. It must not block (hand off to a mailbox or channel).
	OnEvent func(*Event)
	// ReadBuffer is the socket read buffer (default 64 KiB).
	ReadBuffer int
}

func (o *ClientOptions) defaults() {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.ReplyTimeout <= 0 {
		o.ReplyTimeout = 10 * time.Second
	}
	if o.ReplyTimeout > 50*time.Second {
		o.ReplyTimeout = 50 * time.Second
	}
	if o.Events == nil {
		o.Events = DefaultEvents
	}
	if o.Format == "" {
		o.Format = "plain"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.ReadBuffer <= 0 {
		o.ReadBuffer = 64 << 10
	}
}

// Client is one authenticated inbound ESL connection.
//
// Data path: FreeSWITCH ⇄ fs socket ⇄ guard (this package) ⇄ loopback ⇄
// go-eventsocket Connection. Every byte from FreeSWITCH is framed and
// checked by FrameReader first. Events are parsed here and never reach
// go-eventsocket. Replies (command/reply, api/response) are rewritten into a
// shape go-eventsocket cannot crash on and forwarded only while a command is
// waiting, so its reply matching (Send) and reply decoding are used. Commands
// are written by go-eventsocket's Send, one at a time (sem), and copied to
// FreeSWITCH by the guard.
type Client struct {
	addr   string
	o      ClientOptions
	router *Router
	owned  bool // router is private: fail its jobs on close

	fs    net.Conn                // to FreeSWITCH
	lib   *eventsocket.Connection // go-eventsocket, talking to guard
	guard net.Conn                // our end of the loopback towards lib

	sem     chan struct{} // one command in flight (replies match by order)
	pending atomic.Int32  // commands written, reply not yet forwarded
	// errReply is set when the reply last forwarded to go-eventsocket was
	// "-ERR …": only then is an error from Send a FreeSWITCH answer rather
	// than the library failing.
	errReply atomic.Bool
	gmu      sync.Mutex // serialises writes to guard

	heartbeat atomic.Pointer[Heartbeat]
	coreUUID  atomic.Pointer[string]

	firehoseOnce sync.Once
	firehose     atomic.Pointer[Mailbox]

	done    chan struct{}
	errOnce sync.Once
	err     error
}

// Dial connects to FreeSWITCH's event socket, authenticates, subscribes and
// applies filters. The returned client is ready for commands.
func Dial(ctx context.Context, addr, password string, o ClientOptions) (*Client, error) {
	o.defaults()
	if err := checkLine("password", password); err != nil || strings.ContainsAny(password, " \t") {
		return nil, fmt.Errorf("esl: dial %s: password must be one printable word: %w", addr, ErrInvalidArgument)
	}
	format := strings.ToLower(o.Format)
	if format != "plain" && format != "json" {
		return nil, &ArgumentError{Field: "format", Value: o.Format, Reason: "must be plain or json"}
	}
	events := append([]string(nil), o.Events...)
	hasJob := false
	for _, ev := range events {
		if err := validEventName(ev); err != nil {
			return nil, err
		}
		hasJob = hasJob || ev == EvBackgroundJob || ev == "ALL"
	}
	if !hasJob {
		// First, not last: mod_event_socket.c reads every token after
		// CUSTOM as a custom subclass name.
		events = append([]string{EvBackgroundJob}, events...)
	}
	for _, f := range o.Filters {
		if err := checkToken("filter header", f.Header, "_-", 64); err != nil {
			return nil, err
		}
		if err := ValidateVarValue("filter value", f.Value); err != nil {
			return nil, err
		}
	}

	dctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	defer cancel()
	var d net.Dialer
	fs, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("esl: dial %s: %w", addr, err)
	}
	deadline, _ := dctx.Deadline()
	_ = fs.SetDeadline(deadline)
	fr := NewFrameReader(fs, o.ReadBuffer)
	if err := authenticate(fs, fr, password); err != nil {
		fs.Close()
		return nil, fmt.Errorf("esl: dial %s: %w", addr, err)
	}
	c := &Client{addr: addr, o: o, fs: fs, sem: make(chan struct{}, 1), done: make(chan struct{}), router: o.Router}
	if c.router == nil {
		c.router = NewRouter(o.Metrics)
		c.owned = true
	}
	if err := c.attachLibrary(deadline); err != nil {
		fs.Close()
		return nil, fmt.Errorf("esl: dial %s: %w", addr, err)
	}
	_ = fs.SetDeadline(time.Time{})
	go c.readLoop(fr)
	go c.writePump()

	if err := c.simple(dctx, "event "+format+" "+strings.Join(events, " ")); err != nil {
		c.Close()
		return nil, fmt.Errorf("esl: dial %s: subscribe: %w", addr, err)
	}
	for _, f := range o.Filters {
		if err := c.simple(dctx, "filter "+f.Header+" "+f.Value); err != nil {
			c.Close()
			return nil, fmt.Errorf("esl: dial %s: filter: %w", addr, err)
		}
	}
	return c, nil
}

// authenticate runs the auth/request handshake (mod_event_socket.c).
func authenticate(w io.Writer, fr *FrameReader, password string) error {
	f, err := fr.ReadFrame()
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	switch f.ContentType() {
	case ctAuthRequest:
	case "text/rude-rejection":
		// mod_event_socket.c sends this instead of auth/request when the
		// event_socket ACL (apply-inbound-acl) refuses our address.
		return fmt.Errorf("%w: refused by the event socket ACL: %s", ErrAuth, truncate(strings.TrimSpace(string(f.Body)), 60))
	default:
		return fmt.Errorf("%w: greeting %q, want auth/request", ErrProtocol, truncate(f.ContentType(), 40))
	}
	if _, err := io.WriteString(w, "auth "+password+"\n\n"); err != nil {
		return err
	}
	f, err = fr.ReadFrame()
	if err != nil {
		return fmt.Errorf("read auth reply: %w", err)
	}
	if rt := f.Get("Reply-Text"); !strings.HasPrefix(rt, "+OK") {
		return fmt.Errorf("%w: %s", ErrAuth, truncate(rt, 60))
	}
	return nil
}

// attachLibrary connects a go-eventsocket Connection to our guard over a
// loopback TCP pair (go-eventsocket can only Dial an address). The
// loopback listener accepts only a peer that presents a random one-time
// password, so another local process cannot take the library's place.
func (c *Client) attachLibrary(deadline time.Time) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("guard listen: %w", err)
	}
	defer ln.Close()
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	secret := hex.EncodeToString(tok[:])
	type res struct {
		conn net.Conn
		err  error
	}
	accepted := make(chan res, 1)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				accepted <- res{nil, err}
				return
			}
			_ = conn.SetDeadline(deadline)
			if err := guardHandshake(conn, secret); err != nil {
				conn.Close()
				continue
			}
			_ = conn.SetDeadline(time.Time{})
			accepted <- res{conn, nil}
			return
		}
	}()
	type libRes struct {
		lib *eventsocket.Connection
		err error
	}
	dialed := make(chan libRes, 1)
	go func() {
		lib, err := eventsocket.Dial(ln.Addr().String(), secret)
		dialed <- libRes{lib, err}
	}()
	var g res
	select {
	case g = <-accepted:
	case <-time.After(time.Until(deadline)):
		ln.Close()
		g = <-accepted
		if g.err == nil {
			g.conn.Close()
		}
		<-dialed
		return errors.New("guard: go-eventsocket did not connect")
	}
	if g.err != nil {
		<-dialed
		return fmt.Errorf("guard accept: %w", g.err)
	}
	l := <-dialed
	if l.err != nil {
		g.conn.Close()
		return fmt.Errorf("go-eventsocket dial: %w", l.err)
	}
	c.lib, c.guard = l.lib, g.conn
	return nil
}

// guardHandshake plays FreeSWITCH's side of auth towards go-eventsocket.
func guardHandshake(conn net.Conn, secret string) error {
	if _, err := io.WriteString(conn, "Content-Type: auth/request\n\n"); err != nil {
		return err
	}
	br := bufio.NewReaderSize(conn, 512)
	var cmd strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if cmd.Len() > 256 {
			return errors.New("guard: auth too long")
		}
		if strings.TrimRight(line, "\r\n") == "" {
			break
		}
		cmd.WriteString(line)
	}
	if strings.TrimSpace(cmd.String()) != "auth "+secret {
		_, _ = io.WriteString(conn, "Content-Type: command/reply\nReply-Text: -ERR invalid\n\n")
		return errors.New("guard: wrong secret")
	}
	_, err := io.WriteString(conn, "Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
	return err
}

// writePump copies what go-eventsocket writes (the commands) to
// FreeSWITCH. It drops CR: go-eventsocket terminates commands with CRLF and
// mod_event_socket.c reads LF-terminated lines; our commands never contain
// CR themselves (the builders refuse it).
func (c *Client) writePump() {
	buf := make([]byte, 4096)
	for {
		n, err := c.guard.Read(buf)
		if n > 0 {
			out := buf[:0]
			for _, b := range buf[:n] {
				if b != '\r' {
					out = append(out, b)
				}
			}
			_ = c.fs.SetWriteDeadline(time.Now().Add(c.o.ReplyTimeout))
			if _, werr := c.fs.Write(out); werr != nil {
				c.fail(fmt.Errorf("write: %w", werr))
				return
			}
		}
		if err != nil {
			c.fail(ErrClosed)
			return
		}
	}
}

// readLoop owns the FreeSWITCH socket's read side. Nothing it reads can
// stop the process: framing errors close this connection, unknown frames
// are counted and dropped, events that do not parse are counted and dropped.
func (c *Client) readLoop(fr *FrameReader) {
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				err = ErrClosed
			}
			c.fail(err)
			return
		}
		switch ct := f.ContentType(); ct {
		case ctEventPlain, ctEventJSON:
			e, perr := ParseEventFrame(f)
			if perr != nil {
				c.o.Metrics.drop("bad_event")
				c.o.Log.Warn("esl: dropped unparsable event", "addr", c.addr, "err", perr)
				continue
			}
			e.Received = time.Now()
			c.deliver(e)
		case ctCommandReply, ctAPIResponse:
			if c.pending.Add(-1) < 0 {
				// A reply nobody asked for: the order of replies is lost,
				// so the connection cannot be trusted any more.
				c.pending.Store(0)
				c.o.Metrics.drop("unexpected_reply")
				c.fail(fmt.Errorf("%w: unexpected %s", ErrProtocol, ct))
				return
			}
			if err := c.forwardReply(f); err != nil {
				c.fail(err)
				return
			}
		case ctDisconnectNotice:
			c.o.Log.Info("esl: disconnect notice", "addr", c.addr, "body", truncate(string(f.Body), 80))
			c.fail(ErrClosed)
			return
		default:
			// go-eventsocket would log.Fatal here; we count and go on.
			c.o.Metrics.drop("unknown_content_type")
			c.o.Log.Warn("esl: dropped frame of unknown type", "addr", c.addr, "content_type", truncate(ct, 60))
		}
	}
}

// forwardReply rewrites a reply for go-eventsocket: only the headers it
// reads, with values it cannot crash on (it indexes reply[0] and slices
// reply[5:] after a "-E" prefix, and textproto refuses odd header names).
func (c *Client) forwardReply(f *Frame) error {
	var b []byte
	if f.ContentType() == ctCommandReply {
		// go-eventsocket reads it through textproto, which trims spaces:
		// trim first so an all-blank Reply-Text cannot become "" (found by
		// FuzzClientStream: "Reply-Text: \x14" crashed go-eventsocket).
		rt := libSafeErr(strings.TrimSpace(oneLine(f.Get("Reply-Text"))))
		if rt == "" {
			rt = "-ERR empty reply"
		}
		hs := []Header{{"Content-Type", ctCommandReply}, {"Reply-Text", rt}}
		if j := f.Get("Job-UUID"); j != "" && ValidateUUID("job", j) == nil {
			hs = append(hs, Header{"Job-UUID", j})
		}
		b = appendFrame(nil, hs, nil)
		c.errReply.Store(strings.HasPrefix(rt, "-E"))
	} else {
		body := f.Body
		if len(body) > 1 && body[0] == '-' && body[1] == 'E' && !strings.HasPrefix(string(body), "-ERR ") {
			body = append([]byte("-ERR "), body...)
		}
		if len(body) == 0 {
			// go-eventsocket needs a body to hand back; an empty api
			// answer is FreeSWITCH's "no reply".
			body = []byte("-ERR no reply")
		}
		b = appendFrame(nil, []Header{{"Content-Type", ctAPIResponse}}, body)
		c.errReply.Store(len(body) > 1 && body[0] == '-' && body[1] == 'E')
	}
	c.gmu.Lock()
	defer c.gmu.Unlock()
	_ = c.guard.SetWriteDeadline(time.Now().Add(c.o.ReplyTimeout))
	if _, err := c.guard.Write(b); err != nil {
		return fmt.Errorf("guard write: %w", err)
	}
	return nil
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// libSafeErr makes any "-E…" reply at least "-ERR " long.
func libSafeErr(s string) string {
	if strings.HasPrefix(s, "-E") && !strings.HasPrefix(s, "-ERR ") {
		return "-ERR " + s
	}
	return s
}

func (c *Client) deliver(e *Event) {
	name := e.Name()
	c.o.Metrics.event(name)
	switch name {
	case EvBackgroundJob:
		c.router.completeJob(e)
	case EvHeartbeat:
		if hb, ok := e.AsHeartbeat(); ok {
			c.heartbeat.Store(hb)
		}
	}
	if core := e.Get("Core-UUID"); core != "" {
		if p := c.coreUUID.Load(); p == nil || *p != core {
			c.coreUUID.Store(&core)
		}
	}
	c.router.dispatch(e)
	if c.o.OnEvent != nil {
		c.o.OnEvent(e)
	}
	if fh := c.firehose.Load(); fh != nil {
		fh.push(e)
	}
}

// fail closes the connection once, with the first error as the reason.
func (c *Client) fail(err error) {
	c.errOnce.Do(func() {
		c.err = err
		close(c.done)
		c.fs.Close()
		if c.guard != nil {
			c.guard.Close()
		}
		if c.lib != nil {
			c.lib.Close()
		}
		if c.owned {
			c.router.failJobs(fmt.Errorf("%w: %w", ErrOutcomeUnknown, err))
			c.router.closeAll(fmt.Errorf("%w: %w", ErrClosed, err))
		}
		if fh := c.firehose.Load(); fh != nil {
			fh.close(err)
		}
	})
}

// Close closes the connection.
func (c *Client) Close() error {
	c.fail(ErrClosed)
	return nil
}

// Done is closed when the connection is gone; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is up.
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Addr is the FreeSWITCH address.
func (c *Client) Addr() string { return c.addr }

// LastHeartbeat is the latest HEARTBEAT seen (nil before the first).
func (c *Client) LastHeartbeat() *Heartbeat { return c.heartbeat.Load() }

// CoreUUID is the FreeSWITCH process identity from the latest event; it
// changes when FreeSWITCH restarts.
func (c *Client) CoreUUID() string {
	if p := c.coreUUID.Load(); p != nil {
		return *p
	}
	return ""
}

// Events returns a channel with every event in wire order (an unbounded
// mailbox up to DefaultMailboxLimit). Enabled on first call.
func (c *Client) Events() <-chan *Event {
	c.firehoseOnce.Do(func() {
		fh := newMailbox("*", DefaultMailboxLimit*4, c.o.Metrics)
		c.firehose.Store(fh)
		if c.Err() != nil {
			fh.close(c.Err())
		}
	})
	return c.firehose.Load().C()
}

// Watch opens the ordered mailbox of one call (see Router.Watch).
func (c *Client) Watch(uuid string) *Mailbox { return c.router.Watch(uuid) }

// Unwatch closes it.
func (c *Client) Unwatch(uuid string) { c.router.Unwatch(uuid) }

// Router is the router this client delivers to.
func (c *Client) Router() *Router { return c.router }

// send writes one command through go-eventsocket and waits for its reply.
// At most one command is in flight (replies match by order only). A caller
// whose ctx ends while its command is in flight gets ErrOutcomeUnknown at
// once; the reply is still awaited in the background (holding the slot) and
// thrown away, so it can never answer the next command. A reply that does
// not come within ReplyTimeout closes the connection, never reused.
func (c *Client) send(ctx context.Context, kind, text string) (*eventsocket.Event, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, errors.Join(ErrNotSent, ctx.Err())
	case <-c.done:
		return nil, errors.Join(ErrNotSent, c.err)
	}
	if err := c.Err(); err != nil {
		<-c.sem
		return nil, errors.Join(ErrNotSent, err)
	}
	if err := ctx.Err(); err != nil {
		<-c.sem
		return nil, errors.Join(ErrNotSent, err)
	}
	start := time.Now()
	c.pending.Add(1)
	ch := make(chan libResult, 1)
	go func() {
		ev, err := c.lib.Send(text)
		ch <- libResult{ev, err}
	}()
	timer := time.NewTimer(c.o.ReplyTimeout)
	select {
	case r := <-ch:
		timer.Stop()
		<-c.sem
		c.o.Metrics.command(kind, time.Since(start))
		return c.result(text, r)
	case <-timer.C:
		c.timedOut(text)
		return nil, fmt.Errorf("%w: %w", ErrReplyTimeout, ErrOutcomeUnknown)
	case <-ctx.Done():
		go func() {
			select {
			case <-ch:
				timer.Stop()
				<-c.sem
			case <-timer.C:
				c.timedOut(text)
			}
		}()
		return nil, errors.Join(ctx.Err(), ErrOutcomeUnknown)
	case <-c.done:
		timer.Stop()
		return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, c.err)
	}
}

type libResult struct {
	ev  *eventsocket.Event
	err error
}

func (c *Client) timedOut(text string) {
	c.o.Metrics.replyTimeout()
	c.o.Log.Warn("esl: reply timeout, closing connection", "addr", c.addr, "command", truncate(text, 60))
	c.fail(ErrReplyTimeout)
}

func (c *Client) result(text string, r libResult) (*eventsocket.Event, error) {
	if r.err != nil {
		if err := c.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
		if !c.errReply.Load() {
			// not an -ERR answer: go-eventsocket itself failed
			c.fail(fmt.Errorf("go-eventsocket: %w", r.err))
			return nil, fmt.Errorf("%w: go-eventsocket: %w", ErrOutcomeUnknown, r.err)
		}
		// go-eventsocket reports "-ERR x" replies as errors carrying x.
		return nil, &CommandError{Command: text, Reply: "-ERR " + r.err.Error(), Reason: strings.TrimSpace(r.err.Error())}
	}
	return r.ev, nil
}

// simple sends a connection command and requires +OK.
func (c *Client) simple(ctx context.Context, text string) error {
	ev, err := c.send(ctx, "command", text)
	if err != nil {
		return err
	}
	if rt := ev.Get("Reply-Text"); !strings.HasPrefix(rt, "+OK") {
		return &CommandError{Command: text, Reply: rt, Reason: rt}
	}
	return nil
}

// API runs `api <cmd>` and returns the body. A body starting with -ERR is a
// *CommandError. A plain api blocks this connection's event delivery inside
// FreeSWITCH while it runs (mod_event_socket.c runs it inline), so anything
// slow (originate!) goes through BgAPI.
func (c *Client) API(ctx context.Context, cmd Command) (string, error) {
	if cmd.IsZero() {
		return "", &ArgumentError{Field: "command", Reason: "empty"}
	}
	ev, err := c.send(ctx, "api", "api "+cmd.text)
	if err != nil {
		var ce *CommandError
		if errors.As(err, &ce) {
			ce.Command = cmd.text
		}
		return "", err
	}
	return ev.Body, nil
}

// BgAPI runs `bgapi <cmd>` with a Job-UUID minted here (mod_event_socket.c
// honours a Job-UUID header on bgapi) and returns the Job; its result comes
// as BACKGROUND_JOB, at no fixed place among the call's events (traces).
// The job is registered before the command is written, because FreeSWITCH
// may send BACKGROUND_JOB in the same TCP chunk as the reply.
func (c *Client) BgAPI(ctx context.Context, cmd Command) (*Job, error) {
	if cmd.IsZero() {
		return nil, &ArgumentError{Field: "command", Reason: "empty"}
	}
	j := newJob(uuid.NewString(), cmd)
	c.router.addJob(j)
	ev, err := c.send(ctx, "bgapi", "bgapi "+cmd.text+"\nJob-UUID: "+j.ID)
	if err != nil {
		var ce *CommandError
		if errors.Is(err, ErrNotSent) || errors.As(err, &ce) {
			c.router.dropJob(j.ID)
		}
		if ce != nil {
			ce.Command = cmd.text
		}
		return nil, err
	}
	// go-eventsocket canonicalises header names: Job-UUID becomes Job-Uuid.
	if got := ev.Get("Job-Uuid"); got != j.ID {
		c.router.dropJob(j.ID)
		return nil, fmt.Errorf("%w: bgapi reply Job-UUID %q, sent %q", ErrProtocol, got, j.ID)
	}
	return j, nil
}
