package fingerprint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The corpus: carrier announcements synthesised with espeak-ng (Mandarin,
// numbered pinyin) and flite (English). The four Mandarin ones share their
// opening (您拨打的…) and closing (请稍后再拨), as real ones do, so a match
// must rest on the part that differs.
var announcements = []struct {
	name, outcome, tool, text string
}{
	{"off", "powered_off", "espeak", "nin2 bo1 da3 de5 dian4 hua4 yi3 guan1 ji1, qing3 shao1 hou4 zai4 bo1"},
	{"empty", "invalid_number", "espeak", "nin2 bo1 da3 de5 hao4 ma3 shi4 kong1 hao4, qing3 cha2 zheng4 hou4 zai4 bo1"},
	{"busy", "busy", "espeak", "nin2 bo1 da3 de5 dian4 hua4 zheng4 zai4 tong1 hua4 zhong1, qing3 shao1 hou4 zai4 bo1"},
	{"unreachable", "unreachable", "espeak", "nin2 bo1 da3 de5 yong4 hu4 zan4 shi2 wu2 fa3 jie1 tong1, qing3 shao1 hou4 zai4 bo1"},
	{"en-invalid", "invalid_number", "flite", "Sorry, the number you have dialed does not exist. Please check the number and dial again."},
}

// degradations are sox effect chains applied to a reference on its way to
// the "call": each is what a telephone path does to an announcement.
var degradations = []struct {
	name string
	// effects after the input; the output is always 8 kHz mono 16-bit.
	pre     []string // files/effects before (offset: ringback first)
	effects []string
	codec   string // a-law / u-law round trip
	noise   float64
	trim    string
}{
	{name: "gain-8dB-bandlimit", effects: []string{"gain", "-8", "sinc", "300-3400"}},
	{name: "gain+5dB", effects: []string{"gain", "-n", "-0.5", "gain", "5"}},
	{name: "alaw", codec: "a-law"},
	{name: "ulaw", codec: "u-law"},
	{name: "noise", noise: 0.015},
	{name: "ringback-before", pre: []string{"ringback"}},
	{name: "starts-mid-announcement", trim: "0.61"},
	{name: "everything", pre: []string{"ringback"}, effects: []string{"gain", "-6", "sinc", "300-3400"}, codec: "a-law", noise: 0.01, trim: "0.23"},
}

type corpus struct {
	dir  string
	refs map[string]string // name -> 8 kHz reference wav
}

var (
	corpusOnce sync.Once
	theCorpus  *corpus
	corpusErr  error
)

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return &cmdError{name + " " + strings.Join(args, " ") + ": " + err.Error() + ": " + string(out)}
	}
	return nil
}

type cmdError struct{ s string }

func (e *cmdError) Error() string { return e.s }

// getCorpus synthesises the references once per test binary. The tools are
// required: a machine without them fails these tests rather than skip.
func getCorpus(t testing.TB) *corpus {
	corpusOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fingerprint-corpus")
		if err != nil {
			corpusErr = err
			return
		}
		c := &corpus{dir: dir, refs: map[string]string{}}
		for _, a := range announcements {
			raw := filepath.Join(dir, a.name+"-raw.wav")
			switch a.tool {
			case "espeak":
				corpusErr = run("espeak-ng", "-v", "cmn-latn-pinyin", "-w", raw, a.text)
			case "flite":
				corpusErr = run("flite", "-t", a.text, "-o", raw)
			}
			if corpusErr != nil {
				return
			}
			ref := filepath.Join(dir, a.name+".wav")
			if corpusErr = run("sox", raw, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", ref); corpusErr != nil {
				return
			}
			c.refs[a.name] = ref
		}
		// China's ringback: 450 Hz, 1 s on, 4 s off; here 1.37 s of it so
		// the announcement starts off the analysis grid.
		if corpusErr = run("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", filepath.Join(dir, "ringback.wav"), "synth", "1.37", "sine", "450", "vol", "0.3"); corpusErr != nil {
			return
		}
		theCorpus = c
	})
	if corpusErr != nil {
		t.Fatalf("build the test corpus (espeak-ng, flite and sox are required): %v", corpusErr)
	}
	return theCorpus
}

// degrade runs one degradation on a reference and returns the 8 kHz clip.
func (c *corpus) degrade(t testing.TB, ref string, d int) []int16 {
	g := degradations[d]
	src := filepath.Join(c.dir, ref+"-raw.wav") // from the synthesiser's own rate, so resampling is part of the path
	base := filepath.Join(c.dir, ref+"-"+g.name)
	cur := base + "-0.wav"
	args := []string{src, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", cur}
	args = append(args, g.effects...)
	if err := run("sox", args...); err != nil {
		t.Fatal(err)
	}
	if g.trim != "" {
		next := base + "-trim.wav"
		if err := run("sox", cur, next, "trim", g.trim); err != nil {
			t.Fatal(err)
		}
		cur = next
	}
	if len(g.pre) > 0 {
		next := base + "-pre.wav"
		if err := run("sox", filepath.Join(c.dir, "ringback.wav"), cur, next); err != nil {
			t.Fatal(err)
		}
		cur = next
	}
	if g.noise > 0 {
		noise := base + "-noise.wav"
		if err := run("sox", cur, noise, "synth", "whitenoise", "vol", ftoa(g.noise)); err != nil {
			t.Fatal(err)
		}
		next := base + "-noisy.wav"
		if err := run("sox", "-m", cur, noise, next); err != nil {
			t.Fatal(err)
		}
		cur = next
	}
	if g.codec != "" {
		coded := base + "-coded.wav"
		if err := run("sox", cur, "-e", g.codec, "-b", "8", coded); err != nil {
			t.Fatal(err)
		}
		next := base + "-decoded.wav"
		if err := run("sox", coded, "-e", "signed-integer", "-b", "16", next); err != nil {
			t.Fatal(err)
		}
		cur = next
	}
	return readClip(t, cur)
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func readClip(t testing.TB, path string) []int16 {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := DecodeWAV(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

func (c *corpus) index(t testing.TB) *Index {
	var refs []Reference
	for i, a := range announcements {
		refs = append(refs, Reference{ID: uint64(i + 1), Name: a.name, Outcome: a.outcome, Print: Compute(readClip(t, c.refs[a.name]))})
	}
	return NewIndex(refs)
}

func TestDegradedAnnouncementsMatchTheirReference(t *testing.T) {
	c := getCorpus(t)
	ix := c.index(t)
	for _, a := range announcements {
		for d := range degradations {
			t.Run(a.name+"/"+degradations[d].name, func(t *testing.T) {
				clip := c.degrade(t, a.name, d)
				m, ok := ix.Match(Compute(clip))
				name := ""
				if m.Reference != nil {
					name = m.Reference.Name
				}
				t.Logf("best %q score %d coverage %.2f of %d landmarks, offset %d ms", name, m.Score, m.Coverage, len(Compute(clip).Landmarks), m.OffsetMs)
				if !ok || name != a.name {
					t.Fatalf("matched %q (ok=%v, score %d), want %q", name, ok, m.Score, a.name)
				}
			})
		}
	}
}

// An announcement whose reference is not loaded must not be taken for
// another one that shares its opening and closing words.
func TestDegradedAnnouncementsMatchNoOtherReference(t *testing.T) {
	c := getCorpus(t)
	for skip, a := range announcements {
		var refs []Reference
		for i, b := range announcements {
			if i != skip {
				refs = append(refs, Reference{ID: uint64(i + 1), Name: b.name, Outcome: b.outcome, Print: Compute(readClip(t, c.refs[b.name]))})
			}
		}
		ix := NewIndex(refs)
		for d := range degradations {
			t.Run(a.name+"/"+degradations[d].name, func(t *testing.T) {
				m, ok := ix.Match(Compute(c.degrade(t, a.name, d)))
				t.Logf("best other score %d coverage %.2f", m.Score, m.Coverage)
				if ok {
					t.Fatalf("%s matched %q with score %d", a.name, m.Reference.Name, m.Score)
				}
			})
		}
	}
}

func TestOtherAudioMatchesNothing(t *testing.T) {
	c := getCorpus(t)
	ix := c.index(t)
	dir := t.TempDir()
	cases := map[string][]string{
		// ordinary speech in the same voices, sharing words with the
		// announcements (您, 电话, 再…)
		"speech-zh": {"espeak-ng", "-v", "cmn-latn-pinyin", "-w", filepath.Join(dir, "speech-zh.wav"), "wei4, nin2 hao3, wo3 shi4 zhang1 san1, zhe4 ge4 dian4 hua4 wo3 ming2 tian1 zai4 da3 gei3 ni3, xie4 xie4"},
		"speech-en": {"flite", "-t", "Hello, this is John from the service desk, I will call you again tomorrow about the number you asked for.", "-o", filepath.Join(dir, "speech-en.wav")},
		// ringback: 450 Hz, 1 s on, 4 s off, twice
		"ringback": {"sox", "-n", "-r", "8000", "-b", "16", "-c", "1", filepath.Join(dir, "ringback.wav"), "synth", "1", "sine", "450", "vol", "0.3", "pad", "0", "4", "repeat", "1"},
		"noise":    {"sox", "-n", "-r", "8000", "-b", "16", "-c", "1", filepath.Join(dir, "noise.wav"), "synth", "6", "whitenoise", "vol", "0.05"},
		"silence":  {"sox", "-n", "-r", "8000", "-b", "16", "-c", "1", filepath.Join(dir, "silence.wav"), "trim", "0", "5"},
		// a colour ring tone (彩铃) stand-in: a chord melody
		"music": {"sox", "-n", "-r", "8000", "-b", "16", "-c", "1", filepath.Join(dir, "music.wav"), "synth", "0.4", "pluck", "C4", "pluck", "E4", "pluck", "G4", "vol", "0.3", "repeat", "9"},
	}
	for name, cmd := range cases {
		t.Run(name, func(t *testing.T) {
			if err := run(cmd[0], cmd[1:]...); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, name+".wav")
			clip := readClip(t, out)
			m, ok := ix.Match(Compute(clip))
			t.Logf("best score %d", m.Score)
			if ok {
				t.Fatalf("%s matched %q with score %d", name, m.Reference.Name, m.Score)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	c := getCorpus(t)
	p := Compute(readClip(t, c.refs["off"]))
	if len(p.Landmarks) < 100 {
		t.Fatalf("only %d landmarks in a 4 s announcement", len(p.Landmarks))
	}
	q, err := Unmarshal(p.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if q.Frames != p.Frames || len(q.Landmarks) != len(p.Landmarks) || q.Landmarks[7] != p.Landmarks[7] {
		t.Fatal("round trip changed the print")
	}
	b := p.Marshal()
	b[0] = 99
	if _, err := Unmarshal(b); err != ErrVersion {
		t.Fatalf("other version: %v", err)
	}
	if _, err := Unmarshal(b[:11]); err == nil {
		t.Fatal("corrupt print accepted")
	}
}

func TestDecodeWAVRefusesWhatItCannotRead(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":    nil,
		"not riff": []byte("hello world, not a wav"),
		"no data":  []byte("RIFF\x04\x00\x00\x00WAVE"),
	} {
		if _, err := DecodeWAV(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// BenchmarkMatch measures fingerprinting an 8 s early-media clip and
// matching it against 100 references (the five announcements, each 20
// times under other IDs), which is the per-call cost.
func BenchmarkMatch(b *testing.B) {
	c := getCorpus(b)
	var refs []Reference
	for i := 0; i < 20; i++ {
		for j, a := range announcements {
			refs = append(refs, Reference{ID: uint64(i*10 + j), Name: a.name, Print: Compute(readClip(b, c.refs[a.name]))})
		}
	}
	ix := NewIndex(refs)
	clip := c.degrade(b, "busy", len(degradations)-1)
	for len(clip) < 8*SampleRate {
		clip = append(clip, clip...)
	}
	clip = clip[:8*SampleRate]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := ix.Match(Compute(clip)); !ok {
			b.Fatal("no match")
		}
	}
}
