package callctl

import (
	"encoding/json"

	"github.com/waihu/waihu/app/speech"
)

// withSpeechTurns adds the recognizer's per-turn records to the timeline
// JSON (the dialogue's result object) under "speech_turns". The dialogue
// knows what was said; only the speech layer knows which engine heard it
// and how long that took, so the two are joined when the call is stored.
// A timeline that is not a JSON object is kept as it is.
func withSpeechTurns(timeline string, turns []speech.TurnRecord) string {
	if len(turns) == 0 {
		return timeline
	}
	obj := map[string]json.RawMessage{}
	if timeline != "" {
		if err := json.Unmarshal([]byte(timeline), &obj); err != nil {
			return timeline
		}
	}
	b, err := json.Marshal(turns)
	if err != nil {
		return timeline
	}
	obj["speech_turns"] = b
	out, err := json.Marshal(obj)
	if err != nil {
		return timeline
	}
	return string(out)
}
