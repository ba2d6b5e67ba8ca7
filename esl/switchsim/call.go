package switchsim

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// who ended a call decides the SIP variables (sofia.c sets
// sip_hangup_disposition and sip_term_status from what happened on the wire).
type hangupSide int

const (
	hangupLocal  hangupSide = iota // FS sent BYE/CANCEL: no sip_term_status
	hangupRemote                   // far end sent BYE: recv_bye, sip_term_status 200
	hangupRefuse                   // far end sent a final error: recv_refuse, its status
)

type hangupReq struct {
	cause  string
	side   hangupSide
	status int
}

// call is one simulated outbound channel (a sofia leg created by originate).
type call struct {
	sim     *Sim
	uuid    string
	number  string
	ds      dialString
	persona *Persona
	origArg string
	app     string
	appArg  string

	mu          sync.Mutex
	vars        []header
	state       string
	stateNum    int
	callState   string
	answerState string
	cause       string
	created     time.Time
	progressAt  time.Time
	mediaAt     time.Time
	answeredAt  time.Time
	hungupAt    time.Time
	sess        *conn
	apps        []string
	speech      []string
	dtmf        string
	cdrPosted   bool
	ended       bool
	appLog      []header
	journal     []JournalEntry
	streamStart int // uuid_audio_stream starts (for the persona's stream faults)

	hupOnce sync.Once
	hupCh   chan struct{}
	hup     hangupReq
	done    chan struct{}
	result  func(string)
	resOnce sync.Once
	crashed bool

	// application execution (mod_dptools apps queued by sendmsg)
	execMu   sync.Mutex
	execWG   sync.WaitGroup
	dtmfCh   chan string // digits for play_and_get_digits / read
	queue    []*appReq
	queueSig chan struct{}
	cur      *appReq

	// callee behaviour
	turnMu        sync.Mutex
	turn          int
	turnGen       int
	bargedThis    bool
	prompts       int // robot prompts started since answer
	streams       map[string]*audioStreamState
	talkStarted   time.Time
	talkUntil     time.Time
	talkFrom      time.Time
	talkPCM       []int16 // the utterance's clip as 8 kHz mono samples, if readable
	playing       bool    // a robot prompt is playing (the write leg has audio)
	flipped       bool    // switch_channel_flip_cid ran at answer
	transferredAt time.Time
	hitDialplan   bool
}

type appReq struct {
	name, arg, appUUID string
	loops              int
	brk                chan struct{}
	brkOnce            sync.Once
	fromSocket         bool
}

func (a *appReq) stop() { a.brkOnce.Do(func() { close(a.brk) }) }

// originate places a call: bgapi/api "originate <dial string> <app>
// [dialplan] [context] [cid_name] [cid_num] [timeout]" (mod_commands.c
// originate_function, switch_ivr_originate.c). done receives "+OK <uuid>\n"
// when the leg answers (or brings early media with ignore_early_media
// false) and "-ERR <CAUSE>\n" when it fails.
func (s *Sim) originate(rest string, done func(string)) {
	args := splitArgs(rest)
	if len(args) < 2 {
		done("-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n")
		return
	}
	ds, ok := parseDialString(args[0])
	if !ok {
		done("-ERR INVALID_URL\n")
		return
	}
	c := &call{sim: s, ds: ds, number: ds.number, origArg: rest, hupCh: make(chan struct{}), done: make(chan struct{}),
		queueSig: make(chan struct{}, 1), result: done, created: time.Now(), dtmfCh: make(chan string, 64)}
	c.uuid = getVar(ds.vars, "origination_uuid")
	if c.uuid == "" {
		c.uuid = uuid.NewString()
	}
	if strings.HasPrefix(args[1], "&") {
		c.app, c.appArg = parseApp(args[1])
	} else {
		// an extension through the dialplan: the simulator parks it.
		c.app, c.appArg = "park", ""
	}
	if len(args) > 6 {
		c.vars = append(c.vars, header{"originate_timeout", args[6]})
	}
	// ground truth first: whatever happens next, FS received this originate.
	s.mu.Lock()
	s.originates[c.number]++
	s.byUUID[c.uuid]++
	_, dup := s.calls[c.uuid]
	killed := ds.gateway != "" && s.killedGW[ds.gateway]
	closed := s.closed
	s.mu.Unlock()
	switch {
	case closed:
		done("-ERR SYSTEM_SHUTDOWN\n")
		return
	case dup:
		// switch_core_session_request_uuid refuses a UUID in use.
		done("-ERR DESTINATION_OUT_OF_ORDER\n")
		return
	case ds.tech == "error":
		cause := strings.ToUpper(ds.number)
		if !knownCause(cause) {
			cause = "NORMAL_CLEARING"
		}
		done("-ERR " + cause + "\n")
		return
	case ds.tech != "sofia" && ds.tech != "loopback" && ds.tech != "user" && ds.tech != "null":
		done("-ERR CHAN_NOT_IMPLEMENTED\n")
		return
	case killed:
		done("-ERR INVALID_GATEWAY\n")
		return
	case !s.admit():
		done("-ERR DESTINATION_OUT_OF_ORDER\n")
		return
	}
	c.persona = s.personas.For(c.number)
	s.mu.Lock()
	s.sessionsAll++
	sessionID := s.sessionsAll
	s.mu.Unlock()
	c.initVars(sessionID)
	s.mu.Lock()
	if s.closed {
		// Killed while this originate was being set up: the channel
		// died with the process (checked again under the lock that
		// Kill takes, so no channel outlives a crash).
		s.mu.Unlock()
		done("-ERR SYSTEM_SHUTDOWN\n")
		return
	}
	s.calls[c.uuid] = c
	if len(s.calls) > s.peak {
		s.peak = len(s.calls)
	}
	s.mu.Unlock()
	s.log.Debug("switchsim originate", "uuid", c.uuid, "persona", c.persona.Name)
	go c.run()
}

func (c *call) channelName() string {
	if c.ds.gateway != "" {
		return "sofia/gateway/" + c.ds.gateway + "/" + c.number
	}
	return c.ds.endpoint
}

func (c *call) initVars(sessionID int) {
	c.state, c.stateNum, c.callState, c.answerState = "CS_NONE", 1, "DOWN", "ringing"
	base := []header{
		{"direction", "outbound"}, {"is_outbound", "true"}, {"uuid", c.uuid}, {"call_uuid", c.uuid},
		{"session_id", strconv.Itoa(sessionID)}, {"sip_profile_name", "external"},
		{"video_media_flow", "disabled"}, {"text_media_flow", "disabled"}, {"channel_name", c.channelName()},
		{"sip_destination_url", "sip:" + c.number + "@" + c.hostOrGW()},
	}
	if c.ds.gateway != "" {
		base = append(base, header{"sip_gateway_name", c.ds.gateway})
	}
	vars := append(base, c.vars...)
	for _, v := range c.ds.vars {
		vars = setHeader(vars, v.k, v.v)
	}
	vars = append(vars, header{"originate_early_media", "true"}, header{"originate_endpoint", c.ds.tech})
	c.vars = vars
}

func (c *call) hostOrGW() string {
	if c.ds.host != "" {
		return c.ds.host
	}
	if c.ds.gateway != "" {
		return c.ds.gateway
	}
	return "127.0.0.1"
}

func setHeader(hs []header, k, v string) []header {
	for i := range hs {
		if hs[i].k == k {
			hs[i].v = v
			return hs
		}
	}
	return append(hs, header{k, v})
}

func (c *call) setVar(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v == "" {
		for i := range c.vars {
			if c.vars[i].k == k {
				c.vars = append(c.vars[:i], c.vars[i+1:]...)
				return
			}
		}
		return
	}
	c.vars = setHeader(c.vars, k, v)
}

func (c *call) getVar(k string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return getVar(c.vars, k)
}

func (c *call) setState(st string, num int) {
	c.mu.Lock()
	c.state, c.stateNum = st, num
	c.mu.Unlock()
}

// fireChannel fires a channel event carrying this call's data.
func (c *call) fireChannel(name, file, fn string, line int, extra ...string) {
	c.sim.fire(c.channelEvent(name, file, fn, line, extra...))
}

func micros(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

// channelEvent builds the header layout of the traces' channel events:
// base headers, channel state, Answer-State, codec, Caller-* profile and
// every variable_* (CHANNEL_OUTGOING has no variables yet).
func (c *call) channelEvent(name, file, fn string, line int, extra ...string) *event {
	e := c.sim.newEvent(name, file, fn, line)
	e.call = c
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == "CHANNEL_HANGUP_COMPLETE" {
		e.add("Hangup-Cause", c.cause) // the first of two (README fact 4)
	}
	if name == "CUSTOM" && len(extra) >= 2 && extra[0] == "Event-Subclass" {
		e.add("Event-Subclass", extra[1])
		extra = extra[2:]
	}
	chName := c.channelName()
	e.add("Channel-State", c.state)
	e.add("Channel-Call-State", c.callState)
	e.add("Channel-State-Number", strconv.Itoa(c.stateNum))
	e.add("Channel-Name", chName)
	e.add("Unique-ID", c.uuid)
	e.add("Call-Direction", "outbound")
	e.add("Presence-Call-Direction", "outbound")
	e.add("Channel-HIT-Dialplan", strconv.FormatBool(c.hitDialplan))
	e.add("Channel-Call-UUID", c.uuid)
	e.add("Answer-State", c.answerState)
	if c.cause != "" {
		e.add("Hangup-Cause", c.cause)
	}
	if !c.answeredAt.IsZero() || !c.mediaAt.IsZero() {
		e.add("Channel-Read-Codec-Name", "PCMU")
		e.add("Channel-Read-Codec-Rate", "8000")
		e.add("Channel-Read-Codec-Bit-Rate", "64000")
		e.add("Channel-Write-Codec-Name", "PCMU")
		e.add("Channel-Write-Codec-Rate", "8000")
		e.add("Channel-Write-Codec-Bit-Rate", "64000")
	}
	cid := getVar(c.vars, "origination_caller_id_number")
	if cid == "" {
		cid = "0000000000"
	}
	e.add("Caller-Direction", "outbound")
	e.add("Caller-Logical-Direction", "outbound")
	if c.flipped {
		// after answer FS flips caller and callee ids (CALL_UPDATE,
		// switch_channel.c switch_channel_flip_cid).
		e.add("Caller-Caller-ID-Name", "Outbound Call")
		e.add("Caller-Caller-ID-Number", c.number)
		e.add("Caller-Orig-Caller-ID-Number", cid)
		e.add("Caller-Callee-ID-Number", cid)
	} else {
		e.add("Caller-Caller-ID-Number", cid)
		e.add("Caller-Orig-Caller-ID-Number", cid)
		e.add("Caller-Callee-ID-Name", "Outbound Call")
		e.add("Caller-Callee-ID-Number", c.number)
	}
	if c.state != "CS_NONE" && c.state != "CS_INIT" {
		e.add("Caller-Network-Addr", "127.0.0.1")
	}
	e.add("Caller-ANI", cid)
	e.add("Caller-Destination-Number", c.number)
	e.add("Caller-Unique-ID", c.uuid)
	e.add("Caller-Source", "src/switch_ivr_originate.c")
	e.add("Caller-Context", "default")
	e.add("Caller-Channel-Name", chName)
	e.add("Caller-Profile-Index", "1")
	e.add("Caller-Profile-Created-Time", micros(c.created))
	e.add("Caller-Channel-Created-Time", micros(c.created))
	e.add("Caller-Channel-Answered-Time", micros(c.answeredAt))
	e.add("Caller-Channel-Progress-Time", micros(c.progressAt))
	e.add("Caller-Channel-Progress-Media-Time", micros(c.mediaAt))
	e.add("Caller-Channel-Hangup-Time", micros(c.hungupAt))
	e.add("Caller-Channel-Transfer-Time", micros(c.transferredAt))
	for _, k := range []string{"Resurrect-Time", "Bridged-Time", "Last-Hold", "Hold-Accum"} {
		e.add("Caller-Channel-"+k, "0")
	}
	e.add("Caller-Screen-Bit", "true")
	e.add("Caller-Privacy-Hide-Name", "false")
	e.add("Caller-Privacy-Hide-Number", "false")
	if name != "CHANNEL_OUTGOING" {
		for _, v := range c.vars {
			e.add("variable_"+v.k, v.v)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		e.add(extra[i], extra[i+1])
	}
	return e
}

func (c *call) sleep(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-c.hupCh:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.hupCh:
		return false
	case <-t.C:
		return true
	}
}

// hangup requests the end of the call; the first request wins.
func (c *call) hangup(cause string, side hangupSide) { c.hangupStatus(cause, side, 0) }

func (c *call) hangupStatus(cause string, side hangupSide, status int) {
	c.hupOnce.Do(func() {
		c.hup = hangupReq{cause: cause, side: side, status: status}
		close(c.hupCh)
	})
}

func (c *call) hungUp() bool {
	select {
	case <-c.hupCh:
		return true
	default:
		return false
	}
}

func (c *call) waitDone(d time.Duration) {
	select {
	case <-c.done:
	case <-time.After(d):
	}
}

// crash drops the call without any event (Sim.Kill).
func (c *call) crash() {
	c.mu.Lock()
	c.crashed = true
	sess := c.sess
	c.mu.Unlock()
	c.hangup("CRASH", hangupLocal)
	if sess != nil {
		sess.kill()
	}
}

func (c *call) isCrashed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crashed
}

func (c *call) originateResult(out string) {
	c.resOnce.Do(func() {
		if c.isCrashed() {
			return
		}
		c.result(out)
	})
}

func (c *call) timeoutMs() int {
	if v, err := strconv.Atoi(c.getVar("originate_timeout")); err == nil && v > 0 {
		return v * 1000
	}
	return 60000 // switch_ivr_originate.c default
}

// run drives the call from INVITE to destroy. The event order per outcome
// comes from the inbound-*.jsonl traces (README facts 8-11).
func (c *call) run() {
	defer close(c.done)
	s := c.sim
	p := c.persona
	// switch_core_session.c fires OUTGOING before the state machine's CREATE.
	c.fireChannel("CHANNEL_OUTGOING", "switch_core_session.c", "switch_core_session_outgoing_channel", 768)
	c.setState("CS_INIT", 2)
	c.fireChannel("CHANNEL_STATE", "switch_core_state_machine.c", "switch_core_session_run", 612)
	c.fireChannel("CHANNEL_CREATE", "switch_core_state_machine.c", "switch_core_session_run", 626)
	c.fireChannel("CHANNEL_ORIGINATE", "switch_ivr_originate.c", "switch_ivr_originate", 3800)
	c.setState("CS_ROUTING", 3)
	c.fireChannel("CHANNEL_STATE", "switch_core_state_machine.c", "switch_core_session_run", 612)
	c.setState("CS_CONSUME_MEDIA", 7)
	c.fireChannel("CHANNEL_STATE", "switch_core_state_machine.c", "switch_core_session_run", 612)

	timeout := s.scale(c.timeoutMs())
	start := time.Now()
	ring := s.scale(p.ringMs())
	ignoreEarly := strings.EqualFold(c.getVar("ignore_early_media"), "true")

	refuse := func(status int) {
		c.hangupStatus(sipCause(status), hangupRefuse, status)
	}
	outcome := p.Outcome
	switch outcome {
	case OutcomeBusy, OutcomeReject, OutcomeNotFound, OutcomeUnavailable, OutcomeSIP:
		st := p.SIPStatus
		if st == 0 {
			st = map[string]int{OutcomeBusy: 486, OutcomeReject: 603, OutcomeNotFound: 404, OutcomeUnavailable: 503}[outcome]
		}
		switch {
		case ring >= timeout:
			c.ringUntil(start, timeout)
		case p.ringMs() >= 1000:
			// a callee who lets it ring before refusing: 180 first, then
			// the final response (the traces' 300 ms refusals had no 180).
			if c.sleep(s.scale(100)) {
				c.progress()
				if c.sleep(ring - s.scale(100)) {
					refuse(st)
				}
			}
		default:
			if c.sleep(ring) {
				refuse(st)
			}
		}
	case OutcomeNoAnswer:
		if c.sleep(min(ring, timeout)) {
			c.progress()
			c.ringUntil(start, timeout)
		}
	case OutcomePowerOff, OutcomeInvalidNumber, OutcomeEarlyMedia:
		if ring >= timeout {
			c.ringUntil(start, timeout)
		} else if c.sleep(ring) {
			c.earlyMedia(ignoreEarly, start, timeout)
		}
	default: // answer
		c.sleep(min(s.scale(100), ring))
		if !c.hungUp() {
			c.progress()
		}
		if ring >= timeout {
			c.ringUntil(start, timeout)
		} else if c.sleep(ring - min(s.scale(100), ring)) {
			c.answer()
			c.originateResult("+OK " + c.uuid + "\n")
			c.startApp()
			c.startCallee()
		}
	}
	<-c.hupCh
	c.finish()
}

// ringUntil waits for the originate timeout and then cancels (NO_ANSWER,
// FS sends CANCEL: inbound-noanswer.jsonl).
func (c *call) ringUntil(start time.Time, timeout time.Duration) {
	if c.sleep(time.Until(start.Add(timeout))) {
		c.setVar("sip_invite_failure_status", "487")
		c.setVar("sip_invite_failure_phrase", "CANCEL")
		c.hangup("NO_ANSWER", hangupLocal)
	}
}

// progress is the 180 Ringing: CHANNEL_PROGRESS then CALLSTATE DOWN->RINGING.
func (c *call) progress() {
	c.mu.Lock()
	c.progressAt = time.Now()
	c.mu.Unlock()
	c.fireChannel("CHANNEL_PROGRESS", "switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 1329)
	c.callstate("RINGING")
}

func (c *call) callstate(to string) {
	c.mu.Lock()
	from := c.callState
	c.callState = to
	c.mu.Unlock()
	c.fireChannel("CHANNEL_CALLSTATE", "switch_channel.c", "switch_channel_perform_set_callstate", 367,
		"Original-Channel-Call-State", from, "Channel-Call-State-Number", strconv.Itoa(callStateNum(to)))
}

func callStateNum(s string) int {
	return map[string]int{"DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3, "ACTIVE": 4, "HELD": 5, "RING_WAIT": 6, "HANGUP": 7}[s]
}

func (c *call) answer() {
	c.mu.Lock()
	if !c.answeredAt.IsZero() {
		c.mu.Unlock()
		return
	}
	early := !c.mediaAt.IsZero()
	c.mu.Unlock()
	if !early {
		// the 200 OK's SDP sets the codecs (switch_core_codec.c), as
		// the two CODEC events before CHANNEL_ANSWER in the trace show.
		c.fireChannel("CODEC", "switch_core_codec.c", "switch_core_session_set_real_read_codec", 168,
			"channel-read-codec-name", "PCMU", "channel-read-codec-rate", "8000", "channel-read-codec-bit-rate", "64000")
		c.fireChannel("CODEC", "switch_core_codec.c", "switch_core_session_set_write_codec", 450,
			"Channel-Write-Codec-Name", "PCMU", "Channel-Write-Codec-Rate", "8000", "Channel-Write-codec-bit-rate", "64000")
	}
	c.mu.Lock()
	c.answeredAt = time.Now()
	c.answerState = "answered"
	c.vars = setHeader(c.vars, "endpoint_disposition", "ANSWER")
	c.mu.Unlock()
	c.fireChannel("CHANNEL_ANSWER", "switch_channel.c", "switch_channel_perform_mark_answered", 3846)
	c.callstate("ACTIVE")
	c.mu.Lock()
	c.flipped = true
	c.hitDialplan = true
	c.vars = setHeader(c.vars, "pre_transfer_caller_id_number", "0000000000")
	c.vars = setHeader(c.vars, "channel_cid_flipped", "yes")
	c.mu.Unlock()
	c.sim.fire(c.callUpdate())
}

// callUpdate is the CALL_UPDATE fired by switch_channel_flip_cid, with
// "Direction: RECV" before the channel headers.
func (c *call) callUpdate() *event {
	e := c.channelEvent("CALL_UPDATE", "switch_channel.c", "switch_channel_flip_cid", 3277)
	for i, h := range e.hdrs {
		if h.k == "Channel-State" {
			e.hdrs = append(e.hdrs[:i], append([]header{{"Direction", "RECV"}}, e.hdrs[i:]...)...)
			break
		}
	}
	return e
}

// earlyMedia is 183 Session Progress with SDP: PROGRESS_MEDIA (no
// CHANNEL_PROGRESS), the originate succeeds at once unless
// ignore_early_media=true, and the application runs on the early leg
// (inbound-earlymedia.jsonl, README fact 11).
func (c *call) earlyMedia(ignoreEarly bool, start time.Time, timeout time.Duration) {
	p := c.persona
	c.mu.Lock()
	c.mediaAt = time.Now()
	c.answerState = "early"
	c.vars = setHeader(c.vars, "endpoint_disposition", "EARLY MEDIA")
	c.mu.Unlock()
	c.fireChannel("CHANNEL_PROGRESS_MEDIA", "switch_channel.c", "switch_channel_perform_mark_pre_answered", 3652)
	c.callstate("EARLY")
	if !ignoreEarly {
		c.originateResult("+OK " + c.uuid + "\n")
		c.startApp()
	}
	ann := p.EarlyMedia
	status := 480
	if p.Outcome == OutcomeInvalidNumber {
		status = 404
	}
	if ann == nil {
		ann = &Announcement{Utterance: Utterance{Text: "您拨打的用户暂时无法接通。"}}
	}
	if ann.SIPStatus != 0 {
		status = ann.SIPStatus
	}
	go func() {
		ms := utteranceMs(ann.Text, ann.Clip, ann.DurationMs)
		if !c.speak(ann.Text, ann.Clip, ms) {
			return
		}
		if ann.RepeatTill > 0 {
			if !c.sleep(c.sim.scale(ann.RepeatTill - ms)) {
				return
			}
		} else if !c.sleep(c.sim.scale(500)) {
			return
		}
		refuseStatus := status
		c.hangupStatus(sipCause(refuseStatus), hangupRefuse, refuseStatus)
	}()
}

// startApp runs the originate's application on the connected leg.
func (c *call) startApp() {
	c.setState("CS_EXECUTE", 4)
	c.fireChannel("CHANNEL_STATE", "switch_core_state_machine.c", "switch_core_session_run", 612)
	c.execWG.Add(1)
	go c.executor()
	switch strings.ToLower(c.app) {
	case "socket":
		go c.socketApp(c.appArg)
	case "park":
		c.logApp("park", "")
		c.fireChannel("CHANNEL_PARK", "switch_ivr.c", "switch_ivr_park", 1002)
	default:
		// a plain dialplan app (&playback(...)): run it, then the extension
		// ends and FS hangs up with NORMAL_CLEARING (inbound-answered-plain.jsonl).
		go func() {
			c.enqueue(&appReq{name: c.app, arg: c.appArg, appUUID: uuid.NewString(), brk: make(chan struct{})})
			c.waitIdle()
			c.hangup("NORMAL_CLEARING", hangupLocal)
		}()
	}
}

func (c *call) logApp(name, arg string) {
	c.mu.Lock()
	c.apps = append(c.apps, strings.TrimSpace(name+" "+arg))
	c.appLog = append(c.appLog, header{name, arg})
	c.mu.Unlock()
}

func (c *call) schedHangup(after time.Duration, cause string) {
	go func() {
		if c.sleep(after) {
			c.hangup(cause, hangupLocal)
		}
	}()
}

// finish is the hangup half: CHANNEL_HANGUP, states, reporting (CDR),
// HANGUP_COMPLETE, then destroy once no lingering socket holds the channel.
func (c *call) finish() {
	h := c.hup
	if c.isCrashed() {
		c.drop()
		return
	}
	now := time.Now()
	c.mu.Lock()
	c.cause = h.cause
	c.hungupAt = now
	prevAnswer := c.answerState
	c.answerState = "hangup"
	switch h.side {
	case hangupRefuse:
		c.vars = setHeader(c.vars, "sip_hangup_disposition", "recv_refuse")
		c.vars = setHeader(c.vars, "sip_invite_failure_status", strconv.Itoa(h.status))
		c.vars = setHeader(c.vars, "sip_invite_failure_phrase", sipPhrase(h.status))
		c.vars = setHeader(c.vars, "sip_term_status", strconv.Itoa(h.status))
		c.vars = setHeader(c.vars, "proto_specific_hangup_cause", "sip:"+strconv.Itoa(h.status))
		c.vars = setHeader(c.vars, "sip_term_cause", strconv.Itoa(q850[h.cause]))
	case hangupRemote:
		c.vars = setHeader(c.vars, "sip_hangup_disposition", "recv_bye")
		c.vars = setHeader(c.vars, "sip_term_status", "200")
		c.vars = setHeader(c.vars, "proto_specific_hangup_cause", "sip:200")
		c.vars = setHeader(c.vars, "sip_term_cause", "16")
	}
	answered := !c.answeredAt.IsZero()
	c.stateNum = 10
	c.mu.Unlock()
	c.fireChannel("CHANNEL_HANGUP", "switch_channel.c", "switch_channel_perform_hangup", 3445)
	c.stopApps()
	// the interrupted app reports EXECUTE_COMPLETE before the channel moves on.
	c.execWG.Wait()
	// The originate API returns here for refusals with the leg torn down:
	// 486/603/404 after HANGUP_COMPLETE, 503/NO_ANSWER before it (README fact 9).
	early := strings.HasPrefix(h.cause, "NORMAL_TEMPORARY") || h.cause == "NO_ANSWER" || h.side == hangupLocal
	if early && prevAnswer != "answered" && prevAnswer != "early" {
		c.originateResult("-ERR " + h.cause + "\n")
	}
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess != nil {
		c.fireChannel("CHANNEL_UNPARK", "switch_ivr.c", "switch_ivr_park", 1180)
		// Application-Response is whatever the last app left in
		// current_application_response: "FILE PLAYED" in outbound-session.jsonl.
		resp := c.getVar("current_application_response")
		if resp == "" {
			resp = "_none_"
		}
		c.fireChannel("CHANNEL_EXECUTE_COMPLETE", "switch_core_session.c", "switch_core_session_exec", 2967,
			"Application", "socket", "Application-Data", c.appArg, "Application-Response", resp,
			"Application-UUID", uuid.NewString())
	}
	c.mu.Lock()
	switch h.side {
	case hangupLocal:
		if answered {
			c.vars = setHeader(c.vars, "sip_hangup_disposition", "send_bye")
		} else if prevAnswer == "early" || h.cause == "NO_ANSWER" || prevAnswer == "ringing" {
			c.vars = setHeader(c.vars, "sip_hangup_disposition", "send_cancel")
		}
	}
	c.state, c.stateNum = "CS_HANGUP", 10
	c.mu.Unlock()
	c.fireChannel("CHANNEL_STATE", "switch_core_state_machine.c", "switch_core_session_run", 612)
	c.callstate("HANGUP")
	c.mu.Lock()
	c.state, c.stateNum = "CS_REPORTING", 11
	c.addTimingVars(now)
	c.mu.Unlock()
	c.fireChannel("CHANNEL_STATE", "switch_core_state_machine.c", "switch_core_session_run", 612)
	c.writeSessionRecording()
	// mod_xml_cdr posts in the reporting state, before HANGUP_COMPLETE
	// (README fact 19: a retry delays HANGUP_COMPLETE).
	c.postCDR()
	c.fireChannel("CHANNEL_HANGUP_COMPLETE", "switch_core_state_machine.c", "switch_core_session_reporting_state", 943)
	c.originateResult("-ERR " + h.cause + "\n")
	if sess != nil {
		sess.afterHangup(c)
	}
	c.fireChannel("CHANNEL_DESTROY", "switch_core_session.c", "switch_core_session_perform_destroy", 1584)
	c.setState("CS_DESTROY", 12)
	c.fireChannel("CHANNEL_STATE", "switch_core_state_machine.c", "switch_core_session_run", 612)
	c.drop()
}

// drop removes the call from the live table into history.
func (c *call) drop() {
	s := c.sim
	info := c.info()
	info.Ended = true
	s.mu.Lock()
	delete(s.calls, c.uuid)
	s.history = append(s.history, info)
	if len(s.history) >= 2*s.opts.History {
		// trim in bulk so a long run costs O(1) per call
		s.history = append(s.history[:0:0], s.history[len(s.history)-s.opts.History:]...)
	}
	s.mu.Unlock()
	c.mu.Lock()
	c.ended = true
	c.mu.Unlock()
}

// addTimingVars sets the CDR variables switch_channel.c
// switch_channel_set_timestamps computes at hangup.
func (c *call) addTimingVars(end time.Time) {
	set := func(k, v string) { c.vars = setHeader(c.vars, k, v) }
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02 15:04:05")
	}
	epoch := func(t time.Time) string {
		if t.IsZero() {
			return "0"
		}
		return strconv.FormatInt(t.Unix(), 10)
	}
	set("hangup_cause", c.cause)
	set("hangup_cause_q850", strconv.Itoa(q850[c.cause]))
	set("digits_dialed", "none")
	set("start_stamp", stamp(c.created))
	set("profile_start_stamp", stamp(c.created))
	if !c.answeredAt.IsZero() {
		set("answer_stamp", stamp(c.answeredAt))
	}
	if !c.progressAt.IsZero() {
		set("progress_stamp", stamp(c.progressAt))
	}
	if !c.mediaAt.IsZero() {
		set("progress_media_stamp", stamp(c.mediaAt))
	}
	set("end_stamp", stamp(end))
	set("start_epoch", epoch(c.created))
	set("start_uepoch", micros(c.created))
	set("profile_start_epoch", epoch(c.created))
	set("profile_start_uepoch", micros(c.created))
	set("answer_epoch", epoch(c.answeredAt))
	set("answer_uepoch", micros(c.answeredAt))
	set("bridge_epoch", "0")
	set("bridge_uepoch", "0")
	set("last_hold_epoch", "0")
	set("last_hold_uepoch", "0")
	set("hold_accum_seconds", "0")
	set("hold_accum_usec", "0")
	set("hold_accum_ms", "0")
	set("resurrect_epoch", "0")
	set("resurrect_uepoch", "0")
	set("progress_epoch", epoch(c.progressAt))
	set("progress_uepoch", micros(c.progressAt))
	set("progress_media_epoch", epoch(c.mediaAt))
	set("progress_media_uepoch", micros(c.mediaAt))
	set("end_epoch", epoch(end))
	set("end_uepoch", micros(end))
	if n := len(c.appLog); n > 0 {
		set("last_app", c.appLog[n-1].k)
		set("last_arg", c.appLog[n-1].v)
	}
	cid := getVar(c.vars, "origination_caller_id_number")
	if cid == "" {
		cid = "0000000000"
	}
	if c.flipped {
		// after the answer-time id flip (cdr-answered-plain-decoded.xml)
		cid = "\"Outbound Call\" <" + c.number + ">"
	}
	set("caller_id", cid)
	dur := end.Sub(c.created)
	var bill, prog, progMedia, ans time.Duration
	if !c.answeredAt.IsZero() {
		bill = end.Sub(c.answeredAt)
		ans = c.answeredAt.Sub(c.created)
	}
	if !c.progressAt.IsZero() {
		prog = c.progressAt.Sub(c.created)
	}
	if !c.mediaAt.IsZero() {
		progMedia = c.mediaAt.Sub(c.created)
	}
	// FS rounds seconds from whole-second epochs (duration = end_epoch -
	// start_epoch), so a 300 ms busy call has duration 1 as in the trace.
	secs := func(a, b time.Time) string {
		if a.IsZero() || b.IsZero() {
			return "0"
		}
		return strconv.FormatInt(b.Unix()-a.Unix(), 10)
	}
	set("duration", secs(c.created, end))
	set("billsec", secs(c.answeredAt, end))
	set("progresssec", secs(c.created, c.progressAt))
	set("answersec", secs(c.created, c.answeredAt))
	set("waitsec", secs(c.created, c.answeredAt))
	set("progress_mediasec", secs(c.created, c.mediaAt))
	set("flow_billsec", secs(c.created, end))
	set("mduration", strconv.FormatInt(dur.Milliseconds(), 10))
	set("billmsec", strconv.FormatInt(bill.Milliseconds(), 10))
	set("progressmsec", strconv.FormatInt(prog.Milliseconds(), 10))
	set("answermsec", strconv.FormatInt(ans.Milliseconds(), 10))
	set("waitmsec", strconv.FormatInt(ans.Milliseconds(), 10))
	set("progress_mediamsec", strconv.FormatInt(progMedia.Milliseconds(), 10))
	set("flow_billmsec", strconv.FormatInt(dur.Milliseconds(), 10))
	set("uduration", strconv.FormatInt(dur.Microseconds(), 10))
	set("billusec", strconv.FormatInt(bill.Microseconds(), 10))
	set("progressusec", strconv.FormatInt(prog.Microseconds(), 10))
	set("answerusec", strconv.FormatInt(ans.Microseconds(), 10))
	set("waitusec", strconv.FormatInt(ans.Microseconds(), 10))
	set("progress_mediausec", strconv.FormatInt(progMedia.Microseconds(), 10))
	set("flow_billusec", strconv.FormatInt(dur.Microseconds(), 10))
}

func (c *call) info() CallInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	vars := make(map[string]string, len(c.vars))
	for _, v := range c.vars {
		vars[v.k] = v.v
	}
	return CallInfo{UUID: c.uuid, Number: c.number, Persona: c.persona.Name, Gateway: c.ds.gateway, State: c.state,
		Answered: !c.answeredAt.IsZero(), Early: !c.mediaAt.IsZero(), Ended: c.ended, HangupCause: c.cause,
		SIPTermStatus: vars["sip_term_status"], Vars: vars, Created: c.created, AnsweredAt: c.answeredAt,
		EndedAt: c.hungupAt, Apps: append([]string(nil), c.apps...), Speech: append([]string(nil), c.speech...),
		DTMF: c.dtmf, CDRPosted: c.cdrPosted, Journal: append([]JournalEntry(nil), c.journal...)}
}

func (c *call) showRow() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	cid := getVar(c.vars, "origination_caller_id_number")
	if cid == "" {
		cid = "0000000000"
	}
	app, appData := c.app, c.appArg
	return map[string]string{"uuid": c.uuid, "direction": "outbound", "created": c.created.Format("2006-01-02 15:04:05"),
		"created_epoch": strconv.FormatInt(c.created.Unix(), 10), "name": c.channelName(), "state": c.state,
		"cid_name": "Outbound Call", "cid_num": c.number, "dest": c.number, "application": app,
		"application_data": appData, "context": "default", "read_codec": "PCMU", "read_rate": "8000",
		"read_bit_rate": "64000", "write_codec": "PCMU", "write_rate": "8000", "write_bit_rate": "64000",
		"hostname": c.sim.opts.Hostname, "callstate": c.callState, "callee_num": cid, "callee_direction": "RECV",
		"call_uuid": c.uuid, "initial_cid_num": cid, "initial_dest": c.number, "initial_context": "default"}
}

// writeSessionRecording closes a record_session media bug at hangup: a
// silent WAV of the recorded span, stereo when RECORD_STEREO=true (robot
// and callee on separate channels in a real FS). Like FS's record_session
// (switch_dir_make_recursive in switch_ivr_async.c), the path's directories
// are created first; the record app, by contrast, needs them to exist.
func (c *call) writeSessionRecording() {
	c.mu.Lock()
	path := getVar(c.vars, "record_session_path")
	stereo := strings.EqualFold(getVar(c.vars, "RECORD_STEREO"), "true")
	from := c.answeredAt
	if from.IsZero() {
		from = c.mediaAt
	}
	to := c.hungupAt
	c.mu.Unlock()
	if path == "" || from.IsZero() {
		return
	}
	ch := 1
	if stereo {
		ch = 2
	}
	ms := int(float64(to.Sub(from).Milliseconds()) / c.sim.opts.TimeScale)
	if !strings.Contains(path, "://") {
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	writeSilentWAV(path, ms, ch)
	c.setVar("record_seconds", strconv.Itoa(ms/1000))
	c.setVar("record_ms", strconv.Itoa(ms))
}
