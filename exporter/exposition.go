package exporter

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net"
	"sync"
)

// segment is a piece of exposition compressed on its own: deflate blocks
// that end in a sync flush (byte-aligned, not final) and refer to nothing
// before them, so any run of segments is one valid deflate stream once a
// final block follows. crc and size are those of its plain text, which a
// gzip trailer needs.
type segment struct {
	deflate []byte
	crc     uint32
	size    int64
}

// finalBlock ends a deflate stream: an empty stored block marked final.
var finalBlock = []byte{0x01, 0x00, 0x00, 0xff, 0xff}

// gzipHeader starts a gzip member: deflate, no name, no time, unknown OS.
var gzipHeader = []byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff}

// compressor turns plain text into segments, reusing its buffers.
type compressor struct {
	w          *flate.Writer
	out, plain bytes.Buffer
}

func newCompressor(level int) *compressor {
	z := &compressor{}
	z.w, _ = flate.NewWriter(&z.out, level) // the level is a constant
	return z
}

func (z *compressor) segment(plain []byte) segment {
	z.out.Reset()
	z.w.Reset(&z.out)
	z.w.Write(plain) // a bytes.Buffer does not fail
	z.w.Flush()
	return segment{deflate: bytes.Clone(z.out.Bytes()), crc: crc32.ChecksumIEEE(plain), size: int64(len(plain))}
}

// exposition is one published state of the business metrics, compressed
// in both formats a scrape may ask for; scrapes share it and never change
// it.
type exposition struct {
	text, openMetrics body
}

// newExposition is the exposition of the business families' segments:
// text in the Prometheus text format, openMetrics in OpenMetrics (counter
// families named without _total), which ends with # EOF here.
func newExposition(text, openMetrics []segment) *exposition {
	return &exposition{text: newBody(text), openMetrics: newBody(append(openMetrics, eofSegment))}
}

// eofSegment ends an OpenMetrics exposition.
var eofSegment = newCompressor(flate.BestSpeed).segment([]byte("# EOF\n"))

// body is the business metrics in one format.
type body struct {
	segments []segment
	// crc and size are of the whole plain text.
	crc  uint32
	size int64
	// deflated are the segments' bytes, ready to write, and their length.
	deflated     net.Buffers
	deflatedSize int64
}

func newBody(segs []segment) body {
	e := body{segments: segs}
	for _, s := range segs {
		e.crc = crc32Combine(e.crc, s.crc, s.size)
		e.size += s.size
		e.deflated = append(e.deflated, s.deflate)
		e.deflatedSize += int64(len(s.deflate))
	}
	return e
}

// liveCompressors compress what is made at scrape time (the process's own
// metrics, a few kB): the fastest level, writers reused across scrapes.
var liveCompressors = sync.Pool{New: func() any { return newCompressor(flate.BestSpeed) }}

// gzipped is one gzip member holding prefix, compressed now with z, then
// the body as it is stored; and its length.
func (e *body) gzipped(prefix []byte, z *compressor) (net.Buffers, int64) {
	head := z.segment(prefix)
	trailer := make([]byte, 8)
	binary.LittleEndian.PutUint32(trailer[:4], crc32Combine(head.crc, e.crc, e.size))
	binary.LittleEndian.PutUint32(trailer[4:], uint32(head.size+e.size)) // ISIZE is the size mod 2³²
	bufs := make(net.Buffers, 0, len(e.segments)+4)
	bufs = append(bufs, gzipHeader, head.deflate)
	bufs = append(bufs, e.deflated...)
	bufs = append(bufs, finalBlock, trailer)
	n := int64(len(gzipHeader)+len(head.deflate)+len(finalBlock)+len(trailer)) + e.deflatedSize
	return bufs, n
}

// writePlain writes the body uncompressed.
func (e *body) writePlain(w io.Writer) error {
	readers := make([]io.Reader, 0, len(e.segments)+1)
	for _, s := range e.segments {
		readers = append(readers, bytes.NewReader(s.deflate))
	}
	readers = append(readers, bytes.NewReader(finalBlock))
	r := flate.NewReader(io.MultiReader(readers...))
	defer r.Close()
	_, err := io.Copy(w, r)
	return err
}

// crc32Combine is the CRC-32 (IEEE) of a text whose first part has crc1
// and whose second part, len2 bytes long, has crc2: zlib's crc32_combine,
// which Go's hash/crc32 lacks. It multiplies crc1 by x^(8·len2) in GF(2).
func crc32Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32 // operators for 2^n zero bits
	odd[0] = crc32.IEEE      // one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four
	for {
		gf2Square(&even, &odd) // one zero byte, then 4, 16, ...
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}
