package switchsim

import (
	"encoding/binary"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// enqueue adds an application to the channel's execution queue; apps run
// one after another as FS runs queued sendmsg executes in the parked
// channel (mod_event_socket.c async mode, switch_ivr.c parse_event).
func (c *call) enqueue(a *appReq) {
	if a.brk == nil {
		a.brk = make(chan struct{})
	}
	if a.loops < 1 {
		a.loops = 1
	}
	c.execMu.Lock()
	c.queue = append(c.queue, a)
	c.execMu.Unlock()
	select {
	case c.queueSig <- struct{}{}:
	default:
	}
}

func (c *call) executor() {
	defer c.execWG.Done()
	for {
		c.execMu.Lock()
		var a *appReq
		if len(c.queue) > 0 {
			a = c.queue[0]
			c.queue = c.queue[1:]
			c.cur = a
		} else {
			c.cur = nil
		}
		c.execMu.Unlock()
		if a == nil {
			select {
			case <-c.queueSig:
				continue
			case <-c.hupCh:
				return
			}
		}
		if c.hungUp() {
			return
		}
		for i := 0; i < a.loops && !c.hungUp(); i++ {
			c.execute(a)
		}
		c.execMu.Lock()
		c.cur = nil
		c.execMu.Unlock()
	}
}

// waitIdle waits until the queue is empty and nothing runs (or hangup).
func (c *call) waitIdle() {
	for {
		c.execMu.Lock()
		idle := len(c.queue) == 0 && c.cur == nil
		c.execMu.Unlock()
		if idle || c.hungUp() {
			return
		}
		if !c.sleep(5 * time.Millisecond) {
			return
		}
	}
}

// breakApp is uuid_break: stop the running media app; "all" also flushes
// the queue (mod_commands.c break_function).
func (c *call) breakApp(all bool) {
	c.execMu.Lock()
	if all {
		c.queue = nil
	}
	cur := c.cur
	c.execMu.Unlock()
	if cur != nil {
		cur.stop()
	}
}

func (c *call) stopApps() {
	c.execMu.Lock()
	c.queue = nil
	cur := c.cur
	c.execMu.Unlock()
	if cur != nil {
		cur.stop()
	}
}

// wait blocks for d, returning early on break or hangup; it reports how
// long it waited and whether it ran to the end.
func (c *call) wait(a *appReq, d time.Duration) (time.Duration, bool) {
	start := time.Now()
	if d < 0 {
		d = 0
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return d, true
	case <-a.brk:
	case <-c.hupCh:
	}
	return time.Since(start), false
}

// execute runs one dialplan application with CHANNEL_EXECUTE before and
// CHANNEL_EXECUTE_COMPLETE after (switch_core_session.c
// switch_core_session_exec; outbound-session.jsonl shows both carry
// Application, Application-Data, Application-UUID and the complete event
// Application-Response).
func (c *call) execute(a *appReq) {
	name := strings.ToLower(a.name)
	c.logApp(name, a.arg)
	c.setVar("current_application", name)
	c.setVar("current_application_data", a.arg)
	c.note(JournalExecute, name+" "+a.arg)
	c.fireChannel("CHANNEL_EXECUTE", "switch_core_session.c", "switch_core_session_exec", 2944,
		"Application", a.name, "Application-Data", a.arg, "Application-UUID", a.appUUID)
	resp := "_none_"
	switch name {
	case "answer", "pre_answer":
		// Every simulated channel is an outbound leg, and answering an
		// outbound leg is a no-op in FS (switch_channel.c
		// switch_channel_perform_answer returns at once): only the callee
		// answers. An early-media leg stays early.
	case "playback", "speak", "say", "phrase", "endless_playback":
		resp = c.playback(a, name)
	case "record":
		resp = c.record(a)
	case "play_and_get_digits", "read":
		resp = c.getDigits(a, name)
	case "record_session":
		c.setVar("record_session_path", strings.Fields(a.arg + " x")[0])
	case "stop_record_session":
	case "hangup":
		cause := strings.ToUpper(strings.TrimSpace(a.arg))
		if !knownCause(cause) {
			cause = "NORMAL_CLEARING"
		}
		c.hangup(cause, hangupLocal)
	case "set", "export":
		k, v, _ := strings.Cut(a.arg, "=")
		c.setVar(strings.TrimSpace(k), v)
	case "unset":
		c.setVar(strings.TrimSpace(a.arg), "")
	case "multiset":
		for _, kv := range strings.Fields(a.arg) {
			k, v, _ := strings.Cut(kv, "=")
			c.setVar(k, v)
		}
	case "sleep":
		ms, _ := strconv.Atoi(strings.TrimSpace(a.arg))
		c.wait(a, c.sim.scale(ms))
	case "break":
	case "start_dtmf", "stop_dtmf", "start_dtmf_generate", "spandsp_start_dtmf", "avmd_start", "avmd_stop":
	case "park":
		c.fireChannel("CHANNEL_PARK", "switch_ivr.c", "switch_ivr_park", 1002)
		<-a.brk
	case "bridge":
		resp = c.bridge(a)
	case "transfer":
		// The channel leaves the socket's park for the dialplan (an agent
		// extension): the simulator bridges it to an agent who talks for
		// the persona's transfer_talk_ms, then the callee hangs up.
		c.setVar("transfer_destination", a.arg)
		c.mu.Lock()
		c.transferredAt = time.Now()
		c.mu.Unlock()
		go c.agentLeg()
	case "uuid_audio_stream", "audio_stream":
	case "info", "log", "event", "ring_ready", "respond", "wait_for_answer", "playback_terminators", "echo":
	default:
		// switch_core_session.c: "Invalid Application" hangs the channel
		// up with DESTINATION_OUT_OF_ORDER.
		c.hangup("DESTINATION_OUT_OF_ORDER", hangupLocal)
		return
	}
	c.setVar("current_application_response", resp)
	c.fireChannel("CHANNEL_EXECUTE_COMPLETE", "switch_core_session.c", "switch_core_session_exec", 2967,
		"Application", a.name, "Application-Data", a.arg, "Application-Response", resp, "Application-UUID", a.appUUID)
}

// PromptMs is the simulated length of a playback argument. Rule, in order:
// silence_stream://N is N ms; a path that is a readable WAV file plays for
// its length; "say:…", "tts://…", "speak" text and any "engine|voice|text"
// are spoken text (SpeechMs); a "duration_ms=N" or "ms=N" query parameter
// on a URL gives N; file_string:// sums its parts; anything else plays for
// defaultMs.
func PromptMs(arg string, defaultMs int) int {
	arg = strings.TrimSpace(arg)
	// strip {vars} prefix (playback can take "{var=x}file")
	if strings.HasPrefix(arg, "{") {
		if i := strings.IndexByte(arg, '}'); i >= 0 {
			arg = arg[i+1:]
		}
	}
	switch {
	case strings.HasPrefix(arg, "file_string://"):
		total := 0
		for _, p := range strings.Split(strings.TrimPrefix(arg, "file_string://"), "!") {
			total += PromptMs(p, defaultMs)
		}
		return total
	case strings.HasPrefix(arg, "silence_stream://"):
		n, _ := strconv.Atoi(strings.Split(strings.TrimPrefix(arg, "silence_stream://"), ",")[0])
		if n < 0 {
			return defaultMs
		}
		return n
	case strings.HasPrefix(arg, "say:"):
		return SpeechMs(strings.TrimPrefix(arg, "say:"))
	case strings.HasPrefix(arg, "tts://"):
		rest := strings.TrimPrefix(arg, "tts://")
		parts := strings.SplitN(rest, "|", 3)
		return SpeechMs(parts[len(parts)-1])
	case strings.Count(arg, "|") >= 2 && !strings.Contains(arg, "/"):
		parts := strings.SplitN(arg, "|", 3)
		return SpeechMs(parts[2])
	}
	if u, err := url.Parse(arg); err == nil && u.Scheme != "" && u.RawQuery != "" {
		q := u.Query()
		for _, k := range []string{"duration_ms", "ms"} {
			if n, err := strconv.Atoi(q.Get(k)); err == nil && n >= 0 {
				return n
			}
		}
	}
	if ms := wavMs(arg); ms >= 0 {
		return ms
	}
	return defaultMs
}

// playback plays a prompt: PLAYBACK_START/STOP (seen with "event plain
// ALL", not with myevents: README fact 13), stops early on break/hangup,
// sets playback_ms, and answers "FILE PLAYED" even when cut by uuid_break
// (README fact 16).
func (c *call) playback(a *appReq, name string) string {
	ms := 0
	switch name {
	case "speak":
		parts := strings.SplitN(a.arg, "|", 3)
		ms = SpeechMs(parts[len(parts)-1])
	case "say", "phrase":
		ms = SpeechMs(a.arg)
	default:
		ms = PromptMs(a.arg, c.sim.opts.DefaultPromptMs)
	}
	c.fireChannel("PLAYBACK_START", "switch_ivr_play_say.c", "switch_ivr_play_file", 1581, "Playback-File-Path", a.arg)
	c.promptStarted()
	c.mu.Lock()
	c.playing = true
	c.mu.Unlock()
	played, full := c.wait(a, c.sim.scale(ms))
	c.mu.Lock()
	c.playing = false
	c.mu.Unlock()
	playedMs := ms
	if !full {
		playedMs = int(float64(played.Milliseconds()) / c.sim.opts.TimeScale)
		if playedMs > ms {
			playedMs = ms
		}
	}
	// the playback_* variables switch_ivr_play_file leaves behind
	c.setVar("playback_last_offset_pos", strconv.Itoa(playedMs*8))
	c.setVar("playback_seconds", strconv.Itoa(playedMs/1000))
	c.setVar("playback_ms", strconv.Itoa(playedMs))
	c.setVar("playback_samples", strconv.Itoa(playedMs*8))
	status := "done"
	if !full {
		status = "break"
	}
	c.note(JournalPlaybackStop, status+" "+strconv.Itoa(playedMs))
	c.fireChannel("PLAYBACK_STOP", "switch_ivr_play_say.c", "switch_ivr_play_file", 2099,
		"Playback-File-Path", a.arg, "Playback-Status", status)
	c.promptEnded()
	return "FILE PLAYED"
}

// bridge simulates a bridge to an agent: CHANNEL_BRIDGE, the agent talks
// for the persona's remaining time (5 s default), CHANNEL_UNBRIDGE.
func (c *call) bridge(a *appReq) string {
	other := uuid.NewString()
	c.fireChannel("CHANNEL_BRIDGE", "switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1633,
		"Bridge-A-Unique-ID", c.uuid, "Bridge-B-Unique-ID", other, "Other-Leg-Unique-ID", other)
	c.mu.Lock()
	c.vars = setHeader(c.vars, "bridge_uuid", other)
	c.vars = setHeader(c.vars, "last_bridge_to", other)
	c.mu.Unlock()
	c.wait(a, c.sim.scale(5000))
	c.fireChannel("CHANNEL_UNBRIDGE", "switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1790,
		"Bridge-A-Unique-ID", c.uuid, "Bridge-B-Unique-ID", other, "Other-Leg-Unique-ID", other)
	return "_none_"
}

// writeSilentWAV writes a PCM 8 kHz 16-bit WAV of ms milliseconds if the
// directory exists; recordings are best effort, as a real disk may be full.
func writeSilentWAV(path string, ms, channels int) {
	if path == "" || ms < 0 || strings.Contains(path, "://") {
		return
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return
	}
	const rate = 8000
	n := rate * ms / 1000 * 2 * channels
	hdr := make([]byte, 44)
	copy(hdr[0:], "RIFF")
	binary.LittleEndian.PutUint32(hdr[4:], uint32(36+n))
	copy(hdr[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(hdr[16:], 16)
	binary.LittleEndian.PutUint16(hdr[20:], 1)
	binary.LittleEndian.PutUint16(hdr[22:], uint16(channels))
	binary.LittleEndian.PutUint32(hdr[24:], rate)
	binary.LittleEndian.PutUint32(hdr[28:], uint32(rate*2*channels))
	binary.LittleEndian.PutUint16(hdr[32:], uint16(2*channels))
	binary.LittleEndian.PutUint16(hdr[34:], 16)
	copy(hdr[36:], "data")
	binary.LittleEndian.PutUint32(hdr[40:], uint32(n))
	_ = os.WriteFile(path, append(hdr, make([]byte, n)...), 0o644)
}

// agentLeg is the simulated agent after a transfer: CHANNEL_BRIDGE, the
// conversation, CHANNEL_UNBRIDGE, and the callee's BYE.
func (c *call) agentLeg() {
	other := uuid.NewString()
	c.setVar("bridge_uuid", other)
	c.setVar("last_bridge_to", other)
	c.fireChannel("CHANNEL_BRIDGE", "switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1633,
		"Bridge-A-Unique-ID", c.uuid, "Bridge-B-Unique-ID", other, "Other-Leg-Unique-ID", other)
	ms := c.persona.TransferTalkMs
	if ms <= 0 {
		ms = 8000
	}
	if !c.sleep(c.sim.scale(ms)) {
		return
	}
	c.fireChannel("CHANNEL_UNBRIDGE", "switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1790,
		"Bridge-A-Unique-ID", c.uuid, "Bridge-B-Unique-ID", other, "Other-Leg-Unique-ID", other)
	c.hangup("NORMAL_CLEARING", hangupRemote)
}

// getDigits is mod_dptools play_and_get_digits ("<min> <max> <tries>
// <timeout> <terminators> <file> <invalid_file> <var_name> <regexp>
// [digit_timeout]") and read ("<min> <max> <file> <var_name> <timeout>
// <terminators>"): play the prompt, then collect the callee's DTMF until
// max digits, a terminator or the timeout; the digits go into var_name.
func (c *call) getDigits(a *appReq, name string) string {
	f := strings.Fields(a.arg)
	var max, timeout int
	var terms, file, varName string
	switch {
	case name == "read" && len(f) >= 6:
		max, _ = strconv.Atoi(f[1])
		file, varName = f[2], f[3]
		timeout, _ = strconv.Atoi(f[4])
		terms = f[5]
	case name == "play_and_get_digits" && len(f) >= 8:
		max, _ = strconv.Atoi(f[1])
		timeout, _ = strconv.Atoi(f[3])
		terms, file, varName = f[4], f[5], f[7]
	default:
		return "_none_"
	}
	if max <= 0 {
		max = 1
	}
	c.drainDTMF()
	if file != "" && file != "silence_stream://0" {
		sub := &appReq{name: "playback", arg: file, brk: a.brk}
		c.playback(sub, "playback")
	}
	var got string
	deadline := time.NewTimer(c.sim.scale(timeout))
	defer deadline.Stop()
collect:
	for len(got) < max {
		select {
		case d := <-c.dtmfCh:
			if strings.Contains(terms, d) {
				break collect
			}
			got += d
		case <-deadline.C:
			break collect
		case <-a.brk:
			break collect
		case <-c.hupCh:
			break collect
		}
	}
	c.setVar(varName, got)
	if name == "read" {
		c.setVar("read_result", map[bool]string{true: "success", false: "timeout"}[got != ""])
	}
	return "_none_"
}

func (c *call) drainDTMF() {
	for {
		select {
		case <-c.dtmfCh:
		default:
			return
		}
	}
}
