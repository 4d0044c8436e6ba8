package performance

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// writeLargeCSV writes an export of n rows, the shape of a real one, and
// returns its size.
func writeLargeCSV(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	file, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(file, 1<<20)
	w.WriteString("date,client_id,campaign_id,influencer_id,video_id,platform,impressions,views,clicks,likes,comments,shares,cost,revenue,currency\n")
	tenants := []string{"acme", "globex", "initech"}
	platforms := []string{"tiktok", "instagram", "youtube"}
	var line []byte
	for i := range n {
		day := 25 + i%90 // from 2026-08-25, 90 days
		month, dom := 8, day
		for _, days := range []int{31, 30, 31} {
			if dom <= days {
				break
			}
			dom -= days
			month++
		}
		line = line[:0]
		line = append(line, "2026-"...)
		line = appendTwoDigits(line, month)
		line = append(line, '-')
		line = appendTwoDigits(line, dom)
		line = append(line, ',')
		line = append(line, tenants[i%3]...)
		line = append(line, ",cmp-"...)
		line = strconv.AppendInt(line, int64(i/90%40), 10)
		line = append(line, ",inf-"...)
		line = strconv.AppendInt(line, int64(i/270%500), 10)
		line = append(line, ",vid-"...)
		line = strconv.AppendInt(line, int64(i/270%2000), 10)
		line = append(line, ',')
		line = append(line, platforms[i/3%3]...)
		views := int64(i%9973) * 7
		for _, v := range []int64{views * 4 / 3, views, views / 30, views / 12, views / 150, views / 400} {
			line = append(line, ',')
			line = strconv.AppendInt(line, v, 10)
		}
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(i%500), 10)
		line = append(line, '.')
		line = appendTwoDigits(line, i%100)
		line = append(line, ",,EUR\n"...)
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	info, err := file.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	file.Close()
	return info.Size()
}

func appendTwoDigits(b []byte, v int) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}

// importer configures a source importing path, logging nowhere.
func csvSource(tb testing.TB, path string) *Source {
	tb.Helper()
	src := New()
	src.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := src.Configure(context.Background(), []byte(`{"csv_files": ["`+path+`"]}`)); err != nil {
		tb.Fatal(err)
	}
	return src
}

// The import streams: the heap in use while a 200,000-row file is
// imported stays well below the file's own size, which loading the file
// whole would take at the least (its rows as daily metrics take about
// twice that). One batch, the next one and the garbage collector's
// headroom measure 4 to 7 MiB of the 17 MiB file.
func TestCSVImportMemoryStaysFlat(t *testing.T) {
	const rows = 200_000
	path := filepath.Join(t.TempDir(), "large.csv")
	size := writeLargeCSV(t, path, rows)
	src := csvSource(t, path)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	imported := 0
	err := src.Collect(context.Background(), "", func(b sdk.Batch) error {
		if err := sdk.Validate(&b); err != nil {
			return err
		}
		imported += len(b.DailyMetrics)
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if imported != rows {
		t.Fatalf("%d rows imported, want %d", imported, rows)
	}
	grew := int64(peak - base)
	t.Logf("file %.1f MiB, heap in use grew by at most %.1f MiB", float64(size)/(1<<20), float64(grew)/(1<<20))
	if grew > size*3/4 {
		t.Fatalf("heap in use grew by %d bytes importing a %d-byte file: the import does not stream", grew, size)
	}
}

// BenchmarkCSVImport imports a 1,000,000-row export into an emit that
// validates each batch, as the host does, and counts.
func BenchmarkCSVImport(b *testing.B) {
	const rows = 1_000_000
	path := filepath.Join(b.TempDir(), "large.csv")
	size := writeLargeCSV(b, path, rows)
	src := csvSource(b, path)
	for b.Loop() {
		imported := 0
		err := src.Collect(context.Background(), "", func(batch sdk.Batch) error {
			if err := sdk.Validate(&batch); err != nil {
				return err
			}
			imported += len(batch.DailyMetrics)
			return nil
		})
		if err != nil || imported != rows {
			b.Fatalf("%d rows imported, %v", imported, err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(size)/(1<<20), "file-MiB")
	b.ReportMetric(peakRSSMiB(b), "peak-RSS-MiB")
}

// peakRSSMiB is the process's peak resident set (VmHWM).
func peakRSSMiB(b *testing.B) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatalf("peak RSS: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kB, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				b.Fatalf("VmHWM %q: %v", v, err)
			}
			return kB / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
