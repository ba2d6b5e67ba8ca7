package esl

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Content types seen on the wire (mod_event_socket.c).
const (
	ctAuthRequest      = "auth/request"
	ctCommandReply     = "command/reply"
	ctAPIResponse      = "api/response"
	ctEventPlain       = "text/event-plain"
	ctEventJSON        = "text/event-json"
	ctDisconnectNotice = "text/disconnect-notice"
)

// Event is one FreeSWITCH event with its headers in wire order, values
// URL-decoded (plain) or raw (JSON), duplicates kept.
type Event struct {
	Headers []Header
	Body    string
	// Received is when the frame was read off the socket; the mailbox
	// event-lag metric is measured from it.
	Received time.Time
}

// Get returns the first value of a header, case-insensitively.
func (e *Event) Get(name string) string { return lookup(e.Headers, name) }

// GetAll returns every value of a header in wire order (for duplicates and
// JSON array headers).
func (e *Event) GetAll(name string) []string {
	var out []string
	for _, h := range e.Headers {
		if equalFold2(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

// Has reports whether the header is present at all (absent and empty differ:
// sip_term_status is absent when FreeSWITCH itself ended the call).
func (e *Event) Has(name string) bool {
	for _, h := range e.Headers {
		if equalFold2(h.Name, name) {
			return true
		}
	}
	return false
}

// Var returns the channel variable name (header variable_<name>).
func (e *Event) Var(name string) string { return e.Get("variable_" + name) }

// Name is Event-Name.
func (e *Event) Name() string { return e.Get("Event-Name") }

// Subclass is Event-Subclass (CUSTOM events).
func (e *Event) Subclass() string { return e.Get("Event-Subclass") }

// UUID is the channel's Unique-ID (the outbound connect block names it
// Channel-Unique-ID too, but Unique-ID is present there as well).
func (e *Event) UUID() string { return e.Get("Unique-ID") }

// Int parses a numeric header; 0 when absent or malformed.
func (e *Event) Int(name string) int64 {
	n, _ := strconv.ParseInt(e.Get(name), 10, 64)
	return n
}

// Timestamp is Event-Date-Timestamp (microseconds since the epoch, set by
// switch_event.c when the event is fired).
func (e *Event) Timestamp() time.Time {
	us := e.Int("Event-Date-Timestamp")
	if us <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func (e *Event) String() string {
	if n := e.Name(); n != "" {
		return fmt.Sprintf("esl.Event{%s %s, %d headers, %d byte body}", n, e.UUID(), len(e.Headers), len(e.Body))
	}
	return fmt.Sprintf("esl.Event{%d headers, %d byte body}", len(e.Headers), len(e.Body))
}

// ParseEventFrame turns a text/event-plain or text/event-json frame into an
// Event. It never panics; malformed content is an error and the caller drops
// that one frame (framing is intact, so the connection can continue).
func ParseEventFrame(f *Frame) (*Event, error) {
	switch f.ContentType() {
	case ctEventPlain:
		return ParsePlainEvent(f.Body)
	case ctEventJSON:
		return ParseJSONEvent(f.Body)
	default:
		return nil, fmt.Errorf("esl: not an event frame: Content-Type %q", truncate(f.ContentType(), 64))
	}
}

// ParsePlainEvent parses the body of a text/event-plain frame: URL-encoded
// "Name: value" lines, an empty line, and when the event has a body an inner
// Content-Length header followed by exactly that many bytes
// (switch_event_serialize in switch_event.c).
func ParsePlainEvent(b []byte) (*Event, error) {
	// One string conversion; header names and undecoded values are
	// substrings of it, which keeps allocations per event low.
	s := string(b)
	e := &Event{Headers: make([]Header, 0, 48)}
	pos := 0
	for pos < len(s) {
		nl := strings.IndexByte(s[pos:], '\n')
		var line string
		if nl < 0 {
			line = s[pos:]
			pos = len(s)
		} else {
			line = s[pos : pos+nl]
			pos += nl + 1
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		i := strings.IndexByte(line, ':')
		if i <= 0 {
			return nil, fmt.Errorf("esl: plain event header line without colon: %q", truncate(line, 64))
		}
		v := strings.TrimLeft(line[i+1:], " \t")
		e.Headers = append(e.Headers, Header{Name: line[:i], Value: urlDecode(v)})
	}
	if cl := e.Get("Content-Length"); cl != "" {
		n, err := parseContentLength(cl)
		if err != nil {
			return nil, err
		}
		rest := s[pos:]
		if n > len(rest) {
			return nil, fmt.Errorf("esl: plain event body shorter (%d) than its Content-Length %d", len(rest), n)
		}
		e.Body = rest[:n]
	}
	return e, nil
}

// urlDecode undoes switch_url_encode (switch_utils.c). It is deliberately
// lenient: an invalid escape ("%zz", a trailing "%") is kept literally rather
// than failing the whole event, and '+' stays '+' because FreeSWITCH encodes
// a real plus as %2B (Reply-Text: %2BOK%0A) — url.QueryUnescape, which
// go-eventsocket uses, would turn a caller ID "+86..." into " 86...".
func urlDecode(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// eventFromReplyFrame builds an Event from a command/reply frame. The
// outbound `connect` reply is a whole channel event serialised into the reply
// headers with URL-encoded values (mod_event_socket.c, parse_command for
// "connect"; Reply-Text arrives as %2BOK%0A), so values are decoded when the
// block carries an Event-Name.
func eventFromReplyFrame(f *Frame) *Event {
	e := &Event{Headers: make([]Header, len(f.Headers)), Body: string(f.Body)}
	decode := lookup(f.Headers, "Event-Name") != ""
	for i, h := range f.Headers {
		if decode {
			h.Value = urlDecode(h.Value)
		}
		e.Headers[i] = h
	}
	return e
}
