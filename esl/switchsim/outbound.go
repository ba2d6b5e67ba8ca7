package switchsim

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// socketApp is mod_event_socket's "socket" application: connect to
// host:port, wait for "connect", answer it with the channel data block,
// then serve commands. Argument: "host:port [async] [full]".
func (c *call) socketApp(arg string) {
	f := strings.Fields(arg)
	if len(f) == 0 {
		c.hangup("NORMAL_CLEARING", hangupLocal)
		return
	}
	async, full := false, false
	for _, w := range f[1:] {
		switch strings.ToLower(w) {
		case "async":
			async = true
		case "full":
			full = true
		}
	}
	c.logApp("socket", arg)
	c.setVar("current_application", "socket")
	c.setVar("current_application_data", arg)
	if host, _, err := net.SplitHostPort(f[0]); err == nil {
		c.setVar("socket_host", host)
	}
	nc, err := net.DialTimeout("tcp", f[0], 5*time.Second)
	if err != nil {
		// "Socket Error!" in mod_event_socket.c: the app returns and the
		// extension ends, so the channel hangs up.
		c.sim.log.Warn("switchsim socket connect failed", "addr", f[0], "err", err)
		c.hangup("NORMAL_CLEARING", hangupLocal)
		return
	}
	s := c.sim
	sc := newConn(s, nc)
	sc.call = c
	defer sc.kill()
	s.mu.Lock()
	closed := s.closed
	s.sessions[sc] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, sc)
		s.mu.Unlock()
	}()
	c.mu.Lock()
	if c.crashed || closed {
		c.mu.Unlock()
		return
	}
	c.sess = sc
	c.mu.Unlock()
	// The session is not a global listener: fire reaches it through the
	// call (event.call.sess) unless it subscribes with "event" itself.
	defer s.removeListener(sc)
	// The channel parks under socket control (outbound-session.jsonl:
	// CHANNEL_PARK right after the connect reply).
	connected := false
	for {
		req, err := readRequest(sc.br)
		if err != nil {
			break
		}
		cmd := strings.TrimSpace(req.line)
		low := strings.ToLower(cmd)
		if low == "exit" || strings.HasPrefix(low, "exit ") {
			sc.closeAfterFlush(commandReply("+OK bye"), disconnectNotice("Controlled-Session-UUID", c.uuid,
				"Content-Disposition", "disconnect"))
			<-sc.writerDone
			break
		}
		if !connected {
			if low != "connect" {
				sc.send(commandReply("-ERR command not found"))
				continue
			}
			connected = true
			sc.send(c.connectBlock(async, full))
			c.fireChannel("CHANNEL_PARK", "switch_ivr.c", "switch_ivr_park", 1002)
			continue
		}
		if !full && (strings.HasPrefix(low, "api ") || strings.HasPrefix(low, "bgapi ")) {
			sc.send(commandReply("-ERR permission denied"))
			continue
		}
		s.command(sc, req, cmd)
	}
	// A socket closed without hangup leaves the channel parked until
	// uuid_kill (the issue; FS async mode keeps the park loop running).
	c.mu.Lock()
	if c.sess == sc {
		c.sess = nil
	}
	c.mu.Unlock()
}

// connectBlock is the reply to "connect": Event-Name CHANNEL_DATA, the
// channel and caller data, every variable, then Content-Type command/reply
// with Reply-Text "%2BOK%0A", Socket-Mode and Control, all URL-encoded in
// one header block without Content-Length (outbound-session.jsonl, README
// fact 12).
func (c *call) connectBlock(async, full bool) []byte {
	e := c.sim.newEvent("CHANNEL_DATA", "mod_event_socket.c", "parse_command", 2021)
	c.sim.fireMu.Lock()
	c.sim.seq++
	for i := range e.hdrs {
		if e.hdrs[i].k == "Event-Sequence" {
			e.hdrs[i].v = strconv.FormatUint(c.sim.seq, 10)
		}
	}
	c.sim.fireMu.Unlock()
	ch := c.channelEvent("X", "", "", 0)
	c.mu.Lock()
	cid := getVar(c.vars, "origination_caller_id_number")
	c.mu.Unlock()
	if cid == "" {
		cid = "0000000000"
	}
	e.add("Channel-Direction", "outbound")
	e.add("Channel-Logical-Direction", "outbound")
	e.add("Channel-Caller-ID-Name", "Outbound Call")
	e.add("Channel-Caller-ID-Number", c.number)
	e.add("Channel-Orig-Caller-ID-Number", cid)
	e.add("Channel-Callee-ID-Number", cid)
	e.add("Channel-Network-Addr", "127.0.0.1")
	e.add("Channel-ANI", cid)
	e.add("Channel-Destination-Number", c.number)
	e.add("Channel-Unique-ID", c.uuid)
	e.add("Channel-Source", "src/switch_ivr_originate.c")
	e.add("Channel-Context", "default")
	e.add("Channel-Channel-Name", c.channelName())
	// then the channel event's own headers after the base block
	skip := len(c.sim.newEvent("X", "", "", 0).hdrs)
	for _, h := range ch.hdrs[skip:] {
		e.add(h.k, h.v)
	}
	e.add("Content-Type", "command/reply")
	e.add("Reply-Text", "+OK\n")
	if async {
		e.add("Socket-Mode", "async")
	} else {
		e.add("Socket-Mode", "static")
	}
	if full {
		e.add("Control", "full")
	} else {
		e.add("Control", "single")
	}
	var b strings.Builder
	for _, h := range e.hdrs {
		b.WriteString(h.k + ": " + urlEncode(h.v) + "\n")
	}
	b.WriteByte('\n')
	return []byte(b.String())
}

// myevents subscribes an outbound session to its channel's events with
// the event list mod_event_socket.c sets for "myevents".
func (s *Sim) myevents(c *conn, arg string) {
	c.mu.Lock()
	if c.myevents {
		c.mu.Unlock()
		c.send(commandReply("-ERR aready enabled."))
		return
	}
	if c.call == nil {
		id := strings.Fields(arg + " ")
		if len(id) == 0 {
			c.mu.Unlock()
			c.send(commandReply("-ERR invalid uuid"))
			return
		}
		c.mu.Unlock()
		cl := s.live(id[0])
		if cl == nil {
			c.send(commandReply("-ERR invalid uuid"))
			return
		}
		c.mu.Lock()
		c.call = cl
	}
	for _, n := range []string{"CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE",
		"CHANNEL_DATA", "CHANNEL_DESTROY", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
		"CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_OUTGOING", "CHANNEL_PARK",
		"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE", "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK",
		"DETECTED_SPEECH", "DTMF", "NOTALK", "TALK"} {
		c.names[n] = true
	}
	// Simulator-only: the recognizer side channel rides on myevents.
	c.names["CUSTOM"] = true
	c.subclasses[SpeechSubclass] = true
	c.myevents = true
	if c.format == "" {
		c.format = "plain"
	}
	low := strings.ToLower(arg)
	if strings.Contains(low, "json") {
		c.format = "json"
	}
	c.mu.Unlock()
	c.send(commandReply("+OK Events Enabled"))
	c.flushBacklog()
}

// sendmsg handles "sendmsg [uuid]" with call-command execute / hangup
// (mod_event_socket.c → switch_ivr.c switch_ivr_parse_event). It replies
// +OK at once; the app runs from the channel's queue.
func (s *Sim) sendmsg(c *conn, req *request, arg string) {
	target := c.call
	if id := strings.TrimSpace(arg); id != "" {
		target = s.live(id)
	}
	if target == nil {
		c.send(commandReply("-ERR invalid session id [" + strings.TrimSpace(arg) + "]"))
		return
	}
	h := req.hdrs
	switch strings.ToLower(h.Get("call-command")) {
	case "execute":
		name := h.Get("execute-app-name")
		appArg := h.Get("execute-app-arg")
		if appArg == "" && req.body != "" {
			appArg = req.body
		}
		loops, _ := strconv.Atoi(h.Get("loops"))
		id := h.Get("Event-UUID")
		if id == "" {
			id = uuid.NewString()
		}
		a := &appReq{name: name, arg: appArg, appUUID: id, loops: loops, fromSocket: true, brk: make(chan struct{})}
		c.send(commandReply("+OK"))
		if strings.EqualFold(name, "break") {
			// break acts on the running app at once (CF_BREAK), not queued.
			target.breakApp(false)
		}
		target.enqueue(a)
	case "hangup":
		cause := strings.ToUpper(h.Get("hangup-cause"))
		if !knownCause(cause) {
			cause = "NORMAL_CLEARING"
		}
		c.send(commandReply("+OK"))
		target.hangup(cause, hangupLocal)
	case "unicast", "nomedia", "xferext":
		c.send(commandReply("+OK"))
	default:
		c.send(commandReply("+OK"))
	}
}

// afterHangup ends socket control after HANGUP_COMPLETE: a lingering
// session gets the linger notice and stays open until the client closes
// it (README fact 17: no CHANNEL_DESTROY while it stays open); otherwise
// the disconnect notice and close.
func (sc *conn) afterHangup(c *call) {
	sc.mu.Lock()
	linger, secs := sc.linger, sc.lingerS
	sc.mu.Unlock()
	if linger {
		lt := "-1"
		if secs > 0 {
			lt = strconv.Itoa(secs)
		}
		sc.send([]byte("Content-Type: text/disconnect-notice\nControlled-Session-UUID: " + c.uuid +
			"\nContent-Disposition: linger\nChannel-Name: " + c.channelName() + "\nLinger-Time: " + lt + "\nContent-Length: 0\n\n"))
		var after <-chan time.Time
		if secs > 0 {
			// "linger N": FS closes the socket N seconds after hangup.
			after = time.After(time.Duration(secs) * time.Second)
		}
		select {
		case <-sc.writerDone:
			return
		case <-after:
		case <-c.sim.closing:
		}
	}
	sc.closeAfterFlush(disconnectNotice("Controlled-Session-UUID", c.uuid, "Content-Disposition", "disconnect"))
	select {
	case <-sc.writerDone:
	case <-c.sim.closing:
	}
}
