package switchsim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// api runs one api command and calls done with its output exactly once.
// Most commands finish at once; originate calls done from the call's own
// goroutine when FreeSWITCH's originate would return.
func (s *Sim) api(arg string, c *conn, done func(string)) {
	cmd, rest, _ := strings.Cut(strings.TrimSpace(arg), " ")
	rest = strings.TrimSpace(rest)
	apiEv := s.newEvent("API", "switch_loadable_module.c", "switch_api_execute", 2954)
	apiEv.add("API-Command", cmd)
	if rest != "" {
		apiEv.add("API-Command-Argument", rest)
	}
	finish := func(out string) {
		s.fire(apiEv)
		done(out)
	}
	switch strings.ToLower(cmd) {
	case "originate":
		s.originate(rest, finish)
		return
	case "uuid_break":
		// The reply goes out before the break takes effect: FS answers at
		// once and the playing thread notices the break at its next frame,
		// so the api/response precedes the cut app's EXECUTE_COMPLETE
		// (outbound-session.jsonl).
		args := strings.Fields(rest)
		if len(args) < 1 {
			finish("-USAGE: <uuid> [all]\n")
			return
		}
		c := s.live(args[0])
		if c == nil {
			finish("-ERR No such channel!\n")
			return
		}
		finish("+OK\n")
		c.note(JournalBreak, strings.Join(args[1:], " "))
		c.breakApp(len(args) > 1 && strings.EqualFold(args[1], "all"))
		return
	}
	finish(s.apiNow(cmd, rest))
}

// apiNow handles the synchronous commands (mod_commands.c, mod_sofia.c).
func (s *Sim) apiNow(cmd, rest string) string {
	args := strings.Fields(rest)
	switch strings.ToLower(cmd) {
	case "status":
		return s.status()
	case "version":
		return "FreeSWITCH Version 1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit (git a88d069 2024-08-02 21:02:27Z 64bit)\n"
	case "show":
		return s.show(args)
	case "uuid_exists":
		if len(args) < 1 {
			return "-USAGE: <uuid>\n"
		}
		if s.live(args[0]) != nil {
			return "true"
		}
		return "false"
	case "uuid_kill":
		if len(args) < 1 {
			return "-USAGE: <uuid> [cause]\n"
		}
		c := s.live(args[0])
		if c == nil {
			return "-ERR No such channel!\n"
		}
		cause := "NORMAL_CLEARING"
		if len(args) > 1 && knownCause(strings.ToUpper(args[1])) {
			cause = strings.ToUpper(args[1])
		}
		c.hangup(cause, hangupLocal)
		return "+OK\n"
	case "hupall":
		cause := "NORMAL_CLEARING"
		if len(args) > 0 && knownCause(strings.ToUpper(args[0])) {
			cause = strings.ToUpper(args[0])
		}
		for _, c := range s.liveCalls() {
			c.hangup(cause, hangupLocal)
		}
		return "+OK hangup all channels with cause " + cause + "\n"
	case "sched_hangup":
		// sched_hangup [+]<time> <uuid> [<cause>] (mod_commands.c)
		if len(args) < 2 {
			return "-USAGE: [+]<time> <uuid> [<cause>]\n"
		}
		c := s.live(args[1])
		if c == nil {
			return "-ERR No such channel!\n"
		}
		secs, err := strconv.ParseInt(strings.TrimPrefix(args[0], "+"), 10, 64)
		if err != nil {
			secs = 0
		}
		at := time.Duration(secs) * time.Second
		if !strings.HasPrefix(args[0], "+") {
			at = time.Until(time.Unix(secs, 0))
		}
		cause := "ALLOTTED_TIMEOUT"
		if len(args) > 2 && knownCause(strings.ToUpper(args[2])) {
			cause = strings.ToUpper(args[2])
		}
		c.schedHangup(at, cause)
		return "+OK\n"
	case "uuid_setvar":
		if len(args) < 2 {
			return "-USAGE: <uuid> <var> [value]\n"
		}
		c := s.live(args[0])
		if c == nil {
			return "-ERR No such channel!\n"
		}
		_, val, _ := strings.Cut(rest, " ")
		_, val, _ = strings.Cut(strings.TrimSpace(val), " ")
		c.setVar(args[1], strings.TrimSpace(val))
		return "+OK\n"
	case "uuid_getvar":
		if len(args) < 2 {
			return "-USAGE: <uuid> <var>\n"
		}
		c := s.live(args[0])
		if c == nil {
			return "-ERR No such channel!\n"
		}
		if v := c.getVar(args[1]); v != "" {
			return v
		}
		return "_undef_"
	case "uuid_answer":
		if len(args) < 1 {
			return "-USAGE: <uuid>\n"
		}
		c := s.live(args[0])
		if c == nil {
			return "-ERR No such channel!\n"
		}
		_ = c // answering an outbound leg is a no-op in FS (see the answer app)
		return "+OK\n"
	case "uuid_send_dtmf":
		if len(args) < 2 {
			return "-USAGE: <uuid> <dtmf_data>\n"
		}
		if s.live(args[0]) == nil {
			return "-ERR No such channel!\n"
		}
		return "+OK Success\n"
	case "uuid_audio_stream":
		return s.audioStream(args, rest)
	case "uuid_broadcast":
		// uuid_broadcast <uuid> <path> [aleg|bleg|both] (mod_commands.c):
		// queues a playback on the channel; audio-stream.md shows the reply.
		if len(args) < 2 {
			return "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"
		}
		c := s.live(args[0])
		if c == nil {
			return "-ERR No such channel!\n"
		}
		c.enqueue(&appReq{name: "playback", arg: args[1], appUUID: uuid.NewString()})
		return "+OK Message sent\n"
	case "uuid_record":
		// uuid_record <uuid> start|stop <path>: a record_session media bug.
		if len(args) < 3 {
			return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
		}
		c := s.live(args[0])
		if c == nil {
			return "-ERR Cannot locate session!\n"
		}
		switch strings.ToLower(args[1]) {
		case "start":
			c.setVar("record_session_path", args[2])
		case "stop":
			c.writeSessionRecording()
			c.setVar("record_session_path", "")
		}
		return "+OK Success\n"
	case "uuid_dump":
		if len(args) < 1 {
			return "-USAGE: <uuid> [format]\n"
		}
		c := s.live(args[0])
		if c == nil {
			return "-ERR No such channel!\n"
		}
		e := c.channelEvent("CHANNEL_DATA", "mod_commands.c", "uuid_dump_function", 4500)
		e.hdrs = e.hdrs[1:] // uuid_dump prints the channel data without Event-Name
		if len(args) > 1 && args[1] == "json" {
			return e.json()
		}
		var b strings.Builder
		for _, h := range e.hdrs {
			b.WriteString(h.k + ": " + h.v + "\n")
		}
		return b.String()
	case "sim_originates":
		// simulator-only ground truth for tests that run `waihu sim` as its
		// own process: how many originates named this number / UUID.
		if len(args) < 1 {
			return "-USAGE: <number>\n"
		}
		return strconv.Itoa(s.Originates(args[0])) + "\n"
	case "sim_originates_uuid":
		if len(args) < 1 {
			return "-USAGE: <uuid>\n"
		}
		return strconv.Itoa(s.OriginatesUUID(args[0])) + "\n"
	case "sim_calls":
		b, _ := json.Marshal(s.Calls())
		return string(b)
	case "sofia":
		return s.sofia(args)
	case "module_exists":
		if len(args) > 0 {
			switch args[0] {
			case "mod_sofia", "mod_event_socket", "mod_commands", "mod_dptools", "mod_xml_cdr", "mod_xml_curl",
				"mod_http_cache", "mod_audio_stream", "mod_sndfile", "mod_tone_stream", "mod_avmd":
				return "true"
			}
		}
		return "false"
	case "reloadxml":
		return "+OK [Success]\n"
	case "global_getvar":
		return ""
	case "load", "reload":
		return "+OK Reloading XML\n+OK\n"
	case "fsctl":
		return "+OK\n"
	case "echo":
		return rest
	}
	return "-ERR " + cmd + " Command not found!\n"
}

// status mirrors the "api status" body in inbound-auth.jsonl.
func (s *Sim) status() string {
	up := time.Since(s.started)
	s.mu.Lock()
	live, all, peak := len(s.calls), s.sessionsAll, s.peak
	s.mu.Unlock()
	return fmt.Sprintf("UP %s\nFreeSWITCH (Version 1.10.12-release git a88d069 2024-08-02 21:02:27Z 64bit) is ready\n"+
		"%d session(s) since startup\n%d session(s) - peak %d, last 5min %d \n"+
		"0 session(s) per Sec out of max %d, peak 0, last 5min 0 \n%d session(s) max\nmin idle cpu 0.00/99.27\n"+
		"Current Stack Size/Max 240K/8192K\n",
		uptime(up), all, live, peak, peak, s.opts.SessionsPerSecond, s.opts.MaxSessions)
}

var channelCols = []string{"uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num",
	"ip_addr", "dest", "application", "application_data", "dialplan", "context", "read_codec", "read_rate",
	"read_bit_rate", "write_codec", "write_rate", "write_bit_rate", "secure", "hostname", "presence_id",
	"presence_data", "accountcode", "callstate", "callee_name", "callee_num", "callee_direction", "call_uuid",
	"sent_callee_name", "sent_callee_num", "initial_cid_name", "initial_cid_num", "initial_ip_addr",
	"initial_dest", "initial_dialplan", "initial_context"}

// show handles "show channels|calls [as json]" with the exact zero-row and
// row shapes of inbound-auth.jsonl (README fact 5).
func (s *Sim) show(args []string) string {
	if len(args) == 0 || (args[0] != "channels" && args[0] != "calls") {
		return "-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n"
	}
	asJSON := len(args) >= 3 && args[1] == "as" && args[2] == "json"
	calls := s.liveCalls()
	rows := make([]map[string]string, 0, len(calls))
	for _, c := range calls {
		rows = append(rows, c.showRow())
	}
	if asJSON {
		if len(rows) == 0 {
			return "{\"row_count\": 0}\n"
		}
		var b strings.Builder
		fmt.Fprintf(&b, `{"row_count":%d,"rows":[`, len(rows))
		for i, r := range rows {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			for j, k := range channelCols {
				if j > 0 {
					b.WriteByte(',')
				}
				jsonString(&b, k)
				b.WriteByte(':')
				jsonString(&b, r[k])
			}
			b.WriteByte('}')
		}
		b.WriteString("]}")
		return b.String()
	}
	var b strings.Builder
	b.WriteString(strings.Join(channelCols, ",") + "\n")
	for _, r := range rows {
		vals := make([]string, len(channelCols))
		for j, k := range channelCols {
			vals[j] = r[k]
		}
		b.WriteString(strings.Join(vals, ",") + "\n")
	}
	fmt.Fprintf(&b, "\n%d total.\n", len(rows))
	return b.String()
}

// sofia handles the sofia commands waihu sends when trunks change
// (mod_sofia.c sofia_function: rescan, killgw, status gateway).
func (s *Sim) sofia(args []string) string {
	if len(args) >= 3 && args[0] == "profile" {
		profile, verb := args[1], args[2]
		switch verb {
		case "rescan":
			s.mu.Lock()
			s.killedGW = map[string]bool{}
			s.mu.Unlock()
			return "Reload XML [Success]\n+OK scan complete\n"
		case "killgw":
			if len(args) < 4 {
				return "-ERR missing gateway name\n"
			}
			if args[3] == "_all_" {
				return "+OK every gateway marked for deletion.\n"
			}
			s.mu.Lock()
			s.killedGW[args[3]] = true
			s.mu.Unlock()
			return "+OK gateway marked for deletion.\n"
		case "start", "restart", "stop":
			return "+OK\n"
		}
		_ = profile
		return "-ERR Unknown command!\n"
	}
	if len(args) >= 3 && args[0] == "status" && args[1] == "gateway" {
		gw := args[2]
		if name, ok := strings.CutPrefix(gw, "external::"); ok {
			gw = name
		}
		s.mu.Lock()
		dead := s.killedGW[gw]
		s.mu.Unlock()
		if dead {
			return "Invalid Gateway!\n"
		}
		sep := strings.Repeat("=", 97) + "\n"
		return sep + "Name    \texternal::" + gw + "\nProfile \texternal\nScheme  \tDigest\nRealm   \t" + gw +
			"\nUsername\twaihu\nPassword\tyes\nFrom    \t<sip:waihu@" + gw + ">\nContact \t<sip:waihu@127.0.0.1:5080>\n" +
			"Exten   \twaihu\nTo      \tsip:waihu@" + gw + "\nProxy   \tsip:" + gw + "\nContext \tpublic\n" +
			"Expires \t3600\nFreq    \t3600\nPing    \t0\nPingFreq\t0\nPingState\t0/0/0\nState   \tNOREG\nStatus  \tUP\n" +
			"CallsIN \t0\nCallsOUT\t0\nFailedCallsIN\t0\nFailedCallsOUT\t0\n" + sep
	}
	if len(args) >= 1 && args[0] == "status" {
		return "                     Name\t   Type\t                                      Data\tState\n" +
			strings.Repeat("=", 99) + "\n                 external\tprofile\t           sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)\n" +
			strings.Repeat("=", 99) + "\n1 profile 0 aliases\n"
	}
	return "-ERR Unknown command!\n"
}

func (s *Sim) live(id string) *call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

func (s *Sim) liveCalls() []*call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		out = append(out, c)
	}
	return out
}

// audioStream acknowledges uuid_audio_stream like mod_audio_stream's
// replies in audio-stream.md (§1); the WebSocket leg is started in
// stream.go when available.
func (s *Sim) audioStream(args []string, rest string) string {
	if len(args) < 2 {
		return "-USAGE: <uuid> [start | stop | send_text | pause | resume | graceful-shutdown ] [wss-url | path] [mono | mixed | stereo] [8000 | 16000] [metadata]\n"
	}
	c := s.live(args[0])
	if c == nil {
		return "-ERR Operation Failed\n"
	}
	return c.audioStream(args, rest)
}
