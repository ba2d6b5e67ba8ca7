package campaign

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// TestExportZipHoldsTableAndExactlyItsRecordings exports a filtered view
// with recordings: the ZIP holds the table (formulas still neutralized)
// and the recordings of exactly the table's rows, byte for byte; a row
// whose file is gone is listed as missing; a recording of a row the filter
// leaves out, and a record path outside the recordings directory, are not
// in it.
func TestExportZipHoldsTableAndExactlyItsRecordings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db, Options{})
		ctx, tn := newTenant(t, db, "zipco")
		l := readyList(t, s, ctx, 6)
		c, err := s.CreateCampaign(ctx, CampaignInput{Name: "z", ListID: l.ID, ScriptVersionID: scriptVersion(t, s, ctx)})
		if err != nil {
			t.Fatal(err)
		}
		var contacts []store.Contact
		db.With(ctx).Where("list_id = ?", l.ID).Order("id").Find(&contacts)
		root := t.TempDir()
		day := filepath.Join(root, fmt.Sprint(tn.ID), "20261124")
		if err := os.MkdirAll(day, 0o755); err != nil {
			t.Fatal(err)
		}
		outside := filepath.Join(t.TempDir(), "secret.wav")
		_ = os.WriteFile(outside, []byte("not yours"), 0o644)
		evil := `=HYPERLINK("http://evil","x")`
		type row struct {
			outcome string
			file    string // "" no recording; "missing" a path with no file; "outside"
		}
		rows := []row{{callctl.OutcomeAnswered, "a"}, {callctl.OutcomeAnswered, ""}, {callctl.OutcomeAnswered, "b"},
			{callctl.OutcomeBusy, "c"}, {callctl.OutcomeAnswered, "missing"}, {callctl.OutcomeAnswered, "outside"}}
		want := map[string][]byte{} // zip name -> content
		var wantMissing []string
		for i, r := range rows {
			a := &store.CallAttempt{UUID: fmt.Sprintf("%035d%c", 0, 'a'+i), CampaignID: c.ID, ContactID: contacts[i].ID, AttemptNo: 1,
				Phone: contacts[i].Phone, State: store.AttemptFinished, Outcome: r.outcome, Tags: evil, QueuedAt: time.Now().UTC()}
			switch r.file {
			case "":
			case "missing":
				a.RecordPath = filepath.Join(day, "gone.wav")
			case "outside":
				a.RecordPath = outside
			default:
				a.RecordPath = filepath.Join(day, a.UUID+".wav")
				// Relative paths resolve against the recordings directory too.
				if r.file == "b" {
					a.RecordPath, _ = filepath.Rel(root, a.RecordPath)
				}
				body := []byte("RIFF" + strings.Repeat(r.file, 100+i))
				if err := os.WriteFile(filepath.Join(day, a.UUID+".wav"), body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.With(ctx).Create(a).Error; err != nil {
				t.Fatal(err)
			}
			if r.outcome != callctl.OutcomeAnswered {
				continue
			}
			switch r.file {
			case "a", "b":
				want[fmt.Sprintf("recordings/%d.wav", a.ID)] = []byte("RIFF" + strings.Repeat(r.file, 100+i))
			case "missing", "outside":
				wantMissing = append(wantMissing, fmt.Sprint(a.ID))
			}
		}
		f := ResultFilter{CampaignID: c.ID, Outcome: callctl.OutcomeAnswered}
		for _, format := range []string{"csv", "xlsx"} {
			var out bytes.Buffer
			if err := s.ExportZip(ctx, f, format, root, &out); err != nil {
				t.Fatal(err)
			}
			zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{}
			var names []string
			for _, zf := range zr.File {
				names = append(names, zf.Name)
				rc, err := zf.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				got[zf.Name] = b
			}
			table, ok := got["results."+format]
			if !ok || names[0] != "results."+format {
				t.Fatalf("%s: entries %v", format, names)
			}
			// The table file is the plain export of the same filter.
			var plain bytes.Buffer
			if err := s.Export(ctx, f, format, &plain); err != nil {
				t.Fatal(err)
			}
			var tableRows [][]string
			if format == "csv" {
				if !bytes.Equal(table, plain.Bytes()) {
					t.Fatalf("csv in zip differs from the plain export")
				}
				tableRows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(table, []byte("\xEF\xBB\xBF")))).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
			} else {
				x, err := excelize.OpenReader(bytes.NewReader(table))
				if err != nil {
					t.Fatal(err)
				}
				tableRows, _ = x.GetRows("Sheet1")
				x.Close()
			}
			if len(tableRows) != 6 { // header + 5 answered
				t.Fatalf("%s: %d table rows", format, len(tableRows))
			}
			for _, r := range tableRows[1:] {
				if r[10] != "'"+evil {
					t.Fatalf("%s: tags cell %q not neutralized", format, r[10])
				}
			}
			var gotRec []string
			for name := range got {
				if strings.HasPrefix(name, "recordings/") && name != "recordings/MISSING.txt" {
					gotRec = append(gotRec, name)
				}
			}
			var wantRec []string
			for name := range want {
				wantRec = append(wantRec, name)
			}
			sort.Strings(gotRec)
			sort.Strings(wantRec)
			if strings.Join(gotRec, ",") != strings.Join(wantRec, ",") {
				t.Fatalf("%s: recordings %v, want %v", format, gotRec, wantRec)
			}
			for name, body := range want {
				if !bytes.Equal(got[name], body) {
					t.Fatalf("%s: %s content differs", format, name)
				}
			}
			if m := string(got["recordings/MISSING.txt"]); !strings.Contains(m, wantMissing[0]) || !strings.Contains(m, wantMissing[1]) {
				t.Fatalf("%s: missing list %q, want %v", format, m, wantMissing)
			}
		}
	})
}

func TestRecordingFileStaysInsideRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "rec")
	for _, c := range []struct {
		path string
		ok   bool
	}{
		{"", false}, {"1/x.wav", true}, {root + "/1/x.wav", true}, {"../x.wav", false}, {root + "/../x.wav", false},
		{"/etc/passwd", false}, {root + "x/y.wav", false},
	} {
		if _, ok := RecordingFile(root, c.path); ok != c.ok {
			t.Errorf("RecordingFile(%q) = %v, want %v", c.path, ok, c.ok)
		}
	}
	if _, ok := RecordingFile("", "/a.wav"); ok {
		t.Error("no recordings directory: no recording")
	}
	if RecordingContentType("/a/B.WAV") != "audio/wav" || RecordingContentType("/a/b.mp3") != "audio/mpeg" {
		t.Error("content types")
	}
}
