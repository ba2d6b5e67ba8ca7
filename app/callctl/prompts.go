package callctl

import (
	"context"
	"fmt"
	"strings"

	"github.com/waihu/waihu/app/speech/ttscache"
)

// TTSPrompts plays script lines from waihu's TTS cache: FreeSWITCH fetches
// them over HTTP through mod_http_cache (http_cache://…), so nodes need no
// shared disk; the switch simulator, which runs beside waihu, reads the
// cached file directly to know how long the line plays.
type TTSPrompts struct {
	Cache *ttscache.Cache
	// Voices by script language ("zh", "en"): engine, voice and speed.
	Voices map[string]ttscache.Key
	// BaseURL is where FreeSWITCH fetches prompts, with the FreeSWITCH
	// credentials: http://freeswitch:<secret>@waihu:8080/api/v1/fs/prompts
	BaseURL string
	// Choose, when set, may override the language's voice for the call
	// whose session ctx belongs to (AttemptFrom): the tenant's or script's
	// chosen synthesizer and voice. ok=false keeps the language's voice.
	Choose func(ctx context.Context, lang string) (key ttscache.Key, ok bool)
}

// Prompt synthesizes (or finds cached) the line and returns what to play.
func (p *TTSPrompts) Prompt(ctx context.Context, text, lang string, simulated bool) (string, error) {
	key, ok := p.Voices[lang]
	if !ok {
		if strings.HasPrefix(lang, "en") {
			key, ok = p.Voices["en"]
		} else {
			key, ok = p.Voices["zh"]
		}
	}
	if p.Choose != nil {
		if k, chosen := p.Choose(ctx, lang); chosen {
			key, ok = k, true
		}
	}
	if !ok {
		return "", fmt.Errorf("no voice configured for language %q", lang)
	}
	key.Text = text
	e, err := p.Cache.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("synthesize line: %w", err)
	}
	if simulated {
		return e.Path, nil
	}
	return "http_cache://" + ttscache.URL(p.BaseURL, e.Hash), nil
}
