package exporter

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// family is one business metric and its current series. Its exposition
// is kept rendered and compressed in chunks of series sorted by name (the
// way kube-state-metrics keeps each object's lines ready): a refresh marks
// the chunks whose series it added, changed or dropped, and only those are
// rendered again, so a scrape never formats a series and one changed
// payment re-renders a thousand lines, not a hundred thousand.
//
// Only the refresh, which holds Business.mu, touches a family.
type family struct {
	name, help, typ string
	// labels are in the order setValue takes their values; order lists
	// their indexes sorted by name, the order client_golang writes them in
	// (series sorted that way also compress better: low-cardinality labels
	// first put alike lines next to each other).
	labels []string
	order  []int
	// item is the index of the label naming one entity (payment, video,
	// contract), or -1, and itemType that entity's type: an update after
	// a batch stored some entities revisits only theirs.
	item     int
	itemType string

	series map[string]*series
	// chunks hold every series, sorted by name across and within chunks.
	chunks []*chunk
	// pending are series this refresh created, placed in chunks at its end.
	pending []*series
	gen     uint64
	// set counts the series this refresh set: when it set them all, a
	// whole refresh has nothing to drop.
	set int
	// head is the HELP and TYPE lines, compressed once; openMetricsHead
	// the same in OpenMetrics.
	head, openMetricsHead segment
	// buf is reused to build series names, so a refresh allocates only for
	// series that are new.
	buf []byte
}

type series struct {
	name   string
	value  float64
	gen    uint64
	tenant string
	item   string
	chunk  *chunk
}

// chunk is a run of at most maxChunk series and their rendered exposition.
type chunk struct {
	series []*series
	dirty  bool
	seg    segment
}

// maxChunk bounds the lines re-rendered for one changed series; past it a
// chunk splits in two. Compressing each chunk on its own costs ~1% of size.
const maxChunk = 1024

func newFamily(name, typ, help string, labels ...string) *family {
	f := &family{name: name, help: help, typ: typ, labels: labels, item: -1, series: map[string]*series{}}
	for i := range labels {
		f.order = append(f.order, i)
	}
	slices.SortFunc(f.order, func(a, b int) int { return cmp.Compare(labels[a], labels[b]) })
	if len(labels) == 0 || labels[0] != "tenant" {
		panic("exporter: " + name + ": a business family's first label is tenant")
	}
	return f
}

// perItem names the label that identifies one entity of entityType in
// each series.
func (f *family) perItem(label, entityType string) *family {
	f.item, f.itemType = slices.Index(f.labels, label), entityType
	if f.item < 0 {
		panic("exporter: " + f.name + " has no label " + label)
	}
	return f
}

// appendSeries appends the exposition name of one series to dst: values
// pair with f.labels.
func (f *family) appendSeries(dst []byte, values []string) []byte {
	if len(values) != len(f.labels) {
		panic("exporter: " + f.name + " wants labels " + strings.Join(f.labels, ","))
	}
	dst = append(dst, f.name...)
	for n, i := range f.order {
		if n == 0 {
			dst = append(dst, '{')
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, f.labels[i]...)
		dst = append(dst, '=', '"')
		dst = appendEscaped(dst, values[i])
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// appendEscaped escapes a label value as the text format wants: \, \" and \n.
func appendEscaped(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '"':
			dst = append(dst, '\\', '"')
		case '\n':
			dst = append(dst, '\\', 'n')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// begin starts a refresh of the family, or of part of it (see end).
func (f *family) begin() { f.gen, f.set = f.gen+1, 0 }

// setValue records one series' value in this refresh.
func (f *family) setValue(v float64, labelValues ...string) {
	f.buf = f.appendSeries(f.buf[:0], labelValues)
	s, ok := f.series[string(f.buf)] // the lookup does not allocate
	if !ok {
		s = &series{name: string(f.buf), value: v, tenant: labelValues[0]}
		if f.item >= 0 {
			s.item = labelValues[f.item]
		}
		f.series[s.name] = s
		f.pending = append(f.pending, s)
	} else if s.value != v && !(v != v && s.value != s.value) { // NaN stays NaN
		s.value = v
		if s.chunk != nil {
			s.chunk.dirty = true
		}
	}
	if s.gen != f.gen {
		s.gen = f.gen
		f.set++
	}
}

// scope picks the series a partial refresh answers for: those it did not
// set are dropped, the others keep their values. nil is every series.
type scope struct {
	tenant string
	// ids, when not nil, narrow it to the series of these entities.
	ids map[string]bool
}

// tenantScope is every series of one tenant.
func tenantScope(tenant string) *scope { return &scope{tenant: tenant} }

// itemScope is the series of some entities of one tenant.
func itemScope(tenant string, ids map[string]bool) *scope {
	return &scope{tenant: tenant, ids: ids}
}

func (in *scope) has(s *series) bool {
	return in == nil || s.tenant == in.tenant && (in.ids == nil || in.ids[s.item])
}

// end drops the series in scope this refresh did not set, and places the
// new ones among the chunks.
func (f *family) end(in *scope) {
	if in == nil && f.set == len(f.series) {
		f.place()
		return
	}
	// The chunks' slices, not the map, are walked: a partial refresh of
	// one payment looks at every series, and this is the quick way.
	for _, c := range f.chunks {
		kept := c.series[:0]
		for _, s := range c.series {
			if s.gen == f.gen || !in.has(s) {
				kept = append(kept, s)
				continue
			}
			delete(f.series, s.name)
			c.dirty = true
		}
		clear(c.series[len(kept):])
		c.series = kept
	}
	f.pending = slices.DeleteFunc(f.pending, func(s *series) bool {
		if s.gen == f.gen || !in.has(s) {
			return false
		}
		delete(f.series, s.name)
		return true
	})
	f.place()
}

// abort forgets a failed refresh: series it did not reach keep their last
// values rather than vanishing; series it created stay too.
func (f *family) abort() {
	for _, s := range f.series {
		s.gen = f.gen
	}
	f.place()
}

func bySeriesName(s *series, name string) int { return strings.Compare(s.name, name) }

// place puts the pending series in their chunks: one by one when they are
// few, else by sorting everything again (the first refresh).
func (f *family) place() {
	if len(f.pending) == 0 {
		f.dropEmptyChunks()
		return
	}
	if len(f.pending) > len(f.series)/8 {
		all := make([]*series, 0, len(f.series))
		for _, s := range f.series {
			all = append(all, s)
		}
		slices.SortFunc(all, func(a, b *series) int { return strings.Compare(a.name, b.name) })
		f.chunks = f.chunks[:0]
		for start := 0; start < len(all); start += maxChunk / 2 {
			c := &chunk{series: slices.Clone(all[start:min(start+maxChunk/2, len(all))]), dirty: true}
			for _, s := range c.series {
				s.chunk = c
			}
			f.chunks = append(f.chunks, c)
		}
		f.pending = f.pending[:0]
		return
	}
	for _, s := range f.pending {
		f.insert(s)
	}
	f.pending = f.pending[:0]
	f.dropEmptyChunks()
}

// insert puts s in the chunk its name sorts into, splitting a full one.
func (f *family) insert(s *series) {
	if len(f.chunks) == 0 {
		f.chunks = append(f.chunks, &chunk{})
	}
	// The last chunk whose first series sorts before s, else the first.
	ci := max(0, sort.Search(len(f.chunks), func(i int) bool {
		return len(f.chunks[i].series) > 0 && f.chunks[i].series[0].name > s.name
	})-1)
	c := f.chunks[ci]
	i, _ := slices.BinarySearchFunc(c.series, s.name, bySeriesName)
	c.series = slices.Insert(c.series, i, s)
	c.dirty = true
	s.chunk = c
	if len(c.series) > maxChunk {
		half := &chunk{series: slices.Clone(c.series[maxChunk/2:]), dirty: true}
		c.series = slices.Clip(c.series[:maxChunk/2])
		for _, m := range half.series {
			m.chunk = half
		}
		f.chunks = slices.Insert(f.chunks, ci+1, half)
	}
}

func (f *family) dropEmptyChunks() {
	f.chunks = slices.DeleteFunc(f.chunks, func(c *chunk) bool { return len(c.series) == 0 })
}

// render brings the dirty chunks' exposition up to date with z.
func (f *family) render(z *compressor) {
	if f.head.deflate == nil {
		f.head = z.segment([]byte("# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.typ + "\n"))
		// OpenMetrics names a counter family without the _total its
		// samples carry, and escapes quotes in HELP too.
		name := f.name
		if f.typ == "counter" {
			name = strings.TrimSuffix(name, "_total")
		}
		f.openMetricsHead = z.segment([]byte("# HELP " + name + " " + openMetricsHelp.Replace(f.help) + "\n# TYPE " + name + " " + f.typ + "\n"))
	}
	for _, c := range f.chunks {
		if !c.dirty {
			continue
		}
		z.plain.Reset()
		for _, s := range c.series {
			appendLine(&z.plain, s)
		}
		c.seg = z.segment(z.plain.Bytes())
		c.dirty = false
	}
}

// appendLine writes one series line as the text format wants it.
func appendLine(w *bytes.Buffer, s *series) {
	w.WriteString(s.name)
	w.WriteByte(' ')
	w.Write(appendValue(w.AvailableBuffer(), s.value))
	w.WriteByte('\n')
}

// appendValue formats v as VictoriaMetrics/metrics and client_golang do:
// whole numbers (timestamps, counts) without an exponent.
func appendValue(dst []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.AppendInt(dst, int64(v), 10)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

var openMetricsHelp = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

// segments appends the family's rendered pieces in exposition order, with
// the OpenMetrics head if openMetrics; nothing for an empty family.
func (f *family) segments(dst []segment, openMetrics bool) []segment {
	if len(f.series) == 0 {
		return dst
	}
	if openMetrics {
		dst = append(dst, f.openMetricsHead)
	} else {
		dst = append(dst, f.head)
	}
	for _, c := range f.chunks {
		dst = append(dst, c.seg)
	}
	return dst
}
