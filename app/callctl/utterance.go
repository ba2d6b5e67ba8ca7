package callctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/esl"
)

// Utterance mode (stock FreeSWITCH, no extra module): after a prompt the
// session runs mod_dptools' `record <path> <time_limit_secs>
// <silence_thresh> <silence_hits>` into the recordings directory waihu
// shares with FreeSWITCH, waits for the application to complete, reads
// the WAV and recognizes it with the call's file recognizer. FreeSWITCH's
// silence detection (switch_ivr_play_say.c switch_ivr_record_file_event)
// counts silence_hits seconds of frames whose mean energy is under
// silence_thresh from the start of the recording, so a callee who has not
// begun to answer also ends it: an empty recording is recorded again until
// the node's listen timeout has passed. Barge-in is impossible here: the
// recording starts when the prompt has ended.
const (
	// recordLimitSec caps one answer (the time_limit_secs argument).
	recordLimitSec = 20
	// recordThresh is silence_thresh: the mean absolute sample of a 20 ms
	// frame under which it counts as silence (the value of the recorded
	// trace, outbound-session.jsonl).
	recordThresh = 200
	// recordSilenceSec is silence_hits, in seconds (FreeSWITCH multiplies
	// it by frames per second): the end-of-answer silence.
	recordSilenceSec = 1
	// voicedMinMs of frames over the threshold make a recording an answer
	// rather than silence or a click.
	voicedMinMs = 200
)

// fileRecognizer is the call's batch recognizer for utterance mode (nil:
// none configured, or no directory shared with FreeSWITCH).
func (ss *session) fileRecognizer() speech.FileRecognizer {
	o := ss.e.o
	if o.FileRecognizer == nil || ss.utteranceDir() == "" || ss.call == nil {
		return nil
	}
	if !ss.ax.fileSet {
		ss.ax.fileRec, ss.ax.fileSet = o.FileRecognizer(&ss.lc.attempt, ss.lang), true
	}
	return ss.ax.fileRec
}

// utterance reports whether this call listens in utterance mode: no
// working stream, and a file recognizer.
func (ss *session) utterance() bool {
	return ss.audio == nil && ss.fileRecognizer() != nil
}

func (ss *session) utteranceDir() string {
	if ss.e.o.UtteranceDir != "" {
		return ss.e.o.UtteranceDir
	}
	if ss.e.o.RecordDir != "" {
		return filepath.Join(ss.e.o.RecordDir, "utterances")
	}
	return ""
}

// listenUtterance records answers until one holds speech, a key is
// pressed, the callee hangs up or the listen timeout passes.
func (ss *session) listenUtterance(ctx context.Context, timeout time.Duration, expect []string) []dialog.Action {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	deadline := time.Now().Add(ss.wall(timeout))
	for {
		acts, silent := ss.recordAnswer(ctx, expect)
		if !silent {
			return acts
		}
		if !time.Now().Before(deadline) {
			ss.event()
			return ss.call.Handle(dialog.Silence{})
		}
	}
}

// recordAnswer runs one record application; silent says it held no
// speech (and nothing else happened).
func (ss *session) recordAnswer(ctx context.Context, expect []string) ([]dialog.Action, bool) {
	ss.ax.turn++
	dir := filepath.Join(ss.utteranceDir(), strconv.FormatUint(ss.lc.attempt.TenantID, 10), time.Now().UTC().Format("20060102"))
	if err := os.MkdirAll(dir, 0o775); err != nil {
		return ss.call.Handle(dialog.EngineError{Err: "utterance directory: " + err.Error()}), false
	}
	file := filepath.Join(dir, fmt.Sprintf("%s-%d.wav", ss.uuid, ss.ax.turn))
	if err := esl.ValidatePath("record path", file); err != nil {
		return ss.call.Handle(dialog.EngineError{Err: err.Error()}), false
	}
	defer os.Remove(file)
	ss.acted()
	x, err := ss.s.ExecuteAsync(ctx, "record", fmt.Sprintf("%s %d %d %d", file, recordLimitSec, recordThresh, recordSilenceSec))
	if err != nil {
		if errors.Is(err, esl.ErrHangup) {
			return ss.hangup(), false
		}
		return ss.call.Handle(dialog.EngineError{Err: "record: " + err.Error()}), false
	}
	digits := ""
wait:
	for {
		select {
		case <-ctx.Done():
			return nil, false
		case <-x.Done():
			break wait
		case <-ss.s.HungUp():
			return ss.hangup(), false
		case ev, ok := <-ss.s.Events():
			if !ok {
				return ss.hangup(), false
			}
			switch {
			case ev.Name() == esl.EvDTMF:
				// record ends only on playback_terminators (default "*",
				// mod_dptools on_dtmf); a key press answers the node, so
				// stop the recording and take the key.
				if digits == "" {
					if cmd, err := esl.UUIDBreak(ss.uuid, false); err == nil {
						_, _ = ss.s.API(ctx, cmd)
					}
				}
				digits += ev.Get("DTMF-Digit")
			case ss.moduleEvent(ctx, ev):
			}
		}
	}
	ss.event()
	if digits != "" {
		return ss.call.Handle(dialog.DTMF{Digits: digits}), false
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return ss.call.Handle(dialog.EngineError{Err: "read recording: " + err.Error()}), false
	}
	audio, err := speech.DecodeWAV(data)
	if err != nil {
		return ss.call.Handle(dialog.EngineError{Err: "recording: " + err.Error()}), false
	}
	if voicedMs(audio, recordThresh) < voicedMinMs {
		return nil, true
	}
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	rec := ss.fileRecognizer()
	ss.meter.recognized(audio.DurationMs())
	res, err := rec.Recognize(rctx, audio, speech.RecognizeOptions{Language: language(ss.lang), SampleRate: audio.SampleRate, Phrases: expect, CallUUID: ss.uuid})
	if err != nil {
		ss.e.log.Warn("recognize recording", "attempt", ss.uuid, "engine", rec.Info().Name, "err", err)
		return ss.call.Handle(dialog.EngineError{Err: "recognize: " + err.Error()}), false
	}
	return ss.call.Handle(dialog.Heard{Text: res.Text, Confidence: res.Confidence, Final: true}), false
}

// voicedMs is the length of the 20 ms frames whose mean absolute sample
// reaches thresh (FreeSWITCH's silence score).
func voicedMs(a speech.Audio, thresh int) int {
	rate := a.SampleRate
	if rate <= 0 {
		rate = 8000
	}
	ch := max(a.Channels, 1)
	s := speech.Samples(a.PCM)
	frame := rate / 50 * ch
	n := 0
	for i := 0; i+frame <= len(s); i += frame {
		sum := 0
		for _, v := range s[i : i+frame] {
			if v < 0 {
				sum -= int(v)
			} else {
				sum += int(v)
			}
		}
		if sum/frame >= thresh {
			n++
		}
	}
	return n * 20
}
