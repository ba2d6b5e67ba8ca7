package dialog

import (
	"testing"
	"unicode/utf8"
)

func TestKeywordsSurviveNormalization(t *testing.T) {
	for _, in := range BuiltinIntents() {
		for _, k := range in.Keywords {
			n := Normalize(k)
			// A keyword that loses its filler and shrinks to one character would
			// match inside unrelated words (行啊 → 行 in 银行). Keywords made only
			// of fillers (嗯嗯) stay: they match only an all-filler answer.
			onlyFillers := true
			for _, r := range k {
				onlyFillers = onlyFillers && isFiller(r)
			}
			if !onlyFillers && utf8.RuneCountInString(n) < utf8.RuneCountInString(k) && utf8.RuneCountInString(n) <= 1 {
				t.Errorf("%s: keyword %q normalizes to %q", in.Name, k, n)
			}
		}
	}
}
