// Package sim is the simulation recognizer, used only with the switch
// simulator: the simulated callee sends the text it speaks beside its audio
// as an ESL CUSTOM event `waihu::sim_speech` (headers Unique-ID,
// Speech-Text, Speech-Start-Ms, Speech-End-Ms), and this engine hands that
// text out as the turn's final result. It lets the Mandarin demo run end to
// end without a Mandarin model. It is marked Simulated, so the registry
// never gives it to a call on a real trunk, and results carry Simulated so
// the console can label them.
package sim

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waihu/waihu/app/speech"
)

// Subclass is the Event-Subclass of the simulator's side-channel event.
const Subclass = "waihu::sim_speech"

// Utterance is one thing the simulated callee said.
type Utterance struct {
	Text    string
	StartMs int
	EndMs   int
}

// Recognizer pairs side-channel utterances with turns, first in first out
// per call.
type Recognizer struct {
	// Wait is how long Finish waits for the side channel when the turn's
	// audio ended before its event arrived. Default 2 s.
	Wait time.Duration

	mu      sync.Mutex
	pending map[string][]Utterance
	notify  map[string]chan struct{}
}

// New returns an empty recognizer.
func New() *Recognizer {
	return &Recognizer{Wait: 2 * time.Second, pending: map[string][]Utterance{}, notify: map[string]chan struct{}{}}
}

// Info marks the engine simulated.
func (r *Recognizer) Info() speech.EngineInfo {
	return speech.EngineInfo{Name: "simulation", Kind: speech.KindASR, Languages: []string{"zh-CN", "en-US"}, Simulated: true, Streaming: true}
}

// HandleEvent takes the headers of an ESL event. Events of another
// subclass are ignored (nil error) so call control can pass every CUSTOM
// event through. Values may arrive URL-encoded (ESL plain format).
func (r *Recognizer) HandleEvent(h map[string]string) error {
	get := func(k string) string {
		v := h[k]
		if strings.Contains(v, "%") {
			if d, err := url.PathUnescape(v); err == nil {
				v = d
			}
		}
		return v
	}
	if sc := get("Event-Subclass"); sc != "" && sc != Subclass {
		return nil
	}
	uuid := get("Unique-ID")
	if uuid == "" {
		return errors.New("sim_speech event: Unique-ID missing")
	}
	var u Utterance
	u.Text = strings.TrimSpace(get("Speech-Text"))
	var err error
	if s := get("Speech-Start-Ms"); s != "" {
		if u.StartMs, err = strconv.Atoi(s); err != nil {
			return fmt.Errorf("sim_speech event: Speech-Start-Ms %q: %w", s, err)
		}
	}
	if s := get("Speech-End-Ms"); s != "" {
		if u.EndMs, err = strconv.Atoi(s); err != nil {
			return fmt.Errorf("sim_speech event: Speech-End-Ms %q: %w", s, err)
		}
	}
	if u.EndMs < u.StartMs {
		return fmt.Errorf("sim_speech event: Speech-End-Ms %d before Speech-Start-Ms %d", u.EndMs, u.StartMs)
	}
	r.Deliver(uuid, u)
	return nil
}

// Deliver queues an utterance for a call.
func (r *Recognizer) Deliver(uuid string, u Utterance) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending[uuid] = append(r.pending[uuid], u)
	if ch, ok := r.notify[uuid]; ok {
		close(ch)
		delete(r.notify, uuid)
	}
}

// Forget drops a call's queue (hangup).
func (r *Recognizer) Forget(uuid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, uuid)
	if ch, ok := r.notify[uuid]; ok {
		close(ch)
		delete(r.notify, uuid)
	}
}

// Next returns the call's next utterance, waiting up to wait.
func (r *Recognizer) Next(ctx context.Context, uuid string, wait time.Duration) (Utterance, bool) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		r.mu.Lock()
		if q := r.pending[uuid]; len(q) > 0 {
			u := q[0]
			r.pending[uuid] = q[1:]
			r.mu.Unlock()
			return u, true
		}
		ch, ok := r.notify[uuid]
		if !ok {
			ch = make(chan struct{})
			r.notify[uuid] = ch
		}
		r.mu.Unlock()
		select {
		case <-ch:
		case <-t.C:
			return Utterance{}, false
		case <-ctx.Done():
			return Utterance{}, false
		}
	}
}

func (r *Recognizer) result(u Utterance, ok bool, t0 time.Time) speech.Result {
	res := speech.Result{Final: true, Engine: "simulation", Simulated: true, Latency: time.Since(t0)}
	if ok {
		res.Text, res.Confidence, res.StartMs, res.EndMs = u.Text, 1, u.StartMs, u.EndMs
	}
	return res
}

// Start begins a turn for opts.CallUUID; the audio is only counted.
func (r *Recognizer) Start(_ context.Context, opts speech.RecognizeOptions) (speech.RecognitionStream, error) {
	if opts.CallUUID == "" {
		return nil, errors.New("simulation recognizer: call uuid required")
	}
	p := make(chan speech.Result)
	close(p)
	return &stream{r: r, uuid: opts.CallUUID, partials: p}, nil
}

// Recognize serves utterance mode the same way.
func (r *Recognizer) Recognize(ctx context.Context, _ speech.Audio, opts speech.RecognizeOptions) (speech.Result, error) {
	if opts.CallUUID == "" {
		return speech.Result{}, errors.New("simulation recognizer: call uuid required")
	}
	t0 := time.Now()
	u, ok := r.Next(ctx, opts.CallUUID, r.Wait)
	return r.result(u, ok, t0), nil
}

type stream struct {
	r        *Recognizer
	uuid     string
	partials chan speech.Result
	done     bool
}

func (s *stream) Write([]byte) error             { return nil }
func (s *stream) Partials() <-chan speech.Result { return s.partials }
func (s *stream) Close() error                   { return nil }

func (s *stream) Finish(ctx context.Context) (speech.Result, error) {
	if s.done {
		return speech.Result{}, errors.New("simulation recognizer: finish called twice")
	}
	s.done = true
	t0 := time.Now()
	u, ok := s.r.Next(ctx, s.uuid, s.r.Wait)
	return s.r.result(u, ok, t0), nil
}
