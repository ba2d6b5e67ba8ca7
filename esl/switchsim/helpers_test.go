package switchsim

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// frame is one ESL message as a client reads it.
type frame struct {
	hdr  map[string]string
	body string
}

func (f frame) ct() string { return f.hdr["Content-Type"] }

// ev is a parsed event: ordered headers and body.
type ev struct {
	hdrs []header
	body string
}

func (e ev) get(k string) string {
	for _, h := range e.hdrs {
		if h.k == k {
			return h.v
		}
	}
	return ""
}

func (e ev) count(k string) int {
	n := 0
	for _, h := range e.hdrs {
		if h.k == k {
			n++
		}
	}
	return n
}

// parseEvent decodes a text/event-plain or text/event-json body.
func parseEvent(f frame) (ev, error) {
	var e ev
	switch f.ct() {
	case "text/event-plain":
		hb, body, _ := strings.Cut(f.body, "\n\n")
		for _, ln := range strings.Split(hb, "\n") {
			k, v, ok := strings.Cut(ln, ": ")
			if !ok {
				return e, fmt.Errorf("bad header line %q", ln)
			}
			e.hdrs = append(e.hdrs, header{k, urlDecode(v)})
		}
		e.body = body
	case "text/event-json":
		dec := json.NewDecoder(strings.NewReader(f.body))
		if _, err := dec.Token(); err != nil {
			return e, err
		}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return e, err
			}
			vt, err := dec.Token()
			if err != nil {
				return e, err
			}
			k, v := kt.(string), fmt.Sprint(vt)
			if k == "_body" {
				e.body = v
				continue
			}
			e.hdrs = append(e.hdrs, header{k, v})
		}
	default:
		return e, fmt.Errorf("not an event: %q", f.ct())
	}
	return e, nil
}

type client struct {
	t       testing.TB
	nc      net.Conn
	br      *bufio.Reader
	pending []ev // events read while waiting for a reply
}

func (c *client) read() (frame, error) {
	f := frame{hdr: map[string]string{}}
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return f, err
		}
		line = strings.TrimRight(line, "\n")
		if line == "" {
			if len(f.hdr) == 0 {
				continue
			}
			break
		}
		k, v, _ := strings.Cut(line, ": ")
		if _, dup := f.hdr[k]; !dup {
			f.hdr[k] = v
		}
	}
	if cl := f.hdr["Content-Length"]; cl != "" {
		n, _ := strconv.Atoi(cl)
		b := make([]byte, n)
		if _, err := io.ReadFull(c.br, b); err != nil {
			return f, err
		}
		f.body = string(b)
	}
	return f, nil
}

func (c *client) must() frame {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	f, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s+"\n\n"); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// cmd sends a command and returns its command/reply or api/response,
// queueing any events that arrive first.
func (c *client) cmd(s string, events *[]ev) frame {
	c.t.Helper()
	c.send(s)
	for {
		f := c.must()
		switch f.ct() {
		case "command/reply", "api/response":
			return f
		case "text/event-plain", "text/event-json":
			e, err := parseEvent(f)
			if err != nil {
				c.t.Fatal(err)
			}
			if events != nil {
				*events = append(*events, e)
			} else {
				c.pending = append(c.pending, e)
			}
		}
	}
}

// nextEvent reads until an event arrives.
func (c *client) nextEvent() ev {
	c.t.Helper()
	if len(c.pending) > 0 {
		e := c.pending[0]
		c.pending = c.pending[1:]
		return e
	}
	for {
		f := c.must()
		if f.ct() == "text/event-plain" || f.ct() == "text/event-json" {
			e, err := parseEvent(f)
			if err != nil {
				c.t.Fatal(err)
			}
			return e
		}
	}
}

func dial(t testing.TB, addr, password string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &client{t: t, nc: nc, br: bufio.NewReader(nc)}
	if f := c.must(); f.ct() != "auth/request" {
		t.Fatalf("greeting %q", f.ct())
	}
	if password != "" {
		if r := c.cmd("auth "+password, nil); r.hdr["Reply-Text"] != "+OK accepted" {
			t.Fatalf("auth: %q", r.hdr["Reply-Text"])
		}
	}
	return c
}

// startSim starts a fast simulator for a test.
func startSim(t testing.TB, o Options) *Sim {
	t.Helper()
	if o.TimeScale == 0 {
		o.TimeScale = 0.01
	}
	if o.HeartbeatEvery == 0 {
		o.HeartbeatEvery = -1
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// traceEvents reads a recorded trace's received stream and returns the
// events in it (jsonl format of ../shared/freeswitch-traces).
func traceEvents(t testing.TB, name string) []ev {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var stream strings.Builder
	for _, ln := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rec struct{ Dir, Raw string }
		if err := json.Unmarshal([]byte(ln), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Dir == "recv" {
			stream.WriteString(rec.Raw)
		}
	}
	c := &client{t: t, br: bufio.NewReader(strings.NewReader(stream.String()))}
	var out []ev
	for {
		f, err := c.read()
		if err != nil {
			return out
		}
		if f.ct() == "text/event-plain" || f.ct() == "text/event-json" {
			e, err := parseEvent(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
	}
}

func timeNowPlus() time.Time { return time.Now().Add(time.Second) }
