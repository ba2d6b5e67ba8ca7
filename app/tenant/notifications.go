package tenant

import (
	"context"
	"fmt"

	"github.com/waihu/waihu/app/store"
)

// ListNotifications returns the context tenant's notices for the acting user
// (notices to everyone and to that user).
func (s *Service) ListNotifications(ctx context.Context, unreadOnly bool, p store.Page) ([]store.Notification, uint64, error) {
	q := s.db.With(ctx).Model(&store.Notification{})
	if me, ok := PrincipalFrom(ctx); ok && me.Kind == ActorUser {
		q = q.Where("user_id = 0 OR user_id = ?", me.ID)
	} else {
		q = q.Where("user_id = 0")
	}
	if unreadOnly {
		q = q.Where("read_at IS NULL")
	}
	var rows []store.Notification
	if err := p.Apply(q, "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", err)
	}
	out, next := store.Trim(p, rows, func(n store.Notification) uint64 { return n.ID })
	return out, next, nil
}

// MarkNotificationRead marks one of the context tenant's notices read.
func (s *Service) MarkNotificationRead(ctx context.Context, id uint64) error {
	res := s.db.With(ctx).Model(&store.Notification{}).Where("id = ? AND read_at IS NULL", id).Update("read_at", s.opt.Now())
	if res.Error != nil {
		return fmt.Errorf("mark notification read: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		var n int64
		s.db.With(ctx).Model(&store.Notification{}).Where("id = ?", id).Count(&n)
		if n == 0 {
			return store.ErrNotFound
		}
	}
	return nil
}
