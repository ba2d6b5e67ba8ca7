package switchsim

import (
	"bufio"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
)

// header is one event header. Events keep headers in a slice, not a map,
// because FreeSWITCH's wire order matters to strict consumers and some
// headers are legitimately duplicated (CHANNEL_HANGUP_COMPLETE carries
// Hangup-Cause twice: inbound-answered-plain.jsonl, README fact 4).
type header struct{ k, v string }

// event is a FreeSWITCH event as built by switch_event.c: ordered headers
// plus an optional body.
type event struct {
	hdrs []header
	body string
	// frames caches the rendered message per format: fire renders an
	// event once however many listeners receive it.
	frameMu sync.Mutex
	frames  map[string][]byte
	// call is the channel the event is about, so fire can reach that
	// channel's outbound socket without scanning every listener.
	call *call
}

func (e *event) add(k, v string) { e.hdrs = append(e.hdrs, header{k, v}) }

func (e *event) get(k string) string {
	for _, h := range e.hdrs {
		if strings.EqualFold(h.k, k) {
			return h.v
		}
	}
	return ""
}

func (e *event) name() string { return e.get("Event-Name") }

// urlUnsafe is SWITCH_URL_UNSAFE from src/include/switch_utils.h; together
// with bytes outside ' '..'~' these are what switch_url_encode_opt
// (src/switch_utils.c) percent-encodes. Commas, slashes, parentheses and
// quotes stay literal, as the traces show.
const urlUnsafe = "\r\n #%&+:;<=>?@[\\]^`{|}\""

// urlEncode encodes a header value the way plain events and the outbound
// connect block carry it.
func urlEncode(s string) string {
	var b strings.Builder
	writeURLEncoded(&b, s)
	return b.String()
}

// unsafeByte marks the bytes urlEncode escapes.
var unsafeByte = func() (t [256]bool) {
	for i := 0; i < 256; i++ {
		t[i] = i < ' ' || i > '~' || strings.IndexByte(urlUnsafe, byte(i)) >= 0
	}
	return t
}()

func writeURLEncoded(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !unsafeByte[c] {
			continue
		}
		b.WriteString(s[start:i])
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
		start = i + 1
	}
	b.WriteString(s[start:])
}

// urlDecode undoes urlEncode leniently (switch_url_decode keeps bad escapes).
func urlDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// plain renders the event body of a text/event-plain message (mod_event_socket.c
// / switch_event_serialize): URL-encoded "Name: value" lines, a blank line, and
// for events with a body an inner Content-Length as the last header.
func (e *event) plain() string {
	var b strings.Builder
	b.Grow(64 * len(e.hdrs))
	for _, h := range e.hdrs {
		b.WriteString(h.k)
		b.WriteString(": ")
		writeURLEncoded(&b, h.v)
		b.WriteByte('\n')
	}
	if e.body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\n\n%s", len(e.body), e.body)
		return b.String()
	}
	b.WriteByte('\n')
	return b.String()
}

// json renders the event as switch_event_serialize_json does (cJSON, compact,
// raw values, duplicate keys kept, body in "_body" after a string
// "Content-Length"); no trailing newline (inbound-answered-json.jsonl).
func (e *event) json() string {
	var b strings.Builder
	b.Grow(64 * len(e.hdrs))
	b.WriteByte('{')
	for i, h := range e.hdrs {
		if i > 0 {
			b.WriteByte(',')
		}
		jsonString(&b, h.k)
		b.WriteByte(':')
		jsonString(&b, h.v)
	}
	if e.body != "" {
		b.WriteString(`,"Content-Length":`)
		jsonString(&b, strconv.Itoa(len(e.body)))
		b.WriteString(`,"_body":`)
		jsonString(&b, e.body)
	}
	b.WriteByte('}')
	return b.String()
}

// jsonString escapes like cJSON's print_string_ptr: quote, backslash and
// control characters only; '/', '<', '&' and UTF-8 stay as they are.
func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// frame builds one ESL message of the given format: Content-Length first,
// then Content-Type (README fact 2).
func (e *event) frame(format string) []byte {
	e.frameMu.Lock()
	defer e.frameMu.Unlock()
	if b, ok := e.frames[format]; ok {
		return b
	}
	b := e.render(format)
	if e.frames == nil {
		e.frames = map[string][]byte{}
	}
	e.frames[format] = b
	return b
}

func (e *event) render(format string) []byte {
	var payload, ct string
	if format == "json" {
		payload, ct = e.json(), "text/event-json"
	} else {
		payload, ct = e.plain(), "text/event-plain"
	}
	out := make([]byte, 0, len(payload)+48)
	out = append(out, "Content-Length: "...)
	out = strconv.AppendInt(out, int64(len(payload)), 10)
	out = append(out, "\nContent-Type: "...)
	out = append(out, ct...)
	out = append(out, "\n\n"...)
	return append(out, payload...)
}

// commandReply is mod_event_socket.c's "Content-Type: command/reply\nReply-Text: %s\n\n".
func commandReply(text string, extra ...string) []byte {
	var b strings.Builder
	b.WriteString("Content-Type: command/reply\nReply-Text: ")
	b.WriteString(text)
	b.WriteByte('\n')
	for i := 0; i+1 < len(extra); i += 2 {
		b.WriteString(extra[i] + ": " + extra[i+1] + "\n")
	}
	b.WriteByte('\n')
	return []byte(b.String())
}

// apiResponse is the api/response frame (inbound-auth.jsonl).
func apiResponse(body string) []byte {
	return []byte(fmt.Sprintf("Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body))
}

// goodbye is the 67-byte notice sent on exit and on a wrong password
// (inbound-auth.jsonl, README fact 6).
const goodbye = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

func disconnectNotice(extra ...string) []byte {
	var b strings.Builder
	b.WriteString("Content-Type: text/disconnect-notice\n")
	for i := 0; i+1 < len(extra); i += 2 {
		b.WriteString(extra[i] + ": " + extra[i+1] + "\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\n\n%s", len(goodbye), goodbye)
	return []byte(b.String())
}

// request is one command a client sent: the first line, the header lines
// that follow it (sendmsg, bgapi Job-UUID) and an optional body.
type request struct {
	line string
	hdrs textproto.MIMEHeader
	body string
}

// maxCommand bounds a command so a hostile client cannot make the
// simulator buffer without limit (mod_event_socket reads into a fixed
// buffer too).
const maxCommand = 1 << 20

// readRequest reads one command terminated by a blank line, as
// mod_event_socket.c read_packet does (it accepts LF and CRLF).
func readRequest(r *bufio.Reader) (*request, error) {
	req := &request{hdrs: textproto.MIMEHeader{}}
	total := 0
	first := true
	for {
		line, err := r.ReadString('\n')
		total += len(line)
		if total > maxCommand {
			return nil, fmt.Errorf("command too long")
		}
		if err != nil {
			if err == io.EOF && line != "" {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if first {
				continue // stray blank lines between commands are ignored
			}
			break
		}
		if first {
			req.line = line
			first = false
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			req.hdrs.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	if cl := req.hdrs.Get("Content-Length"); cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 || n > maxCommand {
			return nil, fmt.Errorf("bad Content-Length %q", cl)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		req.body = string(buf)
	}
	return req, nil
}
