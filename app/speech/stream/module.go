package stream

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Module event subclasses mod_audio_stream fires (Event-Name CUSTOM).
const (
	SubclassConnect    = "mod_audio_stream::connect"
	SubclassDisconnect = "mod_audio_stream::disconnect"
	SubclassError      = "mod_audio_stream::error"
	SubclassJSON       = "mod_audio_stream::json"
	SubclassPlay       = "mod_audio_stream::play"
)

// ModuleEvent is a parsed mod_audio_stream ESL event. The `start` API
// answers +OK even when the server is unreachable; these events say what
// really happened.
type ModuleEvent struct {
	Kind  string // connect, disconnect, error, json, play
	Code  int    // close code (disconnect) or error code (error: 6 connect/upgrade failure, 10 timeout, 1 abnormal EOF)
	Error string // error text or close reason
	Body  string // verbatim body (json, play)
	// Attached: after this event the module's media bug is still attached
	// (a server-initiated close), so call control must `stop` before a new
	// `start`. After an error the bug is gone and `start` works directly.
	Attached bool
}

// ParseModuleEvent reads a mod_audio_stream event from its subclass and JSON
// body, as recorded in freeswitch-traces/audio-stream.md §3–4.
func ParseModuleEvent(subclass, body string) (ModuleEvent, error) {
	kind, ok := strings.CutPrefix(subclass, "mod_audio_stream::")
	if !ok {
		return ModuleEvent{}, fmt.Errorf("not a mod_audio_stream event: %q", subclass)
	}
	ev := ModuleEvent{Kind: kind, Body: body}
	var b struct {
		Status  string `json:"status"`
		Message struct {
			Code   int    `json:"code"`
			Error  string `json:"error"`
			Reason string `json:"reason"`
		} `json:"message"`
	}
	switch kind {
	case "connect", "disconnect", "error":
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			return ev, fmt.Errorf("%s event body %q: %w", subclass, body, err)
		}
		ev.Code = b.Message.Code
		ev.Error = b.Message.Error
		if kind == "disconnect" {
			ev.Error = b.Message.Reason
			ev.Attached = true
		}
	case "json", "play":
	default:
		return ev, fmt.Errorf("unknown mod_audio_stream event %q", subclass)
	}
	return ev, nil
}

// ReplyOK reports whether a uuid_audio_stream API reply is success
// ("+OK Success"). Note that for start it only means the connection attempt
// began.
func ReplyOK(reply string) bool { return strings.HasPrefix(strings.TrimSpace(reply), "+OK") }
