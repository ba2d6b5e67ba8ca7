package speech

import (
	"context"
	"sync"
	"time"
)

// TurnLog keeps, per call, which recognizer served each turn and how long
// it took after the endpoint, so the call's timeline can show engine and
// latency per turn (the console's transcript). Wrap the recognizer a call
// uses; call control takes the records when the call ends.
type TurnLog struct {
	mu    sync.Mutex
	calls map[string][]TurnRecord
	// TTSEngine names the synthesizer that speaks a language's prompts
	// (recorded beside the recognizer); nil leaves it empty.
	TTSEngine func(language string) string
}

// maxTurnsPerCall bounds memory for a call that never ends cleanly.
const maxTurnsPerCall = 500

// NewTurnLog returns an empty log.
func NewTurnLog() *TurnLog { return &TurnLog{calls: map[string][]TurnRecord{}} }

// Wrap returns rec recording each finished turn under its CallUUID.
// A nil recognizer stays nil (simulated calls take the side channel).
func (l *TurnLog) Wrap(rec StreamingRecognizer) StreamingRecognizer {
	if rec == nil {
		return nil
	}
	return loggedRecognizer{rec, l}
}

// Take returns and forgets a call's records, in turn order.
func (l *TurnLog) Take(callUUID string) []TurnRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.calls[callUUID]
	delete(l.calls, callUUID)
	return r
}

func (l *TurnLog) add(r TurnRecord) {
	if r.CallUUID == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	turns := l.calls[r.CallUUID]
	if len(turns) >= maxTurnsPerCall {
		return
	}
	r.Turn = len(turns) + 1
	l.calls[r.CallUUID] = append(turns, r)
}

type loggedRecognizer struct {
	StreamingRecognizer
	log *TurnLog
}

func (r loggedRecognizer) Start(ctx context.Context, opts RecognizeOptions) (RecognitionStream, error) {
	st, err := r.StreamingRecognizer.Start(ctx, opts)
	if err != nil {
		// An engine that cannot start a turn is still a turn it failed.
		r.log.add(r.record(opts, Result{}, 0, err))
		return nil, err
	}
	return &loggedStream{RecognitionStream: st, r: r, opts: opts}, nil
}

func (r loggedRecognizer) record(opts RecognizeOptions, res Result, took time.Duration, err error) TurnRecord {
	info := r.Info()
	rec := TurnRecord{CallUUID: opts.CallUUID, ASREngine: info.Name, Simulated: info.Simulated, Text: res.Text,
		Confidence: res.Confidence, RecognitionMs: float64(took.Microseconds()) / 1000, Reason: ReasonFor(err)}
	if r.log.TTSEngine != nil {
		rec.TTSEngine = r.log.TTSEngine(opts.Language)
	}
	return rec
}

type loggedStream struct {
	RecognitionStream
	r        loggedRecognizer
	opts     RecognizeOptions
	finished bool
}

// Finish is where the endpointer hands over: its duration is the
// recognition part of the turn.
func (s *loggedStream) Finish(ctx context.Context) (Result, error) {
	start := time.Now()
	res, err := s.RecognitionStream.Finish(ctx)
	if !s.finished {
		s.finished = true
		s.r.log.add(s.r.record(s.opts, res, time.Since(start), err))
	}
	return res, err
}
