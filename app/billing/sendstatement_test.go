package billing_test

import (
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
)

func TestSendStatementByEmail(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		tn := f.tenant(nil)
		f.recharge(tn, 12345)
		month := f.clock.Now().In(f.svcZone()).Format("2006-01")
		if err := f.svc.SendStatement(context.Background(), tn.ID, month); err == nil {
			t.Fatal("sent without a mailer")
		}
		sink := newSMTPSink(t)
		f.opt.Mailer = &billing.SMTPMailer{Addr: sink.ln.Addr().String(), From: "billing@waihu.test"}
		f.restart()
		if err := f.svc.SendStatement(context.Background(), tn.ID, month); err != nil {
			t.Fatal(err)
		}
		msgs := sink.messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages", len(msgs))
		}
		m, err := mail.ReadMessage(strings.NewReader(msgs[0]))
		if err != nil {
			t.Fatal(err)
		}
		_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		r := multipart.NewReader(m.Body, params["boundary"])
		var xlsx []byte
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(p.Header.Get("Content-Disposition"), "attachment") {
				raw, _ := io.ReadAll(p)
				xlsx, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		x, err := excelize.OpenReader(strings.NewReader(string(xlsx)))
		if err != nil {
			t.Fatalf("attachment is not an XLSX: %v", err)
		}
		defer x.Close()
		rows, _ := x.GetRows("Summary")
		found := false
		for _, row := range rows {
			if len(row) > 1 && strings.HasPrefix(row[0], "Closing") && row[1] == "123.45" {
				found = true
			}
		}
		if !found {
			t.Fatalf("summary %v", rows)
		}
		var n int64
		f.db.With(f.ctx).Model(&store.AuditLog{}).Where("action = ?", "billing.statement.send").Count(&n)
		if n != 1 {
			t.Fatalf("%d audit entries", n)
		}
	})
}
