package campaign

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/waihu/waihu/app/store"
)

// RecordingFile resolves a call's record path against the recordings
// directory. A path outside that directory (or an empty one) is treated as
// no recording, so a tampered row cannot make waihu serve /etc/passwd.
func RecordingFile(root, recordPath string) (string, bool) {
	if recordPath == "" || root == "" {
		return "", false
	}
	p := recordPath
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	p = filepath.Clean(p)
	rel, err := filepath.Rel(filepath.Clean(root), p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return p, true
}

// RecordingContentType is the media type of a recording by its extension
// (FreeSWITCH writes what the file name asks for).
func RecordingContentType(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".wav":
		return "audio/wav"
	case ".mp3":
		return "audio/mpeg"
	case ".ogg", ".opus":
		return "audio/ogg"
	}
	return "application/octet-stream"
}

// ExportZip streams a ZIP holding the filtered results table
// (results.<format>, formulas neutralized as in Export) and, under
// recordings/, the recording of exactly the rows in that table, named by
// call id. Nothing is held in memory: the table streams into its entry
// while the ids and paths of rows with a recording are spooled to a temp
// file, then each recording is copied from disk. A row whose file is gone
// is listed in recordings/MISSING.txt instead.
func (s *Service) ExportZip(ctx context.Context, f ResultFilter, format, recordingsRoot string, w io.Writer) error {
	spool, err := os.CreateTemp("", "waihu-export-*.txt")
	if err != nil {
		return err
	}
	defer func() {
		spool.Close()
		os.Remove(spool.Name())
	}()
	sw := bufio.NewWriter(spool)
	zw := zip.NewWriter(w)
	now := time.Now()
	tw, err := zw.CreateHeader(&zip.FileHeader{Name: "results." + format, Method: zip.Deflate, Modified: now})
	if err != nil {
		return err
	}
	err = s.exportTable(ctx, f, format, tw, func(a *store.CallAttempt) error {
		if a.RecordPath == "" {
			return nil
		}
		// One line per row: "<id> <path>"; a path never holds a newline
		// (FreeSWITCH would not record to it either).
		if strings.ContainsAny(a.RecordPath, "\r\n") {
			return nil
		}
		_, err := fmt.Fprintf(sw, "%d %s\n", a.ID, a.RecordPath)
		return err
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var missing []string
	sc := bufio.NewScanner(spool)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		id, rp, _ := strings.Cut(sc.Text(), " ")
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			continue
		}
		ok, err := addRecording(zw, recordingsRoot, id, rp, now)
		if err != nil {
			return err
		}
		if !ok {
			missing = append(missing, id)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(missing) > 0 {
		mw, err := zw.CreateHeader(&zip.FileHeader{Name: "recordings/MISSING.txt", Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(mw, "Calls whose recording file is missing:\n"+strings.Join(missing, "\n")+"\n"); err != nil {
			return err
		}
	}
	return zw.Close()
}

// addRecording copies one recording into the archive as
// recordings/<id><ext>; false when the file is not there (or not under the
// recordings directory).
func addRecording(zw *zip.Writer, root, id, recordPath string, mod time.Time) (bool, error) {
	p, ok := RecordingFile(root, recordPath)
	if !ok {
		return false, nil
	}
	src, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer src.Close()
	if st, err := src.Stat(); err != nil || !st.Mode().IsRegular() {
		return false, nil
	}
	ext := strings.ToLower(filepath.Ext(p))
	if ext == "" {
		ext = ".wav"
	}
	// Audio barely compresses: store it and keep the CPU for the calls.
	dst, err := zw.CreateHeader(&zip.FileHeader{Name: "recordings/" + id + ext, Method: zip.Store, Modified: mod})
	if err != nil {
		return false, err
	}
	if _, err := io.Copy(dst, src); err != nil {
		return false, err
	}
	return true, nil
}
