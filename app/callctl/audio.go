package callctl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/stream"
	"github.com/waihu/waihu/esl"
)

// Timeline reason codes of the audio path (dialog.Entry.Event, who=system).
const (
	ReasonStreamConnected    = "stream_connected"
	ReasonStreamError        = "stream_error"        // mod_audio_stream::error (Text: code and error)
	ReasonStreamDisconnected = "stream_disconnected" // mod_audio_stream::disconnect (server closed)
	ReasonStreamStartFailed  = "stream_start_failed" // the api itself refused (-ERR)
	ReasonStreamRestarted    = "stream_restarted"
	ReasonUtteranceFallback  = "utterance_fallback" // the stream failed twice: record each answer
	ReasonPlaybackBroken     = "playback_broken"    // barge-in: PlayedMs is what the callee heard
	ReasonIgnoredSpeech      = "speech_over_line"   // speech over a line that was not interrupted
)

// streamRestarts is how many times a failed stream is started again
// before the call falls back to utterance mode (the speech issue: once).
const streamRestarts = 1

// audioState is the call's listening path: a mod_audio_stream stream
// (ss.audio) while it works, utterance mode (record + file recognizer)
// after it failed or when streaming is not configured.
type audioState struct {
	url      string // the stream URL with its per-call token
	restarts int
	// attached: mod_audio_stream's media bug stays on the channel after a
	// server-initiated close, so a restart must `stop` it first.
	attached bool
	// fallback: the stream failed for good; utterance mode for the rest.
	fallback bool
	// speaking: the stream heard speech start during a line and has not
	// given its final result yet; skipFinal: that result belongs to a line
	// the callee could not interrupt, so it is not the next answer.
	speaking  bool
	skipFinal bool
	turn      int // utterance recordings made
	// connected: the current stream reached the server (::connect);
	// lost counts failures of connected streams and closes the
	// StreamClosed events seen, so a close already dealt with is not
	// taken for a new failure.
	connected bool
	lost      int
	closes    int
	expect    []string // phrases of the next listen
	fileRec   speech.FileRecognizer
	fileSet   bool
}

// note records a call-control fact in the dialogue's timeline.
func (ss *session) note(e dialog.Entry) {
	if ss.call != nil {
		ss.call.Note(e)
	}
}

// startAudio asks FreeSWITCH to stream the callee's audio to waihu
// (uuid_audio_stream, mod_audio_stream) when streaming recognition is
// configured; the stream is authenticated by a per-call token. The api's
// +OK only means the attempt began: the module's ::connect / ::error /
// ::disconnect events (moduleEvent) say what happened.
func (ss *session) startAudio(ctx context.Context) {
	o := ss.e.o
	if o.Streams == nil || o.StreamURL == "" || o.Recognizer == nil {
		return
	}
	rec := o.Recognizer(&ss.lc.attempt, ss.lang)
	if rec == nil {
		return
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	token := hex.EncodeToString(tok)
	call, err := o.Streams.Expect(ss.uuid, token, stream.Options{Recognizer: rec, Recognize: speech.RecognizeOptions{SampleRate: 8000, Language: language(ss.lang), CallUUID: ss.uuid}})
	if err != nil {
		ss.e.log.Warn("expect audio stream", "attempt", ss.uuid, "err", err)
		return
	}
	ss.audio = call
	ss.ax.url = stream.URL(o.StreamURL, ss.uuid, token)
	if err := ss.s.Subscribe(ctx, esl.EvCustom, stream.SubclassConnect, stream.SubclassError, stream.SubclassDisconnect); err != nil {
		// Without the module's events a failed stream would go unnoticed.
		ss.e.log.Warn("subscribe to mod_audio_stream events", "attempt", ss.uuid, "err", err)
		ss.forgetAudio()
		return
	}
	if err := ss.sendStreamStart(ctx); err != nil {
		ss.streamFailed(ctx, ReasonStreamStartFailed, err.Error(), false)
	}
}

func (ss *session) sendStreamStart(ctx context.Context) error {
	cmd, err := esl.UUIDAudioStreamStart(ss.uuid, ss.ax.url, "mono", 8000, `{"attempt":"`+ss.uuid+`"}`)
	if err != nil {
		return err
	}
	reply, err := ss.s.API(ctx, cmd)
	if err == nil && !stream.ReplyOK(reply) {
		err = fmt.Errorf("uuid_audio_stream start: %s", strings.TrimSpace(reply))
	}
	return err
}

// forgetAudio ends the streaming path for this call.
func (ss *session) forgetAudio() {
	if ss.audio != nil {
		ss.meter.recognized(ss.audio.RecognizedMs()) // billed even after a fallback
		ss.e.o.Streams.Forget(ss.uuid)
		ss.audio = nil
	}
}

// moduleEvent handles mod_audio_stream's CUSTOM events; it reports whether
// ev was one.
func (ss *session) moduleEvent(ctx context.Context, ev *esl.Event) bool {
	if ev.Name() != esl.EvCustom || !strings.HasPrefix(ev.Subclass(), "mod_audio_stream::") {
		return false
	}
	if ss.audio == nil {
		return true // a late event of a stream already given up
	}
	me, err := stream.ParseModuleEvent(ev.Subclass(), ev.Body)
	if err != nil {
		ss.e.log.Warn("mod_audio_stream event", "attempt", ss.uuid, "err", err)
		return true
	}
	switch me.Kind {
	case "connect":
		ss.ax.connected = true
		ss.note(dialog.Entry{Event: ReasonStreamConnected})
	case "error":
		ss.streamFailed(ctx, ReasonStreamError, "code "+strconv.Itoa(me.Code)+": "+me.Error, false)
	case "disconnect":
		ss.streamFailed(ctx, ReasonStreamDisconnected, "code "+strconv.Itoa(me.Code)+": "+me.Error, me.Attached)
	}
	return true
}

// streamFailed restarts a failed stream once; a second failure puts the
// call in utterance mode for the rest of the call.
func (ss *session) streamFailed(ctx context.Context, reason, detail string, attached bool) {
	if ss.audio == nil {
		return
	}
	ss.e.log.Warn("audio stream failed", "attempt", ss.uuid, "reason", reason, "detail", detail)
	if ss.ax.connected {
		ss.ax.lost++
		ss.ax.connected = false
	}
	ss.note(dialog.Entry{Event: reason, Text: detail})
	ss.ax.speaking, ss.ax.skipFinal = false, false
	if attached {
		// A server close leaves the media bug on: start would answer -ERR.
		if cmd, err := esl.UUIDAudioStreamStop(ss.uuid); err == nil {
			_, _ = ss.s.API(ctx, cmd)
		}
	}
	if ss.ax.restarts < streamRestarts {
		ss.ax.restarts++
		err := ss.sendStreamStart(ctx)
		if err == nil {
			ss.note(dialog.Entry{Event: ReasonStreamRestarted, Text: "restart " + strconv.Itoa(ss.ax.restarts)})
			return
		}
		ss.note(dialog.Entry{Event: ReasonStreamStartFailed, Text: err.Error()})
	}
	ss.forgetAudio()
	ss.ax.fallback = true
	mode := "utterance mode"
	if ss.fileRecognizer() == nil {
		mode = "no file recognizer: turns take the no-match path"
	}
	ss.note(dialog.Entry{Event: ReasonUtteranceFallback, Text: mode})
}

// bargePolicy maps a line's dialogue policy to the stream's decision rule.
func bargePolicy(b dialog.BargeIn) speech.BargeInPolicy {
	switch b.Mode {
	case dialog.BargeInAfter:
		return speech.BargeInPolicy{Mode: speech.BargeInProtected, ProtectedMs: b.AfterMs}
	case dialog.BargeInIntents:
		return speech.BargeInPolicy{Mode: speech.BargeInIntents, Intents: b.Intents}
	}
	return speech.BargeInPolicy{Mode: speech.BargeInOff}
}

// promptAudio is what playLine does with the stream's events while a line
// plays: a BargeIn the dialogue allows becomes `uuid_break <uuid> all`;
// speech over a line that is not broken is reported to the dialogue (which
// logs it as heard during playback) and never becomes the next answer.
type promptAudio struct {
	ss *session
	// interruptible: the line's own policy allows barge-in (the dialogue
	// only knows the policy of the last line it queued).
	interruptible bool
	broken        bool
	// bargeMs is the stream's measure of what had played at the break,
	// used when FreeSWITCH does not report playback_ms.
	bargeMs int
}

// expectNext gives the stream's recognizer the phrases of the listen that
// follows the lines about to play: speech over a line (a barge-in) is
// the answer to that listen, and grammar engines need its phrases.
func (ss *session) expectNext(queue []dialog.Action) {
	for _, a := range queue {
		if l, ok := a.(dialog.Listen); ok {
			ss.ax.expect = l.Expect
			return
		}
	}
}

func (ss *session) watchPrompt(a *dialog.Say) *promptAudio {
	if ss.audio == nil || ss.call == nil || a == nil {
		return nil
	}
	ss.audio.SetRecognize(nil, speech.RecognizeOptions{SampleRate: 8000, Language: language(ss.lang), Phrases: ss.ax.expect, CallUUID: ss.uuid})
	pol := bargePolicy(a.BargeIn)
	ss.audio.Prompt(pol)
	return &promptAudio{ss: ss, interruptible: pol.Mode != speech.BargeInOff}
}

// events is the stream's event channel while the line plays; nil (never
// ready) once the line was broken, so the rest of the utterance (its final
// result) stays queued for the listen that follows.
func (pa *promptAudio) events() <-chan stream.Event {
	if pa == nil || pa.broken || pa.ss.audio == nil {
		return nil
	}
	return pa.ss.audio.Events()
}

// done closes the line's watch.
func (pa *promptAudio) done() {
	if pa == nil {
		return
	}
	if pa.ss.audio != nil {
		pa.ss.audio.PromptDone()
	}
	if !pa.broken && pa.ss.ax.speaking {
		// The callee is still talking over a line they could not
		// interrupt: that utterance is not the answer to what comes next.
		pa.ss.ax.skipFinal = true
	}
}

// handle acts on one stream event during the line; it returns actions for
// the dialogue queue.
func (pa *promptAudio) handle(ctx context.Context, ev stream.Event, playedMs func() int) []dialog.Action {
	ss := pa.ss
	switch ev.Kind {
	case stream.SpeechStarted:
		ss.ax.speaking = true
	case stream.StreamClosed:
		ss.ax.closes++
	case stream.BargeIn:
		ss.event()
		acts := ss.call.Handle(dialog.BargedIn{PlayedMs: ev.PlayedMs})
		pa.bargeMs = ev.PlayedMs
		return pa.stop(ctx, acts)
	case stream.Final:
		ss.ax.speaking = false
		if ev.Err != nil || strings.TrimSpace(ev.Result.Text) == "" {
			ss.ax.skipFinal = false
			return nil
		}
		if ss.ax.skipFinal || !pa.interruptible {
			// Said over a line the callee may not interrupt (the AI
			// disclosure): kept in the record, not taken as an answer.
			ss.ax.skipFinal = false
			ss.note(dialog.Entry{Who: "callee", Event: ReasonIgnoredSpeech, Text: ev.Result.Text})
			return nil
		}
		ss.event()
		acts := ss.call.Handle(dialog.Heard{Text: ev.Result.Text, Confidence: ev.Result.Confidence, Final: true, PlayedMs: playedMs()})
		return pa.stop(ctx, acts)
	}
	return nil
}

// stop carries out a StopPlayback among acts with `uuid_break <uuid> all`
// (queued sentences go too) and returns the other actions.
func (pa *promptAudio) stop(ctx context.Context, acts []dialog.Action) []dialog.Action {
	ss := pa.ss
	var next []dialog.Action
	for _, act := range acts {
		if _, ok := act.(dialog.StopPlayback); ok {
			if !pa.broken {
				pa.broken = true
				ss.acted()
				if cmd, err := esl.UUIDBreak(ss.uuid, true); err == nil {
					if _, err := ss.s.API(ctx, cmd); err != nil {
						ss.e.log.Warn("uuid_break", "attempt", ss.uuid, "err", err)
					}
				}
			}
			continue
		}
		next = append(next, act)
	}
	return next
}

// playedMs is how much of a broken line played: FreeSWITCH's playback_ms
// on the completed playback (switch_ivr_play_say.c sets it), else the
// stream's own measure at the break.
func (ss *session) playedMs(x *esl.Execution, fallback int) int {
	ce, err := x.Wait(context.Background())
	if err == nil && ce != nil {
		if v, err := strconv.Atoi(ce.Var("playback_ms")); err == nil && v >= 0 {
			return v
		}
	}
	return fallback
}

// listenStream waits for the recognizer's final result on the audio
// stream: an utterance, silence, or an engine failure (no-match path). A
// stream that fails meanwhile is restarted (the turn keeps listening) or
// the turn continues in utterance mode.
func (ss *session) listenStream(ctx context.Context, timeout time.Duration, expect []string) []dialog.Action {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	deadline := time.Now().Add(ss.wall(timeout))
	for ss.audio != nil && !ss.hungUp {
		acts, again := ss.waitStream(ctx, max(time.Until(deadline), 0), expect)
		if !again {
			return acts
		}
	}
	if ss.hungUp || ctx.Err() != nil {
		return nil
	}
	left := time.Duration(float64(max(time.Until(deadline), time.Second)) / ss.wallScale())
	if ss.utterance() {
		return ss.listenUtterance(ctx, left, expect)
	}
	return ss.call.Handle(dialog.EngineError{Err: "audio stream lost and no file recognizer for utterance mode"})
}

// wallScale is the factor wall() applies.
func (ss *session) wallScale() float64 {
	if !ss.lc.simulated {
		return 1
	}
	return ss.e.o.SimTimeScale
}

// closeGrace is how long a stream the server saw close may go without
// mod_audio_stream's own event before call control treats it as failed.
const closeGrace = 2 * time.Second

// waitStream is one wait for a final result; again says the stream was
// restarted or given up and the turn must go on listening.
func (ss *session) waitStream(ctx context.Context, d time.Duration, expect []string) ([]dialog.Action, bool) {
	ss.audio.SetRecognize(nil, speech.RecognizeOptions{SampleRate: 8000, Language: language(ss.lang), Phrases: expect, CallUUID: ss.uuid})
	type result struct {
		ev  stream.Event
		err error
	}
	done := make(chan result, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	call := ss.audio
	go func() {
		ev, err := call.WaitFinal(wctx, d, nil)
		done <- result{ev, err}
	}()
	var grace <-chan time.Time
	restarts := ss.ax.restarts
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case <-grace:
			ss.streamFailed(ctx, ReasonStreamError, "audio stream closed without a mod_audio_stream event", false)
			return nil, true
		case r := <-done:
			done = nil
			switch {
			case r.err != nil && r.ev.Kind == stream.StreamClosed:
				ss.ax.closes++
				if ss.ax.closes <= ss.ax.lost {
					return nil, true // a close already handled: listen on
				}
				// FreeSWITCH's ::error / ::disconnect says what happened.
				grace = time.After(closeGrace)
				continue
			case errors.Is(r.err, context.Canceled):
				return nil, false
			}
			ss.event()
			switch {
			case errors.Is(r.err, stream.ErrNoAnswer):
				return ss.call.Handle(dialog.Silence{}), false
			case r.err != nil:
				return ss.call.Handle(dialog.EngineError{Err: r.err.Error()}), false
			case r.ev.Err != nil:
				return ss.call.Handle(dialog.EngineError{Err: r.ev.Err.Error()}), false
			}
			ss.ax.speaking = false
			if ss.ax.skipFinal {
				ss.ax.skipFinal = false
				ss.note(dialog.Entry{Who: "callee", Event: ReasonIgnoredSpeech, Text: r.ev.Result.Text})
				return nil, true
			}
			return ss.call.Handle(dialog.Heard{Text: r.ev.Result.Text, Confidence: r.ev.Result.Confidence, Final: true}), false
		case <-ss.s.HungUp():
			return ss.hangup(), false
		case ev, ok := <-ss.s.Events():
			if !ok {
				return ss.hangup(), false
			}
			switch {
			case ev.Name() == esl.EvDTMF:
				ss.event()
				return ss.call.Handle(dialog.DTMF{Digits: ev.Get("DTMF-Digit")}), false
			case ss.moduleEvent(ctx, ev):
				if ss.audio == nil {
					return nil, true // utterance mode from here
				}
				if done == nil && ss.ax.restarts != restarts {
					return nil, true // restarted after a close: wait again
				}
			}
		}
	}
}
