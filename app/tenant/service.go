// Package tenant owns tenants, their users and roles, operator staff,
// sessions, API keys and the audit log.
package tenant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// Options tune account security.
type Options struct {
	// MaxFailedLogins consecutive failures lock the account for LockoutFor.
	MaxFailedLogins int
	LockoutFor      time.Duration
	// SessionTTL is the idle lifetime of a session; SessionMaxAge its absolute one.
	SessionTTL    time.Duration
	SessionMaxAge time.Duration
	Now           func() time.Time
}

// DefaultOptions are the production defaults.
var DefaultOptions = Options{MaxFailedLogins: 5, LockoutFor: 15 * time.Minute, SessionTTL: 12 * time.Hour, SessionMaxAge: 30 * 24 * time.Hour}

// Hooks let other domains react to account events without this package
// importing them (crm turns sign-ups into leads, jobs sends notices).
type Hooks struct {
	// AfterSignup runs inside the sign-up transaction.
	AfterSignup func(ctx context.Context, tx *gorm.DB, t *store.Tenant, u *store.User) error
	// AfterActivate runs inside the activation transaction.
	AfterActivate func(ctx context.Context, tx *gorm.DB, t *store.Tenant) error
}

// Service is the accounts service.
type Service struct {
	db    *store.DB
	log   *slog.Logger
	opt   Options
	Hooks Hooks
}

// New returns the accounts service.
func New(db *store.DB, log *slog.Logger, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Now().UTC() }
	}
	if opt.MaxFailedLogins == 0 {
		opt.MaxFailedLogins = DefaultOptions.MaxFailedLogins
	}
	if opt.LockoutFor == 0 {
		opt.LockoutFor = DefaultOptions.LockoutFor
	}
	if opt.SessionTTL == 0 {
		opt.SessionTTL = DefaultOptions.SessionTTL
	}
	if opt.SessionMaxAge == 0 {
		opt.SessionMaxAge = DefaultOptions.SessionMaxAge
	}
	return &Service{db: db, log: log, opt: opt}
}

// Error codes the HTTP layer shows as they are.
var (
	ErrInvalidCredentials = apperr.Coded(http.StatusUnauthorized, "invalid_credentials", "wrong email or password")
	ErrTenantPending      = apperr.Coded(http.StatusForbidden, "tenant_pending", "the account is waiting for activation by the operator")
	ErrTenantSuspended    = apperr.Coded(http.StatusForbidden, "tenant_suspended", "the account is suspended; contact the operator")
	ErrAccountDisabled    = apperr.Coded(http.StatusForbidden, "account_disabled", "this user is disabled")
)

// LockedError is returned while an account is locked after repeated failures.
func lockedError(until, now time.Time) error {
	e := apperr.Coded(http.StatusTooManyRequests, "account_locked", "too many failed logins; try again later")
	e.RetryAfter = until.Sub(now).Round(time.Second)
	return e
}

// SignupInput is what the public sign-up form sends.
type SignupInput struct {
	CompanyName string `json:"company_name"`
	ContactName string `json:"contact_name"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	Password    string `json:"password"`
}

// NormalizeEmail lowercases and trims an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validEmail(s string) bool {
	if len(s) > 191 || s == "" {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.IndexByte(s, '@'):], ".")
}

// PasswordProblem explains why a password is too weak, or returns "".
func PasswordProblem(p string) string {
	if utf8.RuneCountInString(p) < 8 {
		return "must be at least 8 characters"
	}
	if len(p) > 128 {
		return "must be at most 128 bytes"
	}
	var letter, digit bool
	for _, r := range p {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
	}
	if !letter || !digit {
		return "must contain letters and digits"
	}
	return ""
}

// NormalizePhone accepts a Chinese number (mobile or landline, with or without
// +86/0086) or any E.164 number, and returns it in E.164.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 32 {
		return "", false
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	num, err := phonenumbers.Parse(s, "CN")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

func textLen(s string, min, max int) bool {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	return n >= min && n <= max && !strings.ContainsAny(s, "\x00\r\n")
}

// Signup creates a pending tenant and its owner. The operator activates it.
func (s *Service) Signup(ctx context.Context, in SignupInput) (*store.Tenant, *store.User, error) {
	in.Email = NormalizeEmail(in.Email)
	var v apperr.Validator
	v.Check(textLen(in.CompanyName, 2, 128), "company_name", "must be 2 to 128 characters")
	v.Check(textLen(in.ContactName, 1, 64), "contact_name", "must be 1 to 64 characters")
	v.Check(validEmail(in.Email), "email", "is not a valid email address")
	phone, ok := NormalizePhone(in.Phone)
	v.Check(ok, "phone", "is not a valid phone number")
	if p := PasswordProblem(in.Password); p != "" {
		v.Check(false, "password", p)
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	hash, err := HashPassword(ctx, in.Password)
	if err != nil {
		return nil, nil, err
	}
	t := &store.Tenant{
		Name: strings.TrimSpace(in.CompanyName), DisplayName: strings.TrimSpace(in.CompanyName), Status: store.TenantPending,
		ContactName: strings.TrimSpace(in.ContactName), ContactEmail: in.Email, ContactPhone: phone,
		LineQuota: 10, Features: "{}",
	}
	u := &store.User{Email: in.Email, Name: strings.TrimSpace(in.ContactName), PasswordHash: hash, Role: store.RoleOwner, Locale: "zh-CN"}
	pctx := store.AsPlatform(ctx)
	err = s.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.Create(t).Error; err != nil {
			return fmt.Errorf("create tenant: %w", err)
		}
		u.TenantID = t.ID
		if err := tx.Create(u).Error; err != nil {
			if errors.Is(store.Translate(err), store.ErrConflict) {
				return apperr.Invalid("email", "is already registered")
			}
			return fmt.Errorf("create owner: %w", err)
		}
		if err := s.audit(pctx, tx, Entry{TenantID: t.ID, Action: "tenant.signup", Target: targetTenant(t.ID),
			Actor: &Principal{Kind: ActorUser, ID: u.ID, TenantID: t.ID, Name: u.Email}}); err != nil {
			return err
		}
		if s.Hooks.AfterSignup != nil {
			return s.Hooks.AfterSignup(pctx, tx, t, u)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return t, u, nil
}

// LoginResult is a successful login: the session cookie token (shown only
// here) and who logged in.
type LoginResult struct {
	Token     string
	Session   *store.Session
	User      *store.User
	Staff     *store.Staff
	Tenant    *store.Tenant
	Principal *Principal
}

// account is the part of User and Staff that login needs.
type account struct {
	id           uint64
	hash         string
	disabled     bool
	failed       int
	lockedUntil  *time.Time
	model        any
	tenantID     uint64
	name, email  string
	role, locale string
}

// Login authenticates a tenant user by email and password.
func (s *Service) Login(ctx context.Context, email, password string) (*LoginResult, error) {
	pctx := store.AsPlatform(ctx)
	email = NormalizeEmail(email)
	var u store.User
	err := s.db.With(pctx).Where("email = ?", email).First(&u).Error
	var acc *account
	if err == nil {
		acc = &account{id: u.ID, hash: u.PasswordHash, disabled: u.Disabled, failed: u.FailedLogins, lockedUntil: u.LockedUntil,
			model: &store.User{}, tenantID: u.TenantID, name: u.Name, email: u.Email, role: u.Role, locale: u.Locale}
	} else if !errors.Is(store.Translate(err), store.ErrNotFound) {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	if err := s.checkPassword(pctx, acc, email, password, ActorUser); err != nil {
		return nil, err
	}
	loggedIn := s.opt.Now()
	u.LastLoginAt, u.FailedLogins, u.LockedUntil = &loggedIn, 0, nil
	var t store.Tenant
	if err := s.db.With(pctx).First(&t, u.TenantID).Error; err != nil {
		return nil, fmt.Errorf("look up tenant: %w", err)
	}
	switch t.Status {
	case store.TenantPending:
		return nil, ErrTenantPending
	case store.TenantSuspended:
		return nil, ErrTenantSuspended
	}
	p := &Principal{Kind: ActorUser, ID: u.ID, TenantID: u.TenantID, Role: u.Role, Name: u.Name, Email: u.Email, Locale: u.Locale}
	res, err := s.newSession(pctx, store.SessionTenant, p)
	if err != nil {
		return nil, err
	}
	res.User, res.Tenant = &u, &t
	return res, nil
}

// StaffLogin authenticates an operator staff member.
func (s *Service) StaffLogin(ctx context.Context, email, password string) (*LoginResult, error) {
	pctx := store.AsPlatform(ctx)
	email = NormalizeEmail(email)
	var st store.Staff
	err := s.db.With(pctx).Where("email = ?", email).First(&st).Error
	var acc *account
	if err == nil {
		acc = &account{id: st.ID, hash: st.PasswordHash, disabled: st.Disabled, failed: st.FailedLogins, lockedUntil: st.LockedUntil,
			model: &store.Staff{}, name: st.Name, email: st.Email, role: st.Role, locale: st.Locale}
	} else if !errors.Is(store.Translate(err), store.ErrNotFound) {
		return nil, fmt.Errorf("look up staff: %w", err)
	}
	if err := s.checkPassword(pctx, acc, email, password, ActorStaff); err != nil {
		return nil, err
	}
	loggedIn := s.opt.Now()
	st.LastLoginAt, st.FailedLogins, st.LockedUntil = &loggedIn, 0, nil
	p := &Principal{Kind: ActorStaff, ID: st.ID, Role: st.Role, Name: st.Name, Email: st.Email, Locale: st.Locale}
	res, err := s.newSession(pctx, store.SessionStaff, p)
	if err != nil {
		return nil, err
	}
	res.Staff = &st
	return res, nil
}

// checkPassword verifies a login, counts failures and locks the account after
// MaxFailedLogins in a row. Unknown emails cost one hash too.
func (s *Service) checkPassword(ctx context.Context, acc *account, email, password, kind string) error {
	now := s.opt.Now()
	if acc == nil {
		_, _, _ = VerifyPassword(ctx, dummyHash(), password)
		_ = s.audit(ctx, nil, Entry{Action: "auth.login_failed", Target: maskEmail(email), Detail: map[string]any{"reason": "unknown_email", "surface": kind},
			Actor: &Principal{Kind: ActorAnonymous, Name: maskEmail(email)}})
		return ErrInvalidCredentials
	}
	actor := &Principal{Kind: kind, ID: acc.id, TenantID: acc.tenantID, Name: acc.email}
	if acc.lockedUntil != nil && acc.lockedUntil.After(now) {
		_ = s.audit(ctx, nil, Entry{TenantID: acc.tenantID, Action: "auth.login_locked", Target: kind + ":" + fmt.Sprint(acc.id), Actor: actor})
		return lockedError(*acc.lockedUntil, now)
	}
	ok, rehash, err := VerifyPassword(ctx, acc.hash, password)
	if err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		failed := acc.failed + 1
		updates := map[string]any{"failed_logins": failed}
		locked := failed >= s.opt.MaxFailedLogins
		if locked {
			updates["locked_until"] = now.Add(s.opt.LockoutFor)
			updates["failed_logins"] = 0
		}
		if err := s.db.With(ctx).Model(acc.model).Where("id = ?", acc.id).Updates(updates).Error; err != nil {
			return fmt.Errorf("record failed login: %w", err)
		}
		action := "auth.login_failed"
		if locked {
			action = "auth.account_locked"
		}
		_ = s.audit(ctx, nil, Entry{TenantID: acc.tenantID, Action: action, Target: kind + ":" + fmt.Sprint(acc.id),
			Detail: map[string]any{"failures": failed}, Actor: actor})
		if locked {
			return lockedError(now.Add(s.opt.LockoutFor), now)
		}
		return ErrInvalidCredentials
	}
	if acc.disabled {
		return ErrAccountDisabled
	}
	updates := map[string]any{"failed_logins": 0, "locked_until": nil, "last_login_at": now}
	if rehash {
		if h, err := HashPassword(ctx, password); err == nil {
			updates["password_hash"] = h
		}
	}
	if err := s.db.With(ctx).Model(acc.model).Where("id = ?", acc.id).Updates(updates).Error; err != nil {
		return fmt.Errorf("record login: %w", err)
	}
	return s.audit(ctx, nil, Entry{TenantID: acc.tenantID, Action: "auth.login", Target: kind + ":" + fmt.Sprint(acc.id), Actor: actor})
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the stored form of a session token or API key secret.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Service) newSession(ctx context.Context, kind string, p *Principal) (*LoginResult, error) {
	token := randomToken(32)
	now := s.opt.Now()
	r := requestFrom(ctx)
	sess := &store.Session{
		ID: HashToken(token), Kind: kind, UserID: p.ID, TenantID: p.TenantID, CSRFToken: randomToken(24),
		IP: r.IP, UserAgent: truncate(r.UserAgent, 255), ExpiresAt: now.Add(s.opt.SessionTTL), LastSeenAt: now,
	}
	if err := s.db.With(ctx).Create(sess).Error; err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	p.SessionID, p.CSRFToken = sess.ID, sess.CSRFToken
	return &LoginResult{Token: token, Session: sess, Principal: p}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Authenticate resolves a session cookie token of the given kind into its
// principal, sliding the session's expiry. Expired, unknown and disabled
// sessions are ErrUnauthorized; a suspended tenant is ErrTenantSuspended.
func (s *Service) Authenticate(ctx context.Context, kind, token string) (*Principal, error) {
	if token == "" || len(token) > 128 {
		return nil, apperr.ErrUnauthorized
	}
	pctx := store.AsPlatform(ctx)
	now := s.opt.Now()
	var sess store.Session
	kinds := []string{kind}
	if kind == store.SessionTenant {
		kinds = append(kinds, SessionSupport) // staff viewing a tenant's console read-only
	}
	if err := s.db.With(pctx).Where("id = ? AND kind IN ?", HashToken(token), kinds).First(&sess).Error; err != nil {
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			return nil, apperr.ErrUnauthorized
		}
		return nil, fmt.Errorf("look up session: %w", err)
	}
	if !sess.ExpiresAt.After(now) || now.Sub(sess.CreatedAt) > s.opt.SessionMaxAge {
		_ = s.db.With(pctx).Delete(&store.Session{}, "id = ?", sess.ID).Error
		return nil, apperr.ErrUnauthorized
	}
	var p *Principal
	switch sess.Kind {
	case SessionSupport:
		sp, err := s.supportPrincipal(pctx, &sess)
		if err != nil {
			return nil, err
		}
		p = sp
	case store.SessionStaff:
		var st store.Staff
		if err := s.db.With(pctx).First(&st, sess.UserID).Error; err != nil || st.Disabled {
			return nil, apperr.ErrUnauthorized
		}
		p = &Principal{Kind: ActorStaff, ID: st.ID, Role: st.Role, Name: st.Name, Email: st.Email, Locale: st.Locale}
	default:
		var u store.User
		if err := s.db.With(pctx).First(&u, sess.UserID).Error; err != nil || u.Disabled {
			return nil, apperr.ErrUnauthorized
		}
		if err := s.checkTenantUsable(pctx, u.TenantID); err != nil {
			return nil, err
		}
		p = &Principal{Kind: ActorUser, ID: u.ID, TenantID: u.TenantID, Role: u.Role, Name: u.Name, Email: u.Email, Locale: u.Locale}
	}
	p.SessionID, p.CSRFToken = sess.ID, sess.CSRFToken
	// Slide the expiry at most once a minute: a write per request would make
	// every page view a database write.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		_ = s.db.With(pctx).Model(&store.Session{}).Where("id = ?", sess.ID).
			Updates(map[string]any{"last_seen_at": now, "expires_at": now.Add(s.opt.SessionTTL)}).Error
	}
	return p, nil
}

func (s *Service) checkTenantUsable(ctx context.Context, tenantID uint64) error {
	var t store.Tenant
	if err := s.db.With(ctx).Select("id", "status").First(&t, tenantID).Error; err != nil {
		return apperr.ErrUnauthorized
	}
	switch t.Status {
	case store.TenantActive:
		return nil
	case store.TenantPending:
		return ErrTenantPending
	default:
		return ErrTenantSuspended
	}
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p == nil || p.SessionID == "" {
		return nil
	}
	if err := s.db.With(store.AsPlatform(ctx)).Delete(&store.Session{}, "id = ?", p.SessionID).Error; err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return s.audit(ctx, nil, Entry{TenantID: p.TenantID, Action: "auth.logout", Actor: p})
}

// PurgeSessions deletes expired sessions; a periodic job calls it.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	res := s.db.With(store.AsPlatform(ctx)).Where("expires_at < ?", s.opt.Now()).Delete(&store.Session{})
	return res.RowsAffected, res.Error
}

func maskEmail(e string) string {
	at := strings.IndexByte(e, '@')
	if at <= 1 {
		return "***" + e[max(at, 0):]
	}
	return e[:1] + "***" + e[at:]
}

func targetTenant(id uint64) string { return fmt.Sprintf("tenant:%d", id) }

func jsonString(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
