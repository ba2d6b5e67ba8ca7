package switchsim

import (
	"strings"
)

// splitArgs splits the originate arguments on spaces as
// switch_separate_string does (src/switch_utils.c
// separate_string_char_delim + cleanup_separated_string): a single quote
// opens a quoted run only if another single quote follows, quotes are
// removed, and a backslash escapes a quote, a space or a backslash. Double
// quotes are ordinary characters. This is why '&socket(h:p async full)'
// must be quoted: unquoted, "async" and "full)" become separate arguments.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	inArg, inQ := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && i+1 < len(s) && strings.IndexByte("'\" \\", s[i+1]) >= 0:
			cur.WriteByte(s[i+1])
			i++
			inArg = true
		case ch == '\'' && (inQ || strings.IndexByte(s[i+1:], '\'') >= 0):
			inQ = !inQ
			inArg = true
		case ch == ' ' && !inQ:
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(ch)
			inArg = true
		}
	}
	if inArg {
		out = append(out, cur.String())
	}
	return out
}

// dialString is a parsed originate target.
type dialString struct {
	vars     []header // {…} then […] variables, in order
	endpoint string   // e.g. sofia/gateway/gw1/13800000000
	tech     string   // sofia, loopback, user, error, null …
	profile  string   // sofia profile, or "gateway"
	gateway  string
	number   string // the dialled number (user part)
	host     string
}

// parseVarBlock parses "a=b,c='x y',d=e" as switch_event_create_brackets
// does: the separator (',' or X after a leading "^^X") splits, single
// quotes protect it, and a backslash escapes it ("a=1\,2").
func parseVarBlock(s string, into *[]header) {
	sep := byte(',')
	if strings.HasPrefix(s, "^^") && len(s) >= 3 {
		sep = s[2]
		s = s[3:]
	}
	var parts []string
	var cur strings.Builder
	inQ := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && i+1 < len(s) && (s[i+1] == sep || s[i+1] == '\'' || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
		case ch == '\'' && (inQ || strings.IndexByte(s[i+1:], '\'') >= 0):
			inQ = !inQ
		case ch == sep && !inQ:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(ch)
		}
	}
	parts = append(parts, cur.String())
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		*into = append(*into, header{k, v})
	}
}

// parseDialString reads "{vars}[vars]endpoint[,|other endpoints]"; only
// the first endpoint is dialled (switch_ivr_originate.c tries them in
// order; the simulator's callee is the first).
func parseDialString(s string) (dialString, bool) {
	var d dialString
	for len(s) > 0 && (s[0] == '{' || s[0] == '[' || s[0] == '<') {
		closer := map[byte]byte{'{': '}', '[': ']', '<': '>'}[s[0]]
		depth := 0
		end := -1
		inQ := false
		for i := 0; i < len(s); i++ {
			if s[i] == '\'' {
				inQ = !inQ
			}
			if inQ {
				continue
			}
			if s[i] == s[0] {
				depth++
			} else if s[i] == closer {
				depth--
				if depth == 0 {
					end = i
					break
				}
			}
		}
		if end < 0 {
			return d, false
		}
		parseVarBlock(s[1:end], &d.vars)
		s = s[end+1:]
	}
	if i := strings.IndexAny(s, ",|"); i >= 0 {
		s = s[:i]
	}
	// per-leg [vars] may also follow the separator; strip a leading one.
	d.endpoint = s
	parts := strings.Split(s, "/")
	d.tech = parts[0]
	if d.tech == "" || len(parts) < 2 {
		return d, false
	}
	var user string
	switch {
	case d.tech == "sofia" && len(parts) >= 4 && parts[1] == "gateway":
		d.profile = "gateway"
		d.gateway = parts[2]
		user = strings.Join(parts[3:], "/")
	case d.tech == "sofia" && len(parts) >= 3:
		d.profile = parts[1]
		user = strings.Join(parts[2:], "/")
	default:
		user = strings.Join(parts[1:], "/")
	}
	user = strings.TrimPrefix(strings.TrimPrefix(user, "sip:"), "sips:")
	if at := strings.IndexByte(user, '@'); at >= 0 {
		d.host = user[at+1:]
		user = user[:at]
	}
	if semi := strings.IndexByte(user, ';'); semi >= 0 {
		user = user[:semi]
	}
	d.number = user
	return d, d.number != "" || d.tech == "error" || d.tech == "null"
}

// parseApp splits "&name(args)" (switch_ivr_originate / mod_commands
// originate): the args run to the LAST ')' if there is one.
func parseApp(s string) (name, arg string) {
	s = strings.TrimPrefix(s, "&")
	open := strings.IndexByte(s, '(')
	if open < 0 {
		// "&park" or "app:arg" style
		if n, a, ok := strings.Cut(s, ":"); ok {
			return n, a
		}
		return s, ""
	}
	name = s[:open]
	rest := s[open+1:]
	if close := strings.LastIndexByte(rest, ')'); close >= 0 {
		rest = rest[:close]
	}
	return name, rest
}

func getVar(vars []header, k string) string {
	for i := len(vars) - 1; i >= 0; i-- {
		if strings.EqualFold(vars[i].k, k) {
			return vars[i].v
		}
	}
	return ""
}
