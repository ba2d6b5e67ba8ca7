package switchsim

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// traceRecv returns the bytes FS sent on one connection of a trace.
func traceRecv(t *testing.T, name string, conn int) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, ln := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rec struct {
			Dir, Raw string
			Conn     int
		}
		if err := json.Unmarshal([]byte(ln), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Dir == "recv" && (conn == 0 || rec.Conn == conn) {
			out.WriteString(rec.Raw)
		}
	}
	return out.String()
}

func TestAuthWrongPasswordIsByteExact(t *testing.T) {
	s := startSim(t, Options{})
	nc, err := net.Dial("tcp", s.ESLAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := io.WriteString(nc, "auth WrongPassword\n\n"); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(nc) // must end in EOF: FS disconnects
	if err != nil {
		t.Fatalf("read until EOF: %v", err)
	}
	if want := traceRecv(t, "inbound-auth.jsonl", 1); string(got) != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestInboundCommandsMatchTrace(t *testing.T) {
	s := startSim(t, Options{Password: "ClueCon"})
	c := dial(t, s.ESLAddr(), "ClueCon")
	status := c.cmd("api status", nil)
	if status.ct() != "api/response" || !strings.Contains(status.body, "is ready\n") || !strings.Contains(status.body, "1000 session(s) max") {
		t.Fatalf("status: %+v", status)
	}
	if r := c.cmd("api show channels as json", nil); r.body != "{\"row_count\": 0}\n" {
		t.Fatalf("zero rows: %q", r.body)
	}
	if r := c.cmd("event plain BACKGROUND_JOB", nil); r.hdr["Reply-Text"] != "+OK event listener enabled plain" {
		t.Fatal(r.hdr)
	}
	r := c.cmd("bgapi status", nil)
	job := r.hdr["Job-UUID"]
	if r.hdr["Reply-Text"] != "+OK Job-UUID: "+job || job == "" {
		t.Fatalf("bgapi reply %v", r.hdr)
	}
	e := c.nextEvent()
	if e.get("Event-Name") != "BACKGROUND_JOB" || e.get("Job-UUID") != job || e.get("Job-Command") != "status" || !strings.HasPrefix(e.body, "UP ") {
		t.Fatalf("job event %+v", e)
	}
	// originate &park(), then the live-call commands of inbound-auth.jsonl.
	id := "0010ba80-58b1-4a81-8594-03e24f3699bc"
	c.cmd("bgapi originate {origination_uuid="+id+",originate_timeout=20}sofia/external/13800000000@127.0.0.1:5090 &park()", nil)
	e = c.nextEvent()
	if e.body != "+OK "+id+"\n" || e.get("Job-Command") != "originate" ||
		e.get("Job-Command-Arg") != "{origination_uuid="+id+",originate_timeout=20}sofia/external/13800000000@127.0.0.1:5090 &park()" {
		t.Fatalf("originate job %+v", e)
	}
	rows := c.cmd("api show channels as json", nil).body
	var parsed struct {
		RowCount int                 `json:"row_count"`
		Rows     []map[string]string `json:"rows"`
	}
	if err := json.Unmarshal([]byte(rows), &parsed); err != nil || parsed.RowCount != 1 || parsed.Rows[0]["uuid"] != id ||
		parsed.Rows[0]["callstate"] != "ACTIVE" || strings.HasSuffix(rows, "\n") {
		t.Fatalf("rows %q (%v)", rows, err)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"api uuid_exists " + id, "true"},
		{"api uuid_exists 7dab622c-727e-49bd-bb8d-62528664c210", "false"},
		{"api uuid_kill " + id, "+OK\n"},
	} {
		if r := c.cmd(tc.cmd, nil); r.body != tc.want {
			t.Fatalf("%s: %q want %q", tc.cmd, r.body, tc.want)
		}
	}
	// the kill completes asynchronously; wait for the channel to go.
	for i := 0; s.LiveCalls() != 0; i++ {
		if i > 2000 {
			t.Fatal("call did not end")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, tc := range []struct{ cmd, hdr, want string }{
		{"api uuid_exists " + id, "", "false"},
		{"api uuid_kill " + id, "", "-ERR No such channel!\n"},
		{"api show channels as json", "", "{\"row_count\": 0}\n"},
		{"foobar", "-ERR command not found", ""},
		{"api foobar", "", "-ERR foobar Command not found!\n"},
	} {
		r := c.cmd(tc.cmd, nil)
		if r.hdr["Reply-Text"] != tc.hdr || r.body != tc.want {
			t.Fatalf("%s: reply %q body %q", tc.cmd, r.hdr["Reply-Text"], r.body)
		}
	}
	r = c.cmd("bgapi foobar", nil)
	e = c.nextEvent()
	if e.body != "-ERR foobar Command not found!\n" || e.get("Job-UUID") != r.hdr["Job-UUID"] {
		t.Fatalf("bgapi foobar %+v", e)
	}
	// exit: +OK bye, the goodbye notice, EOF (inbound-auth.jsonl).
	c.send("exit")
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(c.br)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Content-Type: command/reply\nReply-Text: +OK bye\n\n" + string(disconnectNotice()); string(rest) != want {
		t.Fatalf("exit: %q", rest)
	}
}

func TestBgapiHonoursClientJobUUID(t *testing.T) {
	s := startSim(t, Options{})
	c := dial(t, s.ESLAddr(), "ClueCon")
	c.cmd("event plain BACKGROUND_JOB", nil)
	c.send("bgapi status\nJob-UUID: my-job-1")
	r := c.must()
	if r.hdr["Reply-Text"] != "+OK Job-UUID: my-job-1" || r.hdr["Job-UUID"] != "my-job-1" {
		t.Fatalf("reply %v", r.hdr)
	}
	if e := c.nextEvent(); e.get("Job-UUID") != "my-job-1" {
		t.Fatalf("event job %q", e.get("Job-UUID"))
	}
}

func TestCommandsBeforeAuthAreRefused(t *testing.T) {
	s := startSim(t, Options{})
	c := dial(t, s.ESLAddr(), "")
	if r := c.cmd("api status", nil); r.hdr["Reply-Text"] != "-ERR command not found" {
		t.Fatalf("%v", r.hdr)
	}
	if r := c.cmd("auth ClueCon", nil); r.hdr["Reply-Text"] != "+OK accepted" {
		t.Fatalf("%v", r.hdr)
	}
}

func TestJSONAndPlainCarrySameEvent(t *testing.T) {
	s := startSim(t, Options{})
	pc := dial(t, s.ESLAddr(), "ClueCon")
	jc := dial(t, s.ESLAddr(), "ClueCon")
	pc.cmd("event plain CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB", nil)
	if r := jc.cmd("event json CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB", nil); r.hdr["Reply-Text"] != "+OK event listener enabled json" {
		t.Fatal(r.hdr)
	}
	pc.cmd("bgapi originate {origination_uuid=u-json-1,waihu_tenant='a b\\,c'}sofia/gateway/gw1/13800000001 &park()", nil)
	var pe, je []ev
	for len(pe) < 2 {
		pe = append(pe, pc.nextEvent())
	}
	for len(je) < 2 {
		f := jc.must()
		if f.ct() != "text/event-json" {
			continue
		}
		if strings.HasSuffix(f.body, "\n") || !strings.HasPrefix(f.body, `{"Event-Name":`) {
			t.Fatalf("json framing %q", f.body[:40])
		}
		e, err := parseEvent(f)
		if err != nil {
			t.Fatal(err)
		}
		je = append(je, e)
	}
	for i := range pe {
		if len(pe[i].hdrs) != len(je[i].hdrs) {
			t.Fatalf("%s: %d plain headers vs %d json", pe[i].get("Event-Name"), len(pe[i].hdrs), len(je[i].hdrs))
		}
		for j := range pe[i].hdrs {
			if pe[i].hdrs[j] != je[i].hdrs[j] && pe[i].hdrs[j].k != "Content-Length" {
				t.Fatalf("header %d: plain %v json %v", j, pe[i].hdrs[j], je[i].hdrs[j])
			}
		}
		if pe[i].body != je[i].body {
			t.Fatalf("body %q vs %q", pe[i].body, je[i].body)
		}
	}
	hc := pe[0]
	if hc.get("Event-Name") == "BACKGROUND_JOB" {
		hc = pe[1]
	}
	if hc.get("variable_waihu_tenant") != "a b,c" || hc.get("variable_sip_gateway_name") != "gw1" {
		t.Fatalf("quoted var / gateway: %q %q", hc.get("variable_waihu_tenant"), hc.get("variable_sip_gateway_name"))
	}
}

func TestFilterAndNixevent(t *testing.T) {
	s := startSim(t, Options{})
	c := dial(t, s.ESLAddr(), "ClueCon")
	c.cmd("event plain CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB", nil)
	if r := c.cmd("filter Unique-ID keep-me", nil); r.hdr["Reply-Text"] != "+OK filter added. [Unique-ID]=[keep-me]" {
		t.Fatal(r.hdr)
	}
	ctl := dial(t, s.ESLAddr(), "ClueCon")
	ctl.cmd("api originate {origination_uuid=drop-me}sofia/external/13800000001 &park()", nil)
	ctl.cmd("api originate {origination_uuid=keep-me}sofia/external/13800000011 &park()", nil)
	e := c.nextEvent()
	if e.get("Unique-ID") != "keep-me" || e.get("Event-Name") != "CHANNEL_HANGUP_COMPLETE" {
		t.Fatalf("filtered event %s %s", e.get("Event-Name"), e.get("Unique-ID"))
	}
	if r := c.cmd("filter delete Unique-ID keep-me", nil); r.hdr["Reply-Text"] != "+OK filter deleted. [Unique-ID][keep-me]" {
		t.Fatal(r.hdr)
	}
	if r := c.cmd("nixevent CHANNEL_HANGUP_COMPLETE", nil); r.hdr["Reply-Text"] != "+OK events nixed" {
		t.Fatal(r.hdr)
	}
	r := c.cmd("bgapi status", nil)
	if e := c.nextEvent(); e.get("Event-Name") != "BACKGROUND_JOB" || e.get("Job-UUID") != r.hdr["Job-UUID"] {
		t.Fatalf("after nixevent got %s", e.get("Event-Name"))
	}
	if r := c.cmd("noevents", nil); r.hdr["Reply-Text"] != "+OK no longer listening for events" {
		t.Fatal(r.hdr)
	}
	if r := c.cmd("noevents", nil); r.hdr["Reply-Text"] != "-ERR not listening for events" {
		t.Fatal(r.hdr)
	}
}

func TestHeartbeat(t *testing.T) {
	s := startSim(t, Options{HeartbeatEvery: 20 * time.Millisecond})
	c := dial(t, s.ESLAddr(), "ClueCon")
	c.cmd("event plain HEARTBEAT", nil)
	e := c.nextEvent()
	if e.get("Event-Name") != "HEARTBEAT" || e.get("Event-Info") != "System Ready" || e.get("Session-Count") != "0" {
		t.Fatalf("%+v", e)
	}
}

func TestReadRequestHandlesBadInput(t *testing.T) {
	for _, in := range []string{"", "api status", "sendmsg\nContent-Length: x\n\n", "sendmsg\nContent-Length: 10\n\nabc"} {
		if _, err := readRequest(bufio.NewReader(strings.NewReader(in))); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
	r, err := readRequest(bufio.NewReader(strings.NewReader("\r\nsendmsg\r\ncall-command: execute\r\nContent-Length: 3\r\n\r\nabc")))
	if err != nil || r.line != "sendmsg" || r.body != "abc" || r.hdrs.Get("call-command") != "execute" {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestUptimeWording(t *testing.T) {
	d := 71*time.Second + 324*time.Millisecond + 351*time.Microsecond
	if got := uptime(d); got != "0 years, 0 days, 0 hours, 1 minute, 11 seconds, 324 milliseconds, 351 microseconds" {
		t.Fatal(got)
	}
}
