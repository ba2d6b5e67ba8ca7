package speech

import (
	"slices"
	"strings"
	"unicode"
)

// Barge-in modes a script node can choose.
const (
	BargeInOff       = "off"       // the prompt always plays to the end (disclosures)
	BargeInOn        = "on"        // any real speech stops the prompt
	BargeInProtected = "protected" // on, after a protected opening of ProtectedMs
	BargeInIntents   = "intents"   // only when the speech is one of Intents
)

// BargeInPolicy is one node's rule.
type BargeInPolicy struct {
	Mode        string   `json:"mode"`
	ProtectedMs int      `json:"protected_ms,omitempty"`
	Intents     []string `json:"intents,omitempty"`
	// MinSpeechMs: shorter sounds (coughs, clicks, a quick 嗯) never break.
	// Zero means DefaultMinSpeechMs.
	MinSpeechMs int `json:"min_speech_ms,omitempty"`
	// AllowBackchannel lets 嗯/对/uh-huh break the prompt (normally they
	// mean "go on", not "stop").
	AllowBackchannel bool `json:"allow_backchannel,omitempty"`
}

// DefaultMinSpeechMs keeps barge-in well inside 300 ms of speech start while
// ignoring clicks and the shortest backchannels.
const DefaultMinSpeechMs = 200

// BargeInInput is what is known while a prompt plays.
type BargeInInput struct {
	PlayedMs int    // how much of the prompt has played
	SpeechMs int    // voiced length of the callee's speech so far
	Text     string // partial or final text if the recognizer gave any
	Intent   string // intent of Text if the dialogue classified it
}

// BargeInDecision: Break means send `uuid_break <uuid> all`; Wait means ask
// again with more audio or text; Reason is a timeline code.
type BargeInDecision struct {
	Break  bool
	Wait   bool
	Reason string
}

// DecideBargeIn applies a node's policy. It is pure so call control can call
// it on every VAD or partial event.
func DecideBargeIn(p BargeInPolicy, in BargeInInput) BargeInDecision {
	switch p.Mode {
	case BargeInOn, BargeInProtected, BargeInIntents:
	default: // off or unknown: never interrupt (the safe side for disclosures)
		return BargeInDecision{Reason: "barge_in_off"}
	}
	if p.Mode == BargeInProtected && in.PlayedMs < p.ProtectedMs {
		return BargeInDecision{Wait: true, Reason: "protected_opening"}
	}
	minMs := p.MinSpeechMs
	if minMs <= 0 {
		minMs = DefaultMinSpeechMs
	}
	if in.SpeechMs < minMs {
		return BargeInDecision{Wait: true, Reason: "speech_too_short"}
	}
	if in.Text != "" && !p.AllowBackchannel && IsBackchannel(in.Text) {
		return BargeInDecision{Reason: "backchannel"}
	}
	if p.Mode == BargeInIntents {
		if in.Intent == "" {
			return BargeInDecision{Wait: true, Reason: "intent_unknown"}
		}
		if !slices.Contains(p.Intents, in.Intent) {
			return BargeInDecision{Reason: "intent_not_listed"}
		}
	}
	return BargeInDecision{Break: true, Reason: "barge_in"}
}

// backchannels are whole utterances that acknowledge without taking the turn.
var backchannels = map[string]bool{
	"嗯": true, "恩": true, "嗯嗯": true, "对": true, "对对": true, "对对对": true, "是": true, "是的": true,
	"好": true, "好的": true, "哦": true, "噢": true, "啊": true, "呃": true, "额": true, "行": true, "喂": true,
	"嗯哼": true, "en": true, "uh-huh": true, "uh huh": true, "uhhuh": true, "mhm": true, "mm": true, "hmm": true,
	"mm-hmm": true, "mm hmm": true, "yeah": true, "yes": true, "yep": true, "ok": true, "okay": true,
	"right": true, "sure": true, "uh": true, "um": true, "ah": true, "oh": true, "i see": true,
}

// IsBackchannel reports whether text is only an acknowledgement such as 嗯,
// 对对, uh-huh or okay (punctuation and case ignored, repeats allowed).
func IsBackchannel(text string) bool {
	t := strings.ToLower(strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) {
			if r == '-' {
				return r
			}
			return ' '
		}
		return r
	}, text)))
	t = strings.Join(strings.Fields(t), " ")
	if t == "" {
		return false
	}
	if backchannels[t] {
		return true
	}
	// Repeats: "嗯嗯嗯", "对对", "yeah yeah", "ok ok".
	if w := strings.Fields(t); len(w) > 1 {
		for _, x := range w {
			if !backchannels[x] {
				return false
			}
		}
		return true
	}
	rs := []rune(t)
	for _, r := range rs {
		if !backchannels[string(r)] {
			return false
		}
	}
	return len(rs) <= 4
}
