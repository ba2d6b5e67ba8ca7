package esl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Wire limits. They bound what a misbehaving or hostile peer can make us
// allocate: a frame that exceeds them is a protocol error and the connection
// is dropped (and, for the inbound pool, redialed). FreeSWITCH's largest
// normal frames are `show channels as json` replies (about 1 KiB per live
// channel) and the hangup burst of CHANNEL_HANGUP_COMPLETE (~20 KiB).
const (
	// MaxHeaderBlock bounds one header block (outer or inner).
	MaxHeaderBlock = 1 << 20
	// MaxBody bounds one Content-Length body.
	MaxBody = 64 << 20
	// smallBody is read into an exact allocation; larger bodies grow with
	// the data actually received so a lying Content-Length cannot make us
	// allocate memory that never arrives.
	smallBody = 64 << 10
)

// ErrProtocol marks a frame that breaks ESL framing (no colon in a header
// line, a bad Content-Length, a block over the limits). After it the byte
// stream cannot be resynchronised, so the connection must be closed.
var ErrProtocol = errors.New("esl: protocol error")

func protoErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, a...))
}

// Header is one "Name: value" line. Order and duplicates are kept because
// FreeSWITCH really sends duplicates (CHANNEL_HANGUP_COMPLETE carries
// Hangup-Cause twice, CODEC events repeat codec headers in other cases).
type Header struct {
	Name  string
	Value string
}

// Frame is one ESL message as framed by mod_event_socket.c: a header block
// terminated by an empty line, then exactly Content-Length bytes of body when
// that header is present. Values are raw (not URL-decoded).
type Frame struct {
	Headers []Header
	Body    []byte
}

// Get returns the first header with that name (case-insensitive, as
// switch_event_get_header in switch_event.c matches names).
func (f *Frame) Get(name string) string {
	return lookup(f.Headers, name)
}

// ContentType is the frame's Content-Type header.
func (f *Frame) ContentType() string { return f.Get("Content-Type") }

func lookup(hs []Header, name string) string {
	for i := range hs {
		if hs[i].Name == name {
			return hs[i].Value
		}
	}
	for i := range hs {
		if len(hs[i].Name) == len(name) && equalFold(hs[i].Name, name) {
			return hs[i].Value
		}
	}
	return ""
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// FrameReader reads ESL frames from a byte stream. It never panics and never
// allocates more than the limits above, whatever the input; everything it
// rejects is an error wrapping ErrProtocol (or an I/O error).
type FrameReader struct {
	br   *bufio.Reader
	line []byte
}

// NewFrameReader wraps r with a buffer of size bytes (a minimum applies).
// Outbound sessions use a small buffer so that thousands of concurrent calls
// stay cheap; inbound node connections use a larger one.
func NewFrameReader(r io.Reader, size int) *FrameReader {
	if size < 512 {
		size = 512
	}
	return &FrameReader{br: bufio.NewReaderSize(r, size)}
}

// readLine returns one line without its LF (and without a trailing CR, which
// ESL never sends but a hand-typed telnet session might). The returned slice
// is valid until the next call.
func (r *FrameReader) readLine(budget int) ([]byte, error) {
	r.line = r.line[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.line)+len(chunk) > budget {
			return nil, protoErr("header block longer than %d bytes", MaxHeaderBlock)
		}
		if err == bufio.ErrBufferFull {
			r.line = append(r.line, chunk...)
			continue
		}
		if err != nil {
			if err == io.EOF && (len(chunk) > 0 || len(r.line) > 0) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		var l []byte
		if len(r.line) == 0 {
			l = chunk
		} else {
			r.line = append(r.line, chunk...)
			l = r.line
		}
		l = l[:len(l)-1]
		if n := len(l); n > 0 && l[n-1] == '\r' {
			l = l[:n-1]
		}
		return l, nil
	}
}

// ReadFrame reads the next frame. io.EOF is returned only at a clean frame
// boundary; a stream cut inside a frame gives io.ErrUnexpectedEOF.
func (r *FrameReader) ReadFrame() (*Frame, error) {
	// A header line longer than the read buffer is assembled in r.line;
	// one such line must not pin its size for the rest of a long-lived
	// connection.
	if cap(r.line) > 4096 {
		r.line = nil
	}
	f := &Frame{Headers: make([]Header, 0, 4)}
	budget := MaxHeaderBlock
	started := false
	for {
		line, err := r.readLine(budget)
		if err != nil {
			if err == io.EOF && started {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		budget -= len(line) + 1
		if len(line) == 0 {
			if !started {
				// Stray blank lines between frames carry nothing; skip them
				// (bounded by the same budget).
				continue
			}
			break
		}
		started = true
		h, err := parseHeaderLine(line)
		if err != nil {
			return nil, err
		}
		f.Headers = append(f.Headers, h)
	}
	cl := f.Get("Content-Length")
	if cl == "" {
		return f, nil
	}
	n, err := parseContentLength(cl)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return f, nil
	}
	if n <= smallBody {
		f.Body = make([]byte, n)
		if _, err := io.ReadFull(r.br, f.Body); err != nil {
			return nil, unexpected(err)
		}
		return f, nil
	}
	var buf bytes.Buffer
	buf.Grow(smallBody)
	got, err := io.CopyN(&buf, r.br, int64(n))
	if got != int64(n) {
		return nil, unexpected(err)
	}
	f.Body = buf.Bytes()
	return f, nil
}

func unexpected(err error) error {
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func parseContentLength(s string) (int, error) {
	if len(s) == 0 || len(s) > 10 {
		return 0, protoErr("bad Content-Length %q", truncate(s, 32))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, protoErr("bad Content-Length %q", truncate(s, 32))
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > MaxBody {
		return 0, protoErr("Content-Length %q over the %d byte limit", truncate(s, 32), MaxBody)
	}
	return n, nil
}

// parseHeaderLine splits "Name: value". mod_event_socket.c writes exactly one
// space after the colon; we accept any run of spaces or tabs.
func parseHeaderLine(line []byte) (Header, error) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return Header{}, protoErr("header line without name or colon: %q", truncate(string(line), 64))
	}
	v := line[i+1:]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	return Header{Name: string(line[:i]), Value: string(v)}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// appendFrame serialises a frame the way mod_event_socket.c does: headers,
// blank line, body. Used by the guard that feeds go-eventsocket and by tests.
func appendFrame(dst []byte, headers []Header, body []byte) []byte {
	for _, h := range headers {
		if equalFold2(h.Name, "Content-Length") {
			continue
		}
		dst = append(dst, h.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, h.Value...)
		dst = append(dst, '\n')
	}
	if len(body) > 0 {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	return append(dst, body...)
}

func equalFold2(a, b string) bool { return len(a) == len(b) && equalFold(a, b) }

// appendSendmsg renders a sendmsg command (mod_event_socket.c parse_command
// "sendmsg"): "sendmsg [uuid]" then one "name: value" line per header and an
// empty line. Callers validate names and values first (no CR/LF).
func appendSendmsg(dst []byte, uuid string, headers []Header) []byte {
	dst = append(dst, "sendmsg"...)
	if uuid != "" {
		dst = append(dst, ' ')
		dst = append(dst, uuid...)
	}
	dst = append(dst, '\n')
	for _, h := range headers {
		dst = append(dst, h.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, h.Value...)
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}
