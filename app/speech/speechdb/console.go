package speechdb

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/ttscache"
	"github.com/waihu/waihu/app/store"
)

// What the console's voice picker may show and preview. Simulated engines
// are never listed: the picker chooses engines for real trunks, where the
// registry would refuse them anyway.

// PreviewMaxChars bounds a preview line (one prompt, not a document).
const PreviewMaxChars = 200

// PreviewPerMinute is each tenant's preview budget: synthesis runs engine
// processes (or bills a cloud account), so one tenant's clicking must not
// starve calls.
const PreviewPerMinute = 20

// EngineJSON is one engine as the console shows it.
type EngineJSON struct {
	Name      string   `json:"name"`
	Languages []string `json:"languages"`
	Voices    []string `json:"voices"`
	Embedded  bool     `json:"embedded"`
	Streaming bool     `json:"streaming"`
}

// Catalog is what a tenant may choose from, and the platform's default.
type Catalog struct {
	Synthesizers []EngineJSON  `json:"synthesizers"`
	Recognizers  []EngineJSON  `json:"recognizers"`
	Default      speech.Choice `json:"default"`
}

// ScriptSpeech is a script's own choice (empty fields inherit), the
// tenant's, and what calls of the script resolve to.
type ScriptSpeech struct {
	Script    speech.Choice `json:"script"`
	Tenant    speech.Choice `json:"tenant"`
	Effective speech.Choice `json:"effective"`
	// Simulated is true when the effective recognizer only works against the
	// switch simulator (never the case for what the picker offers).
	Simulated bool `json:"simulated"`
}

// PreviewRequest asks for a short line in a voice.
type PreviewRequest struct {
	Text  string  `json:"text"`
	TTS   string  `json:"tts"`
	Voice string  `json:"voice"`
	Speed float64 `json:"speed"`
}

// Console serves the script editor's voice picker and listen button.
type Console struct {
	svc   *Service
	cache *ttscache.Cache
	// PerMinute overrides PreviewPerMinute (0: the default; <0: unlimited).
	PerMinute int
	// LanguageTTS is the synthesizer calls use for a script language ("zh",
	// "en") when neither tenant nor script chose one, so the console shows
	// what calls really use rather than the platform default.
	LanguageTTS map[string]string

	mu      sync.Mutex
	windows map[uint64]*window
	now     func() time.Time
}

type window struct {
	start time.Time
	n     int
}

// NewConsole binds the picker to the service and the TTS cache previews go through.
func NewConsole(svc *Service, cache *ttscache.Cache) *Console {
	return &Console{svc: svc, cache: cache, windows: map[uint64]*window{}, now: time.Now}
}

// Catalog lists the non-simulated engines.
func (c *Console) Catalog() Catalog {
	out := Catalog{Synthesizers: []EngineJSON{}, Recognizers: []EngineJSON{}}
	for _, i := range c.svc.reg.Engines() {
		if i.Simulated {
			continue
		}
		e := EngineJSON{Name: i.Name, Languages: i.Languages, Voices: i.Voices, Embedded: i.Embedded, Streaming: i.Streaming}
		if e.Languages == nil {
			e.Languages = []string{}
		}
		if e.Voices == nil {
			e.Voices = []string{}
		}
		if i.Kind == speech.KindTTS {
			out.Synthesizers = append(out.Synthesizers, e)
		} else {
			out.Recognizers = append(out.Recognizers, e)
		}
	}
	out.Default = c.svc.reg.Choose(speech.Scope{})
	return out
}

// scriptExists checks the script belongs to the context's tenant, so a
// choice can never be stored against another tenant's script id.
func (c *Console) scriptExists(ctx context.Context, scriptID uint64) error {
	var n int64
	if err := c.svc.db.With(ctx).Model(&store.Script{}).Where("id = ?", scriptID).Count(&n).Error; err != nil {
		return fmt.Errorf("find script: %w", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// scriptLang is "en" for English scripts and "zh" otherwise, as call
// control picks its default voices.
func (c *Console) scriptLang(ctx context.Context, scriptID uint64) (string, error) {
	var sc store.Script
	if err := c.svc.db.With(ctx).Select("id", "lang").Where("id = ?", scriptID).Take(&sc).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return "", store.ErrNotFound
		}
		return "", fmt.Errorf("find script: %w", err)
	}
	if strings.HasPrefix(sc.Lang, "en") {
		return "en", nil
	}
	return "zh", nil
}

// ScriptSpeech reports a script's engines.
func (c *Console) ScriptSpeech(ctx context.Context, scriptID uint64) (ScriptSpeech, error) {
	tid, ok := store.TenantFrom(ctx)
	if !ok {
		return ScriptSpeech{}, store.ErrNoTenantScope
	}
	lang, err := c.scriptLang(ctx, scriptID)
	if err != nil {
		return ScriptSpeech{}, err
	}
	var rows []store.SpeechChoice
	if err := c.svc.db.With(ctx).Where("script_id IN ?", []uint64{0, scriptID}).Find(&rows).Error; err != nil {
		return ScriptSpeech{}, fmt.Errorf("read speech choices: %w", err)
	}
	var out ScriptSpeech
	for _, r := range rows {
		ch := speech.Choice{ASR: r.ASR, TTS: r.TTS, Voice: r.Voice, Speed: r.Speed}
		if r.ScriptID == 0 {
			out.Tenant = ch
		} else {
			out.Script = ch
		}
	}
	scope := speech.Scope{TenantID: tid, ScriptID: scriptID}
	out.Effective = c.svc.reg.Choose(scope)
	if tts, ok := c.LanguageTTS[lang]; ok && c.svc.reg.Override(scope).TTS == "" {
		out.Effective.TTS = tts
	}
	for _, i := range c.svc.reg.Engines() {
		if i.Kind == speech.KindASR && i.Name == out.Effective.ASR && i.Simulated {
			out.Simulated = true
		}
	}
	return out, nil
}

// checkChoice refuses what the picker would not offer: simulated engines,
// unknown engines and voices the synthesizer does not have.
func (c *Console) checkChoice(v *apperr.Validator, ch speech.Choice, voiceOf string) {
	asr, tts := false, (*speech.EngineInfo)(nil)
	for _, i := range c.svc.reg.Engines() {
		if i.Simulated {
			continue
		}
		if i.Kind == speech.KindASR && i.Name == ch.ASR {
			asr = true
		}
		if i.Kind == speech.KindTTS && i.Name == voiceOf {
			tts = &i
		}
	}
	v.Check(ch.ASR == "" || asr, "asr", "unknown recognizer")
	v.Check(ch.TTS == "" || tts != nil, "tts", "unknown synthesizer")
	v.Check(ch.Voice == "" || tts == nil || len(tts.Voices) == 0 || slices.Contains(tts.Voices, ch.Voice), "voice", "not a voice of this synthesizer")
	v.Check(ch.Voice == "" || voiceOf != "", "voice", "choose a synthesizer with the voice")
	v.Check(ch.Speed == 0 || (ch.Speed >= 0.5 && ch.Speed <= 2), "speed", "must be between 0.5 and 2")
}

// SetScriptSpeech stores a script's choice (a zero Choice returns the
// script to the tenant's and platform's engines).
func (c *Console) SetScriptSpeech(ctx context.Context, scriptID uint64, ch speech.Choice) (ScriptSpeech, error) {
	if err := c.scriptExists(ctx, scriptID); err != nil {
		return ScriptSpeech{}, err
	}
	var v apperr.Validator
	c.checkChoice(&v, ch, ch.TTS)
	if err := v.Err(); err != nil {
		return ScriptSpeech{}, err
	}
	if err := c.svc.SetChoice(ctx, scriptID, ch); err != nil {
		return ScriptSpeech{}, err
	}
	return c.ScriptSpeech(ctx, scriptID)
}

// errPreviewLimited is returned when a tenant has used its preview budget.
func errPreviewLimited() error {
	e := apperr.Coded(http.StatusTooManyRequests, "rate_limited", "too many previews, try again in a minute")
	e.RetryAfter = time.Minute
	return e
}

func (c *Console) allow(tenantID uint64) bool {
	limit := c.PerMinute
	if limit == 0 {
		limit = PreviewPerMinute
	}
	if limit < 0 {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	w := c.windows[tenantID]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &window{start: now}
		c.windows[tenantID] = w
	}
	if w.n >= limit {
		return false
	}
	w.n++
	return true
}

// Preview synthesizes req.Text through the TTS cache (the same entry a
// call would play, so listening also warms the cache) and returns the WAV.
func (c *Console) Preview(ctx context.Context, req PreviewRequest) ([]byte, error) {
	tid, ok := store.TenantFrom(ctx)
	if !ok {
		return nil, store.ErrNoTenantScope
	}
	text := strings.TrimSpace(req.Text)
	var v apperr.Validator
	v.Check(text != "", "text", "required")
	v.Check(utf8.RuneCountInString(text) <= PreviewMaxChars, "text", fmt.Sprintf("at most %d characters", PreviewMaxChars))
	v.Check(!strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }), "text", "control characters are not allowed")
	v.Check(req.TTS != "", "tts", "required")
	c.checkChoice(&v, speech.Choice{TTS: req.TTS, Voice: req.Voice, Speed: req.Speed}, req.TTS)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !c.allow(tid) {
		return nil, errPreviewLimited()
	}
	speed := req.Speed
	if speed == 0 {
		speed = 1
	}
	e, err := c.cache.Get(ctx, ttscache.Key{Engine: req.TTS, Voice: req.Voice, Speed: speed, Text: text})
	if err != nil {
		if errors.Is(err, speech.ErrEmptySynthesis) {
			return nil, apperr.Invalid("text", "nothing to say")
		}
		return nil, apperr.Coded(http.StatusBadGateway, "engine_error", "the synthesizer failed: "+speech.ReasonFor(err))
	}
	b, err := os.ReadFile(e.Path)
	if err != nil {
		return nil, fmt.Errorf("read preview: %w", err)
	}
	return b, nil
}
