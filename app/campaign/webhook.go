package campaign

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
)

// Webhook event types.
const (
	EventCallFinished  = "call.finished"
	EventCampaignState = "campaign.state_changed"
)

// Events lists every event an endpoint can subscribe to.
var Events = []string{EventCallFinished, EventCampaignState}

// WebhookInput creates or changes an endpoint.
type WebhookInput struct {
	URL     string   `json:"url"`
	Events  []string `json:"events"`
	Enabled *bool    `json:"enabled"`
}

func validateWebhook(in *WebhookInput) error {
	var v apperr.Validator
	u, err := url.Parse(in.URL)
	v.Check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(in.URL) <= 512, "url", "must be an http(s) URL of at most 512 bytes")
	for _, e := range in.Events {
		ok := false
		for _, k := range Events {
			ok = ok || e == k
		}
		v.Check(ok, "events", "unknown event "+e)
	}
	return v.Err()
}

// CreateWebhook adds an endpoint and returns it with its secret.
func (s *Service) CreateWebhook(ctx context.Context, in WebhookInput) (*store.WebhookEndpoint, error) {
	if err := validateWebhook(&in); err != nil {
		return nil, err
	}
	key := make([]byte, 24)
	_, _ = rand.Read(key)
	w := &store.WebhookEndpoint{URL: in.URL, Secret: "whsec_" + base64.StdEncoding.EncodeToString(key), Events: strings.Join(in.Events, ","), Enabled: in.Enabled == nil || *in.Enabled}
	if err := s.db.With(ctx).Create(w).Error; err != nil {
		return nil, err
	}
	return w, nil
}

// UpdateWebhook changes an endpoint.
func (s *Service) UpdateWebhook(ctx context.Context, id uint64, in WebhookInput) (*store.WebhookEndpoint, error) {
	w, err := s.GetWebhook(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := validateWebhook(&in); err != nil {
		return nil, err
	}
	upd := map[string]any{"url": in.URL, "events": strings.Join(in.Events, ",")}
	if in.Enabled != nil {
		upd["enabled"] = *in.Enabled
	}
	if err := s.db.With(ctx).Model(w).Updates(upd).Error; err != nil {
		return nil, err
	}
	return s.GetWebhook(ctx, id)
}

// GetWebhook returns one endpoint.
func (s *Service) GetWebhook(ctx context.Context, id uint64) (*store.WebhookEndpoint, error) {
	var w store.WebhookEndpoint
	if err := s.db.With(ctx).First(&w, id).Error; err != nil {
		return nil, fmt.Errorf("webhook %d: %w", id, store.Translate(err))
	}
	return &w, nil
}

// DeleteWebhook removes an endpoint.
func (s *Service) DeleteWebhook(ctx context.Context, id uint64) error {
	w, err := s.GetWebhook(ctx, id)
	if err != nil {
		return err
	}
	return s.db.With(ctx).Delete(w).Error
}

// Webhooks lists the tenant's endpoints.
func (s *Service) Webhooks(ctx context.Context, p store.Page) ([]store.WebhookEndpoint, uint64, error) {
	var rows []store.WebhookEndpoint
	if err := p.Apply(s.db.With(ctx), "id").Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	rows, next := store.Trim(p, rows, func(w store.WebhookEndpoint) uint64 { return w.ID })
	return rows, next, nil
}

// Deliveries is an endpoint's delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, endpointID uint64, p store.Page) ([]store.WebhookDelivery, uint64, error) {
	if _, err := s.GetWebhook(ctx, endpointID); err != nil {
		return nil, 0, err
	}
	var rows []store.WebhookDelivery
	if err := p.Apply(s.db.With(ctx).Where("endpoint_id = ?", endpointID), "id").Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	rows, next := store.Trim(p, rows, func(d store.WebhookDelivery) uint64 { return d.ID })
	return rows, next, nil
}

// emit records an event for every subscribed endpoint inside tx; the
// delivery jobs commit with the change they report.
func (s *Service) emit(ctx context.Context, tx *gorm.DB, tenantID uint64, event string, data map[string]any) error {
	tctx := store.WithTenant(ctx, tenantID)
	var eps []store.WebhookEndpoint
	if err := tx.WithContext(tctx).Where("enabled = ?", true).Find(&eps).Error; err != nil {
		return fmt.Errorf("read webhooks: %w", err)
	}
	for _, ep := range eps {
		if ep.Events != "" && !strings.Contains(","+ep.Events+",", ","+event+",") {
			continue
		}
		msgID := "msg_" + strings.ReplaceAll(uuid.NewString(), "-", "")
		body, _ := json.Marshal(map[string]any{"type": event, "timestamp": s.now().Format(time.RFC3339), "data": data})
		d := &store.WebhookDelivery{EndpointID: ep.ID, MsgID: msgID, Event: event, Payload: string(body), Status: "pending"}
		if err := tx.WithContext(tctx).Create(d).Error; err != nil {
			return fmt.Errorf("record webhook delivery: %w", err)
		}
		if err := jobs.Enqueue(tctx, tx, JobWebhook, "wh:"+msgID, map[string]any{"delivery_id": d.ID, "tenant_id": tenantID}, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

// Sign computes the Standard Webhooks signature header value
// ("v1,<base64 HMAC-SHA256 of id.timestamp.body>") for a whsec_ secret.
func Sign(secret, msgID string, ts int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", msgID, ts)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

const webhookMaxAttempts = 10

func (s *Service) webhookJob(ctx context.Context, task *store.OutboxTask) error {
	var p struct {
		DeliveryID uint64 `json:"delivery_id"`
		TenantID   uint64 `json:"tenant_id"`
	}
	if err := json.Unmarshal([]byte(task.Payload), &p); err != nil {
		return fmt.Errorf("%w: bad webhook payload", jobs.ErrPermanent)
	}
	tctx := store.WithTenant(ctx, p.TenantID)
	var d store.WebhookDelivery
	if err := s.db.With(tctx).First(&d, p.DeliveryID).Error; err != nil {
		return fmt.Errorf("%w: delivery %d: %v", jobs.ErrPermanent, p.DeliveryID, err)
	}
	if d.Status != "pending" {
		return nil
	}
	ep, err := s.GetWebhook(tctx, d.EndpointID)
	if err != nil {
		return s.deliveryResult(tctx, &d, 0, "endpoint deleted", true)
	}
	ts := s.now().Unix()
	sig, err := Sign(ep.Secret, d.MsgID, ts, []byte(d.Payload))
	if err != nil {
		return s.deliveryResult(tctx, &d, 0, err.Error(), true)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader([]byte(d.Payload)))
	if err != nil {
		return s.deliveryResult(tctx, &d, 0, err.Error(), true)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", d.MsgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	req.Header.Set("User-Agent", "waihu-webhooks/1")
	resp, err := s.opt.HTTPClient.Do(req)
	if err != nil {
		return s.deliveryResult(tctx, &d, 0, err.Error(), false)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return s.deliveryResult(tctx, &d, resp.StatusCode, "", false)
	}
	return s.deliveryResult(tctx, &d, resp.StatusCode, "HTTP "+resp.Status, false)
}

var errDeliveryFailed = errors.New("webhook delivery failed")

func (s *Service) deliveryResult(ctx context.Context, d *store.WebhookDelivery, status int, msg string, final bool) error {
	now := s.now()
	upd := map[string]any{"attempts": d.Attempts + 1, "last_status": status, "last_error": truncate(msg, 512)}
	ok := msg == ""
	switch {
	case ok:
		upd["status"], upd["delivered_at"] = "delivered", now
	case final || d.Attempts+1 >= webhookMaxAttempts:
		upd["status"] = "failed"
		final = true
	}
	if err := s.db.With(ctx).Model(&store.WebhookDelivery{}).Where("id = ?", d.ID).Updates(upd).Error; err != nil {
		return err
	}
	if ok || final {
		return nil
	}
	return fmt.Errorf("%w: %s", errDeliveryFailed, msg) // the job runner retries with backoff
}
