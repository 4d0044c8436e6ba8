package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// MaxJSONDepth bounds how deeply a pushed body may nest arrays and objects.
// A batch needs 4 levels ($.events[0].attrs) and attrs a few more.
const MaxJSONDepth = 32

// checkJSON walks the whole document once before anything decodes it: it
// must be valid UTF-8 and valid JSON, nest at most MaxJSONDepth levels,
// hold no lone UTF-16 surrogate escape (encoding/json would turn it into
// U+FFFD, so distinct keys would collapse), and no object may repeat a key,
// not even in another case (encoding/json matches field names regardless of
// case and would silently keep the last). Its memory grows with the depth,
// not with the square of it: the path is only spelled out for a problem.
func checkJSON(body []byte) *sdk.Problem {
	if !utf8.Valid(body) {
		return &sdk.Problem{Path: "$", Message: fmt.Sprintf("not valid UTF-8 at byte %d", invalidUTF8At(body))}
	}
	w := jsonWalker{dec: json.NewDecoder(bytes.NewReader(body))}
	w.dec.UseNumber()
	if p := w.value(false); p != nil {
		return p
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return &sdk.Problem{Path: "$", Message: "unexpected data after the JSON document"}
	}
	if at := loneSurrogateAt(body); at >= 0 {
		return &sdk.Problem{Path: "$", Message: fmt.Sprintf("lone UTF-16 surrogate escape at byte %d: text must be valid Unicode", at)}
	}
	return nil
}

// jsonWalker keeps the path to the current value as a stack of segments.
type jsonWalker struct {
	dec  *json.Decoder
	path []string // ".events", "[3]", ".key"
}

func (w *jsonWalker) pathString() string { return "$" + strings.Join(w.path, "") }

func (w *jsonWalker) problem(format string, args ...any) *sdk.Problem {
	return &sdk.Problem{Path: w.pathString(), Message: fmt.Sprintf(format, args...)}
}

// value walks one value. In free-form attrs keys may differ only in case
// (they decode into no struct); exact repeats are refused everywhere.
func (w *jsonWalker) value(freeForm bool) *sdk.Problem {
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if len(w.path) >= MaxJSONDepth {
		return w.problem("nested deeper than %d levels", MaxJSONDepth)
	}
	switch delim {
	case '{':
		seen := map[string]string{} // folded key → key as sent
		for w.dec.More() {
			kt, err := w.dec.Token()
			if err != nil {
				return w.syntax(err)
			}
			key := kt.(string)
			folded := key
			if !freeForm {
				// encoding/json matches field names under Unicode case
				// folding ("eventſ" is "events"); field names are ASCII, so
				// outside free-form attrs only ASCII keys are taken, and
				// lower-casing them is exactly that folding.
				if !isASCII(key) {
					w.path = append(w.path, "."+key)
					return w.problem("keys outside attrs are ASCII field names")
				}
				folded = strings.ToLower(key)
			}
			w.path = append(w.path, "."+key)
			if first, dup := seen[folded]; dup {
				if first == key {
					return w.problem("duplicate key in object")
				}
				return w.problem("duplicate key in object: %q and %q differ only in case", first, key)
			}
			seen[folded] = key
			if p := w.value(freeForm || key == "attrs"); p != nil {
				return p
			}
			w.path = w.path[:len(w.path)-1]
		}
	case '[':
		for i := 0; w.dec.More(); i++ {
			w.path = append(w.path, "["+strconv.Itoa(i)+"]")
			if p := w.value(freeForm); p != nil {
				return p
			}
			w.path = w.path[:len(w.path)-1]
		}
	}
	if _, err := w.dec.Token(); err != nil { // the closing delimiter
		return w.syntax(err)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (w *jsonWalker) syntax(err error) *sdk.Problem {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return w.problem("malformed JSON at byte %d: %v", w.dec.InputOffset(), err)
}

// invalidUTF8At is the offset of the first byte that is not valid UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// loneSurrogateAt is the offset of the first \uXXXX escape in a string of
// the (valid) JSON document b that is half a surrogate pair without its
// other half, or -1.
func loneSurrogateAt(b []byte) int {
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case !inString:
			inString = c == '"'
		case c == '"':
			inString = false
		case c == '\\':
			if i+1 < len(b) && b[i+1] != 'u' {
				i++ // a one-letter escape
				continue
			}
			r := hex4(b, i+2)
			switch {
			case utf16.IsSurrogate(r) && r < 0xDC00: // high: a low must follow
				if !(i+11 < len(b) && b[i+6] == '\\' && b[i+7] == 'u') {
					return i
				}
				if lo := hex4(b, i+8); lo < 0xDC00 || lo > 0xDFFF {
					return i
				}
				i += 11
			case utf16.IsSurrogate(r): // a low on its own
				return i
			default:
				i += 5
			}
		}
	}
	return -1
}

// hex4 reads the four hex digits at b[i:i+4] (valid JSON has them).
func hex4(b []byte, i int) rune {
	if i+4 > len(b) {
		return -1
	}
	v, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	if err != nil {
		return -1
	}
	return rune(v)
}

// decodeBatch decodes a push body into a batch, item by item, so every
// problem names its item: events[3].occurred_at.
func decodeBatch(body []byte) (*sdk.Batch, []sdk.Problem) {
	// The fields of apiv1.PushRequest, each item kept raw to decode alone.
	var top struct {
		Events       []json.RawMessage `json:"events"`
		Entities     []json.RawMessage `json:"entities"`
		DailyMetrics []json.RawMessage `json:"daily_metrics"`
	}
	if problems := strictDecode(body, &top, "$"); problems != nil {
		return nil, problems
	}
	if len(top.Events)+len(top.Entities)+len(top.DailyMetrics) == 0 {
		return nil, []sdk.Problem{{Path: "$", Message: `no items: send {"events":[...], "entities":[...], "daily_metrics":[...]}`}}
	}
	var b sdk.Batch
	var problems []sdk.Problem
	b.Events = decodeItems[sdk.Event](top.Events, "events", &problems)
	b.Entities = decodeItems[sdk.Entity](top.Entities, "entities", &problems)
	b.DailyMetrics = decodeItems[sdk.DailyMetric](top.DailyMetrics, "daily_metrics", &problems)
	return &b, problems
}

func decodeItems[T any](raws []json.RawMessage, name string, problems *[]sdk.Problem) []T {
	out := make([]T, len(raws))
	for i, raw := range raws {
		*problems = append(*problems, strictDecode(raw, &out[i], fmt.Sprintf("%s[%d]", name, i))...)
	}
	return out
}

// strictDecode decodes data into v; every problem's path starts at path.
func strictDecode(data []byte, v any, path string) []sdk.Problem {
	problems := sdk.DecodeStrict(data, v)
	for i := range problems {
		if problems[i].Path != "" {
			problems[i].Path = path + "." + problems[i].Path
		} else {
			problems[i].Path = path
		}
	}
	return problems
}

// decodeBody reads a JSON body of at most maxBytes into v, strictly
// (malformed JSON, duplicate keys, unknown fields, wrong types are each
// named), or answers why not and returns false. what names the body in
// the 413 message ("a layout"); invalidCode is the 400's code for a body
// of the wrong shape.
func decodeBody(w http.ResponseWriter, r *http.Request, maxBytes int64, what, invalidCode string, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, apiv1.CodeBodyTooLarge, fmt.Sprintf("%s is at most %d bytes", what, maxBytes), nil)
			return false
		}
		writeError(w, http.StatusBadRequest, apiv1.CodeBadBody, "reading body: "+err.Error(), nil)
		return false
	}
	if p := checkJSON(body); p != nil {
		writeError(w, http.StatusBadRequest, apiv1.CodeMalformedJSON, p.Path+": "+p.Message, []sdk.Problem{*p})
		return false
	}
	if problems := sdk.DecodeStrict(body, v); len(problems) > 0 {
		writeError(w, http.StatusBadRequest, invalidCode, problemsMessage(problems), problems)
		return false
	}
	return true
}
