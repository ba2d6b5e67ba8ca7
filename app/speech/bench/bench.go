// Package bench measures turns through the real audio path for
// `waihu bench turn`: a simulated mod_audio_stream client streams the
// callee's answer (flite speech, 8 kHz, 20 ms frames) into the stream
// server; VAD endpointing, pocketsphinx recognition, a reply choice and the
// TTS cache run as in a call. Each turn is split into endpointing,
// recognition, decision, synthesis-or-cache and command.
package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines/flite"
	"github.com/waihu/waihu/app/speech/engines/sphinx"
	"github.com/waihu/waihu/app/speech/stream"
	"github.com/waihu/waihu/app/speech/ttscache"
	"github.com/waihu/waihu/app/speech/vad"
)

// Options for a run; zero values take the defaults.
type Options struct {
	Turns     int  // default 20
	SilenceMs int  // endpointing silence, default 700
	Uncached  bool // synthesize replies during the turn instead of from the prewarmed cache
	// NoPace sends audio as fast as possible instead of in real time. Faster,
	// but recognition then includes catching up with the whole utterance.
	NoPace bool
	// Replies maps each answer the callee gives to the robot's next line.
	Replies map[string]string
}

// DefaultReplies is a small English script.
var DefaultReplies = map[string]string{
	"Yes, I am interested.": "Great, let me tell you about the plan.",
	"Call me later":         "Sure, when would be a good time?",
	"Not interested":        "No problem, thank you for your time.",
	"Who is this?":          "This is the customer service line of your bank.",
}

// Stage holds percentiles of one part of the turn, in ms.
type Stage struct {
	Name string  `json:"name"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	Max  float64 `json:"max_ms"`
}

// Report is the result of a run.
type Report struct {
	Turns     int                 `json:"turns"`
	Correct   int                 `json:"correct"`  // recognized as the phrase spoken
	Degraded  int                 `json:"degraded"` // engine errors (no-match path)
	Paced     bool                `json:"paced"`
	Cached    bool                `json:"cached"`
	SilenceMs int                 `json:"silence_ms"`
	Stages    []Stage             `json:"stages"`
	Records   []speech.TurnRecord `json:"-"`
}

// Stage returns the named stage.
func (r Report) Stage(name string) Stage {
	for _, s := range r.Stages {
		if s.Name == name {
			return s
		}
	}
	return Stage{}
}

func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "turns %d (recognized right %d, degraded %d), paced=%v cached=%v endpoint silence %d ms\n",
		r.Turns, r.Correct, r.Degraded, r.Paced, r.Cached, r.SilenceMs)
	fmt.Fprintf(&b, "%-12s %8s %8s %8s\n", "stage", "p50 ms", "p95 ms", "max ms")
	for _, s := range r.Stages {
		fmt.Fprintf(&b, "%-12s %8.1f %8.1f %8.1f\n", s.Name, s.P50, s.P95, s.Max)
	}
	return b.String()
}

// Turn runs opts.Turns turns on one simulated call and reports the split.
func Turn(ctx context.Context, opts Options) (Report, error) {
	if opts.Turns <= 0 {
		opts.Turns = 20
	}
	if opts.SilenceMs <= 0 {
		opts.SilenceMs = 700
	}
	if len(opts.Replies) == 0 {
		opts.Replies = DefaultReplies
	}
	phrases := make([]string, 0, len(opts.Replies))
	for p := range opts.Replies {
		phrases = append(phrases, p)
	}
	slices.Sort(phrases)

	tts, err := flite.New("")
	if err != nil {
		return Report{}, err
	}
	asr, err := sphinx.New(sphinx.Config{})
	if err != nil {
		return Report{}, err
	}
	defer asr.Close()
	if err := asr.Prewarm(phrases); err != nil {
		return Report{}, err
	}
	dir, err := os.MkdirTemp("", "waihu-bench-")
	if err != nil {
		return Report{}, err
	}
	defer os.RemoveAll(dir)
	cache, err := ttscache.New(dir, func(string) (speech.Synthesizer, error) { return tts, nil })
	if err != nil {
		return Report{}, err
	}
	replies := make([]string, 0, len(phrases))
	for _, p := range phrases {
		replies = append(replies, opts.Replies[p])
	}
	if !opts.Uncached {
		if _, err := cache.Prewarm(ctx, ttscache.Key{Engine: "flite", Voice: "rms"}, replies); err != nil {
			return Report{}, err
		}
	}

	// The callee's answers, synthesized once, padded like a phone line.
	audio := map[string][]byte{}
	rng := rand.New(rand.NewPCG(7, 9))
	for _, p := range phrases {
		a, err := tts.Synthesize(ctx, speech.SynthRequest{Text: p, Voice: "awb", SampleRate: 8000})
		if err != nil {
			return Report{}, err
		}
		pcm := append(speech.Silence(8000, 300), a.PCM...)
		pcm = append(pcm, speech.Silence(8000, opts.SilenceMs+400)...)
		s := speech.Samples(pcm)
		for i := range s {
			s[i] += int16(rng.IntN(9) - 4) // line noise, never digital silence
		}
		audio[p] = speech.PCMBytes(s)
	}

	reg := stream.NewRegistry(stream.Options{Recognizer: asr, Recognize: speech.RecognizeOptions{Language: "en-US", Phrases: phrases},
		VAD: vad.Config{SilenceMs: opts.SilenceMs}})
	srv := httptest.NewServer(stream.NewServer(reg))
	defer srv.Close()
	const uuid, token = "bench-call-0001", "bench-token-0123456789"
	call, err := reg.Expect(uuid, token)
	if err != nil {
		return Report{}, err
	}
	defer reg.Forget(uuid)
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, stream.URL("ws"+strings.TrimPrefix(srv.URL, "http")+"/fs/stream", uuid, token), nil)
	if err != nil {
		return Report{}, fmt.Errorf("bench dial: %w", err)
	}
	defer ws.Close()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"callId":"`+uuid+`"}`)); err != nil {
		return Report{}, err
	}

	rep := Report{Turns: opts.Turns, Paced: !opts.NoPace, Cached: !opts.Uncached, SilenceMs: opts.SilenceMs}
	for i := range opts.Turns {
		said := phrases[i%len(phrases)]
		rec, err := oneTurn(ctx, ws, call, cache, audio[said], opts, i)
		if err != nil {
			return rep, fmt.Errorf("turn %d: %w", i+1, err)
		}
		if rec.Text == said {
			rep.Correct++
		}
		if rec.Reason != "" {
			rep.Degraded++
		}
		rep.Records = append(rep.Records, rec)
	}
	rep.Stages = stages(rep.Records)
	return rep, nil
}

func oneTurn(ctx context.Context, ws *websocket.Conn, call *stream.Call, cache *ttscache.Cache, pcm []byte, opts Options, n int) (speech.TurnRecord, error) {
	rec := speech.TurnRecord{Turn: n + 1, ASREngine: "pocketsphinx", TTSEngine: "flite", CallUUID: call.UUID}
	// Send like FreeSWITCH (one frame per 20 ms) while reading events, so
	// each stage is timed when it happens, not when sending is done.
	sent := make(chan error, 1)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for p := 0; p < len(pcm); p += 320 {
			if !opts.NoPace {
				<-tick.C
			}
			if err := ws.WriteMessage(websocket.BinaryMessage, pcm[p:min(p+320, len(pcm))]); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	defer func() { <-sent }() // the next turn starts after this one's audio
	var clock speech.TurnClock
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-call.Events():
			switch ev.Kind {
			case stream.SpeechEnded:
				// Stream time: the silence the endpointer waited for.
				rec.EndpointMs = float64(ev.AtMs - ev.Result.EndMs)
				clock.Endpointed = ev.Wall
			case stream.Final:
				clock.Recognized = ev.Wall
				rec.Text, rec.Confidence = ev.Result.Text, ev.Result.Confidence
				if ev.Err != nil {
					rec.Reason = speech.ReasonFor(ev.Err)
				}
				// Decision: the dialogue maps the answer to the next line
				// (here a map lookup; the dialog package benchmarks its own).
				reply, ok := opts.Replies[rec.Text]
				if !ok {
					reply = "Sorry, could you say that again?"
				}
				clock.Decided = time.Now()
				if opts.Uncached {
					// A line with variables: unique text, synthesized now.
					reply = fmt.Sprintf("%s Your reference is %d.", reply, n+1000)
				}
				e, err := cache.Get(ctx, ttscache.Key{Engine: "flite", Voice: "rms", Text: reply})
				if err != nil {
					return rec, err
				}
				rec.CacheHit = e.Cached
				clock.AudioReady = time.Now()
				// Command: the playback API string call control sends over ESL
				// (the ESL round trip itself belongs to callctl's benchmark).
				_ = fmt.Sprintf("uuid_broadcast %s http_cache://%s aleg", call.UUID, ttscache.URL("http://waihu/fs/prompts", e.Hash))
				clock.CommandSent = time.Now()
				endpoint := rec.EndpointMs
				clock.Fill(&rec)
				rec.EndpointMs = endpoint
				return rec, nil
			case stream.StreamClosed:
				return rec, errors.New("stream closed mid-turn")
			}
		case <-timeout:
			return rec, errors.New("no final result within 30 s")
		case <-ctx.Done():
			return rec, ctx.Err()
		}
	}
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func stages(rs []speech.TurnRecord) []Stage {
	pick := []struct {
		name string
		f    func(speech.TurnRecord) float64
	}{
		{"endpointing", func(r speech.TurnRecord) float64 { return r.EndpointMs }},
		{"recognition", func(r speech.TurnRecord) float64 { return r.RecognitionMs }},
		{"decision", func(r speech.TurnRecord) float64 { return r.DecisionMs }},
		{"synthesis", func(r speech.TurnRecord) float64 { return r.SynthesisMs }},
		{"command", func(r speech.TurnRecord) float64 { return r.CommandMs }},
		{"robot", speech.TurnRecord.RobotMs},
		{"total", speech.TurnRecord.TotalMs},
	}
	out := make([]Stage, 0, len(pick))
	for _, p := range pick {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = p.f(r)
		}
		out = append(out, Stage{Name: p.name, P50: pct(v, 0.5), P95: pct(v, 0.95), Max: pct(v, 1)})
	}
	return out
}
