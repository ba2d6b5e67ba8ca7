package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/config"
	"github.com/waihu/waihu/app/demo"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines"
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
	engine  *callctl.Engine
	sim     *switchsim.Sim
}

type callingDeps struct {
	cfg      *config.Config
	db       *store.DB
	calls    *callctl.Service
	scripts  callctl.ScriptSource
	vars     callctl.VarsSource
	release  func(ctx context.Context, a *store.CallAttempt, reason string) error
	funds    callctl.Funds
	httpBase string // waihu's own URL (CDR posts from the simulator)
	tenantID uint64 // demo tenant
	log      *slog.Logger
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
		c.sim, err = switchsim.New(switchsim.Options{Password: d.cfg.FSSecret, CDRURL: cdrURL, Log: d.log.With("component", "switchsim")})
		if err != nil {
			c.Close()
			return nil, err
		}
		if err := c.sim.Start(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("start the switch simulator: %w", err)
		}
		if _, err := demo.SeedSimulator(ctx, d.db, d.tenantID, c.sim.ESLAddr(), d.cfg.FSSecret); err != nil {
			c.Close()
			return nil, err
		}
	}
	// Real calls stream the callee's audio to the tenant's recognizer
	// (mod_audio_stream); simulated ones use the simulator's side channel.
	c.streams = stream.NewRegistry(stream.Options{})
	streamURL := "ws" + strings.TrimPrefix(strings.TrimRight(fsBase, "/"), "http") + "/fs/audio"
	reg := c.speech.Registry
	recognizer := func(a *store.CallAttempt, lang string) speech.StreamingRecognizer {
		if a.Simulated {
			return nil
		}
		res, err := reg.Resolve(speech.Scope{TenantID: a.TenantID})
		if err != nil {
			d.log.Warn("no recognizer for call", "attempt", a.UUID, "err", err)
			return nil
		}
		return res.Stream
	}
	c.engine = callctl.NewEngine(d.calls, callctl.EngineOptions{
		Streams: c.streams, StreamURL: streamURL, Recognizer: recognizer,
		Log: d.log, Advertise: advertise, RecordDir: d.cfg.RecordingsDir,
		Scripts: d.scripts, Vars: d.vars, Prompts: prompts, ReleaseNotDialed: d.release, Funds: d.funds,
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
