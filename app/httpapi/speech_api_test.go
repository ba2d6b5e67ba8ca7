package httpapi_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/httpapi"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines"
	"github.com/waihu/waihu/app/speech/speechdb"
	"github.com/waihu/waihu/app/speech/ttscache"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// newSpeechConsole builds the voice picker over the real embedded
// synthesizers (flite, espeak-ng) plus the simulation recognizer, which
// the picker must never offer.
func newSpeechConsole(t *testing.T, db *store.DB) *speechdb.Console {
	t.Helper()
	reg := speech.NewRegistry()
	for _, typ := range []string{engines.TypeFlite, engines.TypeEspeakPinyin, engines.TypeSimulation} {
		b, err := engines.Build(engines.Spec{Type: typ})
		if err != nil {
			t.Fatalf("speech engine %s: %v", typ, err)
		}
		for _, e := range b.Engines {
			if err := reg.Register(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := reg.SetPlatformDefault(speech.Choice{TTS: engines.TypeEspeakPinyin, ASR: engines.TypeSimulation, Speed: 1}); err != nil {
		t.Fatal(err)
	}
	cache, err := ttscache.New(t.TempDir(), reg.Synthesizer)
	if err != nil {
		t.Fatal(err)
	}
	c := speechdb.NewConsole(speechdb.New(db, reg), cache)
	c.PerMinute = -1 // the route walkers send many requests
	c.LanguageTTS = map[string]string{"zh": engines.TypeEspeakPinyin, "en": engines.TypeFlite}
	return c
}

func TestSpeechPickerAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.newTenant("Alpha", "AAAMARK")
		b := e.newTenant("Beta", "BBBMARK")
		c := a.cookie

		status, cat := c.do("GET", "/api/v1/speech/engines", nil)
		if status != 200 {
			t.Fatalf("engines: %d %v", status, cat)
		}
		var names []string
		for _, s := range cat["synthesizers"].([]any) {
			m := s.(map[string]any)
			names = append(names, m["name"].(string))
			if m["name"] == "flite" && len(m["voices"].([]any)) < 2 {
				t.Fatalf("flite voices: %v", m)
			}
		}
		if strings.Join(names, ",") != "espeak-pinyin,flite" || len(cat["recognizers"].([]any)) != 0 {
			t.Fatalf("catalog offers %v / %v (the simulation recognizer must not be offered)", names, cat["recognizers"])
		}

		sid := itoa(a.resources["script"])
		status, sp := c.do("GET", "/api/v1/scripts/"+sid+"/speech", nil)
		eff := sp["effective"].(map[string]any)
		if status != 200 || eff["tts"] != "espeak-pinyin" || sp["simulated"] != true {
			t.Fatalf("default speech: %d %v", status, sp)
		}
		status, sp = c.do("PUT", "/api/v1/scripts/"+sid+"/speech", map[string]any{"tts": "flite", "voice": "awb"})
		eff = sp["effective"].(map[string]any)
		if status != 200 || eff["tts"] != "flite" || eff["voice"] != "awb" || sp["script"].(map[string]any)["voice"] != "awb" {
			t.Fatalf("set speech: %d %v", status, sp)
		}
		// Bad choices name the field and change nothing.
		for _, bad := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"tts": "nope"}, "tts"},
			{map[string]any{"tts": "flite", "voice": "cmn-latn-pinyin"}, "voice"},
			{map[string]any{"voice": "awb"}, "voice"},
			{map[string]any{"asr": "simulation"}, "asr"},
			{map[string]any{"tts": "flite", "speed": 9}, "speed"},
		} {
			status, body := c.do("PUT", "/api/v1/scripts/"+sid+"/speech", bad.body)
			if status != 422 || body["error"].(map[string]any)["fields"].(map[string]any)[bad.field] == nil {
				t.Fatalf("%v: %d %v", bad.body, status, body)
			}
		}
		if _, sp = c.do("GET", "/api/v1/scripts/"+sid+"/speech", nil); sp["effective"].(map[string]any)["voice"] != "awb" {
			t.Fatalf("after refused changes: %v", sp)
		}
		// Another tenant neither sees nor changes this script's voice.
		if status, _ := b.cookie.do("PUT", "/api/v1/scripts/"+sid+"/speech", map[string]any{"tts": "flite", "voice": "slt"}); status != 404 {
			t.Fatalf("cross-tenant put: %d", status)
		}
		if _, sp = c.do("GET", "/api/v1/scripts/"+sid+"/speech", nil); sp["effective"].(map[string]any)["voice"] != "awb" {
			t.Fatalf("after cross-tenant put: %v", sp)
		}
		if status, sp := b.cookie.do("GET", "/api/v1/scripts/"+itoa(b.resources["script"])+"/speech", nil); status != 200 || sp["effective"].(map[string]any)["tts"] != "espeak-pinyin" {
			t.Fatalf("tenant B's own script: %d %v", status, sp)
		}

		// An English script without a choice shows the synthesizer its
		// calls really use (flite), not the platform default.
		status, en := c.do("POST", "/api/v1/scripts/from-template", map[string]any{"template": "notification-en", "name": "english"})
		if status != 201 {
			t.Fatalf("english script: %d %v", status, en)
		}
		if _, sp := c.do("GET", "/api/v1/scripts/"+itoa(uint64(en["id"].(float64)))+"/speech", nil); sp["effective"].(map[string]any)["tts"] != "flite" {
			t.Fatalf("english script speech: %v", sp)
		}

		// Preview: a WAV through the cache.
		st, wav, hdr := c.raw("POST", "/api/v1/speech/preview", "application/json", []byte(`{"text":"Hello, this is your bank.","tts":"flite","voice":"slt"}`))
		if st != 200 || hdr.Get("Content-Type") != "audio/wav" || !strings.HasPrefix(wav, "RIFF") || len(wav) < 4000 {
			t.Fatalf("preview: %d %s %d bytes", st, hdr.Get("Content-Type"), len(wav))
		}
		st, zh, _ := c.raw("POST", "/api/v1/speech/preview", "application/json", []byte(`{"text":"您好，这里是银行客服。","tts":"espeak-pinyin"}`))
		if st != 200 || !strings.HasPrefix(zh, "RIFF") {
			t.Fatalf("zh preview: %d", st)
		}
		for _, bad := range []struct{ body, field string }{
			{`{"text":"","tts":"flite"}`, "text"},
			{`{"text":"` + strings.Repeat("a", 201) + `","tts":"flite"}`, "text"},
			{`{"text":"hi"}`, "tts"},
			{`{"text":"hi","tts":"simulation"}`, "tts"},
			{`{"text":"hi","tts":"flite","voice":"zz"}`, "voice"},
		} {
			st, body, _ := c.raw("POST", "/api/v1/speech/preview", "application/json", []byte(bad.body))
			if st != 422 || !strings.Contains(body, `"`+bad.field+`"`) {
				t.Fatalf("%s: %d %s", bad.body, st, body)
			}
		}
	})
}

// TestSpeechPreviewRateLimit: each tenant has its own preview budget.
func TestSpeechPreviewRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnvWith(t, db, func(d *httpapi.Deps) { d.Speech.PerMinute = 2 })
		a := e.newTenant("Alpha", "AAAMARK")
		b := e.newTenant("Beta", "BBBMARK")
		body := []byte(`{"text":"Hello.","tts":"flite"}`)
		for i, want := range []int{200, 200, 429} {
			if st, text, _ := a.cookie.raw("POST", "/api/v1/speech/preview", "application/json", body); st != want {
				t.Fatalf("request %d: %d %s", i+1, st, text)
			}
		}
		if st, _, _ := b.cookie.raw("POST", "/api/v1/speech/preview", "application/json", bytes.Clone(body)); st != 200 {
			t.Fatalf("tenant B limited by tenant A: %d", st)
		}
	})
}
