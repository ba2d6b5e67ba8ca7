package crm

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// Stages lists the lead stages in pipeline order.
var Stages = []string{store.LeadNew, store.LeadContacted, store.LeadTrial, store.LeadNegotiating, store.LeadWon, store.LeadLost}

// FollowUpKinds lists the kinds of follow-up records.
var FollowUpKinds = []string{store.FollowUpCall, store.FollowUpVisit, store.FollowUpWeChat, store.FollowUpNote}

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

func validEmail(s string) bool {
	if s == "" || len(s) > 191 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.IndexByte(s, '@'):], ".")
}

// ContactInput is the website's contact-sales form.
type ContactInput struct {
	Company     string
	ContactName string
	Phone       string
	Email       string
	Message     string
	Source      Source
}

// SubmitContact turns a contact-sales form into a new, unowned lead.
func (s *Service) SubmitContact(ctx context.Context, in ContactInput) (*store.Lead, error) {
	return s.newLead(ctx, in, "contact")
}

func (s *Service) newLead(ctx context.Context, in ContactInput, source string) (*store.Lead, error) {
	var v apperr.Validator
	v.Check(runes(strings.TrimSpace(in.Company)) >= 2 && runes(in.Company) <= 128 && oneLine(in.Company), "company", "must be 2 to 128 characters")
	v.Check(runes(strings.TrimSpace(in.ContactName)) >= 1 && runes(in.ContactName) <= 64 && oneLine(in.ContactName), "contact_name", "must be 1 to 64 characters")
	phone, ok := tenant.NormalizePhone(in.Phone)
	v.Check(ok, "phone", "is not a valid phone number")
	email := tenant.NormalizeEmail(in.Email)
	v.Check(email == "" || validEmail(email), "email", "is not a valid email address")
	v.Check(runes(in.Message) <= 2000, "message", "must be at most 2000 characters")
	if err := v.Err(); err != nil {
		return nil, err
	}
	l := &store.Lead{
		Company: clean(in.Company, 128), ContactName: clean(in.ContactName, 64), Phone: phone, Email: email,
		Message: clean(in.Message, 2000), Source: source, Stage: store.LeadNew,
		UTMSource: clean(in.Source.UTMSource, 64), UTMMedium: clean(in.Source.UTMMedium, 64), UTMCampaign: clean(in.Source.UTMCampaign, 64),
		Landing: clean(in.Source.Landing, 191), Referrer: clean(in.Source.Referrer, 191),
	}
	pctx := store.AsPlatform(ctx)
	entry := tenant.Entry{Action: "lead.contact", Target: "", Actor: &tenant.Principal{Kind: tenant.ActorAnonymous, Name: "website"},
		Detail: map[string]any{"source": l.Source, "utm_campaign": l.UTMCampaign}}
	if source == "manual" {
		a := actor(ctx)
		entry.Action, entry.Actor = "lead.create", nil
		if a.Kind == tenant.ActorStaff {
			now := s.opt.Now()
			l.OwnerID, l.AssignedAt = a.ID, &now
		}
	}
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.Create(l).Error; err != nil {
			return fmt.Errorf("create lead: %w", err)
		}
		entry.Target = leadTarget(l.ID)
		return s.accounts.AuditTx(pctx, tx, entry)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

func leadTarget(id uint64) string { return fmt.Sprintf("lead:%d", id) }

type convertKey struct{}

// afterSignup runs inside the sign-up transaction: a conversion links the
// lead it converts; any other sign-up becomes a new lead.
func (s *Service) afterSignup(ctx context.Context, tx *gorm.DB, t *store.Tenant, u *store.User) error {
	if id, ok := ctx.Value(convertKey{}).(uint64); ok {
		res := tx.Model(&store.Lead{}).Where("id = ? AND tenant_id = 0", id).
			Updates(map[string]any{"tenant_id": t.ID, "stage": store.LeadTrial})
		if res.Error != nil {
			return fmt.Errorf("link lead: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return apperr.Coded(409, "lead_converted", "the lead was already converted")
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: t.ID, Action: "lead.convert", Target: leadTarget(id),
			Detail: map[string]any{"tenant_id": t.ID, "owner_email": u.Email}})
	}
	l := &store.Lead{Company: t.Name, ContactName: t.ContactName, Phone: t.ContactPhone, Email: t.ContactEmail,
		Source: "signup", Stage: store.LeadNew, TenantID: t.ID}
	if err := tx.Create(l).Error; err != nil {
		return fmt.Errorf("create lead from sign-up: %w", err)
	}
	return nil
}

// LeadFilter selects leads in the back office.
type LeadFilter struct {
	Stage   string
	OwnerID uint64
	Pool    bool // only leads without an owner
	Source  string
	Query   string
}

// ListLeads lists leads newest first.
func (s *Service) ListLeads(ctx context.Context, f LeadFilter, p store.Page) ([]store.Lead, uint64, error) {
	q := s.db.With(store.AsPlatform(ctx)).Model(&store.Lead{})
	if f.Stage != "" {
		q = q.Where("stage = ?", f.Stage)
	}
	if f.Source != "" {
		q = q.Where("source = ?", f.Source)
	}
	if f.Pool {
		q = q.Where("owner_id = 0")
	} else if f.OwnerID != 0 {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	if f.Query = strings.TrimSpace(f.Query); f.Query != "" {
		like := "%" + escapeLike(f.Query) + "%"
		q = q.Where("company LIKE ? OR contact_name LIKE ? OR email LIKE ? OR phone LIKE ?", like, like, like, like)
	}
	var rows []store.Lead
	if err := p.Apply(q, "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list leads: %w", err)
	}
	out, next := store.Trim(p, rows, func(l store.Lead) uint64 { return l.ID })
	return out, next, nil
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// GetLead returns one lead.
func (s *Service) GetLead(ctx context.Context, id uint64) (*store.Lead, error) {
	var l store.Lead
	if err := s.db.With(store.AsPlatform(ctx)).First(&l, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &l, nil
}

// FollowUps lists a lead's follow-up records, newest first.
func (s *Service) FollowUps(ctx context.Context, leadID uint64) ([]store.FollowUp, error) {
	if _, err := s.GetLead(ctx, leadID); err != nil {
		return nil, err
	}
	var rows []store.FollowUp
	err := s.db.With(store.AsPlatform(ctx)).Where("lead_id = ?", leadID).Order("id DESC").Limit(500).Find(&rows).Error
	return rows, err
}

// LeadPatch changes a lead; nil fields stay. OwnerID 0 returns it to the pool.
type LeadPatch struct {
	Company        *string    `json:"company"`
	ContactName    *string    `json:"contact_name"`
	Phone          *string    `json:"phone"`
	Email          *string    `json:"email"`
	Stage          *string    `json:"stage"`
	LostReason     *string    `json:"lost_reason"`
	OwnerID        *uint64    `json:"owner_id"`
	NextFollowUpAt *time.Time `json:"next_follow_up_at"`
}

// UpdateLead applies a staff member's change to a lead, audited.
func (s *Service) UpdateLead(ctx context.Context, id uint64, in LeadPatch) (*store.Lead, error) {
	var v apperr.Validator
	up := map[string]any{}
	if in.Company != nil {
		v.Check(runes(strings.TrimSpace(*in.Company)) >= 1 && runes(*in.Company) <= 128 && oneLine(*in.Company), "company", "must be 1 to 128 characters")
		up["company"] = strings.TrimSpace(*in.Company)
	}
	if in.ContactName != nil {
		v.Check(runes(*in.ContactName) <= 64 && oneLine(*in.ContactName), "contact_name", "must be at most 64 characters")
		up["contact_name"] = strings.TrimSpace(*in.ContactName)
	}
	if in.Phone != nil {
		p, ok := tenant.NormalizePhone(*in.Phone)
		v.Check(ok || *in.Phone == "", "phone", "is not a valid phone number")
		up["phone"] = p
	}
	if in.Email != nil {
		e := tenant.NormalizeEmail(*in.Email)
		v.Check(e == "" || validEmail(e), "email", "is not a valid email address")
		up["email"] = e
	}
	if in.Stage != nil {
		v.Check(oneOf(*in.Stage, Stages), "stage", "must be one of "+strings.Join(Stages, ", "))
		up["stage"] = *in.Stage
		if *in.Stage == store.LeadLost {
			ok := in.LostReason != nil && runes(strings.TrimSpace(*in.LostReason)) >= 1
			v.Check(ok, "lost_reason", "is required when the lead is lost")
		} else {
			up["lost_reason"] = ""
		}
	}
	if in.LostReason != nil {
		v.Check(runes(*in.LostReason) <= 255 && oneLine(*in.LostReason), "lost_reason", "must be at most 255 characters")
		if in.Stage != nil && *in.Stage == store.LeadLost {
			up["lost_reason"] = strings.TrimSpace(*in.LostReason)
		}
	}
	if in.NextFollowUpAt != nil {
		up["next_follow_up_at"] = in.NextFollowUpAt.UTC()
	}
	now := s.opt.Now()
	pctx := store.AsPlatform(ctx)
	if in.OwnerID != nil {
		up["owner_id"] = *in.OwnerID
		if *in.OwnerID == 0 {
			up["pooled_at"] = now
		} else {
			var st store.Staff
			err := s.db.With(pctx).First(&st, *in.OwnerID).Error
			v.Check(err == nil && !st.Disabled, "owner_id", "is not an active staff member")
			up["assigned_at"], up["pooled_at"] = now, nil
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		var l store.Lead
		if err := tx.First(&l, id).Error; err != nil {
			return store.Translate(err)
		}
		if len(up) == 0 {
			return nil
		}
		if err := tx.Model(&store.Lead{}).Where("id = ?", id).Updates(up).Error; err != nil {
			return fmt.Errorf("update lead: %w", err)
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{Action: "lead.update", Target: leadTarget(id), Detail: up})
	})
	if err != nil {
		return nil, err
	}
	return s.GetLead(ctx, id)
}

// NewFollowUp is a follow-up record to add.
type NewFollowUp struct {
	Kind   string     `json:"kind"`
	Note   string     `json:"note"`
	NextAt *time.Time `json:"next_at"`
}

func actor(ctx context.Context) *tenant.Principal {
	if p, ok := tenant.PrincipalFrom(ctx); ok {
		return p
	}
	return &tenant.Principal{Kind: tenant.ActorSystem, Name: "system"}
}

// AddFollowUp records a contact with a lead. The first follow-up of a new
// lead moves it to contacted, and an unowned lead becomes the author's.
func (s *Service) AddFollowUp(ctx context.Context, leadID uint64, in NewFollowUp) (*store.FollowUp, error) {
	var v apperr.Validator
	v.Check(oneOf(in.Kind, FollowUpKinds), "kind", "must be one of "+strings.Join(FollowUpKinds, ", "))
	v.Check(runes(strings.TrimSpace(in.Note)) >= 1 && runes(in.Note) <= 2000, "note", "must be 1 to 2000 characters")
	now := s.opt.Now()
	v.Check(in.NextAt == nil || in.NextAt.After(now.Add(-24*time.Hour)), "next_at", "must not be in the past")
	if err := v.Err(); err != nil {
		return nil, err
	}
	a := actor(ctx)
	f := &store.FollowUp{LeadID: leadID, StaffID: a.ID, StaffName: a.Name, Kind: in.Kind, Note: clean(in.Note, 2000)}
	if in.NextAt != nil {
		t := in.NextAt.UTC()
		f.NextAt = &t
	}
	pctx := store.AsPlatform(ctx)
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		var l store.Lead
		if err := tx.First(&l, leadID).Error; err != nil {
			return store.Translate(err)
		}
		if err := tx.Create(f).Error; err != nil {
			return fmt.Errorf("create follow-up: %w", err)
		}
		up := map[string]any{"last_follow_up_at": now, "next_follow_up_at": f.NextAt}
		if l.Stage == store.LeadNew {
			up["stage"] = store.LeadContacted
		}
		if l.OwnerID == 0 && a.Kind == tenant.ActorStaff {
			up["owner_id"], up["assigned_at"], up["pooled_at"] = a.ID, now, nil
		}
		if err := tx.Model(&store.Lead{}).Where("id = ?", leadID).Updates(up).Error; err != nil {
			return fmt.Errorf("update lead: %w", err)
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{Action: "lead.follow_up", Target: leadTarget(leadID), Detail: map[string]any{"kind": in.Kind}})
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ErrLeadTaken is returned when claiming a lead someone else owns.
var ErrLeadTaken = apperr.Coded(409, "lead_taken", "another staff member already owns this lead")

// Claim takes an unowned lead from the pool.
func (s *Service) Claim(ctx context.Context, id uint64) (*store.Lead, error) {
	a := actor(ctx)
	if a.Kind != tenant.ActorStaff {
		return nil, apperr.ErrForbidden
	}
	pctx := store.AsPlatform(ctx)
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		var l store.Lead
		if err := tx.First(&l, id).Error; err != nil {
			return store.Translate(err)
		}
		if l.OwnerID == a.ID {
			return nil
		}
		res := tx.Model(&store.Lead{}).Where("id = ? AND owner_id = 0", id).
			Updates(map[string]any{"owner_id": a.ID, "assigned_at": s.opt.Now(), "pooled_at": nil})
		if res.Error != nil {
			return fmt.Errorf("claim lead: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return ErrLeadTaken
		}
		return s.accounts.AuditTx(pctx, tx, tenant.Entry{Action: "lead.claim", Target: leadTarget(id)})
	})
	if err != nil {
		return nil, err
	}
	return s.GetLead(ctx, id)
}

// Reminders lists the open leads a staff member must follow up by until.
func (s *Service) Reminders(ctx context.Context, staffID uint64, until time.Time) ([]store.Lead, error) {
	var rows []store.Lead
	err := s.db.With(store.AsPlatform(ctx)).Where("owner_id = ? AND next_follow_up_at IS NOT NULL AND next_follow_up_at <= ? AND stage NOT IN ?",
		staffID, until, []string{store.LeadWon, store.LeadLost}).Order("next_follow_up_at").Limit(200).Find(&rows).Error
	return rows, err
}

// SweepPool returns owned, open leads nobody followed up for PoolAfter to
// the shared pool. It returns how many moved.
func (s *Service) SweepPool(ctx context.Context) (int, error) {
	pctx := store.AsPlatform(ctx)
	cutoff := s.opt.Now().Add(-s.opt.PoolAfter)
	var stale []store.Lead
	err := s.db.With(pctx).Where("owner_id <> 0 AND stage NOT IN ? AND COALESCE(last_follow_up_at, assigned_at, created_at) < ?",
		[]string{store.LeadWon, store.LeadLost}, cutoff).Limit(1000).Find(&stale).Error
	if err != nil {
		return 0, fmt.Errorf("find stale leads: %w", err)
	}
	moved := 0
	sys := &tenant.Principal{Kind: tenant.ActorSystem, Name: "pool sweep"}
	for _, l := range stale {
		err := s.db.Tx(pctx, func(tx *gorm.DB) error {
			res := tx.Model(&store.Lead{}).Where("id = ? AND owner_id = ?", l.ID, l.OwnerID).
				Updates(map[string]any{"owner_id": 0, "pooled_at": s.opt.Now()})
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			moved++
			return s.accounts.AuditTx(pctx, tx, tenant.Entry{Action: "lead.pooled", Target: leadTarget(l.ID), Actor: sys,
				Detail: map[string]any{"previous_owner": l.OwnerID}})
		})
		if err != nil {
			return moved, fmt.Errorf("pool lead %d: %w", l.ID, err)
		}
	}
	return moved, nil
}

// ConvertInput is what the operator confirms when turning a lead into a tenant.
type ConvertInput struct {
	CompanyName string `json:"company_name"`
	ContactName string `json:"contact_name"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	// Password for the owner; empty generates one, shown once.
	Password string `json:"password"`
}

// Converted is the result of a conversion.
type Converted struct {
	Tenant   *store.Tenant
	Owner    *store.User
	Password string // the owner's initial password, shown once
	Lead     *store.Lead
}

// ErrAlreadyConverted is returned when a lead already has a tenant.
var ErrAlreadyConverted = apperr.Coded(409, "lead_converted", "the lead was already converted into a tenant")

// Convert creates a pending tenant and its owner from a lead; the operator
// activates the tenant when ready. Everything commits together and is audited.
func (s *Service) Convert(ctx context.Context, id uint64, in ConvertInput) (*Converted, error) {
	l, err := s.GetLead(ctx, id)
	if err != nil {
		return nil, err
	}
	if l.TenantID != 0 {
		return nil, ErrAlreadyConverted
	}
	def := func(v *string, d string) {
		if strings.TrimSpace(*v) == "" {
			*v = d
		}
	}
	def(&in.CompanyName, l.Company)
	def(&in.ContactName, l.ContactName)
	def(&in.Email, l.Email)
	def(&in.Phone, l.Phone)
	if in.Password == "" {
		in.Password = generatePassword()
	}
	t, u, err := s.accounts.Signup(context.WithValue(ctx, convertKey{}, id), tenant.SignupInput{
		CompanyName: in.CompanyName, ContactName: in.ContactName, Email: in.Email, Phone: in.Phone, Password: in.Password})
	if err != nil {
		return nil, err
	}
	l, err = s.GetLead(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Converted{Tenant: t, Owner: u, Password: in.Password, Lead: l}, nil
}

// generatePassword makes an initial password that passes the password rules.
func generatePassword() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return "Wh" + base64.RawURLEncoding.EncodeToString(b) + "7"
}

// ManualLead is a lead staff enter themselves (a phone call, a trade fair).
type ManualLead struct {
	Company     string `json:"company"`
	ContactName string `json:"contact_name"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
	Message     string `json:"message"`
}

// CreateLead records a manual lead owned by the staff member entering it.
func (s *Service) CreateLead(ctx context.Context, in ManualLead) (*store.Lead, error) {
	l, err := s.newLead(ctx, ContactInput{Company: in.Company, ContactName: in.ContactName, Phone: in.Phone, Email: in.Email, Message: in.Message}, "manual")
	if err != nil {
		return nil, err
	}
	return l, nil
}
