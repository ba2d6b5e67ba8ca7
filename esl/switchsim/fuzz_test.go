package switchsim

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{"api status\n\n", "sendmsg\ncall-command: execute\nContent-Length: 3\n\nabc", "\r\n\r\nauth x\r\n\r\n",
		"sendmsg\nContent-Length: -1\n\n", "bgapi x\nJob-UUID: a\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		for i := 0; i < 8; i++ {
			if _, err := readRequest(r); err != nil {
				return
			}
		}
	})
}

func FuzzOriginateArgs(f *testing.F) {
	for _, s := range []string{"{a=b,c='x y'}sofia/gateway/gw/138 '&socket(h:1 async full)'", "{^^:a=1:b=2}user/1000", "[x]{", "{a='}sofia/x/y",
		"sofia/external/sip:1@h;transport=tcp &park", "error/USER_BUSY", "{a=\\,}loopback/1 &playback(/x.wav)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := splitArgs(s)
		for _, a := range args {
			_, _ = parseDialString(a)
			_, _ = parseApp(a)
		}
		_ = PromptMs(s, 3000)
		_ = SpeechMs(s)
	})
}

func FuzzParsePersonas(f *testing.F) {
	f.Add([]byte(talkerYAML))
	f.Add([]byte("personas:\n  - name: a\n    match: [\"re:(\"]\n"))
	f.Add([]byte("personas: 3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePersonas(b)
		if err == nil {
			_ = p.For("13800000000")
		}
	})
}

// TestGarbageCommandsKeepConnectionUsable sends malformed commands; every
// one gets a reply and the connection keeps working.
func TestGarbageCommandsKeepConnectionUsable(t *testing.T) {
	s := startSim(t, Options{})
	c := dial(t, s.ESLAddr(), "ClueCon")
	for _, cmd := range []string{
		"api", "api originate", "api originate {", "api originate {a=b}", "api originate sofia/x", "api originate {}sofia/gateway/gw/ &park()",
		"api uuid_kill", "api uuid_break", "api sched_hangup", "api sched_hangup x y", "api uuid_setvar a", "api uuid_getvar",
		"api show", "api show nothing", "api sofia", "api sofia profile", "api sofia profile external killgw",
		"api uuid_audio_stream", "api uuid_audio_stream x", "bgapi", "event", "event plain", "event xml ALL", "nixevent",
		"filter", "filter delete", "filter delete all", "myevents", "myevents not-a-uuid json", "linger", "nolinger",
		"sendmsg", "sendmsg nope\ncall-command: execute", "getvar x", "resume", "log 7", "nolog", "divert_events on",
		"api originate {origination_uuid=g-1}sofia/gateway/gw/13800000001 &playback(" + strings.Repeat("x", 5000) + ")",
	} {
		r := c.cmd(cmd, nil)
		if r.ct() != "command/reply" && r.ct() != "api/response" {
			t.Fatalf("%q: %v", cmd, r.hdr)
		}
	}
	if r := c.cmd("api status", nil); !strings.Contains(r.body, "is ready") {
		t.Fatalf("connection unusable: %q", r.body)
	}
}
