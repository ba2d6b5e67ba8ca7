package callctl

import (
	"encoding/json"
	"testing"

	"github.com/waihu/waihu/app/speech"
)

func TestWithSpeechTurnsKeepsTheTimeline(t *testing.T) {
	turns := []speech.TurnRecord{{Turn: 1, ASREngine: "pocketsphinx", Text: "yes", RecognitionMs: 12.5}}
	got := withSpeechTurns(`{"grade":"A","timeline":[{"who":"callee","text":"yes"}]}`, turns)
	var out struct {
		Grade    string              `json:"grade"`
		Timeline []map[string]string `json:"timeline"`
		Speech   []speech.TurnRecord `json:"speech_turns"`
	}
	if err := json.Unmarshal([]byte(got), &out); err != nil {
		t.Fatal(err)
	}
	if out.Grade != "A" || len(out.Timeline) != 1 || len(out.Speech) != 1 || out.Speech[0].ASREngine != "pocketsphinx" {
		t.Fatalf("%s", got)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"grade":"A"}`, `{"grade":"A"}`}, // no turns: untouched
		{`not json`, `not json`},
	} {
		var tr []speech.TurnRecord
		if tc.in == "not json" {
			tr = turns
		}
		if got := withSpeechTurns(tc.in, tr); got != tc.want {
			t.Fatalf("%q → %q", tc.in, got)
		}
	}
	if got := withSpeechTurns("", turns); !json.Valid([]byte(got)) {
		t.Fatalf("empty timeline: %q", got)
	}
}
