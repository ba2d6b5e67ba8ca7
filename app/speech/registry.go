package speech

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Choice names the engines for a scope. Empty fields inherit from the wider
// scope: script → tenant → platform default.
type Choice struct {
	ASR   string  `json:"asr,omitempty"`
	TTS   string  `json:"tts,omitempty"`
	Voice string  `json:"voice,omitempty"`
	Speed float64 `json:"speed,omitempty"`
}

func (c Choice) over(base Choice) Choice {
	if c.ASR == "" {
		c.ASR = base.ASR
	}
	if c.TTS == "" {
		c.TTS = base.TTS
	}
	if c.Voice == "" {
		c.Voice = base.Voice
	}
	if c.Speed == 0 {
		c.Speed = base.Speed
	}
	return c
}

// Scope is what a call knows when it picks engines.
type Scope struct {
	TenantID uint64
	ScriptID uint64
	// Simulated is true only when the call runs on the switch simulator.
	// Real trunks and nodes must never get a simulated engine.
	Simulated bool
}

// Resolved is the set of engines one call uses. Stream or File may be nil
// when the chosen ASR engine offers only the other mode; use the helpers.
type Resolved struct {
	Choice Choice
	Stream StreamingRecognizer
	File   FileRecognizer
	TTS    Synthesizer
}

// Recognizer returns a file recognizer, adapting a streaming one if needed.
func (r Resolved) Recognizer() FileRecognizer {
	if r.File != nil {
		return r.File
	}
	if r.Stream != nil {
		return FileFromStream(r.Stream)
	}
	return nil
}

// Registry holds the engines of this process and who uses which. It is
// safe for concurrent use; call control resolves once per call.
type Registry struct {
	mu       sync.RWMutex
	stream   map[string]StreamingRecognizer
	file     map[string]FileRecognizer
	tts      map[string]Synthesizer
	infos    map[string]EngineInfo
	platform Choice
	tenant   map[uint64]Choice
	script   map[[2]uint64]Choice // by (tenant, script): a script never leaks to another tenant
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		stream: map[string]StreamingRecognizer{},
		file:   map[string]FileRecognizer{},
		tts:    map[string]Synthesizer{},
		infos:  map[string]EngineInfo{},
		tenant: map[uint64]Choice{},
		script: map[[2]uint64]Choice{},
	}
}

// Register adds an engine. e must implement StreamingRecognizer,
// FileRecognizer or Synthesizer (or several). Names are unique per kind.
// A value whose Info says one kind is registered only as that kind (an
// adapter type may implement both; register its other view separately).
func (r *Registry) Register(e any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	kind := ""
	if i, yes := e.(interface{ Info() EngineInfo }); yes {
		kind = i.Info().Kind
	}
	var ok bool
	if s, yes := e.(StreamingRecognizer); yes && kind != KindTTS {
		r.stream[s.Info().Name] = s
		r.infos[KindASR+":"+s.Info().Name] = s.Info()
		ok = true
	}
	if f, yes := e.(FileRecognizer); yes && kind != KindTTS {
		r.file[f.Info().Name] = f
		r.infos[KindASR+":"+f.Info().Name] = f.Info()
		ok = true
	}
	if t, yes := e.(Synthesizer); yes && kind != KindASR {
		r.tts[t.Info().Name] = t
		r.infos[KindTTS+":"+t.Info().Name] = t.Info()
		ok = true
	}
	if !ok {
		return fmt.Errorf("register engine: %T is neither recognizer nor synthesizer", e)
	}
	return nil
}

// Engines lists what is registered, sorted by kind then name (for the console's picker).
func (r *Registry) Engines() []EngineInfo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]EngineInfo, 0, len(r.infos))
	for _, i := range r.infos {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Kind != out[b].Kind {
			return out[a].Kind < out[b].Kind
		}
		return out[a].Name < out[b].Name
	})
	return out
}

func (r *Registry) check(c Choice, field string) error {
	if c.ASR != "" {
		if _, ok := r.infos[KindASR+":"+c.ASR]; !ok {
			return fmt.Errorf("%s.asr %q: %w", field, c.ASR, ErrUnknownEngine)
		}
	}
	if c.TTS != "" {
		if _, ok := r.infos[KindTTS+":"+c.TTS]; !ok {
			return fmt.Errorf("%s.tts %q: %w", field, c.TTS, ErrUnknownEngine)
		}
	}
	if c.Speed < 0 || c.Speed > 3 {
		return fmt.Errorf("%s.speed %v: must be between 0 and 3", field, c.Speed)
	}
	return nil
}

// SetPlatformDefault sets the engines used where nothing narrower is set.
func (r *Registry) SetPlatformDefault(c Choice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.check(c, "platform"); err != nil {
		return err
	}
	r.platform = c
	return nil
}

// SetTenant sets (or with a zero Choice clears) a tenant's engines.
func (r *Registry) SetTenant(tenantID uint64, c Choice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.check(c, "tenant"); err != nil {
		return err
	}
	if c == (Choice{}) {
		delete(r.tenant, tenantID)
	} else {
		r.tenant[tenantID] = c
	}
	return nil
}

// SetScript sets (or clears) the engines of a tenant's script.
func (r *Registry) SetScript(tenantID, scriptID uint64, c Choice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.check(c, "script"); err != nil {
		return err
	}
	if c == (Choice{}) {
		delete(r.script, [2]uint64{tenantID, scriptID})
	} else {
		r.script[[2]uint64{tenantID, scriptID}] = c
	}
	return nil
}

// Choose returns the effective choice for a scope without checking engines.
func (r *Registry) Choose(s Scope) Choice {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c := r.platform
	if t, ok := r.tenant[s.TenantID]; ok && s.TenantID != 0 {
		c = t.over(c)
	}
	if sc, ok := r.script[[2]uint64{s.TenantID, s.ScriptID}]; ok && s.ScriptID != 0 {
		c = sc.over(c)
	}
	return c
}

// Override is what the tenant and script chose, without the platform
// default: call control keeps its per-language defaults unless a tenant or
// script chose otherwise.
func (r *Registry) Override(s Scope) Choice {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var c Choice
	if t, ok := r.tenant[s.TenantID]; ok && s.TenantID != 0 {
		c = t
	}
	if sc, ok := r.script[[2]uint64{s.TenantID, s.ScriptID}]; ok && s.ScriptID != 0 {
		c = sc.over(c)
	}
	return c
}

// Resolve picks the engines for a call. It refuses a simulated engine for a
// real trunk or node: a simulation recognizer there would "hear" nothing and
// the call would silently fail every turn.
func (r *Registry) Resolve(s Scope) (Resolved, error) {
	c := r.Choose(s)
	r.mu.RLock()
	defer r.mu.RUnlock()
	res := Resolved{Choice: c}
	if c.ASR != "" {
		info, ok := r.infos[KindASR+":"+c.ASR]
		if !ok {
			return Resolved{}, fmt.Errorf("resolve asr %q: %w", c.ASR, ErrUnknownEngine)
		}
		if info.Simulated && !s.Simulated {
			return Resolved{}, fmt.Errorf("resolve asr %q: %w", c.ASR, ErrSimulatedEngine)
		}
		res.Stream = r.stream[c.ASR]
		res.File = r.file[c.ASR]
	}
	if c.TTS != "" {
		info, ok := r.infos[KindTTS+":"+c.TTS]
		if !ok {
			return Resolved{}, fmt.Errorf("resolve tts %q: %w", c.TTS, ErrUnknownEngine)
		}
		if info.Simulated && !s.Simulated {
			return Resolved{}, fmt.Errorf("resolve tts %q: %w", c.TTS, ErrSimulatedEngine)
		}
		res.TTS = r.tts[c.TTS]
	}
	return res, nil
}

// FileFromStream adapts a streaming recognizer to whole recordings.
func FileFromStream(s StreamingRecognizer) FileRecognizer { return fileAdapter{s} }

type fileAdapter struct{ s StreamingRecognizer }

func (f fileAdapter) Info() EngineInfo { return f.s.Info() }

func (f fileAdapter) Recognize(ctx context.Context, a Audio, opts RecognizeOptions) (Result, error) {
	opts.SampleRate = a.SampleRate
	st, err := f.s.Start(ctx, opts)
	if err != nil {
		return Result{}, err
	}
	defer st.Close()
	// Feed in 20 ms frames, the shape a live stream has.
	step := a.SampleRate / 50 * 2
	for p := 0; p < len(a.PCM); p += step {
		end := min(p+step, len(a.PCM))
		if err := st.Write(a.PCM[p:end]); err != nil {
			return Result{}, err
		}
	}
	return st.Finish(ctx)
}

// Has reports whether an engine of kind is registered under name.
func (r *Registry) Has(kind, name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.infos[kind+":"+name]
	return ok
}

// Synthesizer returns the registered TTS engine with this name (the TTS
// cache looks engines up by the name in its keys).
func (r *Registry) Synthesizer(name string) (Synthesizer, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.tts[name]
	if !ok {
		return nil, fmt.Errorf("tts %q: %w", name, ErrUnknownEngine)
	}
	return s, nil
}
