package performance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// fileMark is a CSV file as it was when imported: a file whose size or
// modification time differs is a new version, imported again.
type fileMark struct {
	Size    int64 `json:"size"`
	ModTime int64 `json:"mtime"` // Unix nanoseconds
}

// importPlace is the CSV import in progress: the file as it was when the
// import began, and where its next batch starts.
type importPlace struct {
	Path string `json:"path"`
	fileMark
	// Offset is the byte after the last row read, Line that row's last
	// line (the header is line 1).
	Offset int64 `json:"offset"`
	Line   int   `json:"line"`
	// Rows counts the rows imported, Skipped the bad rows left out;
	// SkippedLines are the first of those.
	Rows         int   `json:"rows"`
	Skipped      int   `json:"skipped,omitempty"`
	SkippedLines []int `json:"skipped_lines,omitempty"`
}

// Bad rows of one file: how many the log shows one by one, and how many
// line numbers the error names.
const (
	maxLoggedBadRows = 20
	maxListedBadRows = 10
)

// readBuffer is the read size of a CSV file: large reads, one buffer.
const readBuffer = 256 << 10

// importFiles imports, one after another, each file the csv_files
// patterns match that is not imported in its current version. A file that
// fails does not stop the others; its error names it.
func (s *Source) importFiles(ctx context.Context, cur *Cursor, emit sdk.Emit) error {
	paths := s.matchFiles()
	// Forget what no pattern matches any more: a file that comes back is
	// imported again, which upserts make harmless.
	for path := range cur.Files {
		if _, found := slices.BinarySearch(paths, path); !found {
			delete(cur.Files, path)
		}
	}
	if cur.Import != nil {
		i, found := slices.BinarySearch(paths, cur.Import.Path)
		if !found {
			cur.Import = nil
		} else {
			// The import cut off goes on first, from where it stopped.
			resumed := paths[i]
			paths = append([]string{resumed}, slices.Delete(paths, i, i+1)...)
		}
	}
	var failed []error
	for _, path := range paths {
		err := s.importFile(ctx, path, cur, emit)
		if ctx.Err() != nil || errors.As(err, new(hostGone)) {
			return err
		}
		if err != nil {
			s.log.Error("CSV import failed", "file", path, "err", err)
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// matchFiles lists the files the csv_files patterns match, sorted, each
// once.
func (s *Source) matchFiles() []string {
	var out []string
	for _, pattern := range s.cfg.CSVFiles {
		matches, _ := filepath.Glob(pattern) // Configure checked the pattern
		out = append(out, matches...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// importFile imports path unless this version of it is imported already,
// resuming the import cut off if it is that file's.
func (s *Source) importFile(ctx context.Context, path string, cur *Cursor, emit sdk.Emit) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // gone since the glob: nothing to import
	case err != nil:
		return err
	case !info.Mode().IsRegular() || info.Size() == 0:
		return nil // a folder, or an export not written yet
	}
	mark := fileMark{Size: info.Size(), ModTime: info.ModTime().UnixNano()}
	if cur.Files[path] == mark {
		return nil
	}
	place := importPlace{Path: path, fileMark: mark}
	if cur.Import != nil && cur.Import.Path == path {
		if cur.Import.fileMark == mark {
			place = *cur.Import
			s.log.Info("resuming the CSV import cut off", "file", path, "line", place.Line, "rows", place.Rows)
		} else {
			s.log.Warn("CSV file changed during its import; importing it from the start", "file", path)
		}
	}
	im, err := s.openImport(path, place)
	if err != nil {
		return err
	}
	defer im.file.Close()
	return im.run(ctx, cur, emit)
}

// importer streams one CSV file into batches.
type importer struct {
	s     *Source
	place importPlace
	file  *os.File
	r     *csv.Reader
	cols  columns
	// base is the file offset r started reading at, baseLine the lines
	// before it.
	base     int64
	baseLine int
	check    validator
	batch    []sdk.DailyMetric

	started              time.Time
	startRows, readSince int
	lastLog              time.Time
	lastLogRows          int
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// openImport opens path, reads its header and sets the reader at place.
func (s *Source) openImport(path string, place importPlace) (*importer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	im := &importer{s: s, place: place, file: f, started: time.Now(), startRows: place.Rows}
	im.lastLog, im.lastLogRows = im.started, place.Rows
	br := bufio.NewReaderSize(f, readBuffer)
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		br.Discard(len(utf8BOM))
		im.base = int64(len(utf8BOM))
	}
	im.r = newCSVReader(br)
	header, err := im.r.Read()
	if err == nil && !allUTF8(header) {
		err = errNotUTF8
	}
	if err == nil {
		im.cols, err = mapHeader(header)
	}
	if err != nil {
		f.Close()
		return nil, im.fileError(err, 1)
	}
	if place.Offset > 0 {
		if _, err := f.Seek(place.Offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		br.Reset(f)
		im.r = newCSVReader(br)
		im.r.FieldsPerRecord = len(header)
		im.base, im.baseLine = place.Offset, place.Line
	}
	im.batch = make([]sdk.DailyMetric, 0, s.cfg.BatchSize)
	return im, nil
}

func newCSVReader(br *bufio.Reader) *csv.Reader {
	r := csv.NewReader(br) // reads br itself: it is a bufio.Reader already
	r.ReuseRecord = true
	return r
}

var errNotUTF8 = errors.New("not UTF-8 text (is it a CSV export, saved as UTF-8?)")

// fileError names the file, and the line when there is one, of a problem
// that stops the file.
func (im *importer) fileError(err error, line int) error {
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: no header line", im.place.Path)
	case errors.As(err, &pe):
		return fmt.Errorf("%s:%d: not valid CSV (column %d): %w", im.place.Path, im.baseLine+pe.Line, pe.Column, pe.Err)
	case line > 0:
		return fmt.Errorf("%s:%d: %w", im.place.Path, line, err)
	}
	return fmt.Errorf("%s: %w", im.place.Path, err)
}

// run reads the file to its end, emitting a batch each batch_size rows;
// the last batch marks the file imported. A bad row is skipped and logged,
// and named in the error returned at the end; a problem with the file
// itself stops it there, after emitting the rows before it.
func (im *importer) run(ctx context.Context, cur *Cursor, emit sdk.Emit) error {
	for {
		rec, err := im.r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if err != nil && !(errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount)) {
			return errors.Join(im.flush(ctx, cur, emit, false), im.fileError(err, 0))
		}
		startLine, _ := im.r.FieldPos(0)
		startLine += im.baseLine
		if !allUTF8(rec) {
			return errors.Join(im.flush(ctx, cur, emit, false), im.fileError(errNotUTF8, startLine))
		}
		problem := ""
		if err != nil {
			problem = fmt.Sprintf("has %d fields, the header %d", len(rec), im.r.FieldsPerRecord)
		} else {
			var m sdk.DailyMetric
			if m, problem = im.cols.metric(rec); problem == "" {
				problem = im.check.check(&m, csvFields)
			}
			if problem == "" {
				im.batch = append(im.batch, m)
			}
		}
		if problem != "" {
			im.skip(startLine, problem)
		}
		last := len(rec) - 1
		endLine, _ := im.r.FieldPos(last)
		im.place.Line = im.baseLine + endLine + strings.Count(rec[last], "\n")
		im.place.Offset = im.base + im.r.InputOffset()
		if len(im.batch) == cap(im.batch) {
			if err := im.flush(ctx, cur, emit, false); err != nil {
				return err
			}
		}
		im.progress()
	}
	if err := im.flush(ctx, cur, emit, true); err != nil {
		return err
	}
	return im.finished()
}

// flush emits the rows read since the last batch with the cursor after
// them; done marks the file imported.
func (im *importer) flush(ctx context.Context, cur *Cursor, emit sdk.Emit, done bool) error {
	if len(im.batch) == 0 && !done {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	im.place.Rows += len(im.batch)
	if done {
		cur.Import = nil
		if cur.Files == nil {
			cur.Files = map[string]fileMark{}
		}
		cur.Files[im.place.Path] = im.place.fileMark
	} else {
		place := im.place
		place.SkippedLines = slices.Clone(place.SkippedLines)
		cur.Import = &place
	}
	// Each row passed sdk.Validate on its own (the host's rules), so the
	// batch does; checking it again would double the import's cost.
	if err := emit(sdk.Batch{DailyMetrics: im.batch, Cursor: cur.String()}); err != nil {
		return hostGone{err}
	}
	// A new slice: the host may hold on to the one emitted.
	im.batch = make([]sdk.DailyMetric, 0, cap(im.batch))
	return nil
}

// skip leaves a bad row out: the first ones are logged one by one, and
// each is counted for the error at the end of the file.
func (im *importer) skip(line int, problem string) {
	if im.place.Skipped < maxLoggedBadRows {
		im.s.log.Warn("CSV row skipped", "row", fmt.Sprintf("%s:%d: %s", im.place.Path, line, problem))
	}
	im.place.Skipped++
	if len(im.place.SkippedLines) < maxListedBadRows {
		im.place.SkippedLines = append(im.place.SkippedLines, line)
	}
}

// progress logs how far a long import is, every progressRows rows or
// progressInterval, whichever comes first.
func (im *importer) progress() {
	im.readSince++
	rows := im.place.Rows + len(im.batch)
	due := rows-im.lastLogRows >= im.s.progressRows
	if !due && im.readSince%1024 == 0 {
		due = time.Since(im.lastLog) >= im.s.progressInterval
	}
	if !due {
		return
	}
	im.lastLog, im.lastLogRows = time.Now(), rows
	im.s.log.Info("importing CSV", "file", im.place.Path, "rows", rows,
		"read", fmt.Sprintf("%.1f%%", 100*float64(im.place.Offset)/float64(max(im.place.Size, 1))),
		"bytes", im.place.Offset, "size", im.place.Size, "rows_per_sec", im.rate(rows))
}

func (im *importer) rate(rows int) int {
	secs := time.Since(im.started).Seconds()
	if secs <= 0 {
		return 0
	}
	return int(float64(rows-im.startRows) / secs)
}

// finished logs the file's totals and returns the error that names its
// bad rows, if any.
func (im *importer) finished() error {
	p := im.place
	im.s.log.Info("CSV file imported", "file", p.Path, "rows", p.Rows, "skipped", p.Skipped,
		"seconds", time.Since(im.started).Round(time.Millisecond).Seconds(), "rows_per_sec", im.rate(p.Rows))
	if p.Skipped == 0 {
		return nil
	}
	if p.Skipped > maxLoggedBadRows {
		im.s.log.Warn("more CSV rows skipped than logged one by one", "file", p.Path, "skipped", p.Skipped, "logged", maxLoggedBadRows)
	}
	lines := make([]string, len(p.SkippedLines))
	for i, l := range p.SkippedLines {
		lines[i] = strconv.Itoa(l)
	}
	more := ""
	if p.Skipped > len(p.SkippedLines) {
		more = ", …"
	}
	return fmt.Errorf("%s: %d bad row(s) skipped (line %s%s), the rest imported; the log says what is wrong with each",
		p.Path, p.Skipped, strings.Join(lines, ", "), more)
}

func allUTF8(fields []string) bool {
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return false
		}
	}
	return true
}

// countColumns are the counters' columns, in the order of sdk.Counts.
var countColumns = [6]string{"impressions", "views", "clicks", "likes", "comments", "shares"}

// columns are the positions of the known columns in a file's records; -1
// for an optional column the file lacks.
type columns struct {
	date, clientID, campaignID, influencerID, videoID, platform int
	counts                                                      [6]int
	cost, revenue, currency                                     int
}

// mapHeader finds the columns by name, in any order and any case. Columns
// it does not know are ignored.
func mapHeader(header []string) (columns, error) {
	at := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if _, twice := at[name]; twice && name != "" {
			return columns{}, fmt.Errorf("refused: column %q appears twice in the header", name)
		}
		at[name] = i
	}
	var missing []string
	col := func(name string, required bool) int {
		i, ok := at[name]
		if !ok {
			if required {
				missing = append(missing, name)
			}
			return -1
		}
		return i
	}
	c := columns{
		date: col("date", true), clientID: col("client_id", true), campaignID: col("campaign_id", true),
		influencerID: col("influencer_id", false), videoID: col("video_id", false), platform: col("platform", true),
		cost: col("cost", false), revenue: col("revenue", false), currency: col("currency", false),
	}
	for i, name := range countColumns {
		c.counts[i] = col(name, true)
	}
	if len(missing) > 0 {
		return columns{}, fmt.Errorf("refused: no column %s in the header", strings.Join(missing, ", "))
	}
	if (c.cost >= 0 || c.revenue >= 0) && c.currency < 0 {
		return columns{}, errors.New("refused: the header has cost or revenue but no currency column")
	}
	return c, nil
}

// csvFields names the CSV column for each DailyMetric field a problem can
// be at.
var csvFields = map[string]string{
	"tenant": "client_id", "campaign": "campaign_id", "day": "date",
	"cost.minor": "cost", "revenue.minor": "revenue", "cost.currency": "currency", "revenue.currency": "currency",
}

// metric reads one record; the problem names the column ("cost: …").
func (c *columns) metric(rec []string) (sdk.DailyMetric, string) {
	field := func(i int) string {
		if i < 0 {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	m := sdk.DailyMetric{
		Tenant: field(c.clientID), Campaign: field(c.campaignID), Influencer: field(c.influencerID),
		Video: field(c.videoID), Platform: field(c.platform), Day: field(c.date),
	}
	counters := [6]*int64{&m.Impressions, &m.Views, &m.Clicks, &m.Likes, &m.Comments, &m.Shares}
	for i, col := range c.counts {
		v, err := parseCount(field(col))
		if err != nil {
			return m, countColumns[i] + ": " + err.Error()
		}
		*counters[i] = v
	}
	cost, revenue, currency := field(c.cost), field(c.revenue), strings.ToUpper(field(c.currency))
	if cost == "" && revenue == "" {
		return m, ""
	}
	if !isCurrency(currency) {
		if currency == "" {
			return m, "currency: required when cost or revenue is set"
		}
		return m, fmt.Sprintf("currency: %q is not an ISO 4217 code like EUR", currency)
	}
	for _, money := range []struct {
		column, value string
		into          **sdk.Money
	}{{"cost", cost, &m.Cost}, {"revenue", revenue, &m.Revenue}} {
		if money.value == "" {
			continue
		}
		minor, err := parseAmount(money.value, currency)
		if err != nil {
			return m, money.column + ": " + err.Error()
		}
		*money.into = &sdk.Money{Minor: minor, Currency: currency}
	}
	return m, ""
}

// parseCount reads a counter: a whole number, empty meaning 0.
func parseCount(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q is too large for a count", s)
	case err != nil:
		return 0, fmt.Errorf("%q is not a whole number", s)
	case v < 0:
		return 0, fmt.Errorf("%q is negative", s)
	}
	return v, nil
}

// parseAmount reads a decimal amount in major units ("12.50") as minor
// units of currency (1250), exactly: digits, never a float.
func parseAmount(s, currency string) (int64, error) {
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%q is negative", s)
	}
	whole, frac, point := strings.Cut(s, ".")
	if !isDigits(whole) || point && !isDigits(frac) {
		return 0, fmt.Errorf("%q is not a decimal amount like 12.50", s)
	}
	decimals := len(strconv.FormatInt(sdk.MinorPerMajor(currency), 10)) - 1
	if len(frac) > decimals {
		return 0, fmt.Errorf("%q has more decimals than %s has (%d)", s, currency, decimals)
	}
	var minor int64
	push := func(digit int64) bool {
		if minor > sdk.MaxMinor/10 {
			return false
		}
		minor = minor*10 + digit
		return true
	}
	for _, digits := range []string{whole, frac} {
		for i := range len(digits) {
			if !push(int64(digits[i] - '0')) {
				return 0, amountTooLarge(s)
			}
		}
	}
	for range decimals - len(frac) {
		if !push(0) {
			return 0, amountTooLarge(s)
		}
	}
	if minor > sdk.MaxMinor {
		return 0, amountTooLarge(s)
	}
	return minor, nil
}

func amountTooLarge(s string) error {
	return fmt.Errorf("%q is more than the largest amount, %d minor units", s, int64(sdk.MaxMinor))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range 3 {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
