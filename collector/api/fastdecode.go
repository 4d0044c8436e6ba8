package api

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// fastBatch is checkJSON and decodeBatch in one pass over the body, for the
// bodies they accept. It answers ok only when both would accept body and
// decode it to the very batch it returns; on anything else (a problem, or
// what it leaves to them: escapes in names, numbers or other types where an
// event wants a string, \u escapes of surrogates, …) it answers !ok, and the
// caller runs checkJSON and decodeBatch, which name the problem. Walking
// the body token by token, then decoding it twice more, took longer than
// storing it.
//
// Events are decoded here field by field as encoding/json would decode
// them (names matched regardless of case, null leaving a field as it is,
// times by time.Time's own UnmarshalJSON, attrs kept as sent); entities
// and daily metrics, rarer and richer, are checked here and decoded by
// sdk.DecodeStrict, as decodeBatch does.
func fastBatch(body []byte) (b *sdk.Batch, ok bool) {
	if !utf8.Valid(body) {
		return nil, false
	}
	d := fastDecoder{data: body}
	d.space()
	if !d.consume('{') {
		return nil, false
	}
	b = &sdk.Batch{Events: []sdk.Event{}, Entities: []sdk.Entity{}, DailyMetrics: []sdk.DailyMetric{}}
	var seen [3]bool
	empty, ok := d.members(false, func(name []byte) bool {
		list := field(name, []string{"events", "entities", "daily_metrics"}, seen[:])
		if list < 0 {
			return false // unknown or repeated: theirs to name
		}
		if d.literal("null") {
			return true
		}
		if !d.consume('[') {
			return false
		}
		return d.elements(func() bool {
			switch list {
			case 0:
				b.Events = append(b.Events, sdk.Event{})
				return d.event(&b.Events[len(b.Events)-1])
			case 1:
				b.Entities = append(b.Entities, sdk.Entity{})
				return d.strictItem(&b.Entities[len(b.Entities)-1])
			default:
				b.DailyMetrics = append(b.DailyMetrics, sdk.DailyMetric{})
				return d.strictItem(&b.DailyMetrics[len(b.DailyMetrics)-1])
			}
		})
	})
	if !ok || empty {
		return nil, false // an empty object: decodeBatch says there are no items
	}
	d.space()
	if d.pos != len(d.data) || b.Len() == 0 {
		return nil, false
	}
	return b, true
}

// fastDecoder reads one JSON document; every method answers false for
// anything fastBatch leaves to checkJSON and decodeBatch.
type fastDecoder struct {
	data []byte
	pos  int
	// tenant and kind are the last ones decoded, shared by the next event
	// that repeats them instead of allocated again.
	tenant, kind string
}

func (d *fastDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// spaceThen skips space and reports whether anything follows.
func (d *fastDecoder) spaceThen() bool {
	d.space()
	return d.pos < len(d.data)
}

func (d *fastDecoder) consume(c byte) bool {
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *fastDecoder) literal(lit string) bool {
	if bytes.HasPrefix(d.data[d.pos:], []byte(lit)) {
		d.pos += len(lit)
		return true
	}
	return false
}

// str reads a string and returns its raw contents (between the quotes) and
// whether it has escapes. It refuses control characters, malformed
// escapes and \u escapes of surrogates (loneSurrogateAt's business).
func (d *fastDecoder) str() (raw []byte, escaped, ok bool) {
	if !d.consume('"') {
		return nil, false, false
	}
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			raw = d.data[start:d.pos]
			d.pos++
			return raw, escaped, true
		case c < 0x20:
			return nil, false, false
		case c == '\\':
			escaped = true
			if d.pos+1 >= len(d.data) {
				return nil, false, false
			}
			switch d.data[d.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.pos += 2
			case 'u':
				r := hex4(d.data, d.pos+2)
				if r < 0 || r >= 0xD800 && r <= 0xDFFF {
					return nil, false, false
				}
				d.pos += 6
			default:
				return nil, false, false
			}
		default:
			d.pos++
		}
	}
	return nil, false, false
}

// name reads an object's member name and its colon. Names with escapes
// are left to checkJSON (it compares them unescaped), and so are names
// outside free-form attrs that are not ASCII.
func (d *fastDecoder) name(freeForm bool) ([]byte, bool) {
	raw, escaped, ok := d.str()
	if !ok || escaped || !freeForm && !isASCII(string(raw)) {
		return nil, false
	}
	d.space()
	if !d.consume(':') {
		return nil, false
	}
	return raw, true
}

// is reports whether the member name is field's, as encoding/json matches
// names (regardless of case; name is ASCII).
func is(name []byte, field string) bool { return bytes.EqualFold(name, []byte(field)) }

// members reads the members of an object whose '{' was just read: member
// gets each name, with d at its value, and reports whether it read the
// value. empty says the object had none.
func (d *fastDecoder) members(freeForm bool, member func(name []byte) bool) (empty, ok bool) {
	for first := true; ; first = false {
		d.space()
		if d.consume('}') {
			return first, true
		}
		if !first && (!d.consume(',') || !d.spaceThen()) {
			return false, false
		}
		name, ok := d.name(freeForm)
		if !ok {
			return false, false
		}
		d.space()
		if !member(name) {
			return false, false
		}
	}
}

// elements reads the elements of an array whose '[' was just read, each
// with element, which reports whether it read one.
func (d *fastDecoder) elements(element func() bool) bool {
	for first := true; ; first = false {
		d.space()
		if d.consume(']') {
			return true
		}
		if !first && (!d.consume(',') || !d.spaceThen()) {
			return false
		}
		if !element() {
			return false
		}
	}
}

// field is the index of name among fields, -1 if it is none of them or
// was seen already (a repeated member is checkJSON's to name).
func field(name []byte, fields []string, seen []bool) int {
	for i, f := range fields {
		if is(name, f) {
			if seen[i] {
				return -1
			}
			seen[i] = true
			return i
		}
	}
	return -1
}

// text reads a string field's value as encoding/json would set it: null
// leaves *s as it is.
func (d *fastDecoder) text(s *string, last *string) bool {
	if d.literal("null") {
		return true
	}
	raw, escaped, ok := d.str()
	if !ok || escaped {
		return false
	}
	if last != nil {
		if string(raw) != *last {
			*last = string(raw)
		}
		*s = *last
		return true
	}
	*s = string(raw)
	return true
}

// event decodes one item of "events", an object or null.
func (d *fastDecoder) event(e *sdk.Event) bool {
	d.space()
	if d.literal("null") {
		return true
	}
	if !d.consume('{') {
		return false
	}
	var seen [6]bool
	_, ok := d.members(false, func(name []byte) bool {
		switch field(name, []string{"key", "tenant", "kind", "entity", "occurred_at", "attrs"}, seen[:]) {
		case 0:
			return d.text(&e.Key, nil)
		case 1:
			return d.text(&e.Tenant, &d.tenant)
		case 2:
			return d.text(&e.Kind, &d.kind)
		case 3:
			return d.entityRef(&e.Entity)
		case 4:
			return d.time(&e.OccurredAt)
		case 5:
			// Kept as sent, as json.RawMessage keeps it; free-form only
			// when named exactly "attrs", as checkJSON has it.
			start := d.pos
			if !d.value(3, string(name) == "attrs") {
				return false
			}
			e.Attrs = d.data[start:d.pos:d.pos]
			return true
		}
		return false
	})
	return ok
}

func (d *fastDecoder) entityRef(r *sdk.EntityRef) bool {
	if d.literal("null") {
		return true
	}
	if !d.consume('{') {
		return false
	}
	var seen [2]bool
	_, ok := d.members(false, func(name []byte) bool {
		switch field(name, []string{"type", "id"}, seen[:]) {
		case 0:
			return d.text(&r.Type, nil)
		case 1:
			return d.text(&r.ID, nil)
		}
		return false
	})
	return ok
}

// time decodes with time.Time's own UnmarshalJSON, which encoding/json
// hands the quoted string as sent.
func (d *fastDecoder) time(t *time.Time) bool {
	if d.literal("null") {
		return true
	}
	start := d.pos
	if _, _, ok := d.str(); !ok {
		return false
	}
	return t.UnmarshalJSON(d.data[start:d.pos]) == nil
}

// strictItem checks one item of entities or daily_metrics and decodes it
// with sdk.DecodeStrict, as decodeBatch does; any problem is left to it.
func (d *fastDecoder) strictItem(v any) bool {
	d.space()
	start := d.pos
	if !d.value(2, false) {
		return false
	}
	return sdk.DecodeStrict(d.data[start:d.pos], v) == nil
}

// value checks one value at depth (checkJSON's path length) the way
// checkJSON walks it. Outside free-form attrs, names must be ASCII and
// differ in more than case; inside, they must differ.
func (d *fastDecoder) value(depth int, freeForm bool) bool {
	d.space()
	if d.pos >= len(d.data) {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '"':
		_, _, ok := d.str()
		return ok
	case c == '{':
		if depth >= MaxJSONDepth {
			return false
		}
		d.pos++
		// Names seen, in a list while there are few. Outside free-form
		// attrs they are ASCII and differ in more than case.
		var buf [16][]byte
		names := buf[:0]
		var seen map[string]bool
		_, ok := d.members(freeForm, func(name []byte) bool {
			if seen != nil {
				key := string(name)
				if !freeForm {
					key = strings.ToLower(key) // checkJSON's folding
				}
				if seen[key] {
					return false
				}
				seen[key] = true
			} else {
				for _, n := range names {
					if bytes.Equal(n, name) || !freeForm && bytes.EqualFold(n, name) {
						return false
					}
				}
				if names = append(names, name); len(names) > len(buf) {
					seen = map[string]bool{}
					for _, n := range names {
						key := string(n)
						if !freeForm {
							key = strings.ToLower(key)
						}
						seen[key] = true
					}
				}
			}
			return d.value(depth+1, freeForm || string(name) == "attrs")
		})
		return ok
	case c == '[':
		if depth >= MaxJSONDepth {
			return false
		}
		d.pos++
		return d.elements(func() bool { return d.value(depth+1, freeForm) })
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	default:
		return d.number()
	}
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (d *fastDecoder) number() bool {
	d.consume('-')
	switch {
	case d.consume('0'):
	case d.pos < len(d.data) && '1' <= d.data[d.pos] && d.data[d.pos] <= '9':
		d.digits()
	default:
		return false
	}
	if d.consume('.') && !d.digits() {
		return false
	}
	if d.consume('e') || d.consume('E') {
		if !d.consume('+') {
			d.consume('-')
		}
		if !d.digits() {
			return false
		}
	}
	return true
}

// digits reads one or more digits.
func (d *fastDecoder) digits() bool {
	start := d.pos
	for d.pos < len(d.data) && '0' <= d.data[d.pos] && d.data[d.pos] <= '9' {
		d.pos++
	}
	return d.pos > start
}
