package callctl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/store"
)

// Usage is what one call consumed of the pass-through engines, the figures
// billing prices as the recognizer, synthesizer and LLM line items:
//   - ASRSec: seconds of the callee's audio the streaming recognizer was
//     given (speech segments only; calls without a recognizer report 0);
//   - TTSChars: characters of synthesized speech played to the callee. The
//     rule is "what was played": every line played from text counts, whether
//     the synthesizer ran for it during this call or the line came from the
//     TTS cache (a fixed line prepared when the script was published, or
//     one another call synthesized first). So the same conversation costs
//     the same whatever the state of the cache, and the figure can be
//     checked against the call's timeline. Lines played from an uploaded
//     recording (audio_url) are not synthesized and do not count;
//   - LLMTokens: prompt plus completion tokens the chat model reported
//     (OpenAI-compatible usage) for the call's fallback classifications and
//     LLM-node turns.
type Usage struct {
	ASRSec    int
	TTSChars  int
	LLMTokens int
}

// IsZero reports a call that used no pass-through engine.
func (u Usage) IsZero() bool { return u == Usage{} }

// UsageHook stores a call's usage. It runs in the transaction that
// finishes the attempt, before the finish hooks, so billing rates the call
// with it when the call is settled there, and charges it separately when
// the CDR settled the call first.
type UsageHook func(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, u Usage) error

// OnUsage registers a usage hook (at wiring time).
func (s *Service) OnUsage(h UsageHook) { s.usageHooks = append(s.usageHooks, h) }

func (s *Service) recordUsage(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, u Usage) error {
	if u.IsZero() {
		return nil
	}
	for _, h := range s.usageHooks {
		if err := h(ctx, tx, a, u); err != nil {
			return fmt.Errorf("record usage of %s: %w", a.UUID, err)
		}
	}
	return nil
}

// usageMeter counts what a session plays; the recognizer and the model
// keep their own counts (the audio stream, the dialogue's LLM turns).
type usageMeter struct {
	mu       sync.Mutex
	ttsChars int
	asrMs    int // audio recognizers were given: recorded answers, finished streams
}

// recognized counts audio given to a recognizer.
func (m *usageMeter) recognized(ms int) {
	m.mu.Lock()
	m.asrMs += ms
	m.mu.Unlock()
}

// played counts a line sent to playback under the rule above.
func (m *usageMeter) played(text, audioURL string) {
	if audioURL != "" {
		return
	}
	n := utf8.RuneCountInString(strings.Join(strings.Fields(text), ""))
	m.mu.Lock()
	m.ttsChars += n
	m.mu.Unlock()
}

// usage totals the session's consumption when its dialogue is over.
func (ss *session) usage() Usage {
	ss.meter.mu.Lock()
	u := Usage{TTSChars: ss.meter.ttsChars}
	asrMs := ss.meter.asrMs
	ss.meter.mu.Unlock()
	if ss.audio != nil {
		asrMs += ss.audio.RecognizedMs()
	}
	u.ASRSec = (asrMs + 999) / 1000
	if ss.call != nil {
		for _, t := range ss.call.Result().LLM {
			u.LLMTokens += t.Usage.PromptTokens + t.Usage.CompletionTokens
		}
	}
	return u
}

// dialogOptions are the options of a call's dialogue: its context, and the
// deployment's model for LLM fallback and LLM nodes when one is configured.
func (ss *session) dialogOptions(ctx context.Context) []dialog.Option {
	opts := []dialog.Option{dialog.WithContext(ctx)}
	if f := ss.e.o.DialogOptions; f != nil {
		opts = append(opts, f(&ss.lc.attempt)...)
	}
	return opts
}
