package engines

import (
	"errors"
	"testing"

	"github.com/waihu/waihu/app/speech"
)

func TestSetup(t *testing.T) {
	s, err := NewSetup([]Spec{
		{Name: "sensevoice", Type: TypeOpenAI, BaseURL: "http://127.0.0.1:9/v1"},
		{Name: "funasr-local", Type: TypeFunASR, URL: "ws://127.0.0.1:10095"},
		{Name: "ali", Type: TypeAliyun, AppKey: "k", Token: "t"},
		{Name: "tx", Type: TypeTencent, AppID: "1", SecretID: "a", SecretKey: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Missing) != 0 {
		t.Fatalf("embedded engines must be installed here: %v", s.Missing)
	}
	got := map[string]bool{}
	for _, i := range s.Registry.Engines() {
		got[i.Kind+":"+i.Name] = true
	}
	for _, want := range []string{"asr:pocketsphinx", "tts:flite", "tts:espeak-pinyin", "asr:simulation", "asr:sensevoice", "tts:sensevoice", "asr:funasr-local", "asr:ali", "tts:ali", "asr:tx"} {
		if !got[want] {
			t.Errorf("missing %s in %v", want, got)
		}
	}
	if c := s.Registry.Choose(speech.Scope{}); c.ASR != "pocketsphinx" || c.TTS != "espeak-pinyin" {
		t.Fatalf("default %+v", c)
	}
	if s.Sim == nil {
		t.Fatal("simulation recognizer not exposed")
	}
	if err := s.Registry.SetScript(0, 9, speech.Choice{ASR: "simulation"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Registry.Resolve(speech.Scope{ScriptID: 9}); !errors.Is(err, speech.ErrSimulatedEngine) {
		t.Fatalf("simulation on a real trunk: %v", err)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, s := range []Spec{{Type: "whisper.cpp"}, {Type: TypeOpenAI}, {Type: TypeFunASR, URL: "http://x"}, {Type: TypeAliyun, AppKey: "k"}, {Type: TypeTencent}} {
		if _, err := Build(s); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}
