package esl

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseJSONEvent parses a text/event-json body. switch_event_serialize_json
// (switch_event.c) writes string values, "_body" for the body, and may
// repeat a key (Hangup-Cause in CHANNEL_HANGUP_COMPLETE); array headers
// become JSON arrays. A small scanner of our own keeps key order and
// duplicates (encoding/json maps lose both; its token API was ~10x slower);
// arrays turn into one header per element; numbers, booleans and nested
// objects keep their JSON text; null is empty. go-eventsocket panics on the
// array and empty-key cases; this does not.
func ParseJSONEvent(b []byte) (*Event, error) {
	// One conversion up front: keys and escape-free values are substrings
	// of it, so an event costs a handful of allocations, not one per header.
	p := jsonScanner{b: b, s: string(b)}
	p.ws()
	if !p.eat('{') {
		return nil, errors.New("esl: json event is not an object")
	}
	e := &Event{Headers: make([]Header, 0, 48)}
	p.ws()
	if p.eat('}') {
		return e, p.end()
	}
	for {
		p.ws()
		key, err := p.str()
		if err != nil {
			return nil, fmt.Errorf("esl: json event key: %w", err)
		}
		p.ws()
		if !p.eat(':') {
			return nil, fmt.Errorf("esl: json event: missing ':' after %q", truncate(key, 64))
		}
		p.ws()
		if p.peek() == '[' && key != "_body" {
			vals, err := p.array()
			if err != nil {
				return nil, fmt.Errorf("esl: json event value of %q: %w", truncate(key, 64), err)
			}
			if key != "" {
				for _, v := range vals {
					e.Headers = append(e.Headers, Header{Name: key, Value: v})
				}
			}
		} else {
			v, err := p.value()
			if err != nil {
				return nil, fmt.Errorf("esl: json event value of %q: %w", truncate(key, 64), err)
			}
			switch key {
			case "":
			case "_body":
				e.Body = v
			default:
				e.Headers = append(e.Headers, Header{Name: key, Value: v})
			}
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return e, p.end()
		}
		return nil, fmt.Errorf("esl: json event: expected ',' or '}' at offset %d", p.i)
	}
}

// jsonScanner reads just enough JSON for flat event objects. It never
// panics: every index is checked against len(b) and nesting is bounded.
type jsonScanner struct {
	b []byte
	s string // == string(b)
	i int
}

const jsonMaxDepth = 64

func (p *jsonScanner) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *jsonScanner) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonScanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonScanner) end() error {
	p.ws()
	if p.i != len(p.b) {
		return fmt.Errorf("esl: json event: trailing data at offset %d", p.i)
	}
	return nil
}

// value reads one value as header text: a string unquoted, null empty,
// anything else its raw JSON text.
func (p *jsonScanner) value() (string, error) {
	if p.peek() == '"' {
		return p.str()
	}
	start := p.i
	if err := p.skip(0); err != nil {
		return "", err
	}
	raw := p.s[start:p.i]
	if raw == "null" {
		return "", nil
	}
	return raw, nil
}

// array reads [v, …] into header texts.
func (p *jsonScanner) array() ([]string, error) {
	p.i++ // '['
	var out []string
	p.ws()
	if p.eat(']') {
		return out, nil
	}
	for {
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat(']') {
			return out, nil
		}
		return nil, fmt.Errorf("expected ',' or ']' at offset %d", p.i)
	}
}

// skip moves past one value of any kind, checking its grammar.
func (p *jsonScanner) skip(depth int) error {
	if depth > jsonMaxDepth {
		return errors.New("nested too deep")
	}
	switch c := p.peek(); {
	case c == '"':
		return p.skipStr()
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		p.i++
		p.ws()
		if p.eat(closer) {
			return nil
		}
		for {
			p.ws()
			if c == '{' {
				if err := p.skipStr(); err != nil {
					return err
				}
				p.ws()
				if !p.eat(':') {
					return fmt.Errorf("missing ':' at offset %d", p.i)
				}
				p.ws()
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat(closer) {
				return nil
			}
			return fmt.Errorf("unterminated container at offset %d", p.i)
		}
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	default:
		return fmt.Errorf("unexpected byte %q at offset %d", c, p.i)
	}
}

func (p *jsonScanner) skipStr() error {
	if p.peek() != '"' {
		return fmt.Errorf("expected string at offset %d", p.i)
	}
	_, err := p.str()
	return err
}

func (p *jsonScanner) literal(word string) error {
	if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return nil
	}
	return fmt.Errorf("bad literal at offset %d", p.i)
}

// number checks the JSON number grammar (RFC 8259 section 6).
func (p *jsonScanner) number() error {
	start := p.i
	p.eat('-')
	digits := func() int {
		n := 0
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.peek() == '0' {
		p.i++
	} else if digits() == 0 {
		return fmt.Errorf("bad number at offset %d", start)
	}
	if p.eat('.') && digits() == 0 {
		return fmt.Errorf("bad number at offset %d", start)
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if digits() == 0 {
			return fmt.Errorf("bad number at offset %d", start)
		}
	}
	return nil
}

// str reads a JSON string. Fast path: no escapes and valid UTF-8 (all of
// FreeSWITCH's output) costs one copy. Otherwise escapes are decoded and
// invalid UTF-8 or lone surrogates become U+FFFD, as encoding/json does.
func (p *jsonScanner) str() (string, error) {
	if !p.eat('"') {
		return "", fmt.Errorf("expected string at offset %d", p.i)
	}
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.s[start:p.i]
			p.i++
			if ascii || utf8.ValidString(s) {
				return s, nil
			}
			return validUTF8(s), nil
		case c == '\\':
			p.i = start
			return p.slowStr()
		case c < 0x20:
			return "", fmt.Errorf("control character in string at offset %d", p.i)
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return "", errors.New("unterminated string")
}

// validUTF8 replaces each invalid byte with U+FFFD (encoding/json replaces
// byte by byte; strings.ToValidUTF8 would merge runs).
func validUTF8(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		sb.WriteRune(r)
		i += n
	}
	return sb.String()
}

func (p *jsonScanner) slowStr() (string, error) {
	var sb strings.Builder
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return validUTF8(sb.String()), nil
		case c < 0x20:
			return "", fmt.Errorf("control character in string at offset %d", p.i)
		case c != '\\':
			sb.WriteByte(c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.b) {
			break
		}
		esc := p.b[p.i]
		p.i++
		switch esc {
		case '"', '\\', '/':
			sb.WriteByte(esc)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", fmt.Errorf("bad \\u escape at offset %d", p.i)
			}
			if utf16.IsSurrogate(r) {
				// a pair is \uD8xx\uDCxx; anything else is a lone surrogate
				save := p.i
				if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
					p.i += 2
					if r2, ok := p.hex4(); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							sb.WriteRune(d)
							continue
						}
					}
				}
				p.i = save
				sb.WriteRune(utf8.RuneError)
				continue
			}
			sb.WriteRune(r)
		default:
			return "", fmt.Errorf("bad escape at offset %d", p.i-1)
		}
	}
	return "", errors.New("unterminated string")
}

func (p *jsonScanner) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	p.i += 4
	return r, true
}
