// Package speech holds the robot's ears and mouth: the recognizer and
// synthesizer interfaces every engine implements, audio helpers, the engine
// registry (platform default, per tenant, per script), barge-in and watchdog
// decisions. Engines live in subpackages; call control drives them through
// these interfaces only, so a tenant can switch engines without FreeSWITCH
// noticing.
package speech

import (
	"context"
	"errors"
	"time"
)

// Audio is raw PCM: signed 16-bit little-endian, interleaved when Channels > 1.
// Everything inside waihu moves audio in this one shape; WAV is only a
// container at the edges (files, HTTP).
type Audio struct {
	SampleRate int // 8000 or 16000 on phone paths
	Channels   int // 1 unless stated
	PCM        []byte
}

// DurationMs is the playing time of the audio.
func (a Audio) DurationMs() int {
	ch := a.Channels
	if ch <= 0 {
		ch = 1
	}
	if a.SampleRate <= 0 {
		return 0
	}
	return len(a.PCM) / 2 / ch * 1000 / a.SampleRate
}

// Word is one recognized word with its place in the utterance (ms from the
// start of the turn's audio) and the engine's confidence in [0,1].
type Word struct {
	Text       string  `json:"text"`
	StartMs    int     `json:"start_ms"`
	EndMs      int     `json:"end_ms"`
	Confidence float64 `json:"confidence"`
}

// Result is a partial or final hypothesis. Text is empty when the engine
// heard nothing it could match (the dialogue's no-match path).
type Result struct {
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"`
	Final      bool    `json:"final"`
	StartMs    int     `json:"start_ms"`
	EndMs      int     `json:"end_ms"`
	Words      []Word  `json:"words,omitempty"`
	Engine     string  `json:"engine"`
	Simulated  bool    `json:"simulated,omitempty"`
	// Latency is the time from the end of audio (Finish) to the final result.
	Latency time.Duration `json:"latency_ns"`
}

// RecognizeOptions describe one turn.
type RecognizeOptions struct {
	Language   string   // "en-US", "zh-CN"
	SampleRate int      // of the PCM written; 8000 when zero
	Phrases    []string // what the current node expects (grammar engines need it; others may use it as hints)
	CallUUID   string   // for engines fed by a side channel (simulation) and for logs
}

// Rate returns the sample rate with the phone default applied.
func (o RecognizeOptions) Rate() int {
	if o.SampleRate <= 0 {
		return 8000
	}
	return o.SampleRate
}

// RecognitionStream is one turn of streaming recognition.
type RecognitionStream interface {
	// Write feeds mono s16le PCM at the options' rate, any frame size.
	Write(pcm []byte) error
	// Partials yields interim hypotheses; it is closed when the stream ends.
	// Engines without partials close it at Finish.
	Partials() <-chan Result
	// Finish says the utterance ended (the endpointer decided) and waits for
	// the final result. It may be called once.
	Finish(ctx context.Context) (Result, error)
	// Close abandons the turn and frees the engine; safe after Finish.
	Close() error
}

// StreamingRecognizer starts per-turn streams.
type StreamingRecognizer interface {
	Info() EngineInfo
	Start(ctx context.Context, opts RecognizeOptions) (RecognitionStream, error)
}

// FileRecognizer recognizes a whole recording (utterance mode).
type FileRecognizer interface {
	Info() EngineInfo
	Recognize(ctx context.Context, audio Audio, opts RecognizeOptions) (Result, error)
}

// SynthRequest asks for one line of speech.
type SynthRequest struct {
	Text       string
	Voice      string  // engine-specific; empty = engine default
	Speed      float64 // 1.0 = normal; 0 means 1.0
	SampleRate int     // 8000 or 16000; 0 means 8000
}

// Rate returns the sample rate with the phone default applied.
func (r SynthRequest) Rate() int {
	if r.SampleRate <= 0 {
		return 8000
	}
	return r.SampleRate
}

// SpeedOr1 returns the speed with the default applied.
func (r SynthRequest) SpeedOr1() float64 {
	if r.Speed <= 0 {
		return 1
	}
	return r.Speed
}

// Synthesizer turns text into mono s16le PCM at the requested rate.
type Synthesizer interface {
	Info() EngineInfo
	Synthesize(ctx context.Context, req SynthRequest) (Audio, error)
}

// Engine kinds.
const (
	KindASR = "asr"
	KindTTS = "tts"
)

// EngineInfo describes an engine to the registry and the console.
type EngineInfo struct {
	Name      string   `json:"name"` // unique in a registry, e.g. "pocketsphinx", "espeak-pinyin"
	Kind      string   `json:"kind"` // KindASR or KindTTS
	Languages []string `json:"languages"`
	Voices    []string `json:"voices,omitempty"`
	// Simulated engines only work against the switch simulator; the registry
	// refuses them for real trunks and nodes.
	Simulated bool `json:"simulated"`
	Embedded  bool `json:"embedded"` // runs on this host (subprocess), not a remote service
	Streaming bool `json:"streaming"`
}

// Errors shared by engines. Callers map them to the dialogue's no-match path
// and record the reason code in the timeline.
var (
	ErrEngineUnavailable = errors.New("speech engine unavailable")
	ErrEngineTimeout     = errors.New("speech engine timed out")
	ErrEmptySynthesis    = errors.New("synthesis returned no audio")
	ErrSimulatedEngine   = errors.New("simulated engine refused for a real trunk or node")
	ErrUnknownEngine     = errors.New("unknown speech engine")
)
