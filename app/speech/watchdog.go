package speech

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Reason codes written to the call timeline when something goes quiet or
// fails. Each has a defined fallback (FallbackFor) so a call never sits in
// dead air.
const (
	ReasonPromptNotStarted = "prompt_not_started" // playback requested, not started within PromptStartTimeout
	ReasonNoCalleeAudio    = "no_callee_audio"    // no audio frames from the callee for NoAudioTimeout
	ReasonCalleeSilent     = "callee_silent"      // audio flows but nobody speaks for the node's listen timeout
	ReasonEmptySynthesis   = "empty_synthesis"
	ReasonEngineTimeout    = "engine_timeout"
	ReasonEngineError      = "engine_error"
	ReasonAudioLost        = "audio_connection_lost"
	ReasonESLLost          = "esl_connection_lost"
)

// Fallbacks a reason leads to.
const (
	FallbackNoMatch    = "no_match"    // the dialogue's no-match path for this turn
	FallbackCannedLine = "canned_line" // play a fixed, cached "sorry, could you repeat" line
	FallbackRestart    = "restart_stream"
	FallbackHangup     = "polite_hangup"
)

// FallbackFor maps a reason to its default fallback.
func FallbackFor(reason string) string {
	switch reason {
	case ReasonEngineTimeout, ReasonEngineError:
		return FallbackNoMatch
	case ReasonEmptySynthesis, ReasonPromptNotStarted:
		return FallbackCannedLine
	case ReasonAudioLost, ReasonNoCalleeAudio:
		// A stream that fails is restarted once; then utterance mode.
		return FallbackRestart
	case ReasonCalleeSilent:
		return FallbackNoMatch
	case ReasonESLLost:
		return FallbackHangup
	}
	return FallbackNoMatch
}

// ReasonFor classifies an engine error into a reason code.
func ReasonFor(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrEmptySynthesis):
		return ReasonEmptySynthesis
	case errors.Is(err, ErrEngineTimeout), errors.Is(err, context.DeadlineExceeded):
		return ReasonEngineTimeout
	}
	return ReasonEngineError
}

// WatchdogConfig sets the limits; zero fields take the defaults.
type WatchdogConfig struct {
	PromptStartTimeout time.Duration // default 2 s
	NoAudioTimeout     time.Duration // default 5 s
	ListenTimeout      time.Duration // default 8 s, the node may override per Listen
}

// Alarm is one watchdog firing.
type Alarm struct {
	Reason   string
	Fallback string
	After    time.Duration // how long the condition had lasted
}

// Watchdog watches one call's turn. Call control feeds it what happens and
// calls Check on a ticker (or before each decision); times are passed in so
// the logic is testable without clocks. Each alarm fires once until its
// condition is reset.
type Watchdog struct {
	cfg WatchdogConfig

	mu          sync.Mutex
	promptAsked time.Time // zero when no prompt pending
	lastAudio   time.Time
	listenSince time.Time // zero when not listening
	streaming   bool
	fired       map[string]bool
}

// NewWatchdog returns a watchdog with defaults applied.
func NewWatchdog(cfg WatchdogConfig) *Watchdog {
	if cfg.PromptStartTimeout <= 0 {
		cfg.PromptStartTimeout = 2 * time.Second
	}
	if cfg.NoAudioTimeout <= 0 {
		cfg.NoAudioTimeout = 5 * time.Second
	}
	if cfg.ListenTimeout <= 0 {
		cfg.ListenTimeout = 8 * time.Second
	}
	return &Watchdog{cfg: cfg, fired: map[string]bool{}}
}

// PromptRequested: playback command sent.
func (w *Watchdog) PromptRequested(now time.Time) {
	w.mu.Lock()
	w.promptAsked = now
	delete(w.fired, ReasonPromptNotStarted)
	w.mu.Unlock()
}

// PromptStarted: PLAYBACK_START (or the first media) arrived.
func (w *Watchdog) PromptStarted(time.Time) {
	w.mu.Lock()
	w.promptAsked = time.Time{}
	w.mu.Unlock()
}

// StreamStarted: the audio stream connected; frames are expected from now.
func (w *Watchdog) StreamStarted(now time.Time) {
	w.mu.Lock()
	w.streaming, w.lastAudio = true, now
	delete(w.fired, ReasonNoCalleeAudio)
	w.mu.Unlock()
}

// StreamStopped: the stream closed on purpose (hangup, stop).
func (w *Watchdog) StreamStopped() {
	w.mu.Lock()
	w.streaming = false
	w.mu.Unlock()
}

// Audio: a frame of callee audio arrived.
func (w *Watchdog) Audio(now time.Time) {
	w.mu.Lock()
	w.lastAudio = now
	delete(w.fired, ReasonNoCalleeAudio)
	w.mu.Unlock()
}

// Listen starts (timeout>0 overrides the default) or, with a zero now,
// stops waiting for the callee's answer.
func (w *Watchdog) Listen(now time.Time, timeout time.Duration) {
	w.mu.Lock()
	w.listenSince = now
	if timeout > 0 {
		w.cfg.ListenTimeout = timeout
	}
	delete(w.fired, ReasonCalleeSilent)
	w.mu.Unlock()
}

// Heard: the callee started speaking (stops the silence alarm).
func (w *Watchdog) Heard() {
	w.mu.Lock()
	w.listenSince = time.Time{}
	w.mu.Unlock()
}

// Check returns the alarms due at now.
func (w *Watchdog) Check(now time.Time) []Alarm {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Alarm
	fire := func(reason string, since time.Time, limit time.Duration) {
		if since.IsZero() || w.fired[reason] {
			return
		}
		if d := now.Sub(since); d >= limit {
			w.fired[reason] = true
			out = append(out, Alarm{Reason: reason, Fallback: FallbackFor(reason), After: d})
		}
	}
	fire(ReasonPromptNotStarted, w.promptAsked, w.cfg.PromptStartTimeout)
	if w.streaming {
		fire(ReasonNoCalleeAudio, w.lastAudio, w.cfg.NoAudioTimeout)
	}
	fire(ReasonCalleeSilent, w.listenSince, w.cfg.ListenTimeout)
	return out
}

// TurnRecord is the per-turn engine and latency record kept in the call's
// timeline: which engines served the turn and where the time went, from
// the callee's last audio to the robot's reply command.
type TurnRecord struct {
	CallUUID   string  `json:"call_uuid"`
	Turn       int     `json:"turn"`
	ASREngine  string  `json:"asr_engine"`
	TTSEngine  string  `json:"tts_engine"`
	Simulated  bool    `json:"simulated"`
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"`
	CacheHit   bool    `json:"cache_hit"`
	// Durations in ms: endpointing (silence waited after the last voice),
	// recognition (endpoint → final), decision (final → reply chosen),
	// synthesis (reply → audio ready, cache or engine), command (audio
	// ready → playback command sent).
	EndpointMs    float64 `json:"endpoint_ms"`
	RecognitionMs float64 `json:"recognition_ms"`
	DecisionMs    float64 `json:"decision_ms"`
	SynthesisMs   float64 `json:"synthesis_ms"`
	CommandMs     float64 `json:"command_ms"`
	Reason        string  `json:"reason,omitempty"` // a watchdog or engine reason code when the turn degraded
}

// RobotMs is everything but the endpointing silence.
func (r TurnRecord) RobotMs() float64 {
	return r.RecognitionMs + r.DecisionMs + r.SynthesisMs + r.CommandMs
}

// TotalMs is the callee-perceived gap.
func (r TurnRecord) TotalMs() float64 { return r.EndpointMs + r.RobotMs() }

// TurnClock collects the marks of one turn; Record turns them into a
// TurnRecord. Marks not set count as zero-length stages.
type TurnClock struct {
	LastVoice, Endpointed, Recognized, Decided, AudioReady, CommandSent time.Time
}

// Fill sets the durations of r from the marks.
func (c TurnClock) Fill(r *TurnRecord) {
	ms := func(a, b time.Time) float64 {
		if a.IsZero() || b.IsZero() || b.Before(a) {
			return 0
		}
		return float64(b.Sub(a).Microseconds()) / 1000
	}
	r.EndpointMs = ms(c.LastVoice, c.Endpointed)
	r.RecognitionMs = ms(c.Endpointed, c.Recognized)
	r.DecisionMs = ms(c.Recognized, c.Decided)
	r.SynthesisMs = ms(c.Decided, c.AudioReady)
	r.CommandMs = ms(c.AudioReady, c.CommandSent)
}
