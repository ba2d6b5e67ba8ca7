package demo

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/waihu/waihu/esl/switchsim"
)

// The simulator's power-off (…4) and invalid-number (…5) callees play these
// announcements as their early media; the demo seeds the same clips as
// fingerprint references, so the demo classifies those calls by
// fingerprint (and the simulator's transcript side channel agrees by
// keyword). Made with espeak-ng -v cmn-latn-pinyin, converted to 8 kHz
// 16-bit mono with sox.
//
//go:embed announcements/*.wav
var announcementClips embed.FS

// AnnouncementClip is one shipped announcement.
type AnnouncementClip struct {
	File, Name, Outcome string
	// Digit is the last digit of the simulator numbers that play it.
	Digit byte
}

// AnnouncementClips are the shipped announcements.
var AnnouncementClips = []AnnouncementClip{
	{File: "power_off.wav", Name: "演示：您拨打的电话已关机", Outcome: "powered_off", Digit: '4'},
	{File: "invalid_number.wav", Name: "演示：您拨打的号码是空号", Outcome: "invalid_number", Digit: '5'},
}

// AnnouncementWAV returns a shipped clip's bytes.
func AnnouncementWAV(file string) ([]byte, error) {
	return announcementClips.ReadFile("announcements/" + file)
}

// SimPersonas writes the clips under dir (the simulator reads clips from
// disk, as its persona files name them) and returns the default personas
// with the power-off and invalid-number callees playing them.
func SimPersonas(dir string) (*switchsim.Personas, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo announcement clips: %w", err)
	}
	def := switchsim.DefaultPersonas()
	p := &switchsim.Personas{}
	for _, c := range AnnouncementClips {
		b, err := AnnouncementWAV(c.File)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, c.File)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return nil, fmt.Errorf("demo announcement clips: %w", err)
		}
		ps := *def.For(string(c.Digit))
		ann := *ps.EarlyMedia
		ann.Clip = path
		ps.EarlyMedia = &ann
		ps.Match = []string{"*" + string(c.Digit)}
		p.List = append(p.List, &ps)
	}
	return p, nil
}

// Announcer stores fingerprint references (callctl.Announcements).
type Announcer interface {
	SeedClip(ctx context.Context, name, carrier, outcome string, wav []byte) error
}

// SeedAnnouncements stores the shipped clips as references for the
// simulator trunk's carrier, once.
func SeedAnnouncements(ctx context.Context, a Announcer, carrier string) error {
	for _, c := range AnnouncementClips {
		b, err := AnnouncementWAV(c.File)
		if err != nil {
			return err
		}
		if err := a.SeedClip(ctx, c.Name, carrier, c.Outcome, b); err != nil {
			return fmt.Errorf("seed announcement %s: %w", c.File, err)
		}
	}
	return nil
}
