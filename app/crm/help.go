package crm

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// Langs are the website's languages.
var Langs = []string{"zh-CN", "en"}

// DocInput creates or changes a help document.
type DocInput struct {
	Slug      string `json:"slug"`
	Lang      string `json:"lang"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	Position  int    `json:"position"`
	Published bool   `json:"published"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

func (in *DocInput) validate() error {
	var v apperr.Validator
	v.Check(slugRE.MatchString(in.Slug), "slug", "must be 1 to 64 lowercase letters, digits or dashes")
	v.Check(oneOf(in.Lang, Langs), "lang", "must be zh-CN or en")
	v.Check(runes(strings.TrimSpace(in.Title)) >= 1 && runes(in.Title) <= 191 && oneLine(in.Title), "title", "must be 1 to 191 characters")
	v.Check(len(in.Body) <= 200000, "body", "must be at most 200000 bytes")
	v.Check(in.Position >= 0 && in.Position <= 100000, "position", "must be between 0 and 100000")
	return v.Err()
}

// Docs lists help documents of a language; published only unless all is set.
// A query matches title or body.
func (s *Service) Docs(ctx context.Context, lang, query string, all bool) ([]store.HelpDoc, error) {
	q := s.db.With(store.AsPlatform(ctx)).Model(&store.HelpDoc{})
	if lang != "" {
		q = q.Where("lang = ?", lang)
	}
	if !all {
		q = q.Where("published = ?", true)
	}
	if query = strings.TrimSpace(query); query != "" {
		like := "%" + escapeLike(query) + "%"
		q = q.Where("title LIKE ? OR body LIKE ?", like, like)
	}
	var rows []store.HelpDoc
	if err := q.Order("position, id").Limit(500).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list help docs: %w", err)
	}
	return rows, nil
}

// Doc returns one published document by slug and language.
func (s *Service) Doc(ctx context.Context, lang, slug string) (*store.HelpDoc, error) {
	var d store.HelpDoc
	if err := s.db.With(store.AsPlatform(ctx)).Where("lang = ? AND slug = ? AND published = ?", lang, slug, true).First(&d).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &d, nil
}

// GetDoc returns any document by id.
func (s *Service) GetDoc(ctx context.Context, id uint64) (*store.HelpDoc, error) {
	var d store.HelpDoc
	if err := s.db.With(store.AsPlatform(ctx)).First(&d, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &d, nil
}

// SaveDoc creates (id 0) or replaces a help document, audited.
func (s *Service) SaveDoc(ctx context.Context, id uint64, in DocInput) (*store.HelpDoc, error) {
	in.Title = strings.TrimSpace(in.Title)
	if err := in.validate(); err != nil {
		return nil, err
	}
	pctx := store.AsPlatform(ctx)
	d := &store.HelpDoc{ID: id}
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		if id != 0 {
			if err := tx.First(d, id).Error; err != nil {
				return store.Translate(err)
			}
		}
		d.Slug, d.Lang, d.Title, d.Body, d.Position, d.Published = in.Slug, in.Lang, in.Title, in.Body, in.Position, in.Published
		if err := tx.Save(d).Error; err != nil {
			if errors.Is(store.Translate(err), store.ErrConflict) {
				return apperr.Invalid("slug", "is already used in this language")
			}
			return fmt.Errorf("save help doc: %w", err)
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{Action: "help.save", Target: fmt.Sprintf("help_doc:%d", d.ID), Detail: map[string]any{"slug": d.Slug, "lang": d.Lang}})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteDoc removes a help document, audited.
func (s *Service) DeleteDoc(ctx context.Context, id uint64) error {
	pctx := store.AsPlatform(ctx)
	return s.db.Tx(pctx, func(tx *gorm.DB) error {
		res := tx.Delete(&store.HelpDoc{}, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return store.ErrNotFound
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{Action: "help.delete", Target: fmt.Sprintf("help_doc:%d", id)})
	})
}

// EnsureDefaultDocs writes starter help documents when there are none, so
// a fresh installation's help center is not empty.
func (s *Service) EnsureDefaultDocs(ctx context.Context) error {
	pctx := store.AsPlatform(ctx)
	var n int64
	if err := s.db.With(pctx).Model(&store.HelpDoc{}).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for i, d := range defaultDocs {
		d.Position = i
		d.Published = true
		if err := s.db.With(pctx).Create(&d).Error; err != nil {
			return fmt.Errorf("seed help doc %s: %w", d.Slug, err)
		}
	}
	return nil
}

var defaultDocs = []store.HelpDoc{
	{Slug: "getting-started", Lang: "zh-CN", Title: "快速开始", Body: "# 快速开始\n\n1. 在官网**注册**企业账号，或联系销售开通。\n2. 运营人员审核并**激活**账号后即可登录控制台。\n3. 在控制台导入号码名单、编辑话术、创建外呼任务。\n\n如有问题请联系我们的客户经理。"},
	{Slug: "compliance", Lang: "zh-CN", Title: "合规外呼须知", Body: "# 合规外呼须知\n\n- 只在允许的时段外呼（默认 9:00–20:00）。\n- 号码在**免打扰名单**中将不会被拨打。\n- 被叫要求不再来电时，系统自动加入免打扰名单。"},
	{Slug: "getting-started", Lang: "en", Title: "Getting started", Body: "# Getting started\n\n1. **Sign up** your company on the website, or ask sales to open an account.\n2. Once the operator **activates** the account, log in to the console.\n3. Import a contact list, edit a script and start a campaign."},
	{Slug: "compliance", Lang: "en", Title: "Calling responsibly", Body: "# Calling responsibly\n\n- Calls are placed only in allowed hours (9:00–20:00 by default).\n- Numbers on the **do-not-call list** are never dialled.\n- A callee who asks not to be called again is added to it automatically."},
}
