package dialog

import "encoding/json"

// Action is an instruction from the call to the call session (callctl).
// The session performs actions in order: Say lines play one after another,
// and a Listen or CollectDTMF that follows starts when they are done (or
// when a barge-in stops them).
type Action interface{ ActionType() string }

// Say plays a line: AudioURL when set, otherwise Text through TTS. BargeIn
// is this line's interruption policy; the session may stop playback early
// (uuid_break) only as it allows, and reports PlaybackDone either way.
type Say struct {
	Text     string  `json:"text"`
	AudioURL string  `json:"audio_url,omitempty"`
	BargeIn  BargeIn `json:"barge_in"`
	Node     string  `json:"node,omitempty"`
}

// Listen opens the recognizer. TimeoutMs is the silence timer: with no
// speech for that long the session sends Silence. Expect holds phrases for
// grammar-based ASR (hot words).
type Listen struct {
	TimeoutMs int      `json:"timeout_ms"`
	Expect    []string `json:"expect,omitempty"`
	Node      string   `json:"node,omitempty"`
}

// CollectDTMF gathers up to MaxDigits key presses (ending early at
// Terminator) and sends them as one DTMF event, or Silence on timeout.
type CollectDTMF struct {
	MaxDigits  int    `json:"max_digits"`
	TimeoutMs  int    `json:"timeout_ms"`
	Terminator string `json:"terminator,omitempty"`
	Node       string `json:"node,omitempty"`
}

// StopPlayback tells the session to break the line playing now: the callee
// barged in and the line's policy allowed it.
type StopPlayback struct{}

// Transfer bridges the callee to Target (a queue, agent group or number).
// A Say with the handover line comes before it.
type Transfer struct {
	Target string `json:"target"`
}

// Hangup plays Text (the closing line, may be empty) and ends the call.
type Hangup struct {
	Text   string `json:"text"`
	Reason string `json:"reason,omitempty"`
}

// SetVar reports a captured or changed variable (the session may store it
// on the attempt as it goes, so a dropped call keeps what was captured).
type SetVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (Say) ActionType() string          { return "say" }
func (Listen) ActionType() string       { return "listen" }
func (CollectDTMF) ActionType() string  { return "collect_dtmf" }
func (StopPlayback) ActionType() string { return "stop_playback" }
func (Transfer) ActionType() string     { return "transfer" }
func (Hangup) ActionType() string       { return "hangup" }
func (SetVar) ActionType() string       { return "set_var" }

// Event is something that happened on the call, sent to Call.Handle.
type Event interface{ EventType() string }

// Heard is recognized speech. Final=false results are partials: they only
// matter for barge-in. PlayedMs is how much of the playing line had played
// when the speech began (0 when nothing was playing).
type Heard struct {
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence,omitempty"`
	Final      bool    `json:"final"`
	PlayedMs   int     `json:"played_ms,omitempty"`
}

// DTMF is a key press or a collected digit string.
type DTMF struct {
	Digits string `json:"digits"`
}

// Silence: the Listen or CollectDTMF timer ran out.
type Silence struct{}

// PlaybackDone: one Say finished (or was broken after PlayedMs).
type PlaybackDone struct {
	PlayedMs int `json:"played_ms"`
}

// BargedIn: voice activity started while a line was playing.
type BargedIn struct {
	PlayedMs int `json:"played_ms"`
}

// CallerHangup: the callee hung up.
type CallerHangup struct{}

// EngineError: ASR/TTS failed for this turn; the call takes the no-match
// path rather than stalling.
type EngineError struct {
	Err string `json:"error"`
}

func (Heard) EventType() string        { return "heard" }
func (DTMF) EventType() string         { return "dtmf" }
func (Silence) EventType() string      { return "silence" }
func (PlaybackDone) EventType() string { return "playback_done" }
func (BargedIn) EventType() string     { return "barged_in" }
func (CallerHangup) EventType() string { return "caller_hangup" }
func (EngineError) EventType() string  { return "engine_error" }

// ActionJSON renders an action with its type, for APIs and logs:
// {"type":"say","text":…}.
func ActionJSON(a Action) json.RawMessage {
	b, _ := json.Marshal(a)
	t, _ := json.Marshal(a.ActionType())
	if len(b) <= 2 {
		return json.RawMessage(`{"type":` + string(t) + `}`)
	}
	return json.RawMessage(`{"type":` + string(t) + `,` + string(b[1:]))
}
