package campaign

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// newTenant creates an active tenant and returns a context scoped to it.
func newTenant(t testing.TB, db *store.DB, name string) (context.Context, *store.Tenant) {
	t.Helper()
	tn := &store.Tenant{Name: name, Status: store.TenantActive, LineQuota: 50, Features: "{}"}
	if err := db.With(store.AsPlatform(context.Background())).Create(tn).Error; err != nil {
		t.Fatal(err)
	}
	return store.WithTenant(context.Background(), tn.ID), tn
}

func newService(t testing.TB, db *store.DB, opt Options) *Service {
	t.Helper()
	if opt.DataDir == "" {
		opt.DataDir = t.TempDir()
	}
	if opt.Log == nil {
		opt.Log = storetest.Logger()
	}
	return New(db, opt)
}

// importFile uploads data and runs the import with the suggested mapping.
func importFile(t *testing.T, s *Service, ctx context.Context, name string, data []byte) (*Preview, *store.ListImport) {
	t.Helper()
	p, err := s.Upload(ctx, "", name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	if _, err := s.StartImport(ctx, p.ImportID, p.Suggested); err != nil {
		t.Fatalf("start import: %v", err)
	}
	if err := s.RunImport(ctx, p.ImportID); err != nil {
		t.Fatalf("run import: %v", err)
	}
	imp, err := s.GetImport(ctx, p.ImportID)
	if err != nil {
		t.Fatal(err)
	}
	return p, imp
}

func gbk(t *testing.T, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func xlsxBytes(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportFormats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db, Options{})
		ctx, _ := newTenant(t, db, "acme")
		sample, err := os.ReadFile("testdata/sample_gbk.csv")
		if err != nil {
			t.Fatal(err)
		}
		utf := "\xEF\xBB\xBF姓名,手机,公司\n张三,13800138000,甲\n李四,+86 139-0013-9000,乙\n张三,0086 13800138000,丙\n王五,12345,丁\n"
		cases := []struct {
			name                    string
			file                    string
			data                    []byte
			enc                     string
			imported, dups, invalid int
			wantVars                string
		}{
			{"utf8 csv", "a.csv", []byte(utf), EncUTF8, 2, 1, 1, "公司"},
			{"gbk csv", "b.csv", gbk(t, "姓名,电话,备注\n赵六,13700137000,老客户\n钱七,010-87654321,\n"), EncGB18030, 2, 0, 0, "备注"},
			{"sample gbk", "sample_gbk.csv", sample, EncGB18030, 21, 1, 1, "城市"},
			{"xlsx", "c.xlsx", xlsxBytes(t, [][]any{{"姓名", "手机号", "金额"}, {"孙八", 13600136000, 100}, {"周九", "13500135000", 200}}), "", 2, 0, 0, "金额"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p, imp := importFile(t, s, ctx, c.file, c.data)
				if p.Encoding != c.enc {
					t.Errorf("encoding %q, want %q", p.Encoding, c.enc)
				}
				if imp.State != store.ImportDone || imp.Imported != c.imported || imp.Duplicates != c.dups || imp.Invalid != c.invalid {
					t.Fatalf("import %+v, want done %d imported %d dups %d invalid", imp, c.imported, c.dups, c.invalid)
				}
				l, _ := s.GetList(ctx, imp.ListID)
				if l.State != store.ListReady || l.ContactCount != int64(c.imported) || !strings.Contains(l.Columns, c.wantVars) {
					t.Fatalf("list %+v", l)
				}
				cs, _, err := s.Contacts(ctx, l.ID, store.Page{Limit: 200})
				if err != nil || len(cs) != c.imported {
					t.Fatalf("contacts %d %v", len(cs), err)
				}
				for _, ct := range cs {
					if !strings.HasPrefix(ct.Phone, "+86") || ct.TZ != "Asia/Shanghai" || !strings.Contains(ct.Vars, c.wantVars) {
						t.Errorf("contact %+v", ct)
					}
				}
				var out bytes.Buffer
				if err := s.WriteRejects(ctx, imp.ID, &out); err != nil {
					t.Fatal(err)
				}
				cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out.Bytes(), []byte("\xEF\xBB\xBF"))))
				cr.FieldsPerRecord = -1
				recs, err := cr.ReadAll()
				if err != nil || len(recs) != 1+c.dups+c.invalid {
					t.Fatalf("rejects report %d rows %v: %s", len(recs), err, out.String())
				}
			})
		}
	})
}

func TestImportBadFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db, Options{MaxUploadBytes: 64 << 10, MaxRows: 5})
		ctx, _ := newTenant(t, db, "acme")
		good := xlsxBytes(t, [][]any{{"手机"}, {"13800138000"}})
		cases := []struct {
			name, file string
			data       []byte
			want       string
		}{
			{"empty", "e.csv", nil, "empty"},
			{"binary", "b.csv", []byte("phone\n138\x00\x01\x02"), "row 2: the file is binary"},
			{"truncated xlsx", "t.xlsx", good[:len(good)/2], "damaged or truncated"},
			{"old xls", "o.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3}, ".xls"},
			{"oversized", "big.csv", bytes.Repeat([]byte("13800138000\n"), 7000), "larger than"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.Upload(ctx, "", c.file, bytes.NewReader(c.data))
				var ve *apperr.ValidationError
				if !errors.As(err, &ve) || !strings.Contains(ve.Fields["file"], c.want) {
					t.Fatalf("err = %v, want a file error with %q", err, c.want)
				}
			})
		}
		t.Run("too many rows fails the whole file", func(t *testing.T) {
			var b strings.Builder
			b.WriteString("phone,note\n")
			for i := 0; i < 8; i++ {
				fmt.Fprintf(&b, "1380013%04d,x\n", i)
			}
			s2 := newService(t, db, Options{MaxRows: 5, BatchSize: 2})
			_, imp := importFile(t, s2, ctx, "many.csv", []byte(b.String()))
			if imp.State != store.ImportFailed || !strings.Contains(imp.Error, "row 7") {
				t.Fatalf("import %+v", imp)
			}
			var n int64
			db.With(ctx).Model(&store.Contact{}).Where("list_id = ?", imp.ListID).Count(&n)
			l, _ := s2.GetList(ctx, imp.ListID)
			if n != 0 || l.State != store.ListFailed {
				t.Fatalf("half-imported: %d contacts, list %s", n, l.State)
			}
		})
		t.Run("a second encoding later in the file fails it by row and column", func(t *testing.T) {
			var b strings.Builder
			b.WriteString("phone,name\n")
			for i := 0; b.Len() < sniffLen+100; i++ {
				fmt.Fprintf(&b, "1380013%04d,name\n", i%10000)
			}
			data := append([]byte(b.String()), append([]byte("13900139000,"), gbk(t, "张三\n")...)...)
			s2 := newService(t, db, Options{BatchSize: 500})
			_, imp := importFile(t, s2, ctx, "mixed.csv", data)
			if imp.State != store.ImportFailed || !strings.Contains(imp.Error, "column 2: the text is not valid UTF-8") {
				t.Fatalf("import %+v", imp)
			}
			var n int64
			db.With(ctx).Model(&store.Contact{}).Where("list_id = ?", imp.ListID).Count(&n)
			if n != 0 {
				t.Fatalf("%d contacts of a failed file stayed", n)
			}
		})
		t.Run("formula cells are rejected by row and column", func(t *testing.T) {
			_, imp := importFile(t, s, ctx, "f.csv", []byte("phone,name\n13800138000,=HYPERLINK(\"http://x\")\n13900139000,ok\n"))
			if imp.Imported != 1 || imp.Invalid != 1 {
				t.Fatalf("import %+v", imp)
			}
			var r store.ImportReject
			db.With(ctx).Where("import_id = ?", imp.ID).First(&r)
			if r.FileRow != 2 || r.Column != "2" || r.Reason != ReasonFormula {
				t.Fatalf("reject %+v", r)
			}
		})
		t.Run("mapping errors name the field", func(t *testing.T) {
			p, err := s.Upload(ctx, "", "m.csv", strings.NewReader("phone,name\n13800138000,a\n"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.StartImport(ctx, p.ImportID, Mapping{HasHeader: true, Phone: 5, Name: -1, Vars: map[string]int{"bad name!": 1}})
			var ve *apperr.ValidationError
			if !errors.As(err, &ve) || ve.Fields["phone"] == "" || ve.Fields["vars.bad name!"] == "" {
				t.Fatalf("err %v", err)
			}
		})
	})
}

// TestImportResumes interrupts an import after some batches (as a crash
// would) and checks the next run finishes it with every row exactly once.
func TestImportResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db, Options{BatchSize: 10})
		ctx, _ := newTenant(t, db, "acme")
		var b strings.Builder
		b.WriteString("phone\n")
		for i := 0; i < 95; i++ {
			fmt.Fprintf(&b, "1380013%04d\n", i%90) // 5 duplicates
		}
		p, err := s.Upload(ctx, "", "r.csv", strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartImport(ctx, p.ImportID, p.Suggested); err != nil {
			t.Fatal(err)
		}
		// A crash after 3 committed batches: replay them by hand.
		imp, _ := s.GetImport(ctx, p.ImportID)
		src, _ := openSource(imp.FilePath, imp.Format, imp.Encoding)
		im := &importer{s: s, imp: imp, m: p.Suggested, seen: map[uint64]int32{}}
		_, _ = src.Next()
		for batch := 0; batch < 3; batch++ {
			var rows []rawRow
			for i := 0; i < 10; i++ {
				rec, _ := src.Next()
				rows = append(rows, rawRow{row: batch*10 + i + 2, cells: append([]string(nil), rec...)})
			}
			if err := im.commit(ctx, rows); err != nil {
				t.Fatal(err)
			}
		}
		src.Close()
		db.With(ctx).Model(&store.ListImport{}).Where("id = ?", imp.ID).Update("state", store.ImportRunning)
		l, _ := s.GetList(ctx, imp.ListID)
		if l.State != store.ListImporting {
			t.Fatalf("a half-read list is visible: %s", l.State)
		}
		if err := s.RunImport(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		imp, _ = s.GetImport(ctx, imp.ID)
		var n int64
		db.With(ctx).Model(&store.Contact{}).Where("list_id = ?", imp.ListID).Count(&n)
		if imp.State != store.ImportDone || imp.RowsDone != 95 || n != 90 || imp.Imported != 90 || imp.Duplicates != 5 {
			t.Fatalf("after resume: %+v, %d contacts", imp, n)
		}
	})
}

func TestDNCAtImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db, Options{})
		ctx, _ := newTenant(t, db, "acme")
		other, _ := newTenant(t, db, "other")
		if _, err := s.AddDNC(ctx, false, []string{"13800138000"}, "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddDNC(store.AsPlatform(context.Background()), true, []string{"+86 139 0013 9000"}, "", "regulator"); err != nil {
			t.Fatal(err)
		}
		data := []byte("phone\n13800138000\n13900139000\n13700137000\n")
		_, imp := importFile(t, s, ctx, "d.csv", data)
		if imp.Imported != 1 || imp.DNC != 2 {
			t.Fatalf("tenant import %+v", imp)
		}
		// The tenant list is the tenant's own: another tenant is only held
		// back by the platform list.
		_, imp = importFile(t, s, other, "d.csv", data)
		if imp.Imported != 2 || imp.DNC != 1 {
			t.Fatalf("other tenant import %+v", imp)
		}
		rows, _, _ := s.ListDNC(ctx, false, "138", store.Page{})
		if len(rows) != 1 || rows[0].Phone != "+8613800138000" {
			t.Fatalf("dnc rows %+v", rows)
		}
		res, err := s.ImportDNC(ctx, false, bytes.NewReader(gbk(t, "号码\n13600136000\n坏\n13800138000\n")))
		if err != nil || res.Added != 1 || res.Existing != 1 || len(res.Rejected) != 1 {
			t.Fatalf("import dnc %+v %v", res, err)
		}
		// Call control reads the script variables of an attempt's contact.
		var ct store.Contact
		db.With(other).Where("list_id = ?", imp.ListID).First(&ct)
		vars, err := s.ContactVars(context.Background(), &store.CallAttempt{TenantOwned: store.TenantOwned{TenantID: ct.TenantID}, ContactID: ct.ID})
		if err != nil || vars["phone"] != ct.Phone {
			t.Fatalf("contact vars %v %v", vars, err)
		}
		var out bytes.Buffer
		if err := s.ExportDNC(ctx, false, &out); err != nil || strings.Count(out.String(), "\n") != 3 {
			t.Fatalf("export %q %v", out.String(), err)
		}
	})
}

var _ = filepath.Join
