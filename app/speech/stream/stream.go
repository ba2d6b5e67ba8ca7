// Package stream is waihu's WebSocket server for FreeSWITCH's
// mod_audio_stream (amigniter, community edition), as recorded in
// freeswitch-traces/audio-stream.md: a handshake with no space after header
// colons and no deflate offer, the metadata as the first text frame, then raw
// s16le PCM, one binary frame per 20 ms (320 bytes at 8k mono; mono is the
// callee alone). The module never reconnects and never plays what we send,
// so this server only listens: per call it runs VAD + endpointing and a
// streaming recognizer and emits events on a channel the call session reads.
//
// Call control drives it: Registry.Expect(uuid, token) before
// `uuid_audio_stream <uuid> start <URL(uuid, token)> mono 8k <meta>`, then
// read Call.Events(); Prompt/PromptDone around interruptible playback turn
// on barge-in decisions; Forget at hangup.
package stream

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/vad"
)

// EventKind names what happened on a call's audio.
type EventKind string

// Events, in the order a turn produces them.
const (
	Connected     EventKind = "stream_connected"
	SpeechStarted EventKind = "speech_started" // the endpointer heard speech (AtMs = speech start)
	BargeIn       EventKind = "barge_in"       // policy says stop the prompt: send uuid_break <uuid> all
	Partial       EventKind = "partial"
	SpeechEnded   EventKind = "speech_ended" // endpointing decided (AtMs = decision, Result.EndMs = last voice)
	Final         EventKind = "final"        // recognition result (possibly empty text: no-match)
	StreamClosed  EventKind = "stream_closed"
)

// Event is one thing call control reacts to. Times are ms of stream audio
// since the WebSocket delivered its first frame.
type Event struct {
	Kind     EventKind     `json:"kind"`
	CallUUID string        `json:"call_uuid"`
	AtMs     int           `json:"at_ms"`
	SpeechMs int           `json:"speech_ms,omitempty"`
	Result   speech.Result `json:"result"`
	Reason   string        `json:"reason,omitempty"` // barge-in reason, close reason, recognition error
	// PlayedMs on BargeIn: how much of the prompt had played (stream time)
	// when the break was decided, for the timeline and the dialogue.
	PlayedMs int `json:"played_ms,omitempty"`
	// Err is set on a Final whose engine failed: the dialogue takes its
	// no-match path for this turn, never dead air.
	Err error `json:"-"`
	// Wall is when the event was emitted (for latency records).
	Wall time.Time `json:"wall"`
}

// Options configure one expected call.
type Options struct {
	Recognizer speech.StreamingRecognizer // nil: VAD events only
	Recognize  speech.RecognizeOptions    // phrases, language; SampleRate from the stream
	VAD        vad.Config
	SampleRate int // 8000 default; the URL may say rate=16000
	Stereo     bool
	// PreRollMs of audio before the declared speech start goes to the
	// recognizer too, so the first syllable is not clipped. Default 300.
	PreRollMs int
}

// Call is one expected or connected call.
type Call struct {
	UUID  string
	token string
	opts  Options

	mu       sync.Mutex
	events   chan Event
	live     *liveConn // the connected stream, if any
	connects int
	metadata string
	promptOn bool
	policy   speech.BargeInPolicy
	promptAt int
	broke    bool
	sendMu   sync.RWMutex
	gone     chan struct{}
	forget   sync.Once
	partial  string
	// recognizedMs is the audio given to recognizers, for the call's
	// ASR usage (billing's recognizer line item).
	recognizedMs atomic.Int64
}

// RecognizedMs is how much of the callee's audio (in ms) the call's
// recognizers were given: speech segments with their pre-roll.
func (c *Call) RecognizedMs() int { return int(c.recognizedMs.Load()) }

// Events is the call's event stream. It stays open across a stream restart
// and is closed by Registry.Forget.
func (c *Call) Events() <-chan Event { return c.events }

// Connects counts streams that connected for this call (the policy is: a
// stream that fails is restarted once, then the call uses utterance mode).
func (c *Call) Connects() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connects
}

// Metadata is the first text frame of the current stream.
func (c *Call) Metadata() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.metadata
}

// SetRecognize changes the recognizer options (the node's expected phrases)
// for the next utterance.
func (c *Call) SetRecognize(r speech.StreamingRecognizer, o speech.RecognizeOptions) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r != nil {
		c.opts.Recognizer = r
	}
	c.opts.Recognize = o
}

// Prompt says an interruptible prompt starts playing now, under policy.
// The stream then emits BargeIn when speech qualifies.
func (c *Call) Prompt(policy speech.BargeInPolicy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.promptOn, c.policy, c.promptAt, c.broke, c.partial = true, policy, -1, false, ""
}

// PromptDone says playback ended (or was broken).
func (c *Call) PromptDone() {
	c.mu.Lock()
	c.promptOn = false
	c.mu.Unlock()
}

func (c *Call) emit(ev Event, must bool) {
	ev.CallUUID = c.UUID
	ev.Wall = time.Now()
	// The read lock keeps Forget from closing the channel under a sender;
	// Forget closes gone first so a blocked sender lets go at once.
	c.sendMu.RLock()
	defer c.sendMu.RUnlock()
	select {
	case <-c.gone:
		return
	default:
	}
	if must {
		// Finals and closes must arrive; wait a little for a slow reader
		// rather than drop them.
		t := time.NewTimer(5 * time.Second)
		defer t.Stop()
		select {
		case c.events <- ev:
		case <-c.gone:
		case <-t.C:
		}
		return
	}
	select {
	case c.events <- ev:
	default:
	}
}

// liveConn is a call's connected WebSocket; done closes when its handler
// has finished (pipeline drained, StreamClosed emitted).
type liveConn struct {
	done chan struct{}

	mu       sync.Mutex
	conn     *websocket.Conn // nil until the upgrade completes
	replaced bool
}

// replace closes the stream because a newer one for the same call arrived.
// The newer one can arrive before this one's upgrade has finished (the
// 101 reaches FreeSWITCH before the handler records the connection), so
// the request is remembered and attach closes the connection then.
func (l *liveConn) replace() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.replaced = true
	if l.conn != nil {
		_ = l.conn.Close()
	}
}

// attach records the upgraded connection, closing it at once when a newer
// stream already replaced this one.
func (l *liveConn) attach(conn *websocket.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conn = conn
	if l.replaced {
		_ = conn.Close()
	}
}

// Registry holds the calls waihu expects streams for.
type Registry struct {
	mu    sync.Mutex
	calls map[string]*Call
	// Default options for Expect.
	Default Options
}

// NewRegistry returns an empty registry with defaults for new calls.
func NewRegistry(def Options) *Registry {
	return &Registry{calls: map[string]*Call{}, Default: def}
}

// ErrBadToken: the stream's token does not match the expected call.
var ErrBadToken = errors.New("stream token does not match")

// Expect pre-registers a call before uuid_audio_stream start. The token
// must be unguessable (call control makes one per call); opts override
// the registry defaults when given.
func (r *Registry) Expect(uuid, token string, opts ...Options) (*Call, error) {
	if uuid == "" || len(uuid) > 64 || strings.ContainsAny(uuid, "/?# ") {
		return nil, fmt.Errorf("expect stream: bad call uuid %q", uuid)
	}
	if len(token) < 6 {
		return nil, errors.New("expect stream: token must be at least 6 characters")
	}
	o := r.Default
	if len(opts) > 0 {
		o = opts[0]
		if o.Recognizer == nil {
			o.Recognizer = r.Default.Recognizer
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.calls[uuid]; ok {
		if c.token != token {
			return nil, fmt.Errorf("expect stream %s: already expected with another token", uuid)
		}
		return c, nil
	}
	c := &Call{UUID: uuid, token: token, opts: o, events: make(chan Event, 256), gone: make(chan struct{})}
	r.calls[uuid] = c
	return c, nil
}

// Call returns an expected call.
func (r *Registry) Call(uuid string) (*Call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.calls[uuid]
	return c, ok
}

// Forget drops a call (at hangup) and closes its event channel.
func (r *Registry) Forget(uuid string) {
	r.mu.Lock()
	c, ok := r.calls[uuid]
	delete(r.calls, uuid)
	r.mu.Unlock()
	if ok {
		c.forget.Do(func() {
			close(c.gone)
			c.sendMu.Lock()
			close(c.events)
			c.sendMu.Unlock()
		})
	}
}

func (r *Registry) authorize(uuid, token string) (*Call, error) {
	r.mu.Lock()
	c, ok := r.calls[uuid]
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("stream for %s: call not expected", uuid)
	}
	if subtle.ConstantTimeCompare([]byte(c.token), []byte(token)) != 1 {
		return nil, fmt.Errorf("stream for %s: %w", uuid, ErrBadToken)
	}
	return c, nil
}

// URL is the WebSocket address for uuid_audio_stream: base is the server's
// public ws:// or wss:// mount (e.g. ws://10.0.0.5:8085/fs/stream).
func URL(base, uuid, token string) string {
	return strings.TrimRight(base, "/") + "/" + url.PathEscape(uuid) + "?token=" + url.QueryEscape(token)
}

// StartArgs is the argument string of `api uuid_audio_stream` to start a
// mono stream (the callee only) at rate (8000/16000) with JSON metadata.
func StartArgs(base, uuid, token string, rate int, meta map[string]string) string {
	r := "8k"
	if rate == 16000 {
		r = "16k"
	}
	m, _ := json.Marshal(meta)
	return fmt.Sprintf("%s start %s mono %s %s", uuid, URL(base, uuid, token), r, m)
}

// ExtraHeaders is the STREAM_EXTRA_HEADERS channel variable value carrying the
// token as a bearer header instead of in the URL (kept out of ESL logs).
func ExtraHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	return string(b)
}

// pipeline runs VAD, barge-in and recognition for one WebSocket.
type pipeline struct {
	c       *Call
	ep      *vad.Endpointer
	rate    int
	preroll []byte // last PreRollMs of audio
	preMax  int
	posMs   int
	now     atomic.Int64 // posMs for the recognizer goroutines
	utt     *utterance
	ctx     context.Context
	wg      sync.WaitGroup
}

type utterance struct {
	frames  chan []byte
	startMs int // stream ms of the first audio sent to the recognizer
}

func newPipeline(ctx context.Context, c *Call, rate int) *pipeline {
	cfg := c.opts.VAD
	cfg.SampleRate = rate
	pre := c.opts.PreRollMs
	if pre <= 0 {
		pre = 300
	}
	return &pipeline{c: c, ep: vad.NewEndpointer(cfg), rate: rate, preMax: rate * pre / 1000 * 2, ctx: ctx}
}

func (p *pipeline) frame(pcm []byte) {
	p.posMs += len(pcm) / 2 * 1000 / p.rate
	p.now.Store(int64(p.posMs))
	p.preroll = append(p.preroll, pcm...)
	if over := len(p.preroll) - p.preMax; over > 0 {
		p.preroll = append(p.preroll[:0], p.preroll[over:]...)
	}
	evs := p.ep.Push(pcm)
	if p.utt != nil {
		p.send(pcm)
	}
	for _, ev := range evs {
		switch ev.Kind {
		case vad.SpeechStart:
			p.c.emit(Event{Kind: SpeechStarted, AtMs: ev.StartMs, SpeechMs: ev.SpeechMs}, false)
			p.startUtterance(ev)
		case vad.SpeechEnd, vad.MaxLength:
			reason := ev.Kind.String()
			p.c.emit(Event{Kind: SpeechEnded, AtMs: ev.AtMs, SpeechMs: ev.SpeechMs, Reason: reason,
				Result: speech.Result{StartMs: ev.StartMs, EndMs: ev.EndMs}}, false)
			p.endUtterance()
		}
	}
	p.bargeIn()
}

func (p *pipeline) bargeIn() {
	c := p.c
	c.mu.Lock()
	if !c.promptOn || c.broke {
		c.mu.Unlock()
		return
	}
	if c.promptAt < 0 {
		c.promptAt = p.posMs
	}
	in := speech.BargeInInput{PlayedMs: p.posMs - c.promptAt, SpeechMs: p.ep.SpeechMs(), Text: c.partial}
	pol := c.policy
	c.mu.Unlock()
	if in.SpeechMs == 0 {
		return
	}
	d := speech.DecideBargeIn(pol, in)
	if d.Break {
		c.mu.Lock()
		c.broke = true
		c.mu.Unlock()
		c.emit(Event{Kind: BargeIn, AtMs: p.posMs, SpeechMs: in.SpeechMs, Reason: d.Reason, PlayedMs: in.PlayedMs}, true)
	}
}

func (p *pipeline) startUtterance(ev vad.Event) {
	c := p.c
	c.mu.Lock()
	rec, ro := c.opts.Recognizer, c.opts.Recognize
	c.partial = ""
	c.mu.Unlock()
	if rec == nil {
		return
	}
	ro.SampleRate = p.rate
	ro.CallUUID = c.UUID
	// The speech began before the endpointer was sure: hand the recognizer
	// the pre-roll (which already holds the current frame).
	pre := append([]byte(nil), p.preroll...)
	u := &utterance{frames: make(chan []byte, 1024), startMs: p.posMs - len(pre)/2*1000/p.rate}
	u.startMs = max(u.startMs, 0)
	p.utt = u
	u.frames <- pre
	p.wg.Add(1)
	go p.recognize(rec, ro, u)
}

func (p *pipeline) send(pcm []byte) {
	select {
	case p.utt.frames <- append([]byte(nil), pcm...):
	default: // recognizer 20 s behind: drop rather than stall FreeSWITCH's socket
	}
}

func (p *pipeline) endUtterance() {
	if p.utt != nil {
		close(p.utt.frames)
		p.utt = nil
	}
}

// recognize runs one utterance on its own goroutine so a slow engine never
// blocks the socket reader.
func (p *pipeline) recognize(rec speech.StreamingRecognizer, ro speech.RecognizeOptions, u *utterance) {
	defer p.wg.Done()
	fail := func(err error) {
		for range u.frames { // drain so the reader never blocks
		}
		p.c.emit(Event{Kind: Final, AtMs: int(p.now.Load()), Err: err, Reason: "engine_error",
			Result: speech.Result{Final: true, Engine: rec.Info().Name}}, true)
	}
	st, err := rec.Start(p.ctx, ro)
	if err != nil {
		fail(err)
		return
	}
	defer st.Close()
	go func() {
		for r := range st.Partials() {
			p.c.mu.Lock()
			p.c.partial = r.Text
			p.c.mu.Unlock()
			r.StartMs += u.startMs
			r.EndMs += u.startMs
			p.c.emit(Event{Kind: Partial, AtMs: r.EndMs, Result: r}, false)
		}
	}()
	var werr error
	for f := range u.frames {
		if werr == nil {
			werr = st.Write(f)
			p.c.recognizedMs.Add(int64(len(f) / 2 * 1000 / p.rate))
		}
	}
	if werr != nil {
		fail(werr)
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	res, err := st.Finish(ctx)
	if err != nil {
		p.c.emit(Event{Kind: Final, AtMs: int(p.now.Load()), Err: err, Reason: "engine_error",
			Result: speech.Result{Final: true, Engine: rec.Info().Name}}, true)
		return
	}
	res.StartMs += u.startMs
	res.EndMs += u.startMs
	for i := range res.Words {
		res.Words[i].StartMs += u.startMs
		res.Words[i].EndMs += u.startMs
	}
	res.Final = true
	p.c.emit(Event{Kind: Final, AtMs: res.EndMs, Result: res}, true)
}

func (p *pipeline) close() {
	p.endUtterance()
	p.wg.Wait()
}

// ErrNoAnswer: WaitFinal timed out without speech (the callee said nothing).
var ErrNoAnswer = errors.New("no answer within the listen timeout")

// WaitFinal is the simple way to run a listen turn: it returns the next
// Final event (text may be empty: no-match; Err set: the engine failed, take
// the no-match path). Speech that started before the timeout extends the
// wait until its Final; silence for timeout returns ErrNoAnswer; a closed
// stream returns the StreamClosed event with an error. Other events are
// passed to seen (may be nil) so barge-in and timeline code still get them.
func (c *Call) WaitFinal(ctx context.Context, timeout time.Duration, seen func(Event)) (Event, error) {
	deadline := time.Now().Add(timeout)
	t := time.NewTimer(timeout)
	defer t.Stop()
	speaking := false
	lastSpeechMs := 0
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				return Event{}, errors.New("call forgotten")
			}
			switch ev.Kind {
			case Final:
				if ev.Err == nil && ev.Result.Text == "" && lastSpeechMs > 0 && lastSpeechMs < NoiseMs {
					// A cough or a click: not an answer. Keep listening for
					// what is left of the timeout.
					speaking, lastSpeechMs = false, 0
					if seen != nil {
						seen(ev)
					}
					if !time.Now().Before(deadline) {
						return Event{}, ErrNoAnswer
					}
					t.Reset(time.Until(deadline))
					continue
				}
				return ev, nil
			case StreamClosed:
				return ev, fmt.Errorf("audio stream closed: %s", ev.Reason)
			case SpeechStarted:
				speaking = true
			case SpeechEnded:
				lastSpeechMs = max(ev.SpeechMs, 1)
			}
			if seen != nil {
				seen(ev)
			}
		case <-t.C:
			if !speaking {
				return Event{}, ErrNoAnswer
			}
			// Someone is talking: give the utterance its max length.
			t.Reset(c.maxUtterance())
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// NoiseMs: an utterance with less voiced time than this that the recognizer
// could not match is treated as noise by WaitFinal, not as a no-match answer.
const NoiseMs = 400

func (c *Call) maxUtterance() time.Duration {
	ms := c.opts.VAD.MaxUtteranceMs
	if ms <= 0 {
		ms = 15000
	}
	return time.Duration(ms+2000) * time.Millisecond
}
