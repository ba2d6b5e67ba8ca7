package esl

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeFS is a tiny in-test ESL server speaking mod_event_socket's inbound
// wire format as recorded in testdata (greeting, auth, replies, events). It is
// deliberately independent of esl/switchsim and of the code under test.
type fakeFS struct {
	t        testing.TB
	ln       net.Listener
	password string
	// api answers "api <cmd>"; ok=false means never answer (reply timeout).
	api func(c *fakeConn, cmd string) (body string, ok bool)
	// bg answers "bgapi <cmd>" later with a BACKGROUND_JOB body.
	bg func(c *fakeConn, cmd string) string

	mu    sync.Mutex
	conns []*fakeConn
	dials atomic.Int32
	wg    sync.WaitGroup
}

type fakeConn struct {
	c    net.Conn
	wmu  sync.Mutex
	subs atomic.Value // string: last event command

	fmu  sync.Mutex
	filt []string
}

func (c *fakeConn) filters() []string {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	return append([]string(nil), c.filt...)
}

func (c *fakeConn) write(s string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, _ = c.c.Write([]byte(s))
}

func newFakeFS(t testing.TB) *fakeFS {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeFS{t: t, ln: ln, password: "ClueCon"}
	f.api = func(c *fakeConn, cmd string) (string, bool) {
		switch {
		case strings.HasPrefix(cmd, "eval "):
			return strings.TrimPrefix(cmd, "eval "), true
		case cmd == "status":
			return "UP 0 years\n", true
		case strings.HasPrefix(cmd, "uuid_exists "):
			return "true", true
		}
		return "-ERR " + cmd + " Command not found!\n", true
	}
	f.bg = func(c *fakeConn, cmd string) string {
		if strings.HasPrefix(cmd, "eval ") {
			return "+OK " + strings.TrimPrefix(cmd, "eval ") + "\n"
		}
		if strings.HasPrefix(cmd, "originate ") {
			return "-ERR USER_BUSY\n"
		}
		return "-ERR " + cmd + " Command not found!\n"
	}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeFS) Addr() string { return f.ln.Addr().String() }

func (f *fakeFS) Close() {
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// last is the most recent connection.
func (f *fakeFS) last() *fakeConn {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.conns) == 0 {
		return nil
	}
	return f.conns[len(f.conns)-1]
}

func (f *fakeFS) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		fc := &fakeConn{c: c}
		f.mu.Lock()
		f.conns = append(f.conns, fc)
		f.mu.Unlock()
		f.dials.Add(1)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			f.handle(fc)
		}()
	}
}

func (f *fakeFS) handle(fc *fakeConn) {
	fc.write("Content-Type: auth/request\n\n")
	br := bufio.NewReader(fc.c)
	authed := false
	for {
		var lines []string
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			l = strings.TrimRight(l, "\r\n")
			if l == "" {
				if len(lines) == 0 {
					continue
				}
				break
			}
			lines = append(lines, l)
		}
		cmd := lines[0]
		if !authed {
			if cmd != "auth "+f.password {
				fc.write("Content-Type: command/reply\nReply-Text: -ERR invalid\n\nContent-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n")
				return
			}
			authed = true
			fc.write("Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
			continue
		}
		switch {
		case strings.HasPrefix(cmd, "event "):
			fc.subs.Store(cmd)
			fc.write("Content-Type: command/reply\nReply-Text: +OK event listener enabled " + strings.Fields(cmd)[1] + "\n\n")
		case strings.HasPrefix(cmd, "filter "):
			fc.fmu.Lock()
			fc.filt = append(fc.filt, cmd)
			fc.fmu.Unlock()
			fc.write("Content-Type: command/reply\nReply-Text: +OK filter added. [" + cmd + "]\n\n")
		case strings.HasPrefix(cmd, "api "):
			body, ok := f.api(fc, strings.TrimPrefix(cmd, "api "))
			if ok {
				fc.write("Content-Type: api/response\nContent-Length: " + strconv.Itoa(len(body)) + "\n\n" + body)
			}
		case strings.HasPrefix(cmd, "bgapi "):
			job := ""
			for _, l := range lines[1:] {
				if v, ok := strings.CutPrefix(l, "Job-UUID: "); ok {
					job = v
				}
			}
			c := strings.TrimPrefix(cmd, "bgapi ")
			fc.write("Content-Type: command/reply\nReply-Text: +OK Job-UUID: " + job + "\nJob-UUID: " + job + "\n\n")
			body := f.bg(fc, c)
			if body == "" {
				continue // the test sends the BACKGROUND_JOB itself
			}
			go fc.write(plainEvent([]Header{{"Event-Name", "BACKGROUND_JOB"}, {"Job-UUID", job}, {"Job-Command", strings.Fields(c)[0]}}, body))
		case cmd == "exit":
			fc.write("Content-Type: command/reply\nReply-Text: +OK bye\n\n")
			return
		default:
			fc.write("Content-Type: command/reply\nReply-Text: -ERR command not found\n\n")
		}
	}
}

// plainEvent renders a text/event-plain frame as switch_event_serialize
// and mod_event_socket.c do (URL-encoded values, Content-Length first).
func plainEvent(hs []Header, body string) string {
	var in strings.Builder
	for _, h := range hs {
		in.WriteString(h.Name + ": " + strings.ReplaceAll(url.PathEscape(h.Value), "+", "%2B") + "\n")
	}
	if body != "" {
		in.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\n\n" + body)
	} else {
		in.WriteString("\n")
	}
	return fmt.Sprintf("Content-Length: %d\nContent-Type: text/event-plain\n\n%s", in.Len(), in.String())
}

func chanEvent(name, uuid string, extra ...Header) string {
	hs := append([]Header{{"Event-Name", name}, {"Core-UUID", "core-1"}, {"Unique-ID", uuid}}, extra...)
	return plainEvent(hs, "")
}

// listenSilent accepts connections and never says anything.
func listenSilent(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}
