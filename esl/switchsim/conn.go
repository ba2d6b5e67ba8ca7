package switchsim

import (
	"bufio"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"
)

// conn is one ESL socket, inbound (a client connected to us) or outbound
// (we connected to the socket application's address). Every frame goes
// through one ordered queue drained by one writer goroutine, so a command
// reply and the events fired after it keep their order (README fact 7:
// the bgapi reply precedes its BACKGROUND_JOB) and a slow reader never
// blocks a call.
type conn struct {
	sim *Sim
	nc  net.Conn
	br  *bufio.Reader

	mu         sync.Mutex
	cond       *sync.Cond
	q          []outItem
	closing    bool // close once the queue is drained
	dead       bool
	writerDone chan struct{}

	// subscription state (mod_event_socket.c listener fields)
	format     string // "" = not listening, "plain", "json"
	all        bool
	names      map[string]bool
	subclasses map[string]bool
	filters    []header

	// outbound socket state
	call     *call
	myevents bool
	linger   bool
	lingerS  int      // seconds; 0 = until the client closes
	backlog  []*event // channel events fired before myevents (FS queues them on the session)
}

func newConn(s *Sim, nc net.Conn) *conn {
	c := &conn{sim: s, nc: nc, br: bufio.NewReaderSize(nc, 16<<10), names: map[string]bool{},
		subclasses: map[string]bool{}, writerDone: make(chan struct{})}
	c.cond = sync.NewCond(&c.mu)
	go c.writer()
	return c
}

func (c *conn) writer() {
	defer close(c.writerDone)
	for {
		c.mu.Lock()
		for len(c.q) == 0 && !c.closing && !c.dead {
			c.cond.Wait()
		}
		if c.dead || (len(c.q) == 0 && c.closing) {
			c.dead = true
			c.mu.Unlock()
			_ = c.nc.Close()
			return
		}
		batch := c.q
		c.q = nil
		c.mu.Unlock()
		var buf []byte
		for _, it := range batch {
			if it.e != nil {
				// rendered here, outside fire's global lock, once per format
				buf = append(buf, it.e.frame(it.format)...)
			} else {
				buf = append(buf, it.b...)
			}
		}
		_ = c.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.nc.Write(buf); err != nil {
			c.kill()
			return
		}
	}
}

// send queues a frame; frames sent after close are dropped.
func (c *conn) send(b []byte) {
	c.mu.Lock()
	if !c.closing && !c.dead {
		c.q = append(c.q, outItem{b: b})
		c.cond.Signal()
	}
	c.mu.Unlock()
}

// closeAfterFlush sends the last frame(s) and then closes, like FS does
// after "-ERR invalid" and "+OK bye".
func (c *conn) closeAfterFlush(b ...[]byte) {
	c.mu.Lock()
	if !c.closing && !c.dead {
		for _, x := range b {
			c.q = append(c.q, outItem{b: x})
		}
		c.closing = true
		c.cond.Signal()
	}
	c.mu.Unlock()
}

// kill drops the socket at once (crash simulation, write errors).
func (c *conn) kill() {
	c.mu.Lock()
	c.dead = true
	c.cond.Signal()
	c.mu.Unlock()
	_ = c.nc.Close()
}

func (c *conn) isDead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dead || c.closing
}

// subscribe handles "event <format> <names...>" (mod_event_socket.c
// parse_command "event"): ALL, event names, and CUSTOM followed by
// subclass names. Returns false when no keyword was given.
func (c *conn) subscribe(format string, words []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	custom := false
	n := 0
	for _, w := range words {
		if w == "" {
			continue
		}
		n++
		up := strings.ToUpper(w)
		switch {
		case custom && !isEventName(up):
			c.subclasses[w] = true
		case up == "ALL":
			c.all = true
		case up == "CUSTOM":
			custom = true
			c.names["CUSTOM"] = true
		default:
			custom = false
			c.names[up] = true
		}
	}
	if n == 0 {
		return false
	}
	c.format = format
	return true
}

// nixevent removes names; nixing from ALL turns ALL into "every other
// name" as mod_event_socket.c does.
func (c *conn) nixevent(words []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	custom := false
	for _, w := range words {
		if w == "" {
			continue
		}
		n++
		up := strings.ToUpper(w)
		if custom && !isEventName(up) {
			delete(c.subclasses, w)
			continue
		}
		if up == "CUSTOM" {
			custom = true
			continue
		}
		custom = false
		if up == "ALL" {
			c.all = false
			c.names = map[string]bool{}
			continue
		}
		if c.all {
			c.all = false
			for _, name := range eventNames {
				c.names[name] = true
			}
		}
		delete(c.names, up)
	}
	return n > 0
}

func (c *conn) noevents() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	was := c.format != ""
	c.format = ""
	c.all = false
	c.names = map[string]bool{}
	c.subclasses = map[string]bool{}
	c.myevents = false
	return was
}

// filter implements "filter <header> <value>", "filter delete <header>
// [value]" and "filter delete all" with the reply texts of
// mod_event_socket.c.
func (c *conn) filter(arg string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	name, val, _ := strings.Cut(strings.TrimSpace(arg), " ")
	if strings.EqualFold(name, "delete") && val != "" {
		name, val, _ = strings.Cut(val, " ")
		if strings.EqualFold(name, "all") {
			c.filters = nil
		} else {
			kept := c.filters[:0]
			for _, f := range c.filters {
				if strings.EqualFold(f.k, name) && (val == "" || f.v == val) {
					continue
				}
				kept = append(kept, f)
			}
			c.filters = kept
		}
		v := val
		if v == "" {
			v = "(null)"
		}
		return "+OK filter deleted. [" + name + "][" + v + "]"
	}
	if val == "" {
		return "-ERR invalid syntax"
	}
	if strings.EqualFold(name, "add") {
		name, val, _ = strings.Cut(val, " ")
	}
	c.filters = append(c.filters, header{name, val})
	return "+OK filter added. [" + name + "]=[" + val + "]"
}

// wants decides delivery like mod_event_socket.c event_handler: the
// subscription by name (CUSTOM by subclass), then the filters, and for a
// session listener with myevents only that channel's events.
func (c *conn) wants(e *event) bool {
	if c.format == "" {
		return false
	}
	name := e.name()
	send := false
	if c.all {
		send = true
	} else if c.names[name] {
		if name != "CUSTOM" {
			send = true
		} else if sub := e.get("Event-Subclass"); sub == "" || c.subclasses[sub] {
			send = true
		}
	}
	if !send {
		return false
	}
	if c.call != nil && c.myevents && e.get("Unique-ID") != c.call.uuid {
		return false
	}
	if len(c.filters) == 0 {
		return true
	}
	send = false
	for _, f := range c.filters {
		hv := e.get(f.k)
		if hv == "" {
			continue
		}
		cmpTo := f.v
		pos := true
		for cmpTo != "" && (cmpTo[0] == '+' || cmpTo[0] == '-' || cmpTo[0] == ' ') {
			if cmpTo[0] == '+' {
				pos = true
			} else if cmpTo[0] == '-' {
				pos = false
			}
			cmpTo = cmpTo[1:]
		}
		if send && pos {
			continue
		}
		var match bool
		if strings.HasPrefix(f.v, "/") {
			re, err := regexp.Compile(strings.Trim(cmpTo, "/"))
			match = err == nil && re.MatchString(hv)
		} else {
			match = strings.EqualFold(hv, cmpTo)
		}
		if match {
			if !pos {
				return false
			}
			send = true
		}
	}
	return send
}

// deliver queues an event if the listener wants it.
func (c *conn) deliver(e *event) {
	c.mu.Lock()
	if c.call != nil && !c.myevents && c.format == "" && e.get("Unique-ID") == c.call.uuid && len(c.backlog) < 256 {
		c.backlog = append(c.backlog, e)
		c.mu.Unlock()
		return
	}
	if c.wants(e) && !c.closing && !c.dead {
		c.q = append(c.q, outItem{e: e, format: c.format})
		c.cond.Signal()
	}
	c.mu.Unlock()
}

// outItem is a queued frame: raw bytes, or an event rendered by the writer.
type outItem struct {
	b      []byte
	e      *event
	format string
}

// eventNames lists the event types the simulator can fire, for nixevent
// from ALL and for telling names from CUSTOM subclasses.
var eventNames = []string{"CUSTOM", "CHANNEL_CREATE", "CHANNEL_DESTROY", "CHANNEL_STATE", "CHANNEL_CALLSTATE",
	"CHANNEL_ANSWER", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE",
	"CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_OUTGOING",
	"CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_ORIGINATE", "CHANNEL_DATA", "CHANNEL_APPLICATION", "CALL_UPDATE",
	"CODEC", "API", "BACKGROUND_JOB", "HEARTBEAT", "RE_SCHEDULE", "DTMF", "PLAYBACK_START", "PLAYBACK_STOP",
	"RECORD_START", "RECORD_STOP", "DETECTED_SPEECH", "TALK", "NOTALK", "CHANNEL_UUID", "MESSAGE", "PRESENCE_IN",
	"SHUTDOWN", "STARTUP", "LOG"}

func isEventName(up string) bool {
	if up == "ALL" {
		return true
	}
	for _, n := range eventNames {
		if n == up {
			return true
		}
	}
	return false
}
