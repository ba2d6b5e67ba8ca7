package esl

import (
	"errors"
	"strings"
	"testing"
)

func TestOriginateShape(t *testing.T) {
	c, err := Originate(OriginateRequest{
		UUID:           "0010ba80-58b1-4a81-8594-03e24f3699bc",
		Endpoint:       "sofia/gateway/waihu_3/013800138000",
		CallerIDNumber: "+8602100000000",
		CallerIDName:   "外呼",
		TimeoutSec:     30,
		Vars:           map[string]string{"waihu_tenant": "7", "waihu_attempt": "0010ba80-58b1-4a81-8594-03e24f3699bc"},
		SocketAddr:     "10.0.0.5:8084",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "originate {origination_uuid=0010ba80-58b1-4a81-8594-03e24f3699bc,originate_timeout=30,ignore_early_media=false," +
		"origination_caller_id_number=+8602100000000,origination_caller_id_name=外呼," +
		"waihu_attempt=0010ba80-58b1-4a81-8594-03e24f3699bc,waihu_tenant=7}sofia/gateway/waihu_3/013800138000 '&socket(10.0.0.5:8084 async full)'"
	if c.String() != want {
		t.Fatalf("\n got %s\nwant %s", c, want)
	}
	c, err = Originate(OriginateRequest{UUID: "a1", Endpoint: "sofia/external/1000@127.0.0.1:5090", App: "park", IgnoreEarlyMedia: true})
	if err != nil || c.String() != "originate {origination_uuid=a1,ignore_early_media=true}sofia/external/1000@127.0.0.1:5090 '&park()'" {
		t.Fatalf("%v %s", err, c)
	}
}

// TestInjectionRefused feeds every builder values that would end the ESL
// frame (CR/LF), break out of the originate {} block or the quoted app, or
// trigger variable/API expansion, and requires an *ArgumentError naming the
// field — never a Command.
func TestInjectionRefused(t *testing.T) {
	const u = "0010ba80-58b1-4a81-8594-03e24f3699bc"
	base := func() OriginateRequest {
		return OriginateRequest{UUID: u, Endpoint: "sofia/gateway/gw/13800138000", SocketAddr: "127.0.0.1:8084"}
	}
	evil := []string{
		"13800138000\n\napi uuid_kill all",
		"13800138000\r\nevent plain ALL",
		"1380\x00",
	}
	type tc struct {
		name  string
		field string
		build func(v string) (Command, error)
		vals  []string
	}
	cases := []tc{
		{"endpoint", "endpoint", func(v string) (Command, error) {
			r := base()
			r.Endpoint = "sofia/gateway/gw/" + v
			return Originate(r)
		},
			append(evil, "1380,sofia/gateway/other/1", "1380|loopback/9999", "138 &bridge(x)", "{x=y}1380", "1380${system(id)}", "1380'x", "[a=b]1")},
		{"caller number", "caller id number", func(v string) (Command, error) { r := base(); r.CallerIDNumber = v; return Originate(r) },
			append(evil, "100,origination_uuid=x", "100}", "100 200")},
		{"caller name", "caller id name", func(v string) (Command, error) { r := base(); r.CallerIDName = v; return Originate(r) },
			append(evil, "a,execute_on_answer=system rm", "a}sofia/gateway/x/1 &park() {b", "${uuid_kill all}", "x'y", "a b", `a\,b`, "^^:a")},
		{"var value", "variable waihu_tenant", func(v string) (Command, error) {
			r := base()
			r.Vars = map[string]string{"waihu_tenant": v}
			return Originate(r)
		}, append(evil, "1,api_on_answer=uuid_kill all", "1}", "$${hostname}", "[x]")},
		{"var name", "variable name", func(v string) (Command, error) {
			r := base()
			r.Vars = map[string]string{v: "1"}
			return Originate(r)
		}, append(evil, "a=b,c", "a}", "a b", "", "-x")},
		{"reserved var", "variable name", func(v string) (Command, error) {
			r := base()
			r.Vars = map[string]string{v: "x"}
			return Originate(r)
		}, []string{"origination_uuid", "ignore_early_media"}},
		{"socket", "socket address", func(v string) (Command, error) { r := base(); r.SocketAddr = v; return Originate(r) },
			append(evil, "1.2.3.4:8084 async full)' &park(", "1.2.3.4", "h'x:1", "1.2.3.4:99999")},
		{"uuid_kill uuid", "uuid", func(v string) (Command, error) { return UUIDKill(v, "") }, append(evil, "all", "a b", "")[0:4]},
		{"uuid_kill cause", "cause", func(v string) (Command, error) { return UUIDKill(u, v) }, append(evil, "NORMAL CLEARING")},
		{"broadcast path", "path", func(v string) (Command, error) { return UUIDBroadcast(u, v, "aleg") },
			append(evil, "/tmp/a.wav both\n\nexit", "{x=1}/tmp/a.wav", "/tmp/a b.wav", "file_string:///a!/b", "/tmp/${x}.wav", "")},
		{"setvar value", "value", func(v string) (Command, error) { return UUIDSetVar(u, "x", v) }, append(evil, "${system id}")},
		{"audio url", "url", func(v string) (Command, error) { return UUIDAudioStreamStart(u, v, "mono", 8000, "") },
			append(evil, "ws://h/x y", "http://h/x", "ws://h/${x}")},
		{"audio meta", "metadata", func(v string) (Command, error) { return UUIDAudioStreamStart(u, "ws://h/x", "mono", 8000, v) }, evil},
		{"gateway", "gateway", func(v string) (Command, error) { return SofiaKillGW("external", v) }, append(evil, "gw all")},
		{"raw", "command", Raw, append(evil, "log 7", "event plain ALL", "exit", "nolog", "")},
		{"sched", "uuid", func(v string) (Command, error) { return SchedHangup(v, 10, "") }, evil},
	}
	for _, c := range cases {
		for _, v := range c.vals {
			cmd, err := c.build(v)
			var ae *ArgumentError
			if err == nil || !errors.As(err, &ae) || !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("%s %q: accepted as %q (err %v)", c.name, v, cmd, err)
			}
			if ae.Field != c.field {
				t.Fatalf("%s %q: field %q, want %q", c.name, v, ae.Field, c.field)
			}
			if !cmd.IsZero() {
				t.Fatalf("%s: non-zero command with error", c.name)
			}
		}
	}
}

func TestSanitizeVarValue(t *testing.T) {
	for _, in := range []string{"a,b}{c", "x\r\ny", "${x}", "ok 文本", "\xff\xfe", strings.Repeat("x", 3000)} {
		out := SanitizeVarValue(in)
		if err := ValidateVarValue("v", out); err != nil {
			t.Fatalf("%q -> %q: %v", in, out, err)
		}
	}
}

func TestBuilders(t *testing.T) {
	const u = "abc-123"
	must := func(c Command, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c.String()
	}
	tests := []struct{ got, want string }{
		{must(UUIDKill(u, "NORMAL_CLEARING")), "uuid_kill abc-123 NORMAL_CLEARING"},
		{must(UUIDKill(u, "")), "uuid_kill abc-123"},
		{must(UUIDBreak(u, true)), "uuid_break abc-123 all"},
		{must(UUIDBreak(u, false)), "uuid_break abc-123"},
		{must(UUIDExists(u)), "uuid_exists abc-123"},
		{ShowChannelsJSON().String(), "show channels as json"},
		{Status().String(), "status"},
		{must(SofiaProfileRescan("external")), "sofia profile external rescan"},
		{must(SofiaKillGW("external", "waihu_3")), "sofia profile external killgw waihu_3"},
		{must(SchedHangup(u, 600, "ALLOTTED_TIMEOUT")), "sched_hangup +600 abc-123 ALLOTTED_TIMEOUT"},
		{must(UUIDAudioStreamStart(u, "ws://10.0.0.1:8090/s/abc?x=1&y=2", "mono", 16000, `{"callId":"abc"}`)), `uuid_audio_stream abc-123 start ws://10.0.0.1:8090/s/abc?x=1&y=2 mono 16k {"callId":"abc"}`},
		{must(UUIDAudioStreamStop(u)), "uuid_audio_stream abc-123 stop"},
		{must(UUIDSetVar(u, "STREAM_BUFFER_SIZE", "100")), "uuid_setvar abc-123 STREAM_BUFFER_SIZE 100"},
		{must(UUIDBroadcast(u, "/tmp/a.r8", "aleg")), "uuid_broadcast abc-123 /tmp/a.r8 aleg"},
		{must(Raw(" show calls ")), "show calls"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q want %q", tt.got, tt.want)
		}
	}
}

func TestParseEventEdgeCases(t *testing.T) {
	// JSON arrays (go-eventsocket panics on them), duplicates, numbers, null,
	// nested objects, empty keys.
	e, err := ParseJSONEvent([]byte(`{"Event-Name":"CUSTOM","X":["a","b",3],"Hangup-Cause":"A","Hangup-Cause":"A","N":5,"Z":null,"O":{"k":1},"":"x","_body":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.GetAll("X"); strings.Join(got, "|") != "a|b|3" || e.Get("N") != "5" || e.Get("Z") != "" ||
		e.Get("O") != `{"k":1}` || len(e.GetAll("hangup-cause")) != 2 || e.Body != "hi" {
		t.Fatalf("%+v", e.Headers)
	}
	for _, bad := range []string{`[1,2]`, `{"a":`, `{"a":1]`, ``, `"x"`, `{"a":1}}`} {
		if _, err := ParseJSONEvent([]byte(bad)); err == nil && bad != `{"a":1}}` {
			t.Fatalf("%q accepted", bad)
		}
	}
	// invalid URL escapes are kept literally; '+' is not a space
	e, err = ParsePlainEvent([]byte("Event-Name: X\nA: 100%\nB: %zz%4\nC: +86%2B1\nD:%20x\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Get("A") != "100%" || e.Get("B") != "%zz%4" || e.Get("C") != "+86+1" || e.Get("D") != " x" {
		t.Fatalf("%+v", e.Headers)
	}
	// inner Content-Length longer than the body
	if _, err := ParsePlainEvent([]byte("Event-Name: X\nContent-Length: 10\n\nabc")); err == nil {
		t.Fatal("short body accepted")
	}
	// body with blank lines inside
	e, err = ParsePlainEvent([]byte("Event-Name: BACKGROUND_JOB\nContent-Length: 7\n\na\n\nb\n\n\n"))
	if err != nil || e.Body != "a\n\nb\n\n\n" {
		t.Fatalf("%v %v", err, e)
	}
}
