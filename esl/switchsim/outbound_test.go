package switchsim

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// socketServer is the test's stand-in for waihu's outbound socket server.
type socketServer struct {
	ln    net.Listener
	conns chan net.Conn
}

func newSocketServer(t *testing.T) *socketServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ss := &socketServer{ln: ln, conns: make(chan net.Conn, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ss.conns <- c
		}
	}()
	return ss
}

func (ss *socketServer) accept(t *testing.T) *client {
	t.Helper()
	select {
	case nc := <-ss.conns:
		t.Cleanup(func() { nc.Close() })
		return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
	case <-time.After(20 * time.Second):
		t.Fatal("no outbound connection")
		return nil
	}
}

const talkerYAML = `
personas:
  - name: talker
    match: ["13900000000"]
    outcome: answer
    ring_ms: 200
    turns:
      - say: "有兴趣"
        dtmf: "1"
      - say: "等一下"
        barge_in_ms: 500
`

func TestOutboundSocketSession(t *testing.T) {
	personas, err := ParsePersonas([]byte(talkerYAML))
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, Options{Personas: personas})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd("event plain CHANNEL_DESTROY BACKGROUND_JOB", nil)
	id := "7862a92b-f60d-496c-bba3-94fbb25b8b86"
	ctl.cmd(fmt.Sprintf("bgapi originate {origination_uuid=%s,originate_timeout=20,waihu_attempt=A1,ignore_early_media=false}sofia/gateway/gw1/13900000000 '&socket(%s async full)'", id, ss.ln.Addr()), nil)

	oc := ss.accept(t)
	oc.send("connect")
	cb := oc.must()
	if cb.hdr["Event-Name"] != "CHANNEL_DATA" || cb.hdr["Content-Type"] != "command/reply" || cb.hdr["Reply-Text"] != "%2BOK%0A" ||
		cb.hdr["Socket-Mode"] != "async" || cb.hdr["Control"] != "full" || cb.hdr["Unique-ID"] != id ||
		cb.hdr["variable_waihu_attempt"] != "A1" || cb.hdr["Channel-Name"] != "sofia/gateway/gw1/13900000000" ||
		cb.hdr["Answer-State"] != "answered" || cb.hdr["Content-Length"] != "" {
		t.Fatalf("connect block %v", cb.hdr)
	}
	if r := oc.cmd("myevents", nil); r.hdr["Reply-Text"] != "+OK Events Enabled" {
		t.Fatal(r.hdr)
	}
	if r := oc.cmd("linger", nil); r.hdr["Reply-Text"] != "+OK will linger" {
		t.Fatal(r.hdr)
	}
	var evs []ev
	exec := func(app, arg, appUUID string) {
		t.Helper()
		r := oc.cmd(fmt.Sprintf("sendmsg\ncall-command: execute\nexecute-app-name: %s\nexecute-app-arg: %s\nevent-lock: true\nEvent-UUID: %s", app, arg, appUUID), &evs)
		if r.hdr["Reply-Text"] != "+OK" {
			t.Fatalf("sendmsg: %v", r.hdr)
		}
	}
	until := func(pred func(ev) bool) ev {
		t.Helper()
		for i := 0; ; {
			if i < len(evs) {
				if pred(evs[i]) {
					e := evs[i]
					evs = evs[i+1:]
					return e
				}
				i++
				continue
			}
			evs = append(evs, oc.nextEvent())
		}
	}
	named := func(name string) func(ev) bool { return func(e ev) bool { return e.get("Event-Name") == name } }

	exec("playback", "silence_stream://1000", "app-1")
	ex := until(named("CHANNEL_EXECUTE"))
	if ex.get("Application") != "playback" || ex.get("Application-UUID") != "app-1" || ex.get("Application-Data") != "silence_stream://1000" {
		t.Fatalf("execute %v", ex.hdrs)
	}
	done := until(named("CHANNEL_EXECUTE_COMPLETE"))
	if done.get("Application-Response") != "FILE PLAYED" || done.get("Application-UUID") != "app-1" || done.get("variable_playback_ms") != "1000" {
		t.Fatalf("complete %s %s %s", done.get("Application-Response"), done.get("Application-UUID"), done.get("variable_playback_ms"))
	}
	sp := until(named("CUSTOM"))
	if sp.get("Event-Subclass") != SpeechSubclass || sp.get("Speech-Text") != "有兴趣" || sp.get("Unique-ID") != id {
		t.Fatalf("speech %v", sp.hdrs)
	}
	start, _ := strconv.Atoi(sp.get("Speech-Start-Ms"))
	end, _ := strconv.Atoi(sp.get("Speech-End-Ms"))
	if end-start != SpeechMs("有兴趣") || start < 1000 {
		t.Fatalf("speech times %d..%d", start, end)
	}
	if d := until(named("DTMF")); d.get("DTMF-Digit") != "1" || d.get("DTMF-Source") != "RTP" {
		t.Fatalf("dtmf %v", d.hdrs)
	}

	// A long prompt: the callee barges in at 500 ms; we break it.
	exec("playback", "silence_stream://60000", "app-2")
	until(named("CHANNEL_EXECUTE"))
	barge := until(named("CUSTOM"))
	if barge.get("Speech-Text") != "等一下" {
		t.Fatalf("barge-in speech %q", barge.get("Speech-Text"))
	}
	if r := oc.cmd("api uuid_break "+id+" all", &evs); r.body != "+OK\n" {
		t.Fatalf("uuid_break %q", r.body)
	}
	cut := until(named("CHANNEL_EXECUTE_COMPLETE"))
	played, _ := strconv.Atoi(cut.get("variable_playback_ms"))
	if cut.get("Application-Response") != "FILE PLAYED" || played < 500 || played >= 60000 {
		t.Fatalf("broken playback %s %d", cut.get("Application-Response"), played)
	}

	r := oc.cmd("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING", &evs)
	if r.hdr["Reply-Text"] != "+OK" {
		t.Fatal(r.hdr)
	}
	var tail []string
	for {
		f := oc.must()
		if f.ct() == "text/disconnect-notice" {
			if f.hdr["Content-Disposition"] != "linger" || f.hdr["Controlled-Session-UUID"] != id || f.hdr["Linger-Time"] != "-1" {
				t.Fatalf("linger notice %v", f.hdr)
			}
			break
		}
		if f.ct() == "text/event-plain" {
			e, _ := parseEvent(f)
			tail = append(tail, e.get("Event-Name"))
		}
	}
	for _, e := range evs {
		tail = append([]string{e.get("Event-Name")}, tail...)
	}
	want := "CHANNEL_HANGUP CHANNEL_UNPARK CHANNEL_EXECUTE_COMPLETE CHANNEL_STATE CHANNEL_STATE CHANNEL_HANGUP_COMPLETE"
	if got := strings.Join(tail, " "); got != want {
		t.Fatalf("after hangup:\n got %s\nwant %s", got, want)
	}
	// Lingering: the channel is not destroyed until we leave.
	if s.Originates("13900000000") != 1 || s.OriginatesUUID(id) != 1 {
		t.Fatalf("originates %d", s.Originates("13900000000"))
	}
	oc.send("exit")
	_ = oc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(oc.br)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(rest), "Content-Type: command/reply\nReply-Text: +OK bye\n\nContent-Type: text/disconnect-notice\nControlled-Session-UUID: "+id+"\nContent-Disposition: disconnect\nContent-Length: 67\n\n") {
		t.Fatalf("exit: %q", rest)
	}
	var destroyed bool
	for !destroyed {
		destroyed = ctl.nextEvent().get("Event-Name") == "CHANNEL_DESTROY"
	}
	ci, ok := s.Call(id)
	if !ok || !ci.Answered || ci.HangupCause != "NORMAL_CLEARING" || ci.DTMF != "1" || len(ci.Speech) != 2 || ci.SIPTermStatus != "" ||
		ci.Vars["sip_hangup_disposition"] != "send_bye" {
		t.Fatalf("call info %+v", ci)
	}
}

func TestSocketClosedWithoutHangupLeavesChannelParked(t *testing.T) {
	s := startSim(t, Options{})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	r := ctl.cmd(fmt.Sprintf("api originate {origination_uuid=parked-1}sofia/gateway/gw/13800000007 '&socket(%s async full)'", ss.ln.Addr()), nil)
	if r.body != "+OK parked-1\n" {
		t.Fatalf("originate %q", r.body)
	}
	oc := ss.accept(t)
	oc.send("connect")
	oc.must()
	oc.nc.Close()
	time.Sleep(20 * time.Millisecond) // let the simulator notice; correctness does not depend on it
	if r := ctl.cmd("api uuid_exists parked-1", nil); r.body != "true" {
		t.Fatalf("exists after socket close: %q", r.body)
	}
	ctl.cmd("event plain CHANNEL_HANGUP_COMPLETE", nil)
	ctl.cmd("api uuid_kill parked-1", nil)
	if e := ctl.nextEvent(); e.get("Hangup-Cause") != "NORMAL_CLEARING" || e.get("Unique-ID") != "parked-1" {
		t.Fatalf("%v", e.hdrs)
	}
}

func TestUnquotedSocketLosesAsyncFull(t *testing.T) {
	s := startSim(t, Options{})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd(fmt.Sprintf("bgapi originate {origination_uuid=unq-1}sofia/gateway/gw/13800000007 &socket(%s async full)", ss.ln.Addr()), nil)
	oc := ss.accept(t)
	oc.send("connect")
	cb := oc.must()
	if cb.hdr["Socket-Mode"] != "static" || cb.hdr["Control"] != "single" {
		t.Fatalf("unquoted socket arg kept its flags: %v %v", cb.hdr["Socket-Mode"], cb.hdr["Control"])
	}
	if r := oc.cmd("api status", nil); r.hdr["Reply-Text"] != "-ERR permission denied" {
		t.Fatalf("api in single control: %v", r.hdr)
	}
}

func TestEarlyMediaLegGetsSocketAndAnnouncement(t *testing.T) {
	s := startSim(t, Options{})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd("event plain CHANNEL_HANGUP_COMPLETE CUSTOM waihu::sim_speech", nil)
	r := ctl.cmd(fmt.Sprintf("api originate {origination_uuid=em-1,ignore_early_media=false}sofia/gateway/gw/13800000004 '&socket(%s async full)'", ss.ln.Addr()), nil)
	if r.body != "+OK em-1\n" {
		t.Fatalf("originate on early media: %q", r.body)
	}
	oc := ss.accept(t)
	oc.send("connect")
	if cb := oc.must(); cb.hdr["Answer-State"] != "early" || cb.hdr["Channel-Call-State"] != "EARLY" {
		t.Fatalf("connect on early leg %v %v", cb.hdr["Answer-State"], cb.hdr["Channel-Call-State"])
	}
	sp := ctl.nextEvent()
	if sp.get("Event-Subclass") != SpeechSubclass || !strings.Contains(sp.get("Speech-Text"), "关机") {
		t.Fatalf("announcement %v", sp.hdrs)
	}
	hc := ctl.nextEvent()
	if hc.get("Hangup-Cause") != "NO_USER_RESPONSE" || hc.get("variable_sip_term_status") != "480" || hc.get("variable_endpoint_disposition") != "EARLY MEDIA" {
		t.Fatalf("hangup %s %s", hc.get("Hangup-Cause"), hc.get("variable_sip_term_status"))
	}
}

func TestLingerSecondsAndRecordSession(t *testing.T) {
	dir := t.TempDir()
	s := startSim(t, Options{})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd(fmt.Sprintf("bgapi originate {origination_uuid=rec-1,RECORD_STEREO=true}sofia/gateway/gw/13800000007 '&socket(%s async full)'", ss.ln.Addr()), nil)
	oc := ss.accept(t)
	oc.send("connect")
	oc.must()
	oc.cmd("myevents", nil)
	if r := oc.cmd("linger 1", nil); r.hdr["Reply-Text"] != "+OK will linger 1 seconds" {
		t.Fatal(r.hdr)
	}
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: record_session\nexecute-app-arg: "+dir+"/7/20261124/rec-1.wav", nil)
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: sleep\nexecute-app-arg: 2000", nil)
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: hangup\nexecute-app-arg: NORMAL_CLEARING", nil)
	for {
		f, err := oc.read()
		if err != nil {
			t.Fatal(err)
		}
		if f.ct() == "text/disconnect-notice" {
			if f.hdr["Linger-Time"] != "1" {
				t.Fatalf("%v", f.hdr)
			}
			break
		}
	}
	// FS closes the socket by itself after the linger time.
	_ = oc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(oc.br); err != nil {
		t.Fatalf("want EOF after linger: %v", err)
	}
	// Like FS (switch_ivr_record_session_mask), the directories of the
	// path are created: waihu records into <dir>/<tenant>/<day>/.
	ms := wavMs(dir + "/7/20261124/rec-1.wav")
	if ms < 2000 {
		t.Fatalf("recording %d ms", ms)
	}
}

func TestCloseEndsLingeringSessions(t *testing.T) {
	s, err := New(Options{TimeScale: 0.01, HeartbeatEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd(fmt.Sprintf("api originate {origination_uuid=cl-1}sofia/gateway/gw/13800000007 '&socket(%s async full)'", ss.ln.Addr()), nil)
	oc := ss.accept(t)
	oc.send("connect")
	oc.must()
	oc.cmd("myevents", nil)
	oc.cmd("linger", nil)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 4*time.Second {
		t.Fatal("Close waited for the lingering socket")
	}
	var sawHangup bool
	for {
		f, err := oc.read()
		if err != nil {
			break
		}
		if f.ct() == "text/event-plain" {
			e, _ := parseEvent(f)
			if e.get("Event-Name") == "CHANNEL_HANGUP" && e.get("Hangup-Cause") == "SYSTEM_SHUTDOWN" {
				sawHangup = true
			}
		}
	}
	if !sawHangup {
		t.Fatal("no SYSTEM_SHUTDOWN hangup before the socket closed")
	}
}

func TestTransferBridgesToSimulatedAgent(t *testing.T) {
	s := startSim(t, Options{})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd("event plain CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP_COMPLETE", nil)
	ctl.cmd(fmt.Sprintf("bgapi originate {origination_uuid=tr-1}sofia/gateway/gw/13800000007 '&socket(%s async full)'", ss.ln.Addr()), nil)
	oc := ss.accept(t)
	oc.send("connect")
	oc.must()
	oc.cmd("myevents", nil)
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: 8001 XML waihu_transfer", nil)
	var names []string
	for len(names) < 3 {
		e := ctl.nextEvent()
		names = append(names, e.get("Event-Name"))
		if e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" {
			if e.get("variable_sip_hangup_disposition") != "recv_bye" || e.get("variable_transfer_destination") != "8001 XML waihu_transfer" ||
				e.get("Caller-Channel-Transfer-Time") == "0" {
				t.Fatalf("%v", e.hdrs)
			}
		}
	}
	if strings.Join(names, " ") != "CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP_COMPLETE" {
		t.Fatal(names)
	}
}

// TestGoldenOutboundSession replays outbound-session.jsonl's commands and
// compares what the socket receives with the recording: event names,
// applications, responses and DTMF digits in order, and the reply texts.
func TestGoldenOutboundSession(t *testing.T) {
	personas, err := ParsePersonas([]byte(`
personas:
  - name: sipp-dtmf
    match: ["13800000000"]
    ring_ms: 0
    timeline:            # SIPp sent RFC 2833 digits 1 s and 4 s after the ACK
      - at_ms: 1000
        dtmf: "1"
      - at_ms: 4000
        dtmf: "2"
`))
	if err != nil {
		t.Fatal(err)
	}
	// 0.1: the timeline's 1 s must still fall inside the first 3 s prompt
	// after the connect/myevents/linger round trips on a loaded machine.
	s := startSim(t, Options{Personas: personas, TimeScale: 0.1})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd(fmt.Sprintf("bgapi originate {origination_uuid=7862a92b-f60d-496c-bba3-94fbb25b8b86,originate_timeout=20,waihu_attempt=A1}sofia/external/13800000000@127.0.0.1:5090 '&socket(%s async full)'", ss.ln.Addr()), nil)
	oc := ss.accept(t)

	summary := func(f frame) string {
		switch f.ct() {
		case "text/event-plain":
			e, _ := parseEvent(f)
			out := e.get("Event-Name")
			if a := e.get("Application"); a != "" {
				out += " " + a
				if r := e.get("Application-Response"); r != "" {
					out += " " + r
				}
			}
			if d := e.get("DTMF-Digit"); d != "" {
				out += " " + d
			}
			return out
		case "command/reply":
			if f.hdr["Event-Name"] == "CHANNEL_DATA" {
				return "connect " + f.hdr["Reply-Text"]
			}
			return "reply " + f.hdr["Reply-Text"]
		case "api/response":
			return "api " + strings.TrimSpace(f.body)
		default:
			return f.ct() + " " + f.hdr["Content-Disposition"]
		}
	}
	var got []string
	next := func() string {
		f := oc.must()
		s := summary(f)
		got = append(got, s)
		return s
	}
	waitFor := func(prefix string) {
		for !strings.HasPrefix(next(), prefix) {
		}
	}
	oc.send("connect")
	waitFor("connect")
	oc.send("myevents")
	waitFor("reply +OK Events Enabled")
	oc.send("linger")
	waitFor("reply +OK will linger")
	oc.send("sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://3000\nevent-lock: true")
	waitFor("CHANNEL_EXECUTE_COMPLETE playback")
	oc.send("sendmsg\ncall-command: execute\nexecute-app-name: record\nexecute-app-arg: /nonexistent/outbound-record.wav 10 200 2\nevent-lock: true")
	waitFor("CHANNEL_EXECUTE_COMPLETE record")
	oc.send("sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://3000\nevent-lock: true")
	waitFor("CHANNEL_EXECUTE playback")
	oc.send("api uuid_break 7862a92b-f60d-496c-bba3-94fbb25b8b86 all")
	waitFor("CHANNEL_EXECUTE_COMPLETE playback")
	oc.send("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING")
	waitFor("text/disconnect-notice linger")
	oc.send("exit")
	waitFor("reply +OK bye")
	waitFor("text/disconnect-notice disconnect")

	// the same summary of the recording
	var want []string
	rec := &client{t: t, br: bufio.NewReader(strings.NewReader(traceRecv(t, "outbound-session.jsonl", 0)))}
	for {
		f, err := rec.read()
		if err != nil {
			break
		}
		want = append(want, summary(f))
	}
	// FS writes queued session events when its listener loop finds no
	// pending input, so CHANNEL_PARK landed after the pipelined linger and
	// sendmsg replies in the recording; its place is not a contract. It
	// must come before the first CHANNEL_EXECUTE; compare the rest exactly.
	park := func(seq []string) []string {
		out := seq[:0:0]
		parked := false
		for _, s := range seq {
			if s == "CHANNEL_PARK" {
				parked = true
				continue
			}
			if strings.HasPrefix(s, "CHANNEL_EXECUTE ") && !parked {
				t.Fatalf("CHANNEL_EXECUTE before CHANNEL_PARK in %v", seq)
			}
			out = append(out, s)
		}
		return out
	}
	got, want = park(got), park(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("outbound session differs\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestRecordStopsAfterTheReplyAndSilence: a reply starting 400 ms into
// the recording (after the prompt) keeps it going until 2 s after the
// reply ends.
func TestRecordStopsAfterTheReplyAndSilence(t *testing.T) {
	personas, _ := ParsePersonas([]byte("personas:\n  - name: r\n    match: [\"13600000000\"]\n    ring_ms: 0\n    turns:\n      - say: \"我想想，这个价格还可以吧\"\n"))
	s := startSim(t, Options{Personas: personas, TimeScale: 0.05})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd(fmt.Sprintf("bgapi originate {origination_uuid=rec-2}sofia/gateway/gw/13600000000 '&socket(%s async full)'", ss.ln.Addr()), nil)
	oc := ss.accept(t)
	oc.send("connect")
	oc.must()
	oc.cmd("myevents", nil)
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://500", nil)
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: record\nexecute-app-arg: /nonexistent/r.wav 30 200 2", nil)
	var sawSpeech bool
	for {
		e := oc.nextEvent()
		if e.get("Event-Name") == "CUSTOM" {
			sawSpeech = true
		}
		if e.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE" && e.get("Application") == "record" {
			ms, _ := strconv.Atoi(e.get("variable_record_ms"))
			want := 400 + SpeechMs("我想想，这个价格还可以吧") + 2000
			if !sawSpeech || ms < want-200 || ms >= 30000 {
				t.Fatalf("record lasted %d ms (want at least %d and under the 30 s limit), speech seen %v", ms, want, sawSpeech)
			}
			return
		}
	}
}

func TestPlayAndGetDigitsCollectsPersonaDTMF(t *testing.T) {
	personas, _ := ParsePersonas([]byte("personas:\n  - name: d\n    match: [\"13500000000\"]\n    ring_ms: 0\n    turns:\n      - dtmf: \"12#\"\n"))
	s := startSim(t, Options{Personas: personas})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd(fmt.Sprintf("bgapi originate {origination_uuid=pgd-1}sofia/gateway/gw/13500000000 '&socket(%s async full)'", ss.ln.Addr()), nil)
	oc := ss.accept(t)
	oc.send("connect")
	oc.must()
	oc.cmd("myevents", nil)
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: play_and_get_digits\nexecute-app-arg: 1 3 1 60000 # silence_stream://1000 silence_stream://0 choice \\d+", nil)
	for {
		e := oc.nextEvent()
		if e.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE" && e.get("Application") == "play_and_get_digits" {
			if e.get("variable_choice") != "12" {
				t.Fatalf("choice %q", e.get("variable_choice"))
			}
			return
		}
	}
}

func TestAnswerAppDoesNotAnswerAnEarlyLeg(t *testing.T) {
	s := startSim(t, Options{})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd("event plain CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE", nil)
	ctl.cmd(fmt.Sprintf("bgapi originate {origination_uuid=ans-1}sofia/gateway/gw/13800000005 '&socket(%s async full)'", ss.ln.Addr()), nil)
	oc := ss.accept(t)
	oc.send("connect")
	oc.must()
	oc.cmd("myevents", nil)
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: answer", nil)
	if r := ctl.cmd("api uuid_answer ans-1", nil); r.body != "+OK\n" {
		t.Fatalf("%q", r.body)
	}
	e := ctl.nextEvent()
	if e.get("Event-Name") != "CHANNEL_HANGUP_COMPLETE" || e.get("Hangup-Cause") != "UNALLOCATED_NUMBER" || e.get("variable_answer_epoch") != "0" {
		t.Fatalf("%s %s answer_epoch %s", e.get("Event-Name"), e.get("Hangup-Cause"), e.get("variable_answer_epoch"))
	}
}

// TestRecordWritesTheReplyAndStopsOnTerminator: the recording holds the
// callee's (synthetic) voice, and "*" (playback_terminators' default) ends
// it before the silence would (mod_dptools on_dtmf).
func TestRecordWritesTheReplyAndStopsOnTerminator(t *testing.T) {
	personas, _ := ParsePersonas([]byte("personas:\n  - name: r\n    match: [\"13600000001\"]\n    ring_ms: 0\n    turns:\n      - say: \"我想想\"\n        dtmf: \"*\"\n"))
	s := startSim(t, Options{Personas: personas, TimeScale: 0.1})
	ss := newSocketServer(t)
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd(fmt.Sprintf("bgapi originate {origination_uuid=rec-3}sofia/gateway/gw/13600000001 '&socket(%s async full)'", ss.ln.Addr()), nil)
	oc := ss.accept(t)
	oc.send("connect")
	oc.must()
	oc.cmd("myevents", nil)
	file := filepath.Join(t.TempDir(), "r.wav")
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://500", nil)
	oc.cmd("sendmsg\ncall-command: execute\nexecute-app-name: record\nexecute-app-arg: "+file+" 30 200 20", nil)
	for {
		e := oc.nextEvent()
		if e.get("Event-Name") != "CHANNEL_EXECUTE_COMPLETE" || e.get("Application") != "record" {
			continue
		}
		ms, _ := strconv.Atoi(e.get("variable_record_ms"))
		if e.get("variable_playback_terminator_used") != "*" || ms >= 20000 || e.get("variable_silence_hits_exhausted") != "false" {
			t.Fatalf("record: %d ms, terminator %q, silence exhausted %q", ms, e.get("variable_playback_terminator_used"), e.get("variable_silence_hits_exhausted"))
		}
		pcm := readPCM8k(file)
		loud := 0
		for _, v := range pcm {
			if v > 1000 || v < -1000 {
				loud++
			}
		}
		if len(pcm) < 8*ms-800 || loud < 800 {
			t.Fatalf("recording: %d samples for %d ms, %d loud: want the callee's voice", len(pcm), ms, loud)
		}
		return
	}
}
