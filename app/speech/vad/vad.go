// Package vad finds speech in s16le PCM: a frame classifier on energy and
// zero-crossing rate over an adaptive noise floor, and an endpointer that
// turns classified frames into utterance start / end events. Pure Go, no
// cgo: phone audio at 8 kHz is narrow and loud enough that energy works, and
// the recognizers downstream make the fine decisions.
package vad

import (
	"encoding/binary"
	"math"
)

// Config tunes the endpointer. Zero fields take the defaults in brackets.
type Config struct {
	SampleRate     int     // [8000]
	FrameMs        int     // [20] analysis frame
	SilenceMs      int     // [700] trailing silence that ends an utterance
	MaxUtteranceMs int     // [15000] an utterance is cut here
	MinSpeechMs    int     // [100] voiced time needed to declare speech start
	ThresholdDB    float64 // [10] above the noise floor counts as voice
	MinLevelDBFS   float64 // [-50] never voice below this absolute level
}

func (c Config) withDefaults() Config {
	if c.SampleRate <= 0 {
		c.SampleRate = 8000
	}
	if c.FrameMs <= 0 {
		c.FrameMs = 20
	}
	if c.SilenceMs <= 0 {
		c.SilenceMs = 700
	}
	if c.MaxUtteranceMs <= 0 {
		c.MaxUtteranceMs = 15000
	}
	if c.MinSpeechMs <= 0 {
		c.MinSpeechMs = 100
	}
	if c.ThresholdDB == 0 {
		c.ThresholdDB = 10
	}
	if c.MinLevelDBFS == 0 {
		c.MinLevelDBFS = -50
	}
	return c
}

// Frame is one analysed frame.
type Frame struct {
	LevelDBFS float64
	ZCR       float64 // zero crossings per sample, 0..1
	Voiced    bool
}

// Classifier labels frames voiced / unvoiced against a noise floor that
// follows the quietest recent level (fast down, slow up) so line hiss and
// comfort noise do not count as speech.
type Classifier struct {
	cfg   Config
	floor float64
	init  bool
}

// NewClassifier returns a classifier for cfg.
func NewClassifier(cfg Config) *Classifier { return &Classifier{cfg: cfg.withDefaults()} }

// Classify analyses one frame of PCM.
func (c *Classifier) Classify(pcm []byte) Frame {
	n := len(pcm) / 2
	if n == 0 {
		return Frame{LevelDBFS: -96}
	}
	var sum float64
	var zc int
	prev := int16(binary.LittleEndian.Uint16(pcm))
	for i := range n {
		s := int16(binary.LittleEndian.Uint16(pcm[2*i:]))
		sum += float64(s) * float64(s)
		if (s >= 0) != (prev >= 0) {
			zc++
		}
		prev = s
	}
	rms := math.Sqrt(sum / float64(n))
	db := -96.0
	if rms > 0 {
		db = max(20*math.Log10(rms/32768), -96)
	}
	f := Frame{LevelDBFS: db, ZCR: float64(zc) / float64(n)}
	if !c.init {
		c.floor, c.init = min(db, -30), true
	}
	if db < c.floor {
		c.floor = db
	} else {
		// Rise about 1 dB per second at 20 ms frames, so a long utterance
		// does not become the floor.
		c.floor += 0.02
	}
	th := max(c.floor+c.cfg.ThresholdDB, c.cfg.MinLevelDBFS)
	f.Voiced = db > th
	// Broadband hiss has a very high crossing rate at a modest level; do not
	// call it voice unless it is clearly loud.
	if f.Voiced && f.ZCR > 0.6 && db < th+10 {
		f.Voiced = false
	}
	return f
}

// EventKind says what the endpointer decided.
type EventKind int

// Endpointer events.
const (
	SpeechStart EventKind = iota + 1
	SpeechEnd             // trailing silence reached SilenceMs
	MaxLength             // the utterance hit MaxUtteranceMs and is cut
)

func (k EventKind) String() string {
	switch k {
	case SpeechStart:
		return "speech_start"
	case SpeechEnd:
		return "speech_end"
	case MaxLength:
		return "max_length"
	}
	return "none"
}

// Event carries times in ms since the stream's first sample.
type Event struct {
	Kind     EventKind
	AtMs     int // when it was decided (stream time)
	StartMs  int // speech start of the utterance
	EndMs    int // end of the last voiced frame (SpeechEnd / MaxLength)
	SpeechMs int // voiced milliseconds counted so far
}

// Endpointer turns a PCM stream into utterance events. Not safe for
// concurrent use; one per call leg.
type Endpointer struct {
	cfg        Config
	cls        *Classifier
	frameBytes int
	buf        []byte
	posMs      int // stream time at the end of the last analysed frame
	inSpeech   bool
	runMs      int // current run of voiced frames (before start)
	runStart   int
	gapMs      int // unvoiced frames inside the run (tolerated up to one frame)
	startMs    int
	lastVoice  int
	voicedMs   int
	silenceMs  int
}

// NewEndpointer returns an endpointer for cfg.
func NewEndpointer(cfg Config) *Endpointer {
	cfg = cfg.withDefaults()
	return &Endpointer{cfg: cfg, cls: NewClassifier(cfg), frameBytes: cfg.SampleRate * cfg.FrameMs / 1000 * 2}
}

// Config returns the effective configuration.
func (e *Endpointer) Config() Config { return e.cfg }

// InSpeech reports whether an utterance is open.
func (e *Endpointer) InSpeech() bool { return e.inSpeech }

// PosMs is the stream time analysed so far.
func (e *Endpointer) PosMs() int { return e.posMs }

// SpeechMs is the voiced length of the open utterance (0 if none).
func (e *Endpointer) SpeechMs() int {
	if !e.inSpeech {
		return 0
	}
	return e.voicedMs
}

// Reset forgets the open utterance but keeps the noise floor and clock
// (used between turns on the same stream).
func (e *Endpointer) Reset() {
	e.inSpeech, e.runMs, e.gapMs, e.voicedMs, e.silenceMs = false, 0, 0, 0, 0
}

// Push analyses PCM of any length and returns the events it decided.
func (e *Endpointer) Push(pcm []byte) []Event {
	e.buf = append(e.buf, pcm...)
	var evs []Event
	for len(e.buf) >= e.frameBytes {
		fr := e.cls.Classify(e.buf[:e.frameBytes])
		e.buf = e.buf[e.frameBytes:]
		start := e.posMs
		e.posMs += e.cfg.FrameMs
		if ev, ok := e.step(fr.Voiced, start); ok {
			evs = append(evs, ev)
		}
	}
	// Keep the remainder without letting a huge buffer pin memory.
	if cap(e.buf) > 64*e.frameBytes {
		e.buf = append([]byte(nil), e.buf...)
	}
	return evs
}

func (e *Endpointer) step(voiced bool, frameStart int) (Event, bool) {
	fm := e.cfg.FrameMs
	if !e.inSpeech {
		switch {
		case voiced:
			if e.runMs == 0 {
				e.runStart = frameStart
			}
			e.runMs += fm
			e.gapMs = 0
		case e.runMs > 0 && e.gapMs < fm:
			e.gapMs += fm // one unvoiced frame inside a word is fine
		default:
			e.runMs, e.gapMs = 0, 0
		}
		if e.runMs >= e.cfg.MinSpeechMs {
			e.inSpeech = true
			e.startMs = e.runStart
			e.voicedMs = e.runMs
			e.lastVoice = e.posMs
			e.silenceMs = 0
			e.runMs, e.gapMs = 0, 0
			return Event{Kind: SpeechStart, AtMs: e.posMs, StartMs: e.startMs, SpeechMs: e.voicedMs}, true
		}
		return Event{}, false
	}
	if voiced {
		e.voicedMs += fm
		e.lastVoice = e.posMs
		e.silenceMs = 0
	} else {
		e.silenceMs += fm
	}
	ev := Event{AtMs: e.posMs, StartMs: e.startMs, EndMs: e.lastVoice, SpeechMs: e.voicedMs}
	switch {
	case e.silenceMs >= e.cfg.SilenceMs:
		ev.Kind = SpeechEnd
	case e.posMs-e.startMs >= e.cfg.MaxUtteranceMs:
		ev.Kind = MaxLength
		ev.EndMs = e.posMs
	default:
		return Event{}, false
	}
	e.Reset()
	return ev, true
}
