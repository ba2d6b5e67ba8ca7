// Package scriptstore keeps tenants' call scripts in the database: drafts,
// immutable published versions (publishing runs validation and the
// script's own tests and refuses on failure), templates, import/export and
// a stateless test chat. app/dialog stays pure; this is its store-backed
// service, and LoadVersion is what call control uses to run a pinned
// version.
package scriptstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// Auditor records changes (tenant.Service satisfies it).
type Auditor interface {
	AuditTx(ctx context.Context, tx *gorm.DB, e tenant.Entry) error
}

// Service is the script store.
type Service struct {
	db      *store.DB
	audit   Auditor
	opts    []dialog.Option
	mu      sync.Mutex
	loaded  map[uint64]loadedVersion // version id → parsed script, shared by calls
	maxBody int
}

type loadedVersion struct {
	tenantID uint64
	script   *dialog.Script
}

// New builds the service. audit may be nil. opts are passed to every test
// and chat call (e.g. dialog.WithClassifier for the LLM fallback).
func New(db *store.DB, audit Auditor, opts ...dialog.Option) *Service {
	return &Service{db: db, audit: audit, opts: opts, loaded: map[uint64]loadedVersion{}, maxBody: 2 << 20}
}

func (s *Service) auditTx(ctx context.Context, tx *gorm.DB, action string, id uint64, detail any) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.AuditTx(ctx, tx, tenant.Entry{Action: action, Target: fmt.Sprintf("script:%d", id), Detail: detail})
}

func actor(ctx context.Context) uint64 {
	if p, ok := tenant.PrincipalFrom(ctx); ok && p != nil {
		return p.ID
	}
	return 0
}

// ParseBody parses a script JSON upload with field-named errors.
func (s *Service) ParseBody(body []byte) (*dialog.Script, error) {
	if len(body) > s.maxBody {
		return nil, apperr.Invalid("script", "is larger than 2 MiB")
	}
	sc, err := dialog.Parse(body)
	if err != nil {
		return nil, apperr.Invalid("script", err.Error())
	}
	return sc, nil
}

// List lists the tenant's scripts, newest first (drafts not included).
func (s *Service) List(ctx context.Context, p store.Page) ([]store.Script, uint64, error) {
	var rows []store.Script
	q := s.db.With(ctx).Model(&store.Script{}).Omit("draft")
	if err := p.Apply(q, "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list scripts: %w", err)
	}
	out, next := store.Trim(p, rows, func(r store.Script) uint64 { return r.ID })
	return out, next, nil
}

// Get returns a script row and its parsed draft.
func (s *Service) Get(ctx context.Context, id uint64) (*store.Script, *dialog.Script, error) {
	var row store.Script
	if err := s.db.With(ctx).First(&row, id).Error; err != nil {
		return nil, nil, store.Translate(err)
	}
	sc, err := dialog.Parse([]byte(row.Draft))
	if err != nil {
		return nil, nil, fmt.Errorf("script %d: stored draft: %w", id, err)
	}
	return &row, sc, nil
}

// Create stores a new script (an import or a blank one). Drafts may have
// validation errors; only publishing requires a clean script.
func (s *Service) Create(ctx context.Context, sc *dialog.Script) (*store.Script, error) {
	if err := CheckBounds(sc); err != nil {
		return nil, err
	}
	sc.Name = strings.TrimSpace(sc.Name)
	row := &store.Script{Name: sc.Name, Template: sc.Template, Lang: langOf(sc), Draft: string(sc.JSON()), CreatedBy: actor(ctx)}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&store.Script{}).Where("name = ?", sc.Name).Count(&n).Error; err != nil {
			return fmt.Errorf("create script: %w", err)
		}
		if n > 0 {
			return &apperr.ValidationError{Fields: map[string]string{"name": "is already used by another script"}}
		}
		if err := tx.Create(row).Error; err != nil {
			return fmt.Errorf("create script: %w", store.Translate(err))
		}
		return s.auditTx(ctx, tx, "script.create", row.ID, map[string]any{"name": row.Name, "template": row.Template})
	})
	if err != nil {
		return nil, err
	}
	return row, nil
}

func langOf(sc *dialog.Script) string {
	if sc.Lang == "" {
		return "zh"
	}
	return sc.Lang
}

// CreateFromTemplate copies a template into a new script called name.
func (s *Service) CreateFromTemplate(ctx context.Context, template, name string) (*store.Script, error) {
	sc, err := dialog.Template(template)
	if err != nil {
		return nil, apperr.Invalid("template", "unknown template")
	}
	if utf8.RuneCountInString(name) > 128 {
		return nil, apperr.Invalid("name", "must be 1 to 128 characters")
	}
	if strings.TrimSpace(name) != "" {
		sc.Name = name
	}
	return s.Create(ctx, sc)
}

// UpdateDraft replaces a script's draft.
func (s *Service) UpdateDraft(ctx context.Context, id uint64, sc *dialog.Script) (*store.Script, error) {
	// Someone else's (or a missing) script is "not found" before any
	// complaint about the body.
	var probe store.Script
	if err := s.db.With(ctx).Select("id").First(&probe, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	if err := CheckBounds(sc); err != nil {
		return nil, err
	}
	sc.Name = strings.TrimSpace(sc.Name)
	var row store.Script
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&row, id).Error; err != nil {
			return store.Translate(err)
		}
		var n int64
		if err := tx.Model(&store.Script{}).Where("name = ? AND id <> ?", sc.Name, id).Count(&n).Error; err != nil {
			return fmt.Errorf("update script: %w", err)
		}
		if n > 0 {
			return &apperr.ValidationError{Fields: map[string]string{"name": "is already used by another script"}}
		}
		row.Name, row.Lang, row.Draft = sc.Name, langOf(sc), string(sc.JSON())
		if err := tx.Model(&store.Script{}).Where("id = ?", id).Updates(map[string]any{"name": row.Name, "lang": row.Lang, "draft": row.Draft}).Error; err != nil {
			return fmt.Errorf("update script: %w", err)
		}
		return s.auditTx(ctx, tx, "script.update", id, nil)
	})
	if err != nil {
		return nil, err
	}
	return &row, nil
}

// Delete removes a script that was never published (published versions may
// be pinned by campaigns and call records).
func (s *Service) Delete(ctx context.Context, id uint64) error {
	return s.db.Tx(ctx, func(tx *gorm.DB) error {
		var row store.Script
		if err := tx.First(&row, id).Error; err != nil {
			return store.Translate(err)
		}
		if row.LatestVersion > 0 {
			return fmt.Errorf("delete script %d: it has published versions: %w", id, apperr.ErrConflict)
		}
		if err := tx.Delete(&store.Script{}, id).Error; err != nil {
			return fmt.Errorf("delete script: %w", err)
		}
		return s.auditTx(ctx, tx, "script.delete", id, map[string]any{"name": row.Name})
	})
}

// IssuesError makes validation issues a field-named ValidationError (the
// "field" is where the issue is: a node, a test, "script").
func IssuesError(issues []dialog.Issue) error {
	if len(issues) == 0 {
		return nil
	}
	f := map[string]string{}
	for _, i := range issues {
		if prev, ok := f[i.Where]; ok {
			f[i.Where] = prev + "; " + i.Message
		} else {
			f[i.Where] = i.Message
		}
	}
	return &apperr.ValidationError{Fields: f}
}

// Publish freezes the current draft as the next immutable version after it
// passes validation and all its test conversations; otherwise nothing
// changes and the error names every failing node and test.
func (s *Service) Publish(ctx context.Context, id uint64, note string) (*store.ScriptVersion, error) {
	if utf8.RuneCountInString(note) > 255 {
		return nil, apperr.Invalid("note", "must be at most 255 characters")
	}
	var v *store.ScriptVersion
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var row store.Script
		if err := tx.First(&row, id).Error; err != nil {
			return store.Translate(err)
		}
		sc, err := dialog.Parse([]byte(row.Draft))
		if err != nil {
			return apperr.Invalid("script", err.Error())
		}
		if err := IssuesError(dialog.Check(sc, s.opts...)); err != nil {
			return err
		}
		body := sc.JSON()
		sum := sha256.Sum256(body)
		v = &store.ScriptVersion{ScriptID: id, Version: row.LatestVersion + 1, Body: string(body), Checksum: hex.EncodeToString(sum[:]), Note: strings.TrimSpace(note), PublishedBy: actor(ctx)}
		if err := tx.Create(v).Error; err != nil {
			return fmt.Errorf("publish script: %w", store.Translate(err))
		}
		// The version number guards against two concurrent publishes.
		res := tx.Model(&store.Script{}).Where("id = ? AND latest_version = ?", id, row.LatestVersion).
			Updates(map[string]any{"latest_version": v.Version, "published_version_id": v.ID})
		if res.Error != nil {
			return fmt.Errorf("publish script: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("publish script %d: %w", id, apperr.ErrConflict)
		}
		return s.auditTx(ctx, tx, "script.publish", id, map[string]any{"version": v.Version, "checksum": v.Checksum})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Versions lists a script's published versions, newest first, without
// bodies.
func (s *Service) Versions(ctx context.Context, scriptID uint64) ([]store.ScriptVersion, error) {
	if _, _, err := s.Get(ctx, scriptID); err != nil {
		return nil, err
	}
	var rows []store.ScriptVersion
	if err := s.db.With(ctx).Omit("body").Where("script_id = ?", scriptID).Order("version DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list script versions: %w", err)
	}
	return rows, nil
}

// Version returns one published version with its body.
func (s *Service) Version(ctx context.Context, scriptID uint64, version int) (*store.ScriptVersion, error) {
	var v store.ScriptVersion
	if err := s.db.With(ctx).Where("script_id = ? AND version = ?", scriptID, version).First(&v).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &v, nil
}

// LoadVersion returns the frozen script of a version id (what
// CallAttempt.ScriptVersionID names), parsed once and shared, so every
// call on it reuses one compiled matcher. The context's tenant scope
// applies (platform contexts see every tenant's versions).
func (s *Service) LoadVersion(ctx context.Context, id uint64) (*dialog.Script, error) {
	tid, scoped := store.TenantFrom(ctx)
	s.mu.Lock()
	lv, ok := s.loaded[id]
	s.mu.Unlock()
	if ok && (!scoped || lv.tenantID == tid) {
		return lv.script, nil
	}
	var v store.ScriptVersion
	if err := s.db.With(ctx).First(&v, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	sc, err := dialog.Parse([]byte(v.Body))
	if err != nil {
		return nil, fmt.Errorf("script version %d: %w", id, err)
	}
	if _, err := dialog.Compile(sc); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if prev, ok := s.loaded[id]; ok {
		sc = prev.script
	} else {
		s.loaded[id] = loadedVersion{tenantID: v.TenantID, script: sc}
	}
	s.mu.Unlock()
	return sc, nil
}

// ChatRequest is one turn of the console's test chat. The chat is
// stateless: the client sends the callee's earlier lines and the new one,
// and the conversation is replayed, so any server can answer.
type ChatRequest struct {
	Version int               `json:"version,omitempty"` // 0 = the draft
	Vars    map[string]string `json:"vars,omitempty"`
	History []string          `json:"history,omitempty"`
	Line    *string           `json:"line,omitempty"` // nil = just start the call
}

// ChatReply is the robot's answer to the last line and the call's state.
type ChatReply struct {
	Actions []any         `json:"actions"`
	Result  dialog.Result `json:"result"`
}

// MaxChatTurns bounds a replayed chat.
const MaxChatTurns = 200

// Chat replays a test conversation against the draft or a version.
func (s *Service) Chat(ctx context.Context, scriptID uint64, req ChatRequest) (*ChatReply, error) {
	if len(req.History) > MaxChatTurns {
		return nil, apperr.Invalid("history", fmt.Sprintf("at most %d lines", MaxChatTurns))
	}
	for _, l := range req.History {
		if utf8.RuneCountInString(l) > 500 {
			return nil, apperr.Invalid("history", "lines must be at most 500 characters")
		}
	}
	if req.Line != nil && utf8.RuneCountInString(*req.Line) > 500 {
		return nil, apperr.Invalid("line", "must be at most 500 characters")
	}
	if len(req.Vars) > 100 {
		return nil, apperr.Invalid("vars", "at most 100 variables")
	}
	if req.Version < 0 {
		return nil, apperr.Invalid("version", "must not be negative")
	}
	var sc *dialog.Script
	if req.Version > 0 {
		v, err := s.Version(ctx, scriptID, req.Version)
		if err != nil {
			return nil, err
		}
		if sc, err = s.LoadVersion(ctx, v.ID); err != nil {
			return nil, err
		}
	} else {
		var err error
		if _, sc, err = s.Get(ctx, scriptID); err != nil {
			return nil, err
		}
		if errs := dialog.Errors(dialog.Validate(sc)); len(errs) > 0 {
			return nil, IssuesError(errs)
		}
	}
	return ChatWith(sc, req, s.opts...)
}

// ChatWith replays a chat against a script (also used for templates).
func ChatWith(sc *dialog.Script, req ChatRequest, opts ...dialog.Option) (*ChatReply, error) {
	call := dialog.NewCall(sc, req.Vars, opts...)
	acts := call.Start()
	for _, l := range req.History {
		if call.Ended() {
			break
		}
		acts = call.Reply(l)
	}
	if req.Line != nil {
		if call.Ended() {
			return nil, apperr.Invalid("line", "the call has ended")
		}
		acts = call.Reply(*req.Line)
	}
	out := &ChatReply{Actions: []any{}, Result: call.Result()}
	for _, a := range acts {
		out.Actions = append(out.Actions, dialog.ActionJSON(a))
	}
	return out, nil
}

// CheckBounds rejects scripts with absurd sizes before they are stored
// (drafts may be incomplete, but not unbounded): every field is named.
func CheckBounds(sc *dialog.Script) error {
	var v apperr.Validator
	runes := utf8.RuneCountInString
	v.Check(runes(strings.TrimSpace(sc.Name)) >= 1 && runes(sc.Name) <= 128, "name", "must be 1 to 128 characters")
	v.Check(runes(sc.Title) <= 128, "title", "must be at most 128 characters")
	v.Check(runes(sc.Description) <= 1000, "description", "must be at most 1000 characters")
	v.Check(sc.Lang == "" || sc.Lang == "zh" || sc.Lang == "en", "lang", "must be zh or en")
	v.Check(runes(sc.Template) <= 32, "template", "must be at most 32 characters")
	v.Check(runes(sc.Start) <= 64, "start", "must be at most 64 characters")
	v.Check(len(sc.Nodes) <= 500, "nodes", "at most 500 nodes")
	v.Check(len(sc.Intents) <= 1000, "intents", "at most 1000 intents")
	v.Check(len(sc.KB) <= 1000, "kb", "at most 1000 entries")
	v.Check(len(sc.Tests) <= 200, "tests", "at most 200 tests")
	for i, n := range sc.Nodes {
		f := fmt.Sprintf("nodes[%d]", i)
		v.Check(runes(n.ID) <= 64, f+".id", "must be at most 64 characters")
		v.Check(runes(n.Text) <= 2000, f+".text", "must be at most 2000 characters")
	}
	for i, in := range sc.Intents {
		f := fmt.Sprintf("intents[%d]", i)
		v.Check(runes(in.Name) <= 64, f+".name", "must be at most 64 characters")
		v.Check(len(in.Keywords)+len(in.Examples)+len(in.Regexes) <= 500, f, "at most 500 keywords, regexes and examples")
	}
	return v.Err()
}
