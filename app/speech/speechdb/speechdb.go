// Package speechdb persists speech engine definitions and tenant / script
// engine choices, and loads them into a speech.Registry. It keeps app/speech
// free of the database.
package speechdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm/clause"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines"
	"github.com/waihu/waihu/app/store"
)

// Service reads and writes speech configuration.
type Service struct {
	db  *store.DB
	reg *speech.Registry
}

// New binds the service to a database and the registry it keeps current.
func New(db *store.DB, reg *speech.Registry) *Service { return &Service{db: db, reg: reg} }

// SaveEngine creates or updates a platform engine definition after building
// it once (so a bad spec is refused by field before it is stored), and
// registers it.
func (s *Service) SaveEngine(ctx context.Context, spec engines.Spec) (*store.SpeechEngine, error) {
	var v apperr.Validator
	v.Check(spec.Name != "" && len(spec.Name) <= 64, "name", "required, at most 64 characters")
	v.Check(spec.Type != "", "type", "required")
	if err := v.Err(); err != nil {
		return nil, err
	}
	b, err := engines.Build(spec)
	if err != nil {
		return nil, &apperr.ValidationError{Fields: map[string]string{"config": err.Error()}}
	}
	cfg, _ := json.Marshal(spec)
	row := &store.SpeechEngine{Name: spec.Name, Type: spec.Type, Config: string(cfg), Enabled: true}
	err = s.db.With(store.AsPlatform(ctx)).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"type", "config", "enabled", "updated_at"}),
	}).Create(row).Error
	if err != nil {
		return nil, fmt.Errorf("save speech engine %s: %w", spec.Name, err)
	}
	for _, e := range b.Engines {
		if err := s.reg.Register(e); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// SetChoice stores a tenant's (scriptID 0) or a script's choice. The tenant
// comes from ctx. Unknown engines are refused by field.
func (s *Service) SetChoice(ctx context.Context, scriptID uint64, c speech.Choice) error {
	tid, ok := store.TenantFrom(ctx)
	if !ok {
		return store.ErrNoTenantScope
	}
	var v apperr.Validator
	v.Check(c.ASR == "" || s.reg.Has(speech.KindASR, c.ASR), "asr", "unknown engine")
	v.Check(c.TTS == "" || s.reg.Has(speech.KindTTS, c.TTS), "tts", "unknown engine")
	v.Check(c.Speed >= 0 && c.Speed <= 3, "speed", "must be between 0 and 3")
	v.Check(len(c.Voice) <= 64, "voice", "at most 64 characters")
	if err := v.Err(); err != nil {
		return err
	}
	row := store.SpeechChoice{ScriptID: scriptID, ASR: c.ASR, TTS: c.TTS, Voice: c.Voice, Speed: c.Speed}
	row.TenantID = tid
	err := s.db.With(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "script_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"asr", "tts", "voice", "speed", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("save speech choice: %w", err)
	}
	if scriptID == 0 {
		return s.reg.SetTenant(tid, c)
	}
	return s.reg.SetScript(tid, scriptID, c)
}

// Load registers every enabled engine and applies every stored choice (at
// startup, platform context). An engine that no longer builds is skipped
// and reported; the rest still load.
func (s *Service) Load(ctx context.Context) error {
	ctx = store.AsPlatform(ctx)
	var rows []store.SpeechEngine
	if err := s.db.With(ctx).Where("enabled = ?", true).Order("id").Find(&rows).Error; err != nil {
		return fmt.Errorf("load speech engines: %w", err)
	}
	var errs []error
	for _, r := range rows {
		var spec engines.Spec
		if err := json.Unmarshal([]byte(r.Config), &spec); err != nil {
			errs = append(errs, fmt.Errorf("speech engine %s: config: %w", r.Name, err))
			continue
		}
		b, err := engines.Build(spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("speech engine %s: %w", r.Name, err))
			continue
		}
		for _, e := range b.Engines {
			if err := s.reg.Register(e); err != nil {
				errs = append(errs, err)
			}
		}
	}
	var choices []store.SpeechChoice
	if err := s.db.With(ctx).Order("id").Find(&choices).Error; err != nil {
		return fmt.Errorf("load speech choices: %w", err)
	}
	for _, c := range choices {
		ch := speech.Choice{ASR: c.ASR, TTS: c.TTS, Voice: c.Voice, Speed: c.Speed}
		var err error
		if c.ScriptID == 0 {
			err = s.reg.SetTenant(c.TenantID, ch)
		} else {
			err = s.reg.SetScript(c.TenantID, c.ScriptID, ch)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("speech choice tenant %d script %d: %w", c.TenantID, c.ScriptID, err))
		}
	}
	return errors.Join(errs...)
}
