package exporter

import (
	"io"
	"strings"
	"sync/atomic"

	"github.com/VictoriaMetrics/metrics"
)

// family is one business metric: its series live in a VictoriaMetrics Set,
// which writes large, changing series sets quickly. A refresh sets the
// values it sees and unregisters series that went away (a paid payment's
// deadline), so cardinality follows the open workload.
type family struct {
	name, help, typ string
	labels          []string
	set             *metrics.Set
	// live maps each current series name to its gauge and the refresh that
	// last set it.
	// Only the refresh (which holds Business.mu) touches them.
	live map[string]*series
	gen  uint64
	// n is how many series the set holds; scrapes read it without the
	// refresh lock, to leave an empty family out.
	n atomic.Int64
	// buf is reused to build series names, so a refresh allocates only for
	// series that are new.
	buf []byte
}

func newFamily(name, typ, help string, labels ...string) *family {
	return &family{name: name, help: help, typ: typ, labels: labels, set: metrics.NewSet(), live: map[string]*series{}}
}

type series struct {
	gauge *metrics.Gauge
	gen   uint64
}

// appendSeries appends the exposition name of one series to dst: values
// pair with f.labels.
func (f *family) appendSeries(dst []byte, values []string) []byte {
	if len(values) != len(f.labels) {
		panic("exporter: " + f.name + " wants labels " + strings.Join(f.labels, ","))
	}
	dst = append(dst, f.name...)
	for i, v := range values {
		if i == 0 {
			dst = append(dst, '{')
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, f.labels[i]...)
		dst = append(dst, '=', '"')
		dst = appendEscaped(dst, v)
		dst = append(dst, '"')
	}
	if len(values) > 0 {
		dst = append(dst, '}')
	}
	return dst
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

func (f *family) begin() { f.gen++ }

// setValue records one series' value in this refresh.
func (f *family) setValue(v float64, labelValues ...string) {
	f.buf = f.appendSeries(f.buf[:0], labelValues)
	s, ok := f.live[string(f.buf)] // the lookup does not allocate
	if !ok {
		name := string(f.buf)
		s = &series{gauge: f.set.GetOrCreateGauge(name, nil)}
		f.live[name] = s
		f.n.Add(1)
	}
	s.gauge.Set(v)
	s.gen = f.gen
}

// end drops the series this refresh did not set.
func (f *family) end() {
	for name, s := range f.live {
		if s.gen != f.gen {
			f.set.UnregisterMetric(name)
			delete(f.live, name)
			f.n.Add(-1)
		}
	}
}

// abort forgets a failed refresh: series it did not reach keep their last
// values rather than vanishing.
func (f *family) abort() {
	for _, s := range f.live {
		s.gen = f.gen
	}
}

// write emits HELP and TYPE, then the series; nothing for an empty family.
func (f *family) write(w io.Writer) {
	if f.n.Load() == 0 {
		return
	}
	io.WriteString(w, "# HELP "+f.name+" "+f.help+"\n# TYPE "+f.name+" "+f.typ+"\n")
	f.set.WritePrometheus(w)
}
