package esl

import (
	"encoding/json"
	"strconv"
)

// urlUnsafe is SWITCH_URL_UNSAFE from switch_utils.h; switch_url_encode
// (switch_utils.c) also encodes every byte below ' ' or above '~'.
const urlUnsafe = "\r\n #%&+:;<=>?@[\\]^`{|}\""

// URLEncode encodes a header value the way switch_url_encode does for plain
// events. Like FreeSWITCH (double_encode false) it leaves a '%' that already
// starts a %XX escape alone, so such a value does not survive a round trip
// on real FreeSWITCH either.
func URLEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	need := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || (c != '%' && indexByte(urlUnsafe, c)) || (c == '%' && !pctEscape(s, i)) {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && pctEscape(s, i) {
			b = append(b, c)
			continue
		}
		if c < ' ' || c > '~' || indexByte(urlUnsafe, c) {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func pctEscape(s string, i int) bool {
	return i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])
}

func indexByte(set string, c byte) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

// AppendPlainEvent appends a complete text/event-plain frame as
// mod_event_socket.c sends it: outer Content-Length first, then
// Content-Type, blank line, and the switch_event_serialize body (URL-encoded
// headers; with a body, an inner Content-Length, blank line and the body).
// For the switch simulator and tests; the order of hs is kept.
func AppendPlainEvent(dst []byte, hs []Header, body string) []byte {
	inner := make([]byte, 0, 64*len(hs)+len(body)+32)
	for _, h := range hs {
		if equalFold2(h.Name, "Content-Length") {
			continue
		}
		inner = append(inner, h.Name...)
		inner = append(inner, ": "...)
		inner = append(inner, URLEncode(h.Value)...)
		inner = append(inner, '\n')
	}
	if body != "" {
		inner = append(inner, "Content-Length: "...)
		inner = strconv.AppendInt(inner, int64(len(body)), 10)
		inner = append(inner, "\n\n"...)
		inner = append(inner, body...)
	} else {
		inner = append(inner, '\n')
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(inner)), 10)
	dst = append(dst, "\nContent-Type: text/event-plain\n\n"...)
	return append(dst, inner...)
}

// AppendJSONEvent appends a text/event-json frame (switch_event_serialize_json
// in switch_event.c: raw string values, duplicates kept as repeated keys,
// the body as "Content-Length" plus "_body").
func AppendJSONEvent(dst []byte, hs []Header, body string) []byte {
	js := make([]byte, 0, 64*len(hs)+len(body)+32)
	js = append(js, '{')
	first := true
	add := func(k, v string) {
		if !first {
			js = append(js, ',')
		}
		first = false
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		js = append(js, kb...)
		js = append(js, ':')
		js = append(js, vb...)
	}
	for _, h := range hs {
		if equalFold2(h.Name, "Content-Length") {
			continue
		}
		add(h.Name, h.Value)
	}
	if body != "" {
		add("Content-Length", strconv.Itoa(len(body)))
		add("_body", body)
	}
	js = append(js, '}')
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(js)), 10)
	dst = append(dst, "\nContent-Type: text/event-json\n\n"...)
	return append(dst, js...)
}
