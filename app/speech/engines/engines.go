// Package engines builds speech engines from configuration and registers
// them, so wiring (cmd/waihu) needs one call. Engine definitions are plain
// JSON-able structs: the platform stores them (credentials included) and
// tenants choose among them by name.
package engines

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines/aliyun"
	"github.com/waihu/waihu/app/speech/engines/espeak"
	"github.com/waihu/waihu/app/speech/engines/flite"
	"github.com/waihu/waihu/app/speech/engines/funasr"
	"github.com/waihu/waihu/app/speech/engines/oai"
	"github.com/waihu/waihu/app/speech/engines/sim"
	"github.com/waihu/waihu/app/speech/engines/sphinx"
	"github.com/waihu/waihu/app/speech/engines/tencent"
)

// Engine types.
const (
	TypePocketsphinx = "pocketsphinx"
	TypeFlite        = "flite"
	TypeEspeakPinyin = "espeak-pinyin"
	TypeSimulation   = "simulation"
	TypeOpenAI       = "openai"
	TypeFunASR       = "funasr"
	TypeAliyun       = "aliyun"
	TypeTencent      = "tencent"
)

// Spec defines one engine instance. Only the fields of its Type are used.
type Spec struct {
	Name string `json:"name"` // registry name; defaults to Type
	Type string `json:"type"`
	// openai
	BaseURL  string `json:"base_url,omitempty"`
	APIKey   string `json:"api_key,omitempty"`
	ASRModel string `json:"asr_model,omitempty"`
	TTSModel string `json:"tts_model,omitempty"`
	Voice    string `json:"voice,omitempty"`
	// funasr / aliyun
	URL  string `json:"url,omitempty"`
	Mode string `json:"mode,omitempty"`
	// aliyun
	AppKey          string `json:"app_key,omitempty"`
	AccessKeyID     string `json:"access_key_id,omitempty"`
	AccessKeySecret string `json:"access_key_secret,omitempty"`
	Token           string `json:"token,omitempty"`
	// tencent
	AppID     string `json:"app_id,omitempty"`
	SecretID  string `json:"secret_id,omitempty"`
	SecretKey string `json:"secret_key,omitempty"`
	// embedded
	Bin      string `json:"bin,omitempty"`
	ModelDir string `json:"model_dir,omitempty"`
}

// Built is what Build returns: the engines to register and what to close.
type Built struct {
	Engines []any
	Closer  io.Closer
	Sim     *sim.Recognizer // set for the simulation recognizer, whose events call control feeds
}

// Build constructs the engine a spec describes. Errors name the field.
func Build(s Spec) (Built, error) {
	name := s.Name
	if name == "" {
		name = s.Type
	}
	switch s.Type {
	case TypePocketsphinx:
		e, err := sphinx.New(sphinx.Config{Bin: s.Bin, ModelDir: s.ModelDir})
		if err != nil {
			return Built{}, err
		}
		return Built{Engines: []any{e}, Closer: e}, nil
	case TypeFlite:
		e, err := flite.New(s.Bin)
		if err != nil {
			return Built{}, err
		}
		return Built{Engines: []any{e}}, nil
	case TypeEspeakPinyin:
		e, err := espeak.New(s.Bin)
		if err != nil {
			return Built{}, err
		}
		return Built{Engines: []any{e}}, nil
	case TypeSimulation:
		r := sim.New()
		return Built{Engines: []any{r}, Sim: r}, nil
	case TypeOpenAI:
		e, err := oai.New(oai.Config{Name: name, BaseURL: s.BaseURL, APIKey: s.APIKey, ASRModel: s.ASRModel, TTSModel: s.TTSModel, Voice: s.Voice})
		if err != nil {
			return Built{}, err
		}
		return Built{Engines: []any{e, e.TTS()}}, nil
	case TypeFunASR:
		e, err := funasr.New(funasr.Config{Name: name, URL: s.URL, Mode: s.Mode})
		if err != nil {
			return Built{}, err
		}
		return Built{Engines: []any{e}}, nil
	case TypeAliyun:
		var ts aliyun.TokenSource
		switch {
		case s.Token != "":
			ts = aliyun.StaticToken(s.Token)
		case s.AccessKeyID != "" && s.AccessKeySecret != "":
			ts = &aliyun.CreateToken{AccessKeyID: s.AccessKeyID, AccessKeySecret: s.AccessKeySecret}
		default:
			return Built{}, errors.New("aliyun engine: token or access_key_id + access_key_secret required")
		}
		e, err := aliyun.New(aliyun.Config{Name: name, AppKey: s.AppKey, Tokens: ts, URL: s.URL})
		if err != nil {
			return Built{}, err
		}
		tts, err := aliyun.NewTTS(aliyun.TTSConfig{Name: name, AppKey: s.AppKey, Tokens: ts, Voice: s.Voice})
		if err != nil {
			return Built{}, err
		}
		return Built{Engines: []any{e, tts}}, nil
	case TypeTencent:
		e, err := tencent.New(tencent.Config{Name: name, AppID: s.AppID, SecretID: s.SecretID, SecretKey: s.SecretKey})
		if err != nil {
			return Built{}, err
		}
		return Built{Engines: []any{e}}, nil
	}
	return Built{}, fmt.Errorf("engine type %q: want one of %s", s.Type, strings.Join(Types(), ", "))
}

// Types lists the known engine types.
func Types() []string {
	return []string{TypePocketsphinx, TypeFlite, TypeEspeakPinyin, TypeSimulation, TypeOpenAI, TypeFunASR, TypeAliyun, TypeTencent}
}

// Setup registers the embedded engines that are installed here plus the
// given remote specs, and sets the platform default (English ASR
// pocketsphinx, Mandarin TTS espeak-pinyin, when present). Missing embedded
// engines are reported, not fatal: the console shows which engine each
// script can use.
type Setup struct {
	Registry *speech.Registry
	Sim      *sim.Recognizer
	Missing  []error
	closers  []io.Closer
}

// NewSetup builds the registry.
func NewSetup(remote []Spec) (*Setup, error) {
	s := &Setup{Registry: speech.NewRegistry()}
	for _, t := range []string{TypePocketsphinx, TypeFlite, TypeEspeakPinyin, TypeSimulation} {
		b, err := Build(Spec{Type: t})
		if err != nil {
			s.Missing = append(s.Missing, err)
			continue
		}
		if err := s.add(b); err != nil {
			return nil, err
		}
	}
	for i, sp := range remote {
		b, err := Build(sp)
		if err != nil {
			return nil, fmt.Errorf("engine %d (%s): %w", i+1, sp.Name, err)
		}
		if err := s.add(b); err != nil {
			return nil, err
		}
	}
	def := speech.Choice{Speed: 1}
	for _, info := range s.Registry.Engines() {
		switch {
		case info.Kind == speech.KindASR && info.Name == TypePocketsphinx:
			def.ASR = info.Name
		case info.Kind == speech.KindTTS && info.Name == TypeEspeakPinyin:
			def.TTS = info.Name
		}
	}
	if err := s.Registry.SetPlatformDefault(def); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Setup) add(b Built) error {
	for _, e := range b.Engines {
		if err := s.Registry.Register(e); err != nil {
			return err
		}
	}
	if b.Closer != nil {
		s.closers = append(s.closers, b.Closer)
	}
	if b.Sim != nil {
		s.Sim = b.Sim
	}
	return nil
}

// Close stops engine workers.
func (s *Setup) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
