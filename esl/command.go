package esl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalidArgument is wrapped by every *ArgumentError.
var ErrInvalidArgument = errors.New("esl: invalid command argument")

// ArgumentError names the field whose value was refused. A value is refused
// rather than escaped wherever FreeSWITCH has no reliable escape: ESL frames
// end at an empty line (so CR/LF would let a caller append commands), the
// originate {} block splits on ',' and nests on braces/brackets
// (switch_event_create_brackets in switch_event.c), the API argument line
// splits on spaces honouring quotes (switch_separate_string in
// switch_utils.c), and '$' starts ${var}/${api args} expansion
// (switch_channel_expand_variables in switch_channel.c).
type ArgumentError struct {
	Field  string
	Value  string
	Reason string
}

func (e *ArgumentError) Error() string {
	return fmt.Sprintf("esl: %s %q: %s", e.Field, truncate(e.Value, 40), e.Reason)
}

func (e *ArgumentError) Unwrap() error { return ErrInvalidArgument }

func argErr(field, value, reason string) error {
	return &ArgumentError{Field: field, Value: value, Reason: reason}
}

// Command is a validated single-line ESL API command (the part after "api "
// or "bgapi "). The zero value is invalid; values come only from the builders
// here and from Raw, all of which refuse CR/LF and control characters, so a
// Command can never carry a second ESL message.
type Command struct{ text string }

// String is the command text.
func (c Command) String() string { return c.text }

// IsZero reports whether c was never built.
func (c Command) IsZero() bool { return c.text == "" }

// Raw validates an arbitrary one-line API command (operator tools, tests).
// It refuses control characters and the `log`/`nolog`/`event` family, which
// are connection commands, not API commands: `log` would switch the socket
// to log/data frames that go-eventsocket cannot read.
func Raw(text string) (Command, error) {
	if err := checkLine("command", text); err != nil {
		return Command{}, err
	}
	t := strings.TrimSpace(text)
	if t == "" {
		return Command{}, argErr("command", text, "empty")
	}
	first := strings.ToLower(strings.Fields(t)[0])
	switch first {
	case "log", "nolog", "event", "nixevent", "noevents", "filter", "exit", "auth", "sendmsg", "sendevent", "myevents", "divert_events", "linger", "nolinger", "api", "bgapi", "connect":
		return Command{}, argErr("command", text, "connection command, not an API command")
	}
	return Command{text: t}, nil
}

// checkLine refuses anything that could end or split an ESL frame:
// control characters (CR, LF, NUL …, DEL) and invalid UTF-8.
func checkLine(field, s string) error {
	if !utf8.ValidString(s) {
		return argErr(field, s, "invalid UTF-8")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return argErr(field, s, "control character (CR/LF/NUL) not allowed")
		}
	}
	return nil
}

// checkToken allows a non-empty string of ASCII letters, digits and the
// given punctuation only.
func checkToken(field, s, punct string, max int) error {
	if s == "" {
		return argErr(field, s, "empty")
	}
	if len(s) > max {
		return argErr(field, s, fmt.Sprintf("longer than %d", max))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(punct, c) >= 0 {
			continue
		}
		if c < 0x20 || c == 0x7f {
			return argErr(field, s, "control character (CR/LF/NUL) not allowed")
		}
		return argErr(field, s, fmt.Sprintf("character %q not allowed", c))
	}
	return nil
}

// ValidateUUID accepts what FreeSWITCH uses as channel and job UUIDs: hex
// digits and dashes. Words are refused so a UUID can never turn into a
// keyword such as "all".
func ValidateUUID(field, s string) error {
	if err := checkToken(field, s, "-", 64); err != nil {
		return err
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '-' && !isHex(c) {
			return argErr(field, s, "not a UUID (hex digits and '-')")
		}
	}
	return nil
}

func validCause(field, s string) error { return checkToken(field, s, "_", 48) }

// ValidateEndpoint accepts a dial string such as
// sofia/gateway/waihu_3/013800138000 or sofia/external/1000@127.0.0.1:5090.
// Refused: whitespace (splits the originate arguments), ',' and '|'
// (parallel / sequential dial separators), braces and brackets (variable
// blocks), quotes, '$', '&', parentheses.
func ValidateEndpoint(s string) error { return checkToken("endpoint", s, "_.-/@:+*#=;~", 256) }

// ValidateNumber accepts a caller or callee number.
func ValidateNumber(field, s string) error { return checkToken(field, s, "+*#-.", 40) }

// ValidateVarName accepts a channel variable name.
func ValidateVarName(s string) error {
	if err := checkToken("variable name", s, "_.-", 64); err != nil {
		return err
	}
	if c := s[0]; c == '-' || c == '.' {
		return argErr("variable name", s, "must start with a letter, digit or '_'")
	}
	return nil
}

// varForbidden are the bytes that have a meaning inside an originate
// {a=b,c=d} block or its argument line (see ArgumentError).
const varForbidden = ",{}[]'\"\\$^|`<> \t"

// ValidateVarValue accepts a channel variable value for the originate {}
// block. Unicode text is fine (a caller ID name in Chinese); the bytes in
// varForbidden and control characters are refused. Use SanitizeVarValue for
// free tenant text that only has to survive, not be exact.
func ValidateVarValue(field, s string) error {
	if err := checkLine(field, s); err != nil {
		return err
	}
	if len(s) > 1024 {
		return argErr(field, s, "longer than 1024")
	}
	if i := strings.IndexAny(s, varForbidden); i >= 0 {
		return argErr(field, s, fmt.Sprintf("character %q not allowed in a channel variable", s[i]))
	}
	return nil
}

// SanitizeVarValue replaces every byte ValidateVarValue refuses with '_'
// and drops invalid UTF-8, so the result always validates.
func SanitizeVarValue(s string) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r < 0x80 && strings.ContainsRune(varForbidden, r)) {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) > 1024 {
		out = strings.ToValidUTF8(out[:1024], "")
	}
	return out
}

// ValidatePath accepts a file name or http(s) URL handed to playback,
// record, uuid_broadcast. Refused besides control characters: whitespace,
// quotes, braces/brackets ({var=x}file syntax), '$', '!' (file_string://
// separator), ',' and '|', backslash.
func ValidatePath(field, s string) error {
	if err := checkLine(field, s); err != nil {
		return err
	}
	if s == "" {
		return argErr(field, s, "empty")
	}
	if len(s) > 1024 {
		return argErr(field, s, "longer than 1024")
	}
	if i := strings.IndexAny(s, " \t'\"{}[]$!,|\\`<>"); i >= 0 {
		return argErr(field, s, fmt.Sprintf("character %q not allowed in a file name", s[i]))
	}
	return nil
}

// ValidateHostPort accepts host:port for the socket application.
func ValidateHostPort(field, s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return argErr(field, s, "not host:port")
	}
	if err := checkToken(field, host, ".-:", 253); err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return argErr(field, s, "bad port")
	}
	return nil
}

// OriginateRequest describes one outbound call.
type OriginateRequest struct {
	UUID           string // origination_uuid: the attempt UUID (required)
	Endpoint       string // dial string, e.g. sofia/gateway/waihu_3/013800138000 (required)
	CallerIDNumber string // origination_caller_id_number
	CallerIDName   string // origination_caller_id_name
	TimeoutSec     int    // originate_timeout (0: FreeSWITCH default, 60 s)
	// Vars are extra channel variables (waihu_attempt, waihu_tenant …).
	// Names must not collide with the fields above.
	Vars map[string]string
	// SocketAddr ("host:port") makes the call run the socket application
	// towards waihu's outbound server, rendered
	// '&socket(host:port async full)' — quoted, because the originate
	// argument line is split on spaces (switch_separate_string) and an
	// unquoted app loses "async full" (seen in the traces).
	SocketAddr string
	// App/AppArg are used instead of SocketAddr when set (tests, &park()).
	App, AppArg string
	// IgnoreEarlyMedia=false (the default) makes FreeSWITCH complete the
	// originate at 183 with SDP so the socket session starts on early media
	// (switch_ivr_originate.c; traces: inbound-earlymedia).
	IgnoreEarlyMedia bool
}

// reserved variables Originate sets itself.
var reservedVars = map[string]bool{
	"origination_uuid": true, "originate_timeout": true, "ignore_early_media": true,
	"origination_caller_id_number": true, "origination_caller_id_name": true,
}

// Originate builds `originate {vars}endpoint '&app(arg)'`.
func Originate(r OriginateRequest) (Command, error) {
	if err := ValidateUUID("uuid", r.UUID); err != nil {
		return Command{}, err
	}
	if err := ValidateEndpoint(r.Endpoint); err != nil {
		return Command{}, err
	}
	if r.TimeoutSec < 0 || r.TimeoutSec > 3600 {
		return Command{}, argErr("timeout", strconv.Itoa(r.TimeoutSec), "must be 0..3600 seconds")
	}
	var b strings.Builder
	b.Grow(256 + 32*len(r.Vars))
	b.WriteString("originate {origination_uuid=")
	b.WriteString(r.UUID)
	if r.TimeoutSec > 0 {
		b.WriteString(",originate_timeout=")
		b.WriteString(strconv.Itoa(r.TimeoutSec))
	}
	b.WriteString(",ignore_early_media=")
	b.WriteString(strconv.FormatBool(r.IgnoreEarlyMedia))
	if r.CallerIDNumber != "" {
		if err := ValidateNumber("caller id number", r.CallerIDNumber); err != nil {
			return Command{}, err
		}
		b.WriteString(",origination_caller_id_number=")
		b.WriteString(r.CallerIDNumber)
	}
	if r.CallerIDName != "" {
		if err := ValidateVarValue("caller id name", r.CallerIDName); err != nil {
			return Command{}, err
		}
		b.WriteString(",origination_caller_id_name=")
		b.WriteString(r.CallerIDName)
	}
	if len(r.Vars) > 0 {
		names := make([]string, 0, len(r.Vars))
		for k := range r.Vars {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if err := ValidateVarName(k); err != nil {
				return Command{}, err
			}
			if reservedVars[strings.ToLower(k)] {
				return Command{}, argErr("variable name", k, "set by a dedicated field")
			}
			v := r.Vars[k]
			if err := ValidateVarValue("variable "+k, v); err != nil {
				return Command{}, err
			}
			b.WriteByte(',')
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	b.WriteByte('}')
	b.WriteString(r.Endpoint)
	b.WriteByte(' ')
	switch {
	case r.App != "":
		if err := checkToken("app", r.App, "_", 64); err != nil {
			return Command{}, err
		}
		if r.AppArg != "" {
			if err := validAppArg("app arg", r.AppArg); err != nil {
				return Command{}, err
			}
		}
		b.WriteString("'&")
		b.WriteString(r.App)
		b.WriteByte('(')
		b.WriteString(r.AppArg)
		b.WriteString(")'")
	case r.SocketAddr != "":
		if err := ValidateHostPort("socket address", r.SocketAddr); err != nil {
			return Command{}, err
		}
		b.WriteString("'&socket(")
		b.WriteString(r.SocketAddr)
		b.WriteString(" async full)'")
	default:
		return Command{}, argErr("socket address", "", "either SocketAddr or App is required")
	}
	return Command{text: b.String()}, nil
}

// validAppArg: an inline-app argument inside '&app(arg)' must not close the
// quote or the parenthesis.
func validAppArg(field, s string) error {
	if err := checkLine(field, s); err != nil {
		return err
	}
	if i := strings.IndexAny(s, "'\"()\\$,{}"); i >= 0 {
		return argErr(field, s, fmt.Sprintf("character %q not allowed", s[i]))
	}
	return nil
}

func cmd2(_ string, parts ...string) Command {
	return Command{text: strings.Join(parts, " ")}
}

// UUIDKill builds `uuid_kill <uuid> [cause]` (mod_commands.c).
func UUIDKill(uuid, cause string) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	if cause == "" {
		return cmd2("", "uuid_kill", uuid), nil
	}
	if err := validCause("cause", cause); err != nil {
		return Command{}, err
	}
	return cmd2("", "uuid_kill", uuid, cause), nil
}

// UUIDBreak builds `uuid_break <uuid> [all]`: stops the current playback
// (all: and everything queued). Barge-in uses all.
func UUIDBreak(uuid string, all bool) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	if all {
		return cmd2("", "uuid_break", uuid, "all"), nil
	}
	return cmd2("", "uuid_break", uuid), nil
}

// UUIDExists builds `uuid_exists <uuid>`; the reply is "true"/"false"
// without a newline (traces).
func UUIDExists(uuid string) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	return cmd2("", "uuid_exists", uuid), nil
}

// UUIDSetVar builds `uuid_setvar <uuid> <name> <value>`.
func UUIDSetVar(uuid, name, value string) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	if err := ValidateVarName(name); err != nil {
		return Command{}, err
	}
	if err := checkLine("value", value); err != nil {
		return Command{}, err
	}
	if strings.Contains(value, "$") {
		return Command{}, argErr("value", value, "'$' not allowed (variable expansion)")
	}
	return cmd2("", "uuid_setvar", uuid, name, value), nil
}

// UUIDBroadcast builds `uuid_broadcast <uuid> <path> <leg>`; leg is aleg,
// bleg or both.
func UUIDBroadcast(uuid, path, leg string) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	if err := ValidatePath("path", path); err != nil {
		return Command{}, err
	}
	switch leg {
	case "aleg", "bleg", "both":
	default:
		return Command{}, argErr("leg", leg, "must be aleg, bleg or both")
	}
	return cmd2("", "uuid_broadcast", uuid, path, leg), nil
}

// ShowChannelsJSON builds `show channels as json`.
func ShowChannelsJSON() Command { return Command{text: "show channels as json"} }

// Status builds `status`.
func Status() Command { return Command{text: "status"} }

// SofiaProfileRescan builds `sofia profile <profile> rescan` (loads new
// gateways from the xml_curl-served sofia.conf).
func SofiaProfileRescan(profile string) (Command, error) {
	if err := checkToken("profile", profile, "_.-", 64); err != nil {
		return Command{}, err
	}
	return cmd2("", "sofia", "profile", profile, "rescan"), nil
}

// SofiaKillGW builds `sofia profile <profile> killgw <gateway>`.
func SofiaKillGW(profile, gw string) (Command, error) {
	if err := checkToken("profile", profile, "_.-", 64); err != nil {
		return Command{}, err
	}
	if err := checkToken("gateway", gw, "_.-", 64); err != nil {
		return Command{}, err
	}
	return cmd2("", "sofia", "profile", profile, "killgw", gw), nil
}

// SchedHangup builds `sched_hangup +<sec> <uuid> [cause]` (mod_commands.c):
// a FreeSWITCH-side safety net so a call ends even if waihu dies.
func SchedHangup(uuid string, afterSec int, cause string) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	if afterSec <= 0 || afterSec > 86400 {
		return Command{}, argErr("after", strconv.Itoa(afterSec), "must be 1..86400 seconds")
	}
	parts := []string{"sched_hangup", "+" + strconv.Itoa(afterSec), uuid}
	if cause != "" {
		if err := validCause("cause", cause); err != nil {
			return Command{}, err
		}
		parts = append(parts, cause)
	}
	return cmd2("", parts...), nil
}

// UUIDAudioStreamStart builds
// `uuid_audio_stream <uuid> start <ws-url> <mix> <8k|16k> [metadata]`
// (mod_audio_stream; its usage text and replies are in the traces'
// audio-stream.md). mix is mono, mixed or stereo. Metadata is everything
// after the fifth token, spaces included, so only control characters are
// refused there.
func UUIDAudioStreamStart(uuid, wsURL, mix string, rate int, metadata string) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	if err := checkLine("url", wsURL); err != nil {
		return Command{}, err
	}
	u, err := url.Parse(wsURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return Command{}, argErr("url", wsURL, "must be a ws:// or wss:// URL")
	}
	if strings.ContainsAny(wsURL, " \t'\"{}$") {
		return Command{}, argErr("url", wsURL, "whitespace, quotes, braces and '$' not allowed")
	}
	switch mix {
	case "mono", "mixed", "stereo":
	default:
		return Command{}, argErr("mix", mix, "must be mono, mixed or stereo")
	}
	var r string
	switch rate {
	case 8000:
		r = "8k"
	case 16000:
		r = "16k"
	default:
		return Command{}, argErr("rate", strconv.Itoa(rate), "must be 8000 or 16000")
	}
	if err := checkLine("metadata", metadata); err != nil {
		return Command{}, err
	}
	if len(metadata) > 4096 {
		return Command{}, argErr("metadata", metadata, "longer than 4096")
	}
	parts := []string{"uuid_audio_stream", uuid, "start", wsURL, mix, r}
	if m := strings.TrimSpace(metadata); m != "" {
		parts = append(parts, m)
	}
	return cmd2("", parts...), nil
}

// UUIDAudioStreamStop builds `uuid_audio_stream <uuid> stop`.
func UUIDAudioStreamStop(uuid string) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	return cmd2("", "uuid_audio_stream", uuid, "stop"), nil
}

// validEventName accepts an event name or CUSTOM subclass for the `event`
// and `nixevent` commands. `log` is not an event, and never subscribed.
func validEventName(s string) error {
	if err := checkToken("event", s, "_:.-", 64); err != nil {
		return err
	}
	if strings.EqualFold(s, "log") {
		return argErr("event", s, "log output is never subscribed")
	}
	return nil
}
