package exporter

import (
	"io"
	"strings"

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
	live, next      map[string]struct{}
}

func newFamily(name, typ, help string, labels ...string) *family {
	return &family{name: name, help: help, typ: typ, labels: labels, set: metrics.NewSet(), live: map[string]struct{}{}}
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// series is the exposition name of one series: values pair with f.labels.
func (f *family) series(values []string) string {
	if len(values) != len(f.labels) {
		panic("exporter: " + f.name + " wants labels " + strings.Join(f.labels, ","))
	}
	var b strings.Builder
	b.Grow(len(f.name) + 16*len(values))
	b.WriteString(f.name)
	for i, v := range values {
		if i == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(f.labels[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(v))
		b.WriteByte('"')
	}
	if len(values) > 0 {
		b.WriteByte('}')
	}
	return b.String()
}

func (f *family) begin() { f.next = make(map[string]struct{}, len(f.live)) }

// set records one series' value in this refresh.
func (f *family) setValue(v float64, labelValues ...string) {
	name := f.series(labelValues)
	f.set.GetOrCreateGauge(name, nil).Set(v)
	f.next[name] = struct{}{}
}

// end drops the series this refresh did not see.
func (f *family) end() {
	for name := range f.live {
		if _, ok := f.next[name]; !ok {
			f.set.UnregisterMetric(name)
		}
	}
	f.live, f.next = f.next, nil
}

// write emits HELP and TYPE, then the series; nothing for an empty family.
func (f *family) write(w io.Writer) {
	if len(f.live) == 0 {
		return
	}
	io.WriteString(w, "# HELP "+f.name+" "+f.help+"\n# TYPE "+f.name+" "+f.typ+"\n")
	f.set.WritePrometheus(w)
}
