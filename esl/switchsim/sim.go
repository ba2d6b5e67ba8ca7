package switchsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Options configure a simulator. The zero value works: password ClueCon,
// default personas, a random loopback port, FreeSWITCH's default limits.
type Options struct {
	// ESLAddr is the inbound ESL listen address (default 127.0.0.1:0).
	ESLAddr string
	// Password is the event_socket password (default "ClueCon", as FS ships).
	Password string
	// Personas decide how each dialled number behaves; nil means the
	// default personas by last digit (see DefaultPersonas).
	Personas *Personas
	// CDRURL, when set, receives every CDR as mod_xml_cdr posts it.
	CDRURL string
	// CDRRetries is mod_xml_cdr's "retries" (extra tries after a failure,
	// default 2 as in the traces' config, negative for none); CDRRetryDelay is its "delay"
	// (default 1 s).
	CDRRetries    int
	CDRRetryDelay time.Duration
	// HeartbeatEvery is the HEARTBEAT interval (FS: 20 s). Negative disables.
	HeartbeatEvery time.Duration
	// MaxSessions and SessionsPerSecond are switch.conf.xml's max-sessions
	// (default 1000) and sessions-per-second (default 30): over them an
	// originate fails as in switch_core_session.c.
	MaxSessions       int
	SessionsPerSecond int
	// TimeScale multiplies every simulated duration (ring time, prompts,
	// speech); 0 means 1. Tests use a small value to run fast.
	TimeScale float64
	// DefaultPromptMs is how long a prompt of unknown length plays (3000).
	DefaultPromptMs int
	// Hostname, IPv4 appear in every event (defaults "vm", "192.0.2.2" as in the traces).
	Hostname string
	IPv4     string
	// History is how many ended calls Calls() keeps at least (default
	// 5000; trimmed in bulk at twice that; the Originates counters are
	// never trimmed).
	History int
	// Log receives simulator diagnostics (default: discarded).
	Log *slog.Logger
	// HTTPClient posts CDRs (default: a client with a 10 s timeout).
	HTTPClient *http.Client
}

// Sim is a running FreeSWITCH stand-in.
type Sim struct {
	opts     Options
	personas *Personas
	log      *slog.Logger
	coreUUID atomic.Pointer[string] // replaced by Restart
	started  time.Time

	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	fireMu sync.Mutex // orders event delivery across all listeners
	seq    uint64

	mu          sync.Mutex
	listeners   map[*conn]struct{}
	calls       map[string]*call
	originates  map[string]int
	byUUID      map[string]int
	history     []CallInfo
	sessionsAll int
	peak        int
	spsWindow   time.Time
	spsCount    int
	killedGW    map[string]bool
	closed      bool
	sessions    map[*conn]struct{} // outbound socket connections, dropped on Close/Kill
	closing     chan struct{}      // closed when Close starts: lingering sockets stop waiting
	refuseESL   atomic.Bool        // DropESL(hold): inbound connections are closed at accept
}

// New validates options and builds a simulator; Start begins listening.
func New(o Options) (*Sim, error) {
	if o.Password == "" {
		o.Password = "ClueCon"
	}
	if o.ESLAddr == "" {
		o.ESLAddr = "127.0.0.1:0"
	}
	if o.CDRRetries == 0 {
		o.CDRRetries = 2
	}
	if o.CDRRetries < 0 {
		o.CDRRetries = 0
	}
	if o.CDRRetryDelay == 0 {
		o.CDRRetryDelay = time.Second
	}
	if o.HeartbeatEvery == 0 {
		o.HeartbeatEvery = 20 * time.Second
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = 1000
	}
	if o.SessionsPerSecond == 0 {
		o.SessionsPerSecond = 30
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.History <= 0 {
		o.History = 5000
	}
	if o.DefaultPromptMs <= 0 {
		o.DefaultPromptMs = 3000
	}
	if o.Hostname == "" {
		o.Hostname = "vm"
	}
	if o.IPv4 == "" {
		o.IPv4 = "192.0.2.2"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	p := o.Personas
	if p == nil {
		p = DefaultPersonas()
	}
	s := &Sim{opts: o, personas: p, log: o.Log,
		listeners: map[*conn]struct{}{}, calls: map[string]*call{}, originates: map[string]int{},
		byUUID: map[string]int{}, killedGW: map[string]bool{}, sessions: map[*conn]struct{}{},
		closing: make(chan struct{})}
	id := uuid.NewString()
	s.coreUUID.Store(&id)
	return s, nil
}

// Start listens on Options.ESLAddr and serves until ctx ends or Close.
func (s *Sim) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.ESLAddr)
	if err != nil {
		return fmt.Errorf("listen esl: %w", err)
	}
	s.ln = ln
	s.started = time.Now()
	// Under mu: a call still finishing from before a Kill reads the
	// context (postCDR) while Restart replaces it.
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	run := s.ctx
	s.mu.Unlock()
	s.wg.Add(2)
	go s.acceptLoop()
	go s.heartbeatLoop()
	go func() {
		<-run.Done()
		_ = ln.Close()
	}()
	return nil
}

// Restart brings a stopped (Close or Kill) simulator back on the same ESL
// address, as a FreeSWITCH restarted by its supervisor: no channels, new
// Core-UUID, but the ground-truth counters (Originates) and the call
// history survive, so "dialled twice across a crash" stays visible.
func (s *Sim) Restart(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed || s.ln == nil {
		s.mu.Unlock()
		return errors.New("restart: simulator is running")
	}
	s.closed = false
	s.closing = make(chan struct{})
	s.listeners = map[*conn]struct{}{}
	s.sessions = map[*conn]struct{}{}
	s.calls = map[string]*call{}
	id := uuid.NewString()
	s.coreUUID.Store(&id)
	s.opts.ESLAddr = s.ln.Addr().String()
	s.mu.Unlock()
	return s.Start(ctx)
}

// runCtx is the context of the current run (replaced by Restart).
func (s *Sim) runCtx() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

// ESLAddr is the address clients dial (host:port).
func (s *Sim) ESLAddr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Originates is how many originate commands named this number (ground
// truth for "dialled twice"). The number is matched as dialled.
func (s *Sim) Originates(number string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.originates[number]
}

// OriginatesUUID is how many originates asked for this origination_uuid.
func (s *Sim) OriginatesUUID(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byUUID[id]
}

// CallInfo is a snapshot of one simulated channel.
type CallInfo struct {
	UUID          string            `json:"uuid"`
	Number        string            `json:"number"`
	Persona       string            `json:"persona"`
	Gateway       string            `json:"gateway,omitempty"`
	State         string            `json:"state"` // CS_* state
	Answered      bool              `json:"answered"`
	Early         bool              `json:"early"`
	Ended         bool              `json:"ended"`
	HangupCause   string            `json:"hangup_cause,omitempty"`
	SIPTermStatus string            `json:"sip_term_status,omitempty"`
	Vars          map[string]string `json:"vars,omitempty"`
	Created       time.Time         `json:"created"`
	AnsweredAt    time.Time         `json:"answered_at"`
	EndedAt       time.Time         `json:"ended_at"`
	Apps          []string          `json:"apps,omitempty"`   // applications executed, "name arg"
	Speech        []string          `json:"speech,omitempty"` // what the callee said
	DTMF          string            `json:"dtmf,omitempty"`
	CDRPosted     bool              `json:"cdr_posted"`
	// Journal is the call's media happenings in the order the switch saw
	// them (tests assert orderings on it, never wall-clock limits).
	Journal []JournalEntry `json:"journal,omitempty"`
}

// Calls returns every call the simulator has seen, live and ended, oldest first.
func (s *Sim) Calls() []CallInfo {
	s.mu.Lock()
	out := append([]CallInfo(nil), s.history...)
	live := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		out = append(out, c.info())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

// Call returns one call's snapshot by UUID.
func (s *Sim) Call(id string) (CallInfo, bool) {
	for _, c := range s.Calls() {
		if c.UUID == id {
			return c, true
		}
	}
	return CallInfo{}, false
}

// LiveCalls is the number of channels that exist now.
func (s *Sim) LiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// Close hangs up every live call (SYSTEM_SHUTDOWN, as "fsctl shutdown"
// does) and stops listening.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	calls := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	for _, c := range calls {
		c.hangup("SYSTEM_SHUTDOWN", hangupLocal)
	}
	deadline := time.After(5 * time.Second)
	for _, c := range calls {
		select {
		case <-c.done:
		case <-deadline:
		}
	}
	s.stop(true)
	return nil
}

// Kill stops abruptly, as a crashed FreeSWITCH: every socket is dropped
// with no hangup events, no CDRs.
func (s *Sim) Kill() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	calls := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	for _, c := range calls {
		c.crash()
	}
	s.stop(false)
}

// stop ends listening and drops every socket; graceful flushes what is
// queued to each (hangup events, notices) first, as a shutting-down FS does.
func (s *Sim) stop(graceful bool) {
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Lock()
	ls := make([]*conn, 0, len(s.listeners)+len(s.sessions))
	for l := range s.listeners {
		ls = append(ls, l)
	}
	for l := range s.sessions {
		ls = append(ls, l)
	}
	s.mu.Unlock()
	if graceful {
		for _, l := range ls {
			l.closeAfterFlush()
		}
		deadline := time.After(2 * time.Second)
		for _, l := range ls {
			select {
			case <-l.writerDone:
			case <-deadline:
			}
		}
	}
	for _, l := range ls {
		l.kill()
	}
	s.wg.Wait()
}

// scale converts simulated milliseconds into wall time.
func (s *Sim) scale(ms int) time.Duration {
	return time.Duration(float64(ms) * s.opts.TimeScale * float64(time.Millisecond))
}

// baseEvent starts an event with the headers switch_event_prep_for_delivery
// adds (src/switch_event.c): name, core identity, dates, caller location,
// sequence. The sequence and dates are set in fire.
func (s *Sim) newEvent(name, file, fn string, line int) *event {
	e := &event{hdrs: make([]header, 0, 64)}
	e.add("Event-Name", name)
	e.add("Core-UUID", *s.coreUUID.Load())
	e.add("FreeSWITCH-Hostname", s.opts.Hostname)
	e.add("FreeSWITCH-Switchname", s.opts.Hostname)
	e.add("FreeSWITCH-IPv4", s.opts.IPv4)
	e.add("FreeSWITCH-IPv6", "::1")
	now := time.Now()
	e.add("Event-Date-Local", now.Format("2006-01-02 15:04:05"))
	e.add("Event-Date-GMT", now.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))
	e.add("Event-Date-Timestamp", strconv.FormatInt(now.UnixMicro(), 10))
	e.add("Event-Calling-File", file)
	e.add("Event-Calling-Function", fn)
	e.add("Event-Calling-Line-Number", strconv.Itoa(line))
	e.add("Event-Sequence", "")
	return e
}

// fire delivers an event to every interested listener in one global
// order, assigning the Event-Sequence as switch_event.c does at fire time.
func (s *Sim) fire(e *event) {
	if e.call != nil && e.call.isCrashed() {
		return // a crashed switch says nothing more about its calls
	}
	s.fireMu.Lock()
	defer s.fireMu.Unlock()
	s.seq++
	for i := range e.hdrs {
		if e.hdrs[i].k == "Event-Sequence" {
			e.hdrs[i].v = strconv.FormatUint(s.seq, 10)
			break
		}
	}
	s.mu.Lock()
	ls := make([]*conn, 0, len(s.listeners))
	for l := range s.listeners {
		ls = append(ls, l)
	}
	s.mu.Unlock()
	for _, l := range ls {
		l.deliver(e)
	}
	if e.call != nil {
		e.call.mu.Lock()
		sess := e.call.sess
		e.call.mu.Unlock()
		if sess != nil && !s.isListener(sess) {
			sess.deliver(e)
		}
	}
}

func (s *Sim) isListener(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.listeners[c]
	return ok
}

func (s *Sim) addListener(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.listeners[c] = struct{}{}
	return true
}

func (s *Sim) removeListener(c *conn) {
	s.mu.Lock()
	delete(s.listeners, c)
	s.mu.Unlock()
}

func (s *Sim) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.ctx.Err() != nil {
				return
			}
			s.log.Warn("switchsim accept", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		c := newConn(s, nc)
		if s.refuseESL.Load() || !s.addListener(c) {
			c.kill()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.removeListener(c)
			s.serveInbound(c)
		}()
	}
}

// heartbeatLoop fires HEARTBEAT like switch_core.c's heartbeat timer
// (every 20 s by default; inbound-answered-plain.jsonl shows one).
func (s *Sim) heartbeatLoop() {
	defer s.wg.Done()
	if s.opts.HeartbeatEvery < 0 {
		return
	}
	t := time.NewTicker(s.opts.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.fire(s.heartbeatEvent())
		}
	}
}

func (s *Sim) heartbeatEvent() *event {
	e := s.newEvent("HEARTBEAT", "switch_core.c", "send_heartbeat", 86)
	up := time.Since(s.started)
	s.mu.Lock()
	live, all, peak := len(s.calls), s.sessionsAll, s.peak
	s.mu.Unlock()
	e.add("Event-Info", "System Ready")
	e.add("Up-Time", uptime(up))
	e.add("FreeSWITCH-Version", "1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit")
	e.add("Uptime-msec", strconv.FormatInt(up.Milliseconds(), 10))
	e.add("Session-Count", strconv.Itoa(live))
	e.add("Max-Sessions", strconv.Itoa(s.opts.MaxSessions))
	e.add("Session-Per-Sec", strconv.Itoa(s.opts.SessionsPerSecond))
	e.add("Session-Per-Sec-Last", "0")
	e.add("Session-Per-Sec-Max", "0")
	e.add("Session-Per-Sec-FiveMin", "0")
	e.add("Session-Since-Startup", strconv.Itoa(all))
	e.add("Session-Peak-Max", strconv.Itoa(peak))
	e.add("Session-Peak-FiveMin", strconv.Itoa(peak))
	e.add("Idle-CPU", "99.000000")
	return e
}

func uptime(d time.Duration) string {
	ms := d.Milliseconds()
	parts := []struct {
		n    int64
		unit string
	}{{0, "year"}, {ms / 86400000, "day"}, {ms / 3600000 % 24, "hour"}, {ms / 60000 % 60, "minute"},
		{ms / 1000 % 60, "second"}, {ms % 1000, "millisecond"}, {d.Microseconds() % 1000, "microsecond"}}
	out := make([]string, len(parts))
	for i, p := range parts {
		// switch_core.c: "%u year%s, ..." with the plural "s" unless exactly 1
		out[i] = fmt.Sprintf("%d %s", p.n, p.unit)
		if p.n != 1 {
			out[i] += "s"
		}
	}
	return strings.Join(out, ", ")
}

// admit applies max-sessions and sessions-per-second like
// switch_core_session_request_uuid (src/switch_core_session.c: "Throttle
// Error!" / "Over Session Limit!"); sofia_outgoing_channel then reports
// DESTINATION_OUT_OF_ORDER, its default cause (mod_sofia.c).
func (s *Sim) admit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if now.Sub(s.spsWindow) >= time.Second {
		s.spsWindow, s.spsCount = now, 0
	}
	if s.spsCount >= s.opts.SessionsPerSecond || len(s.calls) >= s.opts.MaxSessions {
		return false
	}
	s.spsCount++
	return true
}
