package switchsim

import (
	"strings"
)

// splitArgs splits on spaces honouring single and double quotes and
// dropping them, like switch_separate_string (src/switch_utils.c) that
// the originate API uses. This is why '&socket(h:p async full)' must be
// quoted: unquoted, "async" and "full)" become separate arguments.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	inArg := false
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case ch == '\'' || ch == '"':
			quote = ch
			inArg = true
		case ch == ' ':
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

// parseVarBlock parses "a=b,c='x,y',d=e" as switch_event_create_brackets
// does: commas separate, single quotes protect commas, "^^X" at the start
// switches the separator to X.
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
		case ch == '\'':
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
