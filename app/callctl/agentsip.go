package callctl

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl/fsxml"
	"github.com/waihu/waihu/app/store"
)

// AgentSIPAccount is an agent's SIP seat as the console shows it: the
// extension (SIP user id) and the password their phone registers with on
// FreeSWITCH's internal profile, in the SIP domain of the deployment.
type AgentSIPAccount struct {
	Ext       string    `json:"ext"`
	Password  string    `json:"password"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AgentExt is the SIP user id of a tenant user: numeric (the agents
// dialplan dials 3 to 10 digits) and unique across tenants, who share one
// SIP domain, because user ids are.
func AgentExt(userID uint64) string { return strconv.FormatUint(100000+userID, 10) }

// AgentSIP returns the calling user's SIP seat (ctx carries the tenant);
// apperr.ErrNotFound when they have none yet.
func (s *Service) AgentSIP(ctx context.Context, userID uint64) (*AgentSIPAccount, error) {
	var row store.AgentSIP
	err := s.db.With(ctx).Where("user_id = ?", userID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("SIP account: %w", apperr.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &AgentSIPAccount{Ext: row.Ext, Password: row.Password, UpdatedAt: row.UpdatedAt}, nil
}

// ResetAgentSIP gives the user a new random SIP password, creating their
// seat on first use. Phones registered with the old password fail their
// next digest check (FreeSWITCH asks waihu on every REGISTER).
func (s *Service) ResetAgentSIP(ctx context.Context, userID uint64) (*AgentSIPAccount, error) {
	tenantID, ok := store.TenantFrom(ctx)
	if !ok || userID == 0 {
		return nil, fmt.Errorf("SIP account: %w", apperr.ErrForbidden)
	}
	pw := sipPassword()
	now := time.Now().UTC()
	var out store.AgentSIP
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var u store.User
		if err := tx.Where("id = ?", userID).Take(&u).Error; err != nil {
			return fmt.Errorf("user %d: %w", userID, store.Translate(err))
		}
		res := tx.Model(&store.AgentSIP{}).Where("user_id = ?", userID).Updates(map[string]any{"password": pw, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			row := store.AgentSIP{TenantOwned: store.TenantOwned{TenantID: tenantID}, UserID: userID, Ext: AgentExt(userID), Password: pw, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		}
		return tx.Where("user_id = ?", userID).Take(&out).Error
	})
	if err != nil {
		return nil, err
	}
	return &AgentSIPAccount{Ext: out.Ext, Password: out.Password, UpdatedAt: out.UpdatedAt}, nil
}

// sipPassword is 20 characters from an alphabet without look-alikes, to be
// typed into a desk phone: about 114 bits.
func sipPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// directoryUser answers a directory user lookup: the seat's a1-hash and
// the variables FreeSWITCH sets on the agent's calls, or "not found" for
// an unknown extension, a disabled or viewer-only user, or a tenant that
// is not active, so FreeSWITCH refuses the registration.
func (s *Service) directoryUser(ctx context.Context, user, domain, realm string) ([]byte, error) {
	db := s.db.With(store.AsPlatform(ctx))
	var seat store.AgentSIP
	err := db.Where("ext = ?", user).Take(&seat).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fsxml.NotFound(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("directory lookup: %w", err)
	}
	var u store.User
	if err := db.Where("id = ? AND tenant_id = ?", seat.UserID, seat.TenantID).Take(&u).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fsxml.NotFound(), nil
		}
		return nil, fmt.Errorf("directory lookup: %w", err)
	}
	var t store.Tenant
	if err := db.Where("id = ?", seat.TenantID).Take(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fsxml.NotFound(), nil
		}
		return nil, fmt.Errorf("directory lookup: %w", err)
	}
	if u.Disabled || u.Role == store.RoleViewer || t.Status != store.TenantActive {
		return fsxml.NotFound(), nil
	}
	return fsxml.Directory(domain, fsxml.DirectoryUser{
		ID:     seat.Ext,
		A1Hash: fsxml.A1Hash(seat.Ext, realm, seat.Password),
		Variables: map[string]string{
			"user_context":               "agents",
			"waihu_agent_tenant":         strconv.FormatUint(seat.TenantID, 10),
			"waihu_agent":                strconv.FormatUint(u.ID, 10),
			"effective_caller_id_name":   u.Name,
			"effective_caller_id_number": seat.Ext,
			"record_stereo":              "true",
		},
	})
}
