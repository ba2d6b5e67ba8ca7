package campaign

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"
)

// TestEncodeVars checks the hand-written JSON encoder the import uses for
// each row's variables against encoding/json (without HTML escaping): same
// text, and what it reads back is what went in.
func TestEncodeVars(t *testing.T) {
	vals := map[string]string{
		"城市": "深圳", "quote": `say "hi" \ bye`, "ctl": "a\tb\nc\rd\x00e\x1f", "html": "<a href='x'>&</a>",
		"sep": "line\u2028para\u2029", "emoji": "😀", "empty": "",
	}
	keys := []string{}
	for k := range vals {
		keys = append(keys, k)
	}
	sortedStrings(keys)
	got := encodeVars(nil, keys, vals)
	want := marshalNoHTML(vals)
	if string(got) != string(want) {
		t.Fatalf("encodeVars\n got %s\nwant %s", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal(got, &back); err != nil || !maps.Equal(back, vals) {
		t.Fatalf("read back %v %v", back, err)
	}
	// Invalid UTF-8 becomes U+FFFD, as encoding/json writes it.
	bad := map[string]string{"k": "a\xffb"}
	got = encodeVars(nil, []string{"k"}, bad)
	want = marshalNoHTML(bad)
	if string(got) != string(want) {
		t.Fatalf("invalid utf-8: got %s want %s", got, want)
	}
}

func marshalNoHTML(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
