package switchsim

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// serveInbound runs one inbound ESL connection: the auth/request greeting,
// auth, then commands until exit or EOF (mod_event_socket.c
// listener_run / parse_command).
func (s *Sim) serveInbound(c *conn) {
	defer c.kill()
	c.send([]byte("Content-Type: auth/request\n\n"))
	authed := false
	for {
		req, err := readRequest(c.br)
		if err != nil {
			return
		}
		cmd := strings.TrimSpace(req.line)
		low := strings.ToLower(cmd)
		if low == "exit" || strings.HasPrefix(low, "exit ") || strings.HasPrefix(low, "...") {
			c.closeAfterFlush(commandReply("+OK bye"), disconnectNotice())
			<-c.writerDone
			return
		}
		if !authed {
			if strings.HasPrefix(low, "auth ") {
				if cmd[5:] == s.opts.Password {
					authed = true
					c.send(commandReply("+OK accepted"))
					continue
				}
				// inbound-auth.jsonl conn 1: reply, goodbye notice, EOF in one chunk.
				c.closeAfterFlush(commandReply("-ERR invalid"), disconnectNotice())
				<-c.writerDone
				return
			}
			c.send(commandReply("-ERR command not found"))
			continue
		}
		s.command(c, req, cmd)
	}
}

// command handles the commands both kinds of socket accept once
// authenticated (or connected, for outbound sessions). It reports false
// when the command is unknown.
func (s *Sim) command(c *conn, req *request, cmd string) {
	verb, arg, _ := strings.Cut(cmd, " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(verb) {
	case "api":
		// the reply is queued by the command's completion itself, so
		// anything the command triggers afterwards is ordered after it.
		sent := make(chan struct{})
		s.api(arg, c, func(out string) { c.send(apiResponse(out)); close(sent) })
		<-sent
	case "bgapi":
		// mod_event_socket.c: a Job-UUID header sent by the client is used
		// as the job's id; otherwise one is minted.
		job := req.hdrs.Get("Job-UUID")
		if job == "" {
			job = uuid.NewString()
		}
		c.send(commandReply("+OK Job-UUID: "+job, "Job-UUID", job))
		s.bgapi(job, arg, c)
	case "event":
		format, rest, _ := strings.Cut(arg, " ")
		format = strings.ToLower(format)
		if format != "plain" && format != "json" && format != "xml" {
			// FS treats an unknown first word as an event name in plain format.
			rest = arg
			format = "plain"
		}
		if format == "xml" {
			// The simulator does not render XML; say so instead of lying.
			c.send(commandReply("-ERR xml format not supported by switchsim"))
			return
		}
		if !c.subscribe(format, strings.Fields(rest)) {
			c.send(commandReply("-ERR no keywords supplied"))
			return
		}
		if c.call != nil {
			// an outbound session that subscribes gets events of every
			// channel, like any listener (mod_event_socket.c).
			s.addListener(c)
		}
		c.send(commandReply("+OK event listener enabled " + format))
		c.flushBacklog()
	case "nixevent":
		if !c.nixevent(strings.Fields(arg)) {
			c.send(commandReply("-ERR no keywords supplied"))
			return
		}
		c.send(commandReply("+OK events nixed"))
	case "noevents":
		if c.noevents() {
			c.send(commandReply("+OK no longer listening for events"))
		} else {
			c.send(commandReply("-ERR not listening for events"))
		}
	case "filter":
		c.send(commandReply(c.filter(arg)))
	case "linger":
		if c.call == nil {
			c.send(commandReply("-ERR not controlling a session"))
			return
		}
		secs, _ := strconv.Atoi(arg)
		c.mu.Lock()
		c.linger = true
		c.lingerS = max(secs, 0)
		c.mu.Unlock()
		if secs > 0 {
			c.send(commandReply("+OK will linger " + arg + " seconds"))
		} else {
			c.send(commandReply("+OK will linger"))
		}
	case "nolinger":
		if c.call == nil {
			c.send(commandReply("-ERR not controlling a session"))
			return
		}
		c.mu.Lock()
		c.linger = false
		c.mu.Unlock()
		c.send(commandReply("+OK will not linger"))
	case "myevents":
		s.myevents(c, arg)
	case "sendmsg":
		s.sendmsg(c, req, arg)
	case "log":
		c.send(commandReply("+OK log level  [7]"))
	case "nolog":
		c.send(commandReply("-ERR not loging"))
	case "divert_events":
		c.send(commandReply("+OK events not diverted"))
	case "resume":
		if c.call == nil {
			c.send(commandReply("-ERR command not found"))
			return
		}
		c.call.setVar("socket_resume", "true")
		c.send(commandReply("+OK"))
	case "getvar":
		if c.call == nil {
			c.send(commandReply("-ERR command not found"))
			return
		}
		c.send(commandReply(c.call.getVar(arg)))
	default:
		c.send(commandReply("-ERR command not found"))
	}
}

// flushBacklog delivers the channel events an outbound session missed
// before it subscribed.
func (c *conn) flushBacklog() {
	// under fireMu, like fire: events render lazily into a shared cache.
	c.sim.fireMu.Lock()
	defer c.sim.fireMu.Unlock()
	c.mu.Lock()
	bl := c.backlog
	c.backlog = nil
	c.mu.Unlock()
	for _, e := range bl {
		c.deliver(e)
	}
}

// bgapi runs an api command in the background and fires BACKGROUND_JOB
// (mod_event_socket.c api_exec: Job-UUID, Job-Command, Job-Command-Arg,
// body = the command's output). The job's completion callback runs on the
// goroutine that finishes the command, so for originate the BACKGROUND_JOB
// lands between the channel events exactly where the call puts it.
func (s *Sim) bgapi(job, arg string, c *conn) {
	cmd, cmdArg, _ := strings.Cut(arg, " ")
	go s.api(arg, c, func(out string) {
		e := s.newEvent("BACKGROUND_JOB", "mod_event_socket.c", "api_exec", 1572)
		e.add("Job-UUID", job)
		e.add("Job-Command", cmd)
		if cmdArg != "" {
			e.add("Job-Command-Arg", cmdArg)
		}
		e.body = out
		s.fire(e)
	})
}
