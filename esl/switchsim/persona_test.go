package switchsim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePersonasErrorsNameLineAndField(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"empty", "", "empty persona file"},
		{"unknown field", "personas:\n  - name: a\n    outcom: busy\n", "line 3: field outcom not found"},
		{"bad outcome", "personas:\n  - name: a\n  - name: b\n    outcome: bsy\n", `line 4: personas[1].outcome: unknown outcome "bsy"`},
		{"no name", "personas:\n  - outcome: busy\n", "line 2: personas[0].name: required"},
		{"dup", "personas:\n  - name: a\n  - name: a\n", `line 3: personas[1].name: duplicate name "a"`},
		{"sip status", "personas:\n  - name: a\n    outcome: sip\n    sip_status: 200\n", "line 4: personas[0].sip_status"},
		{"ring", "personas:\n  - name: a\n    ring_ms: -1\n", "line 3: personas[0].ring_ms"},
		{"turn", "personas:\n  - name: a\n    turns:\n      - delay_ms: 5\n", "line 3: personas[0].turns: turns[0] does nothing"},
		{"dtmf", "personas:\n  - name: a\n    turns:\n      - dtmf: x\n", "personas[0].turns: turns[0].dtmf"},
		{"regexp", "personas:\n  - name: a\n    match: [\"re:(\"]\n", "line 3: personas[0].match: match[0]"},
		{"early", "personas:\n  - name: a\n    outcome: early_media\n", "personas[0].early_media"},
		{"type", "personas:\n  - name: a\n    ring_ms: soon\n", "line 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePersonas([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPersonaMatchingAndDefaults(t *testing.T) {
	p, err := ParsePersonas([]byte(`
personas:
  - name: exact
    match: ["13800000001"]
  - name: suffix
    match: ["*99"]
    outcome: busy
  - name: re
    match: ["re:^139"]
    outcome: reject
`))
	if err != nil {
		t.Fatal(err)
	}
	for number, want := range map[string]string{"13800000001": "exact", "13800000099": "suffix", "13900000005": "re",
		"13800000000": "interested", "13800000011": "busy", "13800000012": "no_answer", "13800000013": "reject",
		"13800000014": "power_off", "13800000015": "invalid_number", "13800000016": "hangs_up", "13800000017": "silent",
		"13800000018": "voicemail", "13800000019": "refuses"} {
		if got := p.For(number).Name; got != want {
			t.Errorf("%s: %s want %s", number, got, want)
		}
	}
}

func TestLoadPersonasFileAndDurations(t *testing.T) {
	dir := t.TempDir()
	clip := filepath.Join(dir, "hi.wav")
	writeSilentWAV(clip, 1500, 1)
	if ms := wavMs(clip); ms != 1500 {
		t.Fatalf("wav %d ms", ms)
	}
	f := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(f, []byte("personas:\n  - name: a\n    greeting: {text: hi, clip: "+clip+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPersonas(f)
	if err != nil {
		t.Fatal(err)
	}
	g := p.List[0].Greeting
	if utteranceMs(g.Text, g.Clip, g.DurationMs) != 1500 {
		t.Fatal("clip length not used")
	}
	if _, err := LoadPersonas(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
	for arg, want := range map[string]int{
		"silence_stream://1200": 1200,
		clip:                    1500,
		"say:你好":                700,
		"tts://flite|kal|hi":    420,
		"http://tts.local/x.wav?duration_ms=2345":  2345,
		"file_string://" + clip + "!" + clip:       3000,
		"/nonexistent/prompt.wav":                  3000,
		"{x=1}silence_stream://10":                 10,
		"https://cache.local/p.wav?tenant=1&ms=70": 70,
	} {
		if got := PromptMs(arg, 3000); got != want {
			t.Errorf("PromptMs(%q) = %d, want %d", arg, got, want)
		}
	}
}

func TestExamplePersonaFileIsValid(t *testing.T) {
	p, err := LoadPersonas("personas.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for number, want := range map[string]string{"13800138000": "keen-buyer", "13900001234": "angry", "13812345503": "carrier-congestion",
		"13812345404": "out-of-service", "13812345486": "busy-after-ring", "13812345671": "busy"} {
		if got := p.For(number).Name; got != want {
			t.Errorf("%s: %s, want %s", number, got, want)
		}
	}
}
