package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/config"
	"github.com/waihu/waihu/app/demo"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/httpapi"
	"github.com/waihu/waihu/app/llm"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines"
	"github.com/waihu/waihu/app/speech/speechdb"
	"github.com/waihu/waihu/app/speech/stream"
	"github.com/waihu/waihu/app/speech/ttscache"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/esl/switchsim"
)

// calling is the calling engine of one process: speech engines and the TTS
// cache, call control over the FreeSWITCH nodes, and in demo mode the
// in-process switch simulator the demo node points at.
type calling struct {
	speech  *engines.Setup
	streams *stream.Registry
	tts     *ttscache.Cache
	voices  *speechdb.Console
	engine  *callctl.Engine
	sim     *switchsim.Sim
}

type callingDeps struct {
	cfg   *config.Config
	db    *store.DB
	calls *callctl.Service
	// announcements are the fingerprint references of 空号识别.
	announcements *callctl.Announcements
	scripts       callctl.ScriptSource
	vars          callctl.VarsSource
	release       func(ctx context.Context, a *store.CallAttempt, reason string) error
	funds         callctl.Funds
	httpBase      string // waihu's own URL (CDR posts from the simulator)
	tenantID      uint64 // demo tenant
	log           *slog.Logger
}

func startCalling(ctx context.Context, d callingDeps) (*calling, error) {
	c := &calling{}
	var err error
	if c.speech, err = engines.NewSetup(nil); err != nil {
		return nil, fmt.Errorf("speech engines: %w", err)
	}
	for _, m := range c.speech.Missing {
		d.log.Warn("speech engine not available", "err", m)
	}
	if c.tts, err = ttscache.New(filepath.Join(d.cfg.Data, "tts"), c.speech.Registry.Synthesizer); err != nil {
		c.Close()
		return nil, fmt.Errorf("tts cache: %w", err)
	}
	// Stored engine definitions and tenant / script choices; one that no
	// longer builds is logged, the rest still load.
	choices := speechdb.New(d.db, c.speech.Registry)
	if err := choices.Load(ctx); err != nil {
		d.log.Warn("speech configuration", "err", err)
	}
	fsBase := d.cfg.FSURL
	if fsBase == "" {
		fsBase = d.httpBase
	}
	promptBase, err := withCredentials(strings.TrimRight(fsBase, "/")+"/api/v1/fs/prompts", d.cfg.FSSecret)
	if err != nil {
		c.Close()
		return nil, err
	}
	prompts := &callctl.TTSPrompts{Cache: c.tts, BaseURL: promptBase, Voices: map[string]ttscache.Key{
		"zh": {Engine: engines.TypeEspeakPinyin, Speed: 1},
		"en": {Engine: engines.TypeFlite, Speed: 1},
	}}
	c.voices = speechdb.NewConsole(choices, c.tts)
	c.voices.LanguageTTS = map[string]string{}
	for lang, k := range prompts.Voices {
		c.voices.LanguageTTS[lang] = k.Engine
	}
	// The script editor's voice picker: a tenant's or script's synthesizer
	// and voice replace the language's default for that call's lines.
	scriptOf := scriptOfVersion(d.db)
	prompts.Choose = func(ctx context.Context, _ string) (ttscache.Key, bool) {
		a, ok := callctl.AttemptFrom(ctx)
		if !ok {
			return ttscache.Key{}, false
		}
		ch := c.speech.Registry.Override(speech.Scope{TenantID: a.TenantID, ScriptID: scriptOf(ctx, a)})
		if ch.TTS == "" {
			return ttscache.Key{}, false
		}
		return ttscache.Key{Engine: ch.TTS, Voice: ch.Voice, Speed: cmp.Or(ch.Speed, 1)}, true
	}
	listen, advertise := d.cfg.ESLOutboundListen, d.cfg.ESLOutboundAdvertise
	if d.cfg.Demo {
		// The simulator runs beside waihu: a private port, never a clash
		// with a real deployment's 8084.
		if listen == ":8084" {
			listen = "127.0.0.1:0"
		}
		cdrURL, err := withCredentials(d.httpBase+"/api/v1/fs/cdr", d.cfg.FSSecret)
		if err != nil {
			c.Close()
			return nil, err
		}
		// The power-off and invalid-number callees play shipped
		// announcement clips, which the demo also knows as references.
		personas, err := demo.SimPersonas(filepath.Join(d.cfg.Data, "demo", "announcements"))
		if err != nil {
			c.Close()
			return nil, err
		}
		c.sim, err = switchsim.New(switchsim.Options{Password: d.cfg.FSSecret, CDRURL: cdrURL, Personas: personas, Log: d.log.With("component", "switchsim")})
		if err != nil {
			c.Close()
			return nil, err
		}
		if err := c.sim.Start(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("start the switch simulator: %w", err)
		}
		trunk, err := demo.SeedSimulator(ctx, d.db, d.tenantID, c.sim.ESLAddr(), d.cfg.FSSecret)
		if err != nil {
			c.Close()
			return nil, err
		}
		if d.announcements != nil {
			if err := demo.SeedAnnouncements(ctx, d.announcements, trunk.Carrier); err != nil {
				c.Close()
				return nil, err
			}
		}
	}
	// Real calls stream the callee's audio to the tenant's recognizer
	// (mod_audio_stream); simulated ones use the simulator's side channel.
	c.streams = stream.NewRegistry(stream.Options{})
	streamURL := "ws" + strings.TrimPrefix(strings.TrimRight(fsBase, "/"), "http") + "/fs/audio"
	reg := c.speech.Registry
	// Which engine served each turn, and how fast, goes into the call's
	// timeline (the console's transcript shows it per turn).
	turns := speech.NewTurnLog()
	turns.TTSEngine = func(language string) string {
		lang := "zh"
		if strings.HasPrefix(language, "en") {
			lang = "en"
		}
		return prompts.Voices[lang].Engine
	}
	recognizer := func(a *store.CallAttempt, lang string) speech.StreamingRecognizer {
		ctx := context.Background()
		if a.Simulated {
			return nil
		}
		res, err := reg.Resolve(speech.Scope{TenantID: a.TenantID, ScriptID: scriptOf(ctx, *a)})
		if err != nil {
			d.log.Warn("no recognizer for call", "attempt", a.UUID, "err", err)
			return nil
		}
		return turns.Wrap(res.Stream)
	}
	dialogOpts, err := callLLM()
	if err != nil {
		c.Close()
		return nil, err
	}
	// Utterance mode (a stream that failed twice, or FreeSWITCH without
	// mod_audio_stream): the tenant's recognizer on recorded answers.
	fileRecognizer := func(a *store.CallAttempt, lang string) speech.FileRecognizer {
		if a.Simulated {
			return nil
		}
		res, err := reg.Resolve(speech.Scope{TenantID: a.TenantID})
		if err != nil {
			return nil
		}
		return res.Recognizer()
	}
	c.engine = callctl.NewEngine(d.calls, callctl.EngineOptions{
		Streams: c.streams, StreamURL: streamURL, Recognizer: recognizer, SpeechTurns: turns.Take, FileRecognizer: fileRecognizer,
		Log: d.log, Advertise: advertise, RecordDir: d.cfg.RecordingsDir, Announcements: d.announcements,
		Scripts: d.scripts, Vars: d.vars, Prompts: prompts, ReleaseNotDialed: d.release, Funds: d.funds, DialogOptions: dialogOpts,
		ReconcileAfter: d.cfg.ReconcileAfter, CDRGrace: min(d.cfg.ReconcileAfter/4, 30*time.Second),
		NodeRefresh: min(d.cfg.ReconcileAfter/4, 10*time.Second),
	})
	if err := c.engine.Start(ctx, listen); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// withCredentials puts FreeSWITCH's basic-auth credentials into a URL
// (libcurl in mod_http_cache and Go's client both send them).
func withCredentials(raw, secret string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("FreeSWITCH URL %q: %w", raw, err)
	}
	u.User = url.UserPassword("freeswitch", secret)
	return u.String(), nil
}

// listenMode is how a tenant's script hears real callees: a recognizer
// that cannot stream leaves utterance mode (no barge-in).
func (c *calling) listenMode(tenantID, scriptID uint64) string {
	if c.speech == nil {
		return httpapi.ListenStream
	}
	res, err := c.speech.Registry.Resolve(speech.Scope{TenantID: tenantID, ScriptID: scriptID})
	if err == nil && res.Stream == nil && res.File != nil {
		return httpapi.ListenUtterance
	}
	return httpapi.ListenStream
}

func (c *calling) Close() {
	if c.engine != nil {
		c.engine.Close()
	}
	if c.sim != nil {
		_ = c.sim.Close()
	}
	if c.speech != nil {
		_ = c.speech.Close()
	}
}

// callLLM is the chat model of live calls' LLM fallback and LLM nodes,
// from the environment (any OpenAI-compatible API):
//
//	WAIHU_LLM_URL, WAIHU_LLM_MODEL, WAIHU_LLM_KEY
//
// Unset: calls run without a model (scripts take their no-match paths).
// Each call's tokens are billed through its usage (app/callctl/usage.go).
func callLLM() (func(*store.CallAttempt) []dialog.Option, error) {
	base := os.Getenv("WAIHU_LLM_URL")
	if base == "" {
		return nil, nil
	}
	cl, err := llm.New(llm.Config{BaseURL: base, Model: os.Getenv("WAIHU_LLM_MODEL"), APIKey: os.Getenv("WAIHU_LLM_KEY")})
	if err != nil {
		return nil, fmt.Errorf("WAIHU_LLM_URL: %w", err)
	}
	opts := []dialog.Option{dialog.WithClassifier(cl), dialog.WithChatModel(cl)}
	return func(*store.CallAttempt) []dialog.Option { return opts }, nil
}

// scriptOfVersion maps a call's pinned script version to its script (speech
// choices are per script, calls pin a version); versions never move, so the
// answers are kept for the process's life.
func scriptOfVersion(db *store.DB) func(ctx context.Context, a store.CallAttempt) uint64 {
	var mu sync.Mutex
	known := map[uint64]uint64{}
	return func(ctx context.Context, a store.CallAttempt) uint64 {
		if a.ScriptVersionID == 0 {
			return 0
		}
		mu.Lock()
		id, ok := known[a.ScriptVersionID]
		mu.Unlock()
		if ok {
			return id
		}
		var v store.ScriptVersion
		if err := db.With(store.WithTenant(ctx, a.TenantID)).Select("id", "script_id").First(&v, a.ScriptVersionID).Error; err != nil {
			return 0 // the tenant's default engines still apply
		}
		mu.Lock()
		known[a.ScriptVersionID] = v.ScriptID
		mu.Unlock()
		return v.ScriptID
	}
}
