package switchsim

import (
	"strings"
	"testing"
)

const chanEvents = "event plain CHANNEL_CREATE CHANNEL_OUTGOING CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY BACKGROUND_JOB"

// shape summarises an event the way the golden comparison sees it.
func shape(e ev) string {
	s := e.get("Event-Name")
	if s == "BACKGROUND_JOB" {
		body := e.body
		if strings.HasPrefix(body, "+OK ") {
			body = "+OK <uuid>"
		}
		return s + " " + strings.TrimSpace(body)
	}
	s += " " + e.get("Channel-Call-State") + "/" + e.get("Answer-State")
	if hc := e.get("Hangup-Cause"); hc != "" {
		s += " " + hc
	}
	if st := e.get("variable_sip_term_status"); st != "" {
		s += " sip:" + st
	}
	return s
}

// collectCall reads events until both CHANNEL_DESTROY and BACKGROUND_JOB arrived.
func collectCall(c *client) []ev {
	var out []ev
	destroyed, job := false, false
	for !destroyed || !job {
		e := c.nextEvent()
		out = append(out, e)
		switch e.get("Event-Name") {
		case "CHANNEL_DESTROY":
			destroyed = true
		case "BACKGROUND_JOB":
			job = true
		}
	}
	return out
}

func TestGoldenOutcomes(t *testing.T) {
	personas, err := ParsePersonas([]byte(`
personas:
  - name: nf
    match: ["13800000404"]
    outcome: not_found
    ring_ms: 300
  - name: unavail
    match: ["13800000503"]
    outcome: unavailable
    ring_ms: 300
  - name: quick-reject
    match: ["13800000603"]
    outcome: reject
    ring_ms: 300
`))
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, Options{Personas: personas})
	cases := []struct {
		trace, number, vars string
	}{
		{"inbound-busy.jsonl", "13800000001", ""},
		{"inbound-rejected.jsonl", "13800000603", ""},
		{"inbound-notfound.jsonl", "13800000404", ""},
		{"inbound-unavailable.jsonl", "13800000503", ""},
		{"inbound-noanswer.jsonl", "13800000002", ",originate_timeout=5"},
		{"inbound-earlymedia.jsonl", "13800000004", ",ignore_early_media=false"},
	}
	for _, tc := range cases {
		t.Run(tc.trace, func(t *testing.T) {
			c := dial(t, s.ESLAddr(), "ClueCon")
			if r := c.cmd(chanEvents, nil); r.hdr["Reply-Text"] != "+OK event listener enabled plain" {
				t.Fatalf("event: %q", r.hdr["Reply-Text"])
			}
			r := c.cmd("bgapi originate {origination_uuid=7f34a09a-8f50-425c-b15f-"+tc.number[1:]+",originate_timeout=20,waihu_attempt=A1"+tc.vars+"}sofia/external/"+tc.number+"@127.0.0.1:5090 &park()", nil)
			if !strings.HasPrefix(r.hdr["Reply-Text"], "+OK Job-UUID: ") || r.hdr["Job-UUID"] == "" {
				t.Fatalf("bgapi reply %v", r.hdr)
			}
			got := collectCall(c)
			want := traceEvents(t, tc.trace)
			var gs, ws []string
			for _, e := range got {
				gs = append(gs, shape(e))
			}
			for _, e := range want {
				ws = append(ws, shape(e))
			}
			if strings.Join(gs, "\n") != strings.Join(ws, "\n") {
				t.Fatalf("event shapes differ\n got:\n  %s\nwant:\n  %s", strings.Join(gs, "\n  "), strings.Join(ws, "\n  "))
			}
			for _, e := range got {
				if e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" && e.count("Hangup-Cause") != 2 {
					t.Errorf("HANGUP_COMPLETE has %d Hangup-Cause headers, want 2", e.count("Hangup-Cause"))
				}
				if e.get("Event-Name") == "BACKGROUND_JOB" && e.get("Job-UUID") != r.hdr["Job-UUID"] {
					t.Errorf("Job-UUID %q, want %q", e.get("Job-UUID"), r.hdr["Job-UUID"])
				}
				if strings.HasPrefix(e.get("Event-Name"), "CHANNEL_") && e.get("Event-Name") != "CHANNEL_OUTGOING" && e.get("variable_waihu_attempt") != "A1" {
					t.Errorf("%s lacks variable_waihu_attempt", e.get("Event-Name"))
				}
			}
		})
	}
}

// TestGoldenAnsweredAllEvents places the answered scenario with "event
// plain|json ALL" and &playback(...) and compares every channel event's
// name, state and call state with the recorded FS sequence.
func TestGoldenAnsweredAllEvents(t *testing.T) {
	personas, err := ParsePersonas([]byte("personas:\n  - name: a\n    match: [\"13800000000\"]\n    ring_ms: 1000\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, Options{Personas: personas})
	for _, tc := range []struct{ format, trace string }{{"plain", "inbound-answered-plain.jsonl"}, {"json", "inbound-answered-json.jsonl"}} {
		t.Run(tc.format, func(t *testing.T) {
			c := dial(t, s.ESLAddr(), "ClueCon")
			c.cmd("event "+tc.format+" ALL", nil)
			c.cmd("bgapi originate {origination_uuid=golden-"+tc.format+",originate_timeout=20,waihu_attempt=A1}sofia/external/13800000000@127.0.0.1:5090 &playback(silence_stream://3000)", nil)
			var got []ev
			for {
				e := c.nextEvent()
				got = append(got, e)
				if e.get("Event-Name") == "CHANNEL_STATE" && e.get("Channel-State") == "CS_DESTROY" {
					break
				}
			}
			full := func(e ev) string {
				s := e.get("Event-Name") + " " + e.get("Channel-State") + " " + e.get("Channel-Call-State") + " " + e.get("Answer-State")
				if a := e.get("Application"); a != "" {
					s += " " + a + " " + e.get("Application-Response")
				}
				if e.get("Event-Name") == "BACKGROUND_JOB" {
					s += " " + strings.Fields(e.body)[0]
				}
				return s
			}
			var gs, ws []string
			for _, e := range got {
				gs = append(gs, full(e))
			}
			for _, e := range traceEvents(t, tc.trace) {
				switch e.get("Event-Name") {
				case "HEARTBEAT", "RE_SCHEDULE":
					continue
				}
				ws = append(ws, full(e))
			}
			if strings.Join(gs, "\n") != strings.Join(ws, "\n") {
				t.Fatalf("sequence differs\n got:\n  %s\nwant:\n  %s", strings.Join(gs, "\n  "), strings.Join(ws, "\n  "))
			}
		})
	}
}

// TestIgnoreEarlyMediaWaitsForTheFinalAnswer: with ignore_early_media=true
// the originate does not return at 183; the announcement's 480 fails it.
func TestIgnoreEarlyMediaWaitsForTheFinalAnswer(t *testing.T) {
	s := startSim(t, Options{})
	c := dial(t, s.ESLAddr(), "ClueCon")
	if r := c.cmd("api originate {origination_uuid=iem-1,ignore_early_media=true}sofia/gateway/gw/13800000004 '&socket(127.0.0.1:1 async full)'", nil); r.body != "-ERR NO_USER_RESPONSE\n" {
		t.Fatalf("%q", r.body)
	}
	if r := c.cmd("api originate {origination_uuid=iem-2,ignore_early_media=false}sofia/gateway/gw/13800000004 &park()", nil); r.body != "+OK iem-2\n" {
		t.Fatalf("%q", r.body)
	}
}
