package campaign

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
)

// Mapping says which column holds what (0-based column indexes).
type Mapping struct {
	// HasHeader: the first row names the columns and is not a contact.
	HasHeader bool `json:"has_header"`
	Phone     int  `json:"phone"`
	// Name is the name column, -1 for none.
	Name int `json:"name"`
	// Vars maps a script variable name to its column.
	Vars map[string]int `json:"vars"`
}

// Preview is what the mapping step shows: the first rows and a suggestion.
type Preview struct {
	ImportID  uint64     `json:"import_id"`
	ListID    uint64     `json:"list_id"`
	Format    string     `json:"format"`
	Encoding  string     `json:"encoding"`
	Headers   []string   `json:"headers"`
	Rows      [][]string `json:"rows"`
	Suggested Mapping    `json:"suggested"`
}

const previewRows = 10

var varNameRe = regexp.MustCompile(`^[\p{Han}A-Za-z_][\p{Han}A-Za-z0-9_]{0,63}$`)

// Upload stores an uploaded file, creates its (not yet visible) list and
// returns the preview for the column mapping.
func (s *Service) Upload(ctx context.Context, listName, fileName string, r io.Reader) (*Preview, error) {
	listName = strings.TrimSpace(listName)
	if listName == "" {
		listName = strings.TrimSuffix(filepath.Base(fileName), filepath.Ext(fileName))
	}
	if utf8.RuneCountInString(listName) > 128 || listName == "" {
		return nil, apperr.Invalid("name", "must be 1 to 128 characters")
	}
	tid, ok := store.TenantFrom(ctx)
	if !ok {
		return nil, store.ErrNoTenantScope
	}
	dir := filepath.Join(s.opt.DataDir, "imports", strconv.FormatUint(tid, 10))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create import directory: %w", err)
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	path := filepath.Join(dir, hex.EncodeToString(rnd)+".upload")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("store upload: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, s.opt.MaxUploadBytes+1))
	cerr := f.Close()
	keep := false
	defer func() {
		if !keep {
			_ = os.Remove(path)
		}
	}()
	if err != nil {
		var mbe interface{ Error() string }
		if errors.As(err, &mbe) && strings.Contains(err.Error(), "too large") {
			return nil, (&FileError{Reason: fmt.Sprintf("the file is larger than %d MB", s.opt.MaxUploadBytes>>20)}).AsValidation()
		}
		return nil, fmt.Errorf("store upload: %w", err)
	}
	if cerr != nil {
		return nil, fmt.Errorf("store upload: %w", cerr)
	}
	if n > s.opt.MaxUploadBytes {
		return nil, (&FileError{Reason: fmt.Sprintf("the file is larger than %d MB", s.opt.MaxUploadBytes>>20)}).AsValidation()
	}
	format, enc, err := sniff(path)
	if err != nil {
		return nil, fileErr(err)
	}
	p, err := readPreview(path, format, enc)
	if err != nil {
		return nil, fileErr(err)
	}
	total := 0
	if format == FormatCSV {
		total = countLines(path) - 1
	}
	list := &store.ContactList{Name: listName, State: store.ListImporting, Columns: "[]"}
	imp := &store.ListImport{FileName: truncate(filepath.Base(fileName), 255), FilePath: path, FileSize: n, Format: format,
		Encoding: enc, State: store.ImportUploaded, TotalRows: max(total, 0)}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(list).Error; err != nil {
			return err
		}
		imp.ListID = list.ID
		return tx.Create(imp).Error
	})
	if err != nil {
		return nil, fmt.Errorf("record upload: %w", err)
	}
	keep = true
	p.ImportID, p.ListID = imp.ID, list.ID
	return p, nil
}

func fileErr(err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe.AsValidation()
	}
	return err
}

func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	n, last := 0, byte('\n')
	for {
		k, err := f.Read(buf)
		if k > 0 {
			n += bytes.Count(buf[:k], []byte("\n"))
			last = buf[k-1]
		}
		if err != nil {
			break
		}
	}
	if last != '\n' {
		n++
	}
	return n
}

func readPreview(path, format, enc string) (*Preview, error) {
	src, err := openSource(path, format, enc)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	p := &Preview{Format: format, Encoding: enc}
	for i := 0; i <= previewRows; i++ {
		rec, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		row := append([]string(nil), rec...)
		if i == 0 {
			p.Headers = row
			continue
		}
		p.Rows = append(p.Rows, row)
	}
	if len(p.Headers) == 0 {
		return nil, &FileError{Reason: "the file has no rows"}
	}
	p.Suggested = suggestMapping(p.Headers, p.Rows)
	return p, nil
}

// suggestMapping guesses the columns from header names, or finds the phone
// column by content when the first row is already data.
func suggestMapping(headers []string, rows [][]string) Mapping {
	m := Mapping{HasHeader: true, Phone: -1, Name: -1, Vars: map[string]int{}}
	if _, bad := NormalizePhone(firstNonEmpty(headers)); bad == "" {
		m.HasHeader = false
	}
	for i, h := range headers {
		l := strings.ToLower(strings.TrimSpace(h))
		switch {
		case m.Phone < 0 && containsAny(l, "手机", "电话", "号码", "phone", "mobile", "tel"):
			m.Phone = i
		case m.Name < 0 && containsAny(l, "姓名", "名字", "客户名", "name"):
			m.Name = i
		case m.HasHeader && varNameRe.MatchString(strings.TrimSpace(h)):
			m.Vars[strings.TrimSpace(h)] = i
		}
	}
	if m.Phone < 0 {
		sample := append([][]string{headers}, rows...)
		for col := 0; col < len(headers) && m.Phone < 0; col++ {
			for _, r := range sample {
				if col < len(r) {
					if _, bad := NormalizePhone(r[col]); bad == "" {
						m.Phone = col
						break
					}
				}
			}
		}
		if m.Phone < 0 {
			m.Phone = 0
		}
	}
	if !m.HasHeader {
		m.Vars = map[string]int{}
	}
	for k, v := range m.Vars {
		if v == m.Phone || v == m.Name {
			delete(m.Vars, k)
		}
	}
	return m
}

func firstNonEmpty(ss []string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// PreviewImport re-reads an uploaded file's first rows.
func (s *Service) PreviewImport(ctx context.Context, importID uint64) (*Preview, error) {
	imp, err := s.GetImport(ctx, importID)
	if err != nil {
		return nil, err
	}
	p, err := readPreview(imp.FilePath, imp.Format, imp.Encoding)
	if err != nil {
		return nil, fileErr(err)
	}
	p.ImportID, p.ListID = imp.ID, imp.ListID
	return p, nil
}

// GetImport returns one import of the context's tenant.
func (s *Service) GetImport(ctx context.Context, id uint64) (*store.ListImport, error) {
	var imp store.ListImport
	if err := s.db.With(ctx).First(&imp, id).Error; err != nil {
		return nil, fmt.Errorf("import %d: %w", id, store.Translate(err))
	}
	return &imp, nil
}

// StartImport validates the mapping against the file's columns and
// enqueues the import job.
func (s *Service) StartImport(ctx context.Context, importID uint64, m Mapping) (*store.ListImport, error) {
	imp, err := s.GetImport(ctx, importID)
	if err != nil {
		return nil, err
	}
	if imp.State != store.ImportUploaded {
		return nil, apperr.Invalid("state", "the import has already started")
	}
	p, err := readPreview(imp.FilePath, imp.Format, imp.Encoding)
	if err != nil {
		return nil, fileErr(err)
	}
	width := len(p.Headers)
	for _, r := range p.Rows {
		width = max(width, len(r))
	}
	var v apperr.Validator
	v.Check(m.Phone >= 0 && m.Phone < width, "phone", fmt.Sprintf("must be a column from 0 to %d", width-1))
	v.Check(m.Name >= -1 && m.Name < width, "name", fmt.Sprintf("must be -1 or a column from 0 to %d", width-1))
	v.Check(len(m.Vars) <= 50, "vars", "at most 50 variables")
	for name, col := range m.Vars {
		v.Check(varNameRe.MatchString(name), "vars."+name, "must be a letter or 汉字 followed by letters, digits or _ (max 64)")
		v.Check(col >= 0 && col < width, "vars."+name, fmt.Sprintf("must be a column from 0 to %d", width-1))
		v.Check(col != m.Phone, "vars."+name, "is the phone column")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	mj, _ := json.Marshal(m)
	cols := make([]string, 0, len(m.Vars))
	for name := range m.Vars {
		cols = append(cols, name)
	}
	colsJSON, _ := json.Marshal(sortedStrings(cols))
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&store.ListImport{}).Where("id = ? AND state = ?", imp.ID, store.ImportUploaded).
			Updates(map[string]any{"mapping": string(mj), "state": store.ImportQueued})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.Invalid("state", "the import has already started")
		}
		if err := tx.Model(&store.ContactList{}).Where("id = ?", imp.ListID).Update("columns", string(colsJSON)).Error; err != nil {
			return err
		}
		return jobs.Enqueue(ctx, tx, JobImport, "import:"+strconv.FormatUint(imp.ID, 10), importPayload{ImportID: imp.ID, TenantID: imp.TenantID}, time.Time{})
	})
	if err != nil {
		return nil, err
	}
	s.nudge()
	return s.GetImport(ctx, importID)
}

type importPayload struct {
	ImportID uint64 `json:"import_id"`
	TenantID uint64 `json:"tenant_id"`
}

func (s *Service) importJob(ctx context.Context, task *store.OutboxTask) error {
	var p importPayload
	if err := json.Unmarshal([]byte(task.Payload), &p); err != nil {
		return fmt.Errorf("%w: bad import payload: %v", jobs.ErrPermanent, err)
	}
	return s.RunImport(store.WithTenant(ctx, p.TenantID), p.ImportID)
}

// RunImport reads the file of a queued or interrupted import to its end.
// Each batch of contacts and rejects commits together with the import's
// RowsDone, so after a crash it resumes at the first uncommitted row. The
// list stays invisible (importing) until the last batch, and a bad file
// found half-way removes everything it had added: all or nothing.
//
// Reading, normalizing and checking rows runs in one goroutine while the
// previous batch is being stored in another, so the database and the CPU
// work at the same time.
func (s *Service) RunImport(ctx context.Context, importID uint64) error {
	imp, err := s.GetImport(ctx, importID)
	if err != nil {
		return err
	}
	if imp.State != store.ImportQueued && imp.State != store.ImportRunning {
		return nil
	}
	var m Mapping
	if err := json.Unmarshal([]byte(imp.Mapping), &m); err != nil {
		return s.failImport(ctx, imp, &FileError{Reason: "the column mapping is unreadable"})
	}
	now := s.now()
	if err := s.db.With(ctx).Model(imp).Updates(map[string]any{"state": store.ImportRunning, "started_at": now}).Error; err != nil {
		return err
	}
	src, err := openSource(imp.FilePath, imp.Format, imp.Encoding)
	if err != nil {
		return s.failImport(ctx, imp, err)
	}
	defer src.Close()
	im := newImporter(s, imp, m)
	if err := im.resume(ctx); err != nil {
		return err
	}
	if err := im.loadDNC(ctx); err != nil {
		return err
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Two prepared batches in flight at most: memory stays flat.
	batches := make(chan importItem, 2)
	go im.produce(pctx, src, batches)
	for it := range batches {
		if it.err != nil {
			cancel()
			for range batches {
			}
			if it.fileErr {
				return s.failImport(ctx, imp, it.err)
			}
			return it.err
		}
		if err := im.store(ctx, it.pb); err != nil {
			cancel()
			for range batches {
			}
			return err
		}
	}
	return im.finish(ctx)
}

// importItem is one prepared batch, or why reading stopped: fileErr says
// the file itself is bad (the import fails) rather than the database.
type importItem struct {
	pb      *preparedBatch
	err     error
	fileErr bool
}

// produce reads the rows after the committed ones and sends prepared batches.
func (im *importer) produce(ctx context.Context, src rowSource, out chan<- importItem) {
	defer close(out)
	send := func(it importItem) bool {
		select {
		case out <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	imp, m, s := im.imp, im.m, im.s
	fileRow := 0
	if m.HasHeader {
		if _, err := src.Next(); err != nil && err != io.EOF {
			send(importItem{err: err, fileErr: true})
			return
		}
		fileRow = 1
	}
	for skip := 0; skip < imp.RowsDone; skip++ {
		if _, err := src.Next(); err != nil {
			send(importItem{err: fmt.Errorf("the file changed since the import started: %w", err), fileErr: true})
			return
		}
		fileRow++
	}
	read := imp.RowsDone
	batch := make([]rawRow, 0, s.opt.BatchSize)
	flush := func() bool {
		pb, err := im.prepare(ctx, batch)
		if err != nil {
			send(importItem{err: err})
			return false
		}
		batch = make([]rawRow, 0, s.opt.BatchSize)
		return send(importItem{pb: pb})
	}
	for {
		rec, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			send(importItem{err: err, fileErr: true})
			return
		}
		fileRow++
		if read >= s.opt.MaxRows {
			send(importItem{err: &FileError{Row: fileRow, Reason: fmt.Sprintf("the file has more than %d rows; split it", s.opt.MaxRows)}, fileErr: true})
			return
		}
		read++
		batch = append(batch, rawRow{row: fileRow, cells: append([]string(nil), rec...)})
		if len(batch) == cap(batch) && !flush() {
			return
		}
	}
	if len(batch) > 0 {
		flush()
	}
}

type rawRow struct {
	row   int
	cells []string
}

type importer struct {
	s    *Service
	imp  *store.ListImport
	m    Mapping
	seen map[uint64]int32 // E.164 digits -> first file row
	// dnc holds both do-not-call lists when they fit in memory; nil means
	// not loaded (or too large): each batch then asks the database.
	dnc     *dncSet
	varKeys []string // m.Vars' names, sorted
}

func newImporter(s *Service, imp *store.ListImport, m Mapping) *importer {
	return &importer{s: s, imp: imp, m: m, seen: make(map[uint64]int32, max(imp.TotalRows, 1024))}
}

func (im *importer) loadDNC(ctx context.Context) error {
	d, err := im.s.loadDNCSet(ctx)
	if err != nil {
		return err
	}
	im.dnc = d
	return nil
}

// phoneKey packs an E.164 number into a map key (15 digits fit in 50 bits),
// which keeps the duplicate set of a million rows at a few tens of MB.
func phoneKey(e164 string) uint64 {
	k, _ := strconv.ParseUint(strings.TrimPrefix(e164, "+"), 10, 64)
	return k
}

func (im *importer) resume(ctx context.Context) error {
	if im.imp.RowsDone == 0 {
		return nil
	}
	rows, err := im.s.db.With(ctx).Model(&store.Contact{}).Where("list_id = ?", im.imp.ListID).Select("phone, file_row").Rows()
	if err != nil {
		return fmt.Errorf("resume import: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var r int32
		if err := rows.Scan(&p, &r); err != nil {
			return fmt.Errorf("resume import: %w", err)
		}
		im.seen[phoneKey(p)] = r
	}
	return rows.Err()
}

// commit prepares and stores one batch (the pipeline in RunImport does the
// two steps in different goroutines).
func (im *importer) commit(ctx context.Context, batch []rawRow) error {
	pb, err := im.prepare(ctx, batch)
	if err != nil {
		return err
	}
	return im.store(ctx, pb)
}

// preparedBatch is a batch of file rows turned into contacts and rejects.
type preparedBatch struct {
	rows                int // file rows the batch covers
	lastRow             int
	contacts            []store.Contact
	rejects             []store.ImportReject
	dups, invalid, dncs int
}

// prepare normalizes, dedupes and checks one batch; only the producer
// goroutine calls it (it owns im.seen).
func (im *importer) prepare(ctx context.Context, batch []rawRow) (*preparedBatch, error) {
	pb := &preparedBatch{rows: len(batch)}
	if len(batch) == 0 {
		return pb, nil
	}
	pb.lastRow = batch[len(batch)-1].row
	imp, m := im.imp, im.m
	if im.varKeys == nil {
		im.varKeys = make([]string, 0, len(m.Vars))
		for k := range m.Vars {
			im.varKeys = append(im.varKeys, k)
		}
		sortedStrings(im.varKeys)
	}
	now := im.s.now()
	contacts := make([]store.Contact, 0, len(batch))
	keys := make([]uint64, 0, len(batch))
	var rejects []store.ImportReject
	reject := func(r rawRow, col int, reason, detail string) {
		raw, _ := json.Marshal(r.cells)
		colName := ""
		if col >= 0 {
			colName = strconv.Itoa(col + 1)
		}
		rejects = append(rejects, store.ImportReject{ImportID: imp.ID, FileRow: r.row, Column: colName, Reason: reason, Detail: detail, Raw: string(raw)})
	}
	cell := func(cells []string, i int) string {
		if i < 0 || i >= len(cells) {
			return ""
		}
		return strings.TrimSpace(cells[i])
	}
	vars := make(map[string]string, len(m.Vars))
	var vbuf []byte
rows:
	for _, r := range batch {
		raw := strings.TrimSuffix(cell(r.cells, m.Phone), ".0") // numeric Excel cells
		if raw == "" && isBlank(r.cells) {
			reject(r, -1, ReasonEmptyPhone, "the row is empty")
			continue
		}
		num, bad := NormalizePhone(raw)
		if bad != "" {
			reject(r, m.Phone, bad, truncate(raw, 64))
			continue
		}
		name := cell(r.cells, m.Name)
		if looksLikeFormula(name) {
			reject(r, m.Name, ReasonFormula, "a formula is not allowed in a cell")
			continue
		}
		if utf8.RuneCountInString(name) > 128 {
			reject(r, m.Name, ReasonTooLong, "more than 128 characters")
			continue
		}
		clear(vars)
		for k, col := range m.Vars {
			v := cell(r.cells, col)
			if looksLikeFormula(v) {
				reject(r, col, ReasonFormula, "a formula is not allowed in a cell")
				continue rows
			}
			if len(v) > 1024 {
				reject(r, col, ReasonTooLong, "more than 1024 bytes")
				continue rows
			}
			vars[k] = v
		}
		key := phoneKey(num.E164)
		if first, dup := im.seen[key]; dup {
			reject(r, m.Phone, ReasonDuplicate, "same number as row "+strconv.Itoa(int(first)))
			continue
		}
		im.seen[key] = int32(r.row)
		vj := "{}"
		if len(vars) > 0 {
			vbuf = encodeVars(vbuf[:0], im.varKeys, vars)
			if len(vbuf) > 65535 { // the vars column is a TEXT
				reject(r, -1, ReasonTooLong, "the row's variables are longer than 64 KB")
				continue
			}
			vj = string(vbuf)
		}
		contacts = append(contacts, store.Contact{TenantOwned: store.TenantOwned{TenantID: imp.TenantID}, ListID: imp.ListID,
			Phone: num.E164, Name: name, TZ: num.TZ, AreaCode: num.AreaCode, Vars: vj, FileRow: r.row, CreatedAt: now})
		keys = append(keys, key)
	}
	// Do-not-call numbers are dropped at import as well as at dispatch.
	isBlocked := func(i int) bool { return im.dnc.has(keys[i]) }
	if im.dnc == nil {
		blocked, err := im.s.blockedSet(ctx, phonesOf(contacts))
		if err != nil {
			return nil, err
		}
		isBlocked = func(i int) bool { return blocked[contacts[i].Phone] }
	}
	kept := contacts[:0]
	for i, c := range contacts {
		if isBlocked(i) {
			raw, _ := json.Marshal([]string{c.Phone})
			rejects = append(rejects, store.ImportReject{ImportID: imp.ID, FileRow: c.FileRow, Column: strconv.Itoa(m.Phone + 1), Reason: ReasonDNC, Detail: "on the do-not-call list", Raw: string(raw)})
			pb.dncs++
			continue
		}
		kept = append(kept, c)
	}
	pb.contacts = kept
	for _, r := range rejects {
		switch r.Reason {
		case ReasonDuplicate:
			pb.dups++
		case ReasonDNC:
		default:
			pb.invalid++
		}
	}
	pb.rejects = rejects
	return pb, nil
}

// store commits a prepared batch with the import's progress.
func (im *importer) store(ctx context.Context, pb *preparedBatch) error {
	if pb.rows == 0 {
		return nil
	}
	imp := im.imp
	contacts, rejects := pb.contacts, pb.rejects
	err := im.s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := insertContacts(tx, im.s.db.Dialect, contacts); err != nil {
			return err
		}
		if len(rejects) > 0 {
			for i := range rejects {
				rejects[i].TenantID = imp.TenantID
			}
			if err := tx.CreateInBatches(rejects, 500).Error; err != nil {
				return fmt.Errorf("store import rejects: %w", err)
			}
		}
		res := tx.Model(&store.ListImport{}).Where("id = ? AND rows_done = ?", imp.ID, imp.RowsDone).Updates(map[string]any{
			"rows_done": imp.RowsDone + pb.rows, "imported": gorm.Expr("imported + ?", len(contacts)),
			"duplicates": gorm.Expr("duplicates + ?", pb.dups), "invalid": gorm.Expr("invalid + ?", pb.invalid), "dnc": gorm.Expr("dnc + ?", pb.dncs),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errors.New("import progressed in another worker; this run stops")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import rows up to %d: %w", pb.lastRow, err)
	}
	imp.RowsDone += pb.rows
	imp.Imported += len(contacts)
	imp.Duplicates += pb.dups
	imp.Invalid += pb.invalid
	imp.DNC += pb.dncs
	return nil
}

func isBlank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func phonesOf(cs []store.Contact) []string {
	out := make([]string, len(cs))
	for i := range cs {
		out[i] = cs[i].Phone
	}
	return out
}

// insertContacts writes contacts with multi-row INSERTs through one
// prepared statement per batch: gorm's reflection and SQL parsing per row
// would cost more than the database on a million-row import.
func insertContacts(tx *gorm.DB, d store.Dialect, cs []store.Contact) error {
	if len(cs) == 0 {
		return nil
	}
	if d == store.SQLite {
		return insertContactsSQLite(tx, cs)
	}
	perStmt := 500
	build := func(n int) string {
		var b strings.Builder
		b.Grow(120 + n*20)
		b.WriteString("INSERT INTO contacts (tenant_id, list_id, phone, name, tz, area_code, vars, file_row, created_at) VALUES ")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?,?,?,?)")
		}
		return b.String()
	}
	args := func(part []store.Contact) []any {
		out := make([]any, 0, len(part)*9)
		for i := range part {
			c := &part[i]
			out = append(out, c.TenantID, c.ListID, c.Phone, c.Name, c.TZ, c.AreaCode, c.Vars, c.FileRow, c.CreatedAt)
		}
		return out
	}
	ctx := tx.Statement.Context
	full := len(cs) / perStmt
	if full > 0 {
		stmt, err := tx.Statement.ConnPool.PrepareContext(ctx, build(perStmt))
		if err != nil {
			return fmt.Errorf("store contacts: %w", err)
		}
		defer stmt.Close()
		for i := 0; i < full; i++ {
			if _, err := stmt.ExecContext(ctx, args(cs[i*perStmt:(i+1)*perStmt])...); err != nil {
				return fmt.Errorf("store contacts: %w", store.Translate(err))
			}
		}
	}
	if rest := cs[full*perStmt:]; len(rest) > 0 {
		if err := tx.Exec(build(len(rest)), args(rest)...).Error; err != nil {
			return fmt.Errorf("store contacts: %w", store.Translate(err))
		}
	}
	return nil
}

// finish makes the list visible in one transaction.
func (im *importer) finish(ctx context.Context) error {
	now := im.s.now()
	err := im.s.db.Tx(ctx, func(tx *gorm.DB) error {
		// Imported is committed with every batch and nothing else adds to
		// an importing list, so it is the list's size: counting a million
		// rows again would take a second on MySQL.
		if err := tx.Model(&store.ContactList{}).Where("id = ?", im.imp.ListID).Updates(map[string]any{"state": store.ListReady, "contact_count": im.imp.Imported}).Error; err != nil {
			return err
		}
		return tx.Model(&store.ListImport{}).Where("id = ?", im.imp.ID).Updates(map[string]any{"state": store.ImportDone, "finished_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("finish import: %w", err)
	}
	_ = os.Remove(im.imp.FilePath)
	return nil
}

// failImport records why a file cannot be imported and removes what the
// import had added, so the list never shows a part of the file. Only file
// problems fail an import; database errors are returned for a retry.
func (s *Service) failImport(ctx context.Context, imp *store.ListImport, cause error) error {
	var fe *FileError
	if !errors.As(cause, &fe) {
		fe = &FileError{Reason: cause.Error()}
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("list_id = ?", imp.ListID).Delete(&store.Contact{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&store.ContactList{}).Where("id = ?", imp.ListID).Updates(map[string]any{"state": store.ListFailed, "contact_count": 0}).Error; err != nil {
			return err
		}
		return tx.Model(&store.ListImport{}).Where("id = ?", imp.ID).Updates(map[string]any{
			"state": store.ImportFailed, "error": truncate(fe.Error(), 1024), "finished_at": now, "imported": 0}).Error
	})
	if err != nil {
		return fmt.Errorf("fail import: %w", err)
	}
	_ = os.Remove(imp.FilePath)
	return nil
}

// WriteRejects streams the import's error report as CSV (UTF-8 with a BOM so
// Excel opens it): file row, column, reason, detail, then the row's cells.
func (s *Service) WriteRejects(ctx context.Context, importID uint64, w io.Writer) error {
	if _, err := s.GetImport(ctx, importID); err != nil {
		return err
	}
	if _, err := w.Write([]byte("\xEF\xBB\xBF")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"row", "column", "reason", "detail", "cells"}); err != nil {
		return err
	}
	var afterID uint64
	for {
		var rows []store.ImportReject
		if err := s.db.With(ctx).Where("import_id = ? AND id > ?", importID, afterID).Order("id").Limit(1000).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			afterID = r.ID
			var cells []string
			_ = json.Unmarshal([]byte(r.Raw), &cells)
			rec := []string{strconv.Itoa(r.FileRow), r.Column, r.Reason, r.Detail}
			for _, c := range cells {
				rec = append(rec, NeutralizeCell(c))
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
	}
	cw.Flush()
	return cw.Error()
}

// NeutralizeCell makes a value safe to open in a spreadsheet: text that
// would run as a formula gets a leading apostrophe (OWASP CSV injection).
func NeutralizeCell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if looksLikeFormula(v) || v[0] == '\t' || v[0] == '\r' || v[0] == '=' || v[0] == '@' {
			return "'" + v
		}
	}
	return v
}

// Lists pages through the tenant's lists.
func (s *Service) Lists(ctx context.Context, p store.Page) ([]store.ContactList, uint64, error) {
	var rows []store.ContactList
	if err := p.Apply(s.db.With(ctx), "id").Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	rows, next := store.Trim(p, rows, func(l store.ContactList) uint64 { return l.ID })
	return rows, next, nil
}

// GetList returns one list.
func (s *Service) GetList(ctx context.Context, id uint64) (*store.ContactList, error) {
	var l store.ContactList
	if err := s.db.With(ctx).First(&l, id).Error; err != nil {
		return nil, fmt.Errorf("list %d: %w", id, store.Translate(err))
	}
	return &l, nil
}

// DeleteList removes a list no campaign uses.
func (s *Service) DeleteList(ctx context.Context, id uint64) error {
	l, err := s.GetList(ctx, id)
	if err != nil {
		return err
	}
	var n int64
	if err := s.db.With(ctx).Model(&store.Campaign{}).Where("list_id = ?", l.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return apperr.Coded(409, "list_in_use", "a campaign uses this list")
	}
	return s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("list_id = ?", l.ID).Delete(&store.Contact{}).Error; err != nil {
			return err
		}
		return tx.Delete(l).Error
	})
}

// Contacts pages through a list's contacts.
func (s *Service) Contacts(ctx context.Context, listID uint64, p store.Page) ([]store.Contact, uint64, error) {
	if _, err := s.GetList(ctx, listID); err != nil {
		return nil, 0, err
	}
	var rows []store.Contact
	if err := p.Apply(s.db.With(ctx).Where("list_id = ?", listID), "id").Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	rows, next := store.Trim(p, rows, func(c store.Contact) uint64 { return c.ID })
	return rows, next, nil
}

// ContactInput is one contact given through the API.
type ContactInput struct {
	Phone string            `json:"phone"`
	Name  string            `json:"name"`
	Vars  map[string]string `json:"vars"`
}

// AddResult says what happened to each contact given.
type AddResult struct {
	Added    int               `json:"added"`
	Rejected []RejectedContact `json:"rejected"`
}

// RejectedContact is an API contact not added, by its index in the request.
type RejectedContact struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// AddContacts appends contacts to a ready list (API, and campaigns' append).
// Bad and duplicate ones are reported by index; the good ones commit together.
func (s *Service) AddContacts(ctx context.Context, listID uint64, in []ContactInput) (*AddResult, []store.Contact, error) {
	l, err := s.GetList(ctx, listID)
	if err != nil {
		return nil, nil, err
	}
	if l.State != store.ListReady {
		return nil, nil, apperr.Invalid("list", "the list is still importing or has failed")
	}
	if len(in) == 0 || len(in) > 10000 {
		return nil, nil, apperr.Invalid("contacts", "give 1 to 10000 contacts")
	}
	res := &AddResult{Rejected: []RejectedContact{}}
	now := s.now()
	seen := map[string]bool{}
	var cs []store.Contact
	for i, c := range in {
		num, bad := NormalizePhone(c.Phone)
		switch {
		case bad != "":
			res.Rejected = append(res.Rejected, RejectedContact{i, bad})
			continue
		case seen[num.E164]:
			res.Rejected = append(res.Rejected, RejectedContact{i, ReasonDuplicate})
			continue
		case looksLikeFormula(c.Name) || utf8.RuneCountInString(c.Name) > 128:
			res.Rejected = append(res.Rejected, RejectedContact{i, ReasonFormula})
			continue
		}
		ok := true
		for k, v := range c.Vars {
			if !varNameRe.MatchString(k) || looksLikeFormula(v) || len(v) > 1024 {
				ok = false
			}
		}
		if !ok {
			res.Rejected = append(res.Rejected, RejectedContact{i, "invalid_vars"})
			continue
		}
		seen[num.E164] = true
		vj := "{}"
		if len(c.Vars) > 0 {
			b, _ := json.Marshal(c.Vars)
			vj = string(b)
		}
		cs = append(cs, store.Contact{TenantOwned: store.TenantOwned{TenantID: l.TenantID}, ListID: l.ID, Phone: num.E164,
			Name: strings.TrimSpace(c.Name), TZ: num.TZ, AreaCode: num.AreaCode, Vars: vj, CreatedAt: now})
	}
	// Numbers already on the list are duplicates too.
	var existing []string
	if len(cs) > 0 {
		if err := s.db.With(ctx).Model(&store.Contact{}).Where("list_id = ? AND phone IN ?", l.ID, phonesOf(cs)).Pluck("phone", &existing).Error; err != nil {
			return nil, nil, err
		}
	}
	ex := map[string]bool{}
	for _, p := range existing {
		ex[p] = true
	}
	kept := cs[:0]
	for _, c := range cs {
		if ex[c.Phone] {
			for i, x := range in {
				if n, _ := NormalizePhone(x.Phone); n.E164 == c.Phone {
					res.Rejected = append(res.Rejected, RejectedContact{i, ReasonDuplicate})
					break
				}
			}
			continue
		}
		kept = append(kept, c)
	}
	cs = kept
	if len(cs) > 0 {
		err := s.db.Tx(ctx, func(tx *gorm.DB) error {
			if err := tx.CreateInBatches(&cs, 500).Error; err != nil {
				return store.Translate(err)
			}
			return tx.Model(&store.ContactList{}).Where("id = ?", l.ID).Update("contact_count", gorm.Expr("contact_count + ?", len(cs))).Error
		})
		if err != nil {
			return nil, nil, fmt.Errorf("add contacts: %w", err)
		}
	}
	res.Added = len(cs)
	return res, cs, nil
}

// ContactVars returns the script variables of an attempt's contact, plus
// name and phone (call control reads them when the call is set up).
func (s *Service) ContactVars(ctx context.Context, a *store.CallAttempt) (map[string]string, error) {
	var c store.Contact
	if err := s.db.With(store.WithTenant(ctx, a.TenantID)).First(&c, a.ContactID).Error; err != nil {
		return nil, fmt.Errorf("contact of attempt %s: %w", a.UUID, store.Translate(err))
	}
	vars := map[string]string{}
	if c.Vars != "" {
		if err := json.Unmarshal([]byte(c.Vars), &vars); err != nil {
			return nil, fmt.Errorf("contact %d variables: %w", c.ID, err)
		}
	}
	if _, ok := vars["name"]; !ok && c.Name != "" {
		vars["name"] = c.Name
	}
	vars["phone"] = c.Phone
	return vars, nil
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

func sortedStrings(ss []string) []string {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && ss[j] < ss[j-1]; j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
	return ss
}
