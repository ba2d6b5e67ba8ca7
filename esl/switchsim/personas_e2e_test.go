package switchsim

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fiorix/go-eventsocket/eventsocket"
)

// robot is a minimal outbound-socket dialogue: answer the connect, play a
// 2 s prompt, and keep prompting while the callee talks, then hang up. It
// never fails the test: the far end may end the call at any point.
func robot(oc *client, prompts int) {
	send := func(s string) bool { _, err := io.WriteString(oc.nc, s+"\n\n"); return err == nil }
	_ = oc.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	if !send("connect\n\nmyevents\n\nlinger") {
		return
	}
	for i := 0; i < prompts; i++ {
		if !send("sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://2000\nevent-lock: true") {
			return
		}
		// listen: a 4 s sleep that the callee's speech cuts short.
		if !send("sendmsg\ncall-command: execute\nexecute-app-name: sleep\nexecute-app-arg: 4000\nevent-lock: true") {
			return
		}
		for done := false; !done; {
			f, err := oc.read()
			if err != nil || f.ct() == "text/disconnect-notice" {
				return
			}
			if f.ct() != "text/event-plain" {
				continue
			}
			e, _ := parseEvent(f)
			switch {
			case e.get("Event-Name") == "CUSTOM":
				send("api uuid_break " + e.get("Unique-ID"))
			case e.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE" && e.get("Application") == "sleep":
				done = true
			}
		}
	}
	send("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING")
	for {
		if f, err := oc.read(); err != nil || f.ct() == "text/disconnect-notice" {
			return
		}
	}
}

// TestDefaultPersonas places one call per last digit through the socket
// application and checks the end each persona must produce.
func TestDefaultPersonas(t *testing.T) {
	// 0.05: the robot's 3 prompts (at most 18 simulated s) end well before the
	// silent (60 s) and voicemail (30 s) callees give up, even on a busy machine.
	s := startSim(t, Options{TimeScale: 0.05})
	ss := newSocketServer(t)
	cases := []struct {
		digit                   string
		job, cause, sip         string
		answered, early, speech bool
		socket                  bool
		hangupBy                string
	}{
		{"0", "+OK", "NORMAL_CLEARING", "", true, false, true, true, "send_bye"},
		{"1", "-ERR USER_BUSY", "USER_BUSY", "486", false, false, false, false, "recv_refuse"},
		{"2", "-ERR NO_ANSWER", "NO_ANSWER", "", false, false, false, false, "send_cancel"},
		{"3", "-ERR CALL_REJECTED", "CALL_REJECTED", "603", false, false, false, false, "recv_refuse"},
		{"4", "+OK", "NO_USER_RESPONSE", "480", false, true, true, true, "recv_refuse"},
		{"5", "+OK", "UNALLOCATED_NUMBER", "404", false, true, true, true, "recv_refuse"},
		{"6", "+OK", "NORMAL_CLEARING", "200", true, false, false, true, "recv_bye"},
		// who hangs up first in 7, 8, 9 depends on the robot's pace against
		// the callee's clock, so either side is accepted ("").
		{"7", "+OK", "NORMAL_CLEARING", "", true, false, false, true, ""},
		{"8", "+OK", "NORMAL_CLEARING", "", true, false, true, true, ""},
		{"9", "+OK", "NORMAL_CLEARING", "", true, false, true, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.digit, func(t *testing.T) {
			t.Parallel()
			c := dial(t, s.ESLAddr(), "ClueCon")
			id := "persona-" + tc.digit
			c.cmd("event plain CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB", nil)
			c.cmd(fmt.Sprintf("filter Unique-ID %s", id), nil)
			c.cmd("filter Job-UUID job-"+id, nil)
			c.cmd(fmt.Sprintf("bgapi originate {origination_uuid=%s,originate_timeout=30,ignore_early_media=false}sofia/gateway/gw/1380000000%s '&socket(%s async full)'\nJob-UUID: job-%s",
				id, tc.digit, ss.ln.Addr(), id), nil)
			if tc.socket {
				oc := ss.accept(t)
				robotDone := make(chan struct{})
				defer func() { <-robotDone }()
				go func() { defer close(robotDone); robot(oc, 3) }()
			}
			var job, hc ev
			for job.get("Event-Name") == "" || hc.get("Event-Name") == "" {
				e := c.nextEvent()
				switch e.get("Event-Name") {
				case "BACKGROUND_JOB":
					job = e
				case "CHANNEL_HANGUP_COMPLETE":
					hc = e
				}
			}
			if !strings.HasPrefix(job.body, tc.job) {
				t.Errorf("job %q want %q", job.body, tc.job)
			}
			disp := hc.get("variable_sip_hangup_disposition")
			if tc.hangupBy == "" && (disp == "recv_bye") != (hc.get("variable_sip_term_status") == "200") {
				t.Errorf("disposition %q with sip_term_status %q", disp, hc.get("variable_sip_term_status"))
			}
			if hc.get("Hangup-Cause") != tc.cause || (tc.hangupBy != "" && (hc.get("variable_sip_term_status") != tc.sip || disp != tc.hangupBy)) {
				t.Errorf("end %s sip %q disposition %q", hc.get("Hangup-Cause"), hc.get("variable_sip_term_status"), hc.get("variable_sip_hangup_disposition"))
			}
			ci, _ := s.Call(id)
			if ci.Answered != tc.answered || ci.Early != tc.early || (len(ci.Speech) > 0) != tc.speech {
				t.Errorf("call %+v", ci)
			}
			if s.Originates("1380000000"+tc.digit) != 1 {
				t.Errorf("originates %d", s.Originates("1380000000"+tc.digit))
			}
		})
	}
}

func TestSessionLimits(t *testing.T) {
	s := startSim(t, Options{MaxSessions: 2, SessionsPerSecond: 100})
	c := dial(t, s.ESLAddr(), "ClueCon")
	for i := 0; i < 2; i++ {
		if r := c.cmd(fmt.Sprintf("api originate {origination_uuid=lim-%d}sofia/gateway/gw/139000000%d7 &park()", i, i), nil); r.body != fmt.Sprintf("+OK lim-%d\n", i) {
			t.Fatalf("%q", r.body)
		}
	}
	if r := c.cmd("api originate {origination_uuid=lim-2}sofia/gateway/gw/13900000027 &park()", nil); r.body != "-ERR DESTINATION_OUT_OF_ORDER\n" {
		t.Fatalf("over max-sessions: %q", r.body)
	}
	// a refused originate still counts: FS received it.
	if s.Originates("13900000027") != 1 || s.OriginatesUUID("lim-2") != 1 {
		t.Fatal("refused originate not counted")
	}
	// a second originate with a live UUID is refused, and counted twice.
	if r := c.cmd("api originate {origination_uuid=lim-0}sofia/gateway/gw/13900000007 &park()", nil); r.body != "-ERR DESTINATION_OUT_OF_ORDER\n" {
		t.Fatalf("dup uuid: %q", r.body)
	}
	if s.OriginatesUUID("lim-0") != 2 || s.Originates("13900000007") != 2 {
		t.Fatal("dialled twice not visible")
	}
	s2 := startSim(t, Options{SessionsPerSecond: 1})
	c2 := dial(t, s2.ESLAddr(), "ClueCon")
	c2.cmd("api originate sofia/gateway/gw/13900000007 &park()", nil)
	if r := c2.cmd("api originate sofia/gateway/gw/13900000007 &park()", nil); r.body != "-ERR DESTINATION_OUT_OF_ORDER\n" {
		t.Fatalf("over sps: %q", r.body)
	}
	for _, tc := range []struct{ arg, want string }{
		{"error/USER_BUSY &park()", "-ERR USER_BUSY\n"},
		{"foo/bar &park()", "-ERR CHAN_NOT_IMPLEMENTED\n"},
		{"sofia/gateway/gw", "-USAGE"},
	} {
		if r := c.cmd("api originate "+tc.arg, nil); !strings.HasPrefix(r.body, tc.want) {
			t.Errorf("%s: %q", tc.arg, r.body)
		}
	}
}

func TestSofiaGatewayCommands(t *testing.T) {
	s := startSim(t, Options{})
	c := dial(t, s.ESLAddr(), "ClueCon")
	if r := c.cmd("api sofia status gateway gw9", nil); !strings.Contains(r.body, "Name    \texternal::gw9") || !strings.Contains(r.body, "Status  \tUP") {
		t.Fatalf("%q", r.body)
	}
	if r := c.cmd("api sofia profile external killgw gw9", nil); r.body != "+OK gateway marked for deletion.\n" {
		t.Fatalf("%q", r.body)
	}
	if r := c.cmd("api sofia status gateway gw9", nil); r.body != "Invalid Gateway!\n" {
		t.Fatalf("%q", r.body)
	}
	if r := c.cmd("api originate sofia/gateway/gw9/13800000000 &park()", nil); r.body != "-ERR INVALID_GATEWAY\n" {
		t.Fatalf("%q", r.body)
	}
	if r := c.cmd("api sofia profile external rescan", nil); !strings.HasSuffix(r.body, "+OK scan complete\n") {
		t.Fatalf("%q", r.body)
	}
	if r := c.cmd("api sofia status gateway gw9", nil); !strings.Contains(r.body, "external::gw9") {
		t.Fatalf("%q", r.body)
	}
	if r := c.cmd("api sched_hangup +0 nope", nil); r.body != "-ERR No such channel!\n" {
		t.Fatalf("%q", r.body)
	}
	c.cmd("api originate {origination_uuid=sched-1}sofia/gateway/gw/13800000007 &park()", nil)
	c.cmd("event plain CHANNEL_HANGUP_COMPLETE", nil)
	if r := c.cmd("api sched_hangup +0 sched-1 USER_BUSY", nil); r.body != "+OK\n" {
		t.Fatalf("%q", r.body)
	}
	if e := c.nextEvent(); e.get("Hangup-Cause") != "USER_BUSY" {
		t.Fatalf("%s", e.get("Hangup-Cause"))
	}
	if r := c.cmd("api uuid_audio_stream nope start ws://x", nil); r.body != "-ERR Operation Failed\n" {
		t.Fatalf("%q", r.body)
	}
}

// TestGoEventsocketClient proves the library waihu wraps can talk to the
// simulator (its parser log.Fatal()s on unknown content types).
func TestGoEventsocketClient(t *testing.T) {
	s := startSim(t, Options{})
	c, err := eventsocket.Dial(s.ESLAddr(), "ClueCon")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send("event json ALL"); err != nil {
		t.Fatal(err)
	}
	ev, err := c.Send("api status")
	if err != nil || !strings.Contains(ev.Body, "is ready") {
		t.Fatalf("%v %v", ev, err)
	}
	if _, err := c.Send("bgapi originate {origination_uuid=gev-1}sofia/gateway/gw/13800000001 &park()"); err != nil {
		t.Fatal(err)
	}
	for {
		e, err := c.ReadEvent()
		if err != nil {
			t.Fatal(err)
		}
		if e.Get("Event-Name") == "BACKGROUND_JOB" {
			if e.Body != "-ERR USER_BUSY\n" {
				t.Fatalf("%q", e.Body)
			}
			return
		}
	}
}

func TestKillDropsEverythingWithoutHangup(t *testing.T) {
	s, err := New(Options{TimeScale: 0.01, HeartbeatEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := dial(t, s.ESLAddr(), "ClueCon")
	c.cmd("event plain CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE", nil)
	c.cmd("api originate {origination_uuid=k-1}sofia/gateway/gw/13800000007 &park()", nil)
	s.Kill()
	for {
		f, err := c.read()
		if err != nil {
			break // EOF with no hangup events first
		}
		if f.ct() == "text/event-plain" {
			t.Fatalf("event after kill: %q", f.body[:40])
		}
	}
	if ci, ok := s.Call("k-1"); !ok || ci.HangupCause != "" {
		t.Fatalf("%+v", ci)
	}
}

func TestRestartKeepsGroundTruth(t *testing.T) {
	s := startSim(t, Options{})
	c := dial(t, s.ESLAddr(), "ClueCon")
	c.cmd("api originate {origination_uuid=r-1}sofia/gateway/gw/13800000007 &park()", nil)
	addr := s.ESLAddr()
	s.Kill()
	if err := s.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s.ESLAddr() != addr {
		t.Fatalf("restarted on %s, want %s", s.ESLAddr(), addr)
	}
	c2 := dial(t, addr, "ClueCon")
	if r := c2.cmd("api uuid_exists r-1", nil); r.body != "false" {
		t.Fatalf("channel survived the crash: %q", r.body)
	}
	c2.cmd("api originate {origination_uuid=r-1}sofia/gateway/gw/13800000007 &park()", nil)
	if s.OriginatesUUID("r-1") != 2 || s.Originates("13800000007") != 2 {
		t.Fatalf("counters lost: %d", s.OriginatesUUID("r-1"))
	}
	if err := s.Restart(t.Context()); err == nil {
		t.Fatal("restart of a running simulator accepted")
	}
}

func TestSimulatorOnlyAndMiscCommands(t *testing.T) {
	s := startSim(t, Options{})
	c := dial(t, s.ESLAddr(), "ClueCon")
	c.cmd("api originate {origination_uuid=m-1,waihu_attempt=A9}sofia/gateway/gw/13800000007 &park()", nil)
	for _, tc := range []struct{ cmd, want string }{
		{"api sim_originates 13800000007", "1\n"},
		{"api sim_originates_uuid m-1", "1\n"},
		{"api sim_originates_uuid nope", "0\n"},
		{"api uuid_broadcast m-1 silence_stream://10 aleg", "+OK Message sent\n"},
		{"api uuid_record m-1 start /nonexistent/dir/x.wav", "+OK Success\n"},
		{"api uuid_record nope start /x.wav", "-ERR Cannot locate session!\n"},
		{"api uuid_setvar m-1 foo bar baz", "+OK\n"},
		{"api uuid_getvar m-1 foo", "bar baz"},
		{"api uuid_getvar m-1 nothing", "_undef_"},
	} {
		if r := c.cmd(tc.cmd, nil); r.body != tc.want {
			t.Errorf("%s: %q want %q", tc.cmd, r.body, tc.want)
		}
	}
	if r := c.cmd("api uuid_dump m-1 json", nil); !strings.Contains(r.body, `"variable_waihu_attempt":"A9"`) || strings.Contains(r.body, "Event-Name") {
		t.Errorf("uuid_dump %q", r.body[:80])
	}
	if r := c.cmd("api sim_calls", nil); !strings.Contains(r.body, `"uuid":"m-1"`) || !strings.Contains(r.body, `"persona":"silent"`) {
		t.Errorf("sim_calls %q", r.body)
	}
}
