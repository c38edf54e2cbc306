package main

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/gomonobolditalic"
	"golang.org/x/image/font/gofont/gomonoitalic"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Theme holds the terminal's default colours: what cells without an
// explicit SGR colour are painted with.
type Theme struct {
	Fg, Bg color.RGBA
}

var (
	// DarkTheme is the terminal behind the dark, high-contrast and
	// no-color berth themes.
	DarkTheme = Theme{Fg: hexRGB(0xd0d0d0), Bg: hexRGB(0x1e1e2e)}
	// LightTheme is the terminal behind the light berth theme.
	LightTheme = Theme{Fg: hexRGB(0x202020), Bg: hexRGB(0xfafafa)}
)

func hexRGB(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

// fontPx is the font size in pixels (at 72 DPI, points are pixels).
const fontPx = 14

// aaLevels quantises glyph and shape coverage so a frame needs few
// distinct colours and usually fits a 256-colour paletted PNG.
const aaLevels = 7

const (
	styleRegular = iota
	styleBold
	styleItalic
	styleBoldItalic
)

type fontSet struct {
	fonts  [4]*sfnt.Font
	faces  [4]font.Face
	buf    sfnt.Buffer
	cw, ch int // cell size in pixels
	base   int // baseline offset from the cell's top
}

var (
	fontsOnce sync.Once
	fontsVal  *fontSet
	fontsErr  error
	// fontMu serialises glyph rasterisation: faces reuse internal buffers.
	fontMu sync.Mutex
)

func loadFonts() (*fontSet, error) {
	fontsOnce.Do(func() {
		fs := &fontSet{}
		for i, ttf := range [][]byte{gomono.TTF, gomonobold.TTF, gomonoitalic.TTF, gomonobolditalic.TTF} {
			f, err := opentype.Parse(ttf)
			if err != nil {
				fontsErr = fmt.Errorf("parse font: %w", err)
				return
			}
			face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: fontPx, DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				fontsErr = fmt.Errorf("font face: %w", err)
				return
			}
			fs.fonts[i], fs.faces[i] = f, face
		}
		m := fs.faces[styleRegular].Metrics()
		adv, _ := fs.faces[styleRegular].GlyphAdvance('M')
		fs.cw = adv.Round()
		fs.ch = m.Height.Ceil()
		if asc := (m.Ascent + m.Descent).Ceil(); asc > fs.ch {
			fs.ch = asc
		}
		// Centre the ascent+descent box in the line height.
		fs.base = (fs.ch-(m.Ascent+m.Descent).Ceil())/2 + m.Ascent.Ceil()
		fontsVal = fs
	})
	return fontsVal, fontsErr
}

// hasGlyph reports whether the font of the given style has a glyph for r.
func (fs *fontSet) hasGlyph(style int, r rune) bool {
	i, err := fs.fonts[style].GlyphIndex(&fs.buf, r)
	return err == nil && i != 0
}

// renderPNG renders frame (a bubbletea View: lines joined by "\n", SGR
// styling) on a cols x rows terminal with theme's default colours and
// writes it to path as a PNG.
func renderPNG(frame string, cols, rows int, theme Theme, path string) error {
	img, err := renderImage(frame, cols, rows, theme)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(w, toPaletted(img)); err != nil {
		f.Close()
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// renderImage feeds frame to a terminal emulator and rasterises its cells.
func renderImage(frame string, cols, rows int, theme Theme) (*image.RGBA, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	em := vt.NewEmulator(cols, rows)
	// The emulator answers queries on its input pipe; drain it so a
	// stray query cannot block the write.
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, em)
		close(done)
	}()
	frame = strings.ReplaceAll(frame, "\r\n", "\n")
	if _, err := em.WriteString(strings.ReplaceAll(frame, "\n", "\r\n")); err != nil {
		em.Close()
		return nil, err
	}

	cw, ch := fs.cw, fs.ch
	img := image.NewRGBA(image.Rect(0, 0, cols*cw, rows*ch))
	fillRect(img, img.Bounds(), theme.Bg)

	fontMu.Lock()
	defer fontMu.Unlock()
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; {
			c := em.CellAt(x, y)
			if c == nil || c.Width == 0 {
				// Nothing, or the trailing half of a wide character.
				x++
				continue
			}
			w := c.Width
			if x+w > cols {
				w = cols - x
			}
			drawCell(img, fs, c, image.Rect(x*cw, y*ch, (x+w)*cw, (y+1)*ch), theme)
			x += w
		}
	}
	em.Close()
	<-done
	return img, nil
}

func toRGBA(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}

// mix returns a + (b-a)*t.
func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 0xff}
}

func quantise(cov float64) float64 {
	if cov <= 0 {
		return 0
	}
	if cov >= 1 {
		return 1
	}
	return math.Round(cov*aaLevels) / aaLevels
}

func drawCell(img *image.RGBA, fs *fontSet, c *uv.Cell, r image.Rectangle, theme Theme) {
	st := c.Style
	fg, bg := theme.Fg, theme.Bg
	if st.Fg != nil {
		fg = toRGBA(st.Fg)
	}
	if st.Bg != nil {
		bg = toRGBA(st.Bg)
	}
	if st.Attrs&uv.AttrReverse != 0 {
		fg, bg = bg, fg
	}
	if st.Attrs&uv.AttrFaint != 0 {
		fg = mix(fg, bg, 0.45)
	}
	fillRect(img, r, bg)
	if st.Attrs&uv.AttrConceal != 0 {
		return
	}

	if c.Content != "" && c.Content != " " {
		style := styleRegular
		if st.Attrs&uv.AttrBold != 0 {
			style |= styleBold
		}
		if st.Attrs&uv.AttrItalic != 0 {
			style |= styleItalic
		}
		drawContent(img, fs, c.Content, r, style, fg, bg)
	}

	thick := max(1, fs.cw/8)
	if st.Underline != uv.UnderlineNone {
		uc := fg
		if st.UnderlineColor != nil {
			uc = toRGBA(st.UnderlineColor)
		}
		y := min(r.Min.Y+fs.base+2, r.Max.Y-thick)
		fillRect(img, image.Rect(r.Min.X, y, r.Max.X, y+thick), uc)
	}
	if st.Attrs&uv.AttrStrikethrough != 0 {
		y := r.Min.Y + fs.base - fs.ch/4
		fillRect(img, image.Rect(r.Min.X, y, r.Max.X, y+thick), fg)
	}
}

func drawContent(img *image.RGBA, fs *fontSet, content string, r image.Rectangle, style int, fg, bg color.RGBA) {
	base, _ := utf8.DecodeRuneInString(content)
	if drawSpecial(img, fs, base, r, fg, bg) {
		return
	}
	if !fs.hasGlyph(style, base) {
		if style != styleRegular && fs.hasGlyph(styleRegular, base) {
			style = styleRegular
		} else if !drawShape(img, fs, base, r, fg, bg) {
			// No glyph: a small filled box, centred in the cell(s).
			w, h := max(2, fs.cw/2), max(2, fs.ch/3)
			cx, cy := (r.Min.X+r.Max.X)/2, r.Min.Y+fs.base-fs.ch/4
			fillRect(img, image.Rect(cx-w/2, cy-h/2, cx-w/2+w, cy-h/2+h), fg)
			return
		} else {
			return
		}
	}
	face := fs.faces[style]
	// Centre a one-cell glyph across a wide cell.
	x := r.Min.X + (r.Dx()-fs.cw)/2
	dot := fixed.P(x, r.Min.Y+fs.base)
	for i, ru := range content {
		if i > 0 && !unicode.Is(unicode.Mn, ru) {
			continue // variation selectors, joiners, ...
		}
		if i > 0 && !fs.hasGlyph(style, ru) {
			continue
		}
		dr, mask, mp, _, ok := face.Glyph(dot, ru)
		if !ok {
			continue
		}
		blendMask(img, dr, mask, mp, fg)
	}
}

// blendMask paints fg over img through mask's alpha, quantised.
func blendMask(img *image.RGBA, dr image.Rectangle, mask image.Image, mp image.Point, fg color.RGBA) {
	clip := dr.Intersect(img.Bounds())
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		for x := clip.Min.X; x < clip.Max.X; x++ {
			_, _, _, a := mask.At(mp.X+x-dr.Min.X, mp.Y+y-dr.Min.Y).RGBA()
			cov := quantise(float64(a) / 0xffff)
			if cov == 0 {
				continue
			}
			img.SetRGBA(x, y, mix(img.RGBAAt(x, y), fg, cov))
		}
	}
}

func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// fillShape paints fg over the pixels of r for which inside (given the
// pixel-relative sub-sample position, in pixels from r.Min) holds, with
// 4x4 supersampling for smooth edges.
func fillShape(img *image.RGBA, r image.Rectangle, fg color.RGBA, inside func(x, y float64) bool) {
	const n = 4
	for py := r.Min.Y; py < r.Max.Y; py++ {
		for px := r.Min.X; px < r.Max.X; px++ {
			hits := 0
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					fx := float64(px-r.Min.X) + (float64(sx)+0.5)/n
					fy := float64(py-r.Min.Y) + (float64(sy)+0.5)/n
					if inside(fx, fy) {
						hits++
					}
				}
			}
			if cov := quantise(float64(hits) / (n * n)); cov > 0 {
				img.SetRGBA(px, py, mix(img.RGBAAt(px, py), fg, cov))
			}
		}
	}
}

// drawSpecial draws box-drawing, block-element and braille characters
// procedurally, so they join seamlessly across cells whatever the font
// covers. It reports whether it handled r.
func drawSpecial(img *image.RGBA, fs *fontSet, r rune, cell image.Rectangle, fg, bg color.RGBA) bool {
	switch {
	case r >= 0x2500 && r <= 0x257F:
		drawBox(img, fs, r, cell, fg)
	case r >= 0x2580 && r <= 0x259F:
		drawBlock(img, r, cell, fg, bg)
	case r >= 0x2800 && r <= 0x28FF:
		drawBraille(img, r, cell, fg)
	default:
		return false
	}
	return true
}

// boxArms lists, for U+2500..U+257F, the weight of the up, right, down
// and left arms: 0 none, 1 light, 2 heavy, 3 double; "-" marks
// characters drawn specially (dashes, arcs, diagonals).
var boxArms = [128]string{
	"0101", "0202", "1010", "2020", "-", "-", "-", "-", // 2500
	"-", "-", "-", "-", "0110", "0210", "0120", "0220", // 2508
	"0011", "0012", "0021", "0022", "1100", "1200", "2100", "2200", // 2510
	"1001", "1002", "2001", "2002", "1110", "1210", "2110", "1120", // 2518
	"2120", "2210", "1220", "2220", "1011", "1012", "2011", "1021", // 2520
	"2021", "2012", "1022", "2022", "0111", "0112", "0211", "0212", // 2528
	"0121", "0122", "0221", "0222", "1101", "1102", "1201", "1202", // 2530
	"2101", "2102", "2201", "2202", "1111", "1112", "1211", "1212", // 2538
	"2111", "1121", "2121", "2112", "2211", "1122", "1221", "2212", // 2540
	"1222", "2122", "2221", "2222", "-", "-", "-", "-", // 2548
	"0303", "3030", "0310", "0130", "0330", "0013", "0031", "0033", // 2550
	"1300", "3100", "3300", "1003", "3001", "3003", "1310", "3130", // 2558
	"3330", "1013", "3031", "3033", "0313", "0131", "0333", "1303", // 2560
	"3101", "3303", "1313", "3131", "3333", "-", "-", "-", // 2568
	"-", "-", "-", "-", "0001", "1000", "0100", "0010", // 2570
	"0002", "2000", "0200", "0020", "0201", "1020", "0102", "2010", // 2578
}

func drawBox(img *image.RGBA, fs *fontSet, r rune, cell image.Rectangle, fg color.RGBA) {
	light := max(1, int(math.Round(float64(fs.cw)/8)))
	heavy := max(2, light*2)
	gap := light // between the strokes of a double line
	x0, y0, x1, y1 := cell.Min.X, cell.Min.Y, cell.Max.X, cell.Max.Y
	cx, cy := x0+fs.cw/2, y0+fs.ch/2
	thick := func(w byte) int {
		if w == '2' {
			return heavy
		}
		return light
	}
	// band returns the [lo, hi) span of a stroke of thickness t centred on c.
	band := func(c, t int) (int, int) { return c - t/2, c - t/2 + t }

	switch r {
	case 0x2504, 0x2505, 0x2508, 0x2509, 0x254C, 0x254D: // horizontal dashes
		n := map[rune]int{0x2504: 3, 0x2505: 3, 0x2508: 4, 0x2509: 4, 0x254C: 2, 0x254D: 2}[r]
		t := light
		if r == 0x2505 || r == 0x2509 || r == 0x254D {
			t = heavy
		}
		lo, hi := band(cy, t)
		for i := 0; i < n; i++ {
			a := x0 + i*fs.cw/n
			b := x0 + (i+1)*fs.cw/n
			fillRect(img, image.Rect(a, lo, a+max(1, (b-a)*2/3), hi), fg)
		}
		return
	case 0x2506, 0x2507, 0x250A, 0x250B, 0x254E, 0x254F: // vertical dashes
		n := map[rune]int{0x2506: 3, 0x2507: 3, 0x250A: 4, 0x250B: 4, 0x254E: 2, 0x254F: 2}[r]
		t := light
		if r == 0x2507 || r == 0x250B || r == 0x254F {
			t = heavy
		}
		lo, hi := band(cx, t)
		for i := 0; i < n; i++ {
			a := y0 + i*fs.ch/n
			b := y0 + (i+1)*fs.ch/n
			fillRect(img, image.Rect(lo, a, hi, a+max(1, (b-a)*2/3)), fg)
		}
		return
	case 0x256D, 0x256E, 0x256F, 0x2570: // arcs
		sx, sy := 1, 1 // arms: right/left, down/up
		if r == 0x256E || r == 0x256F {
			sx = -1
		}
		if r == 0x256F || r == 0x2570 {
			sy = -1
		}
		t := light
		rad := min(fs.cw, fs.ch) / 2
		hlo, hhi := band(cy, t)
		vlo, vhi := band(cx, t)
		if sx > 0 {
			fillRect(img, image.Rect(cx+rad, hlo, x1, hhi), fg)
		} else {
			fillRect(img, image.Rect(x0, hlo, cx-rad+1, hhi), fg)
		}
		if sy > 0 {
			fillRect(img, image.Rect(vlo, cy+rad, vhi, y1), fg)
		} else {
			fillRect(img, image.Rect(vlo, y0, vhi, cy-rad+1), fg)
		}
		// Centre lines of the two strokes, relative to the cell.
		hy := float64(hlo-y0) + float64(t)/2
		vx := float64(vlo-x0) + float64(t)/2
		ox, oy := vx+float64(sx*rad), hy+float64(sy*rad)
		fr := float64(rad)
		fillShape(img, cell, fg, func(x, y float64) bool {
			if (x-ox)*float64(sx) > 0 || (y-oy)*float64(sy) > 0 {
				return false
			}
			d := math.Hypot(x-ox, y-oy)
			return math.Abs(d-fr) <= float64(t)/2
		})
		return
	case 0x2571, 0x2572, 0x2573: // diagonals
		w, h := float64(fs.cw), float64(fs.ch)
		l := math.Hypot(w, h)
		t := float64(light)
		fillShape(img, cell, fg, func(x, y float64) bool {
			// Distance to the lines (0,h)-(w,0) and (0,0)-(w,h).
			up := math.Abs(h*x+w*y-w*h) / l
			down := math.Abs(h*x-w*y) / l
			switch r {
			case 0x2571:
				return up <= t/2+0.25
			case 0x2572:
				return down <= t/2+0.25
			}
			return up <= t/2+0.25 || down <= t/2+0.25
		})
		return
	}

	arms := boxArms[r-0x2500]
	if len(arms) != 4 {
		return
	}
	up, right, down, left := arms[0], arms[1], arms[2], arms[3]
	// The widest stroke crossing the centre, so arms meet without notches.
	maxT := 0
	for _, a := range []byte{up, right, down, left} {
		switch a {
		case '1', '2':
			maxT = max(maxT, thick(a))
		case '3':
			maxT = max(maxT, 2*gap+light)
		}
	}
	hreach := func(dir int, w byte) {
		if w == '0' {
			return
		}
		var ys []int
		t := thick(w)
		if w == '3' {
			t = light
			ys = []int{cy - gap - t/2, cy + gap - t/2}
		} else {
			ys = []int{cy - t/2}
		}
		for _, y := range ys {
			if dir < 0 {
				fillRect(img, image.Rect(x0, y, cx-maxT/2+maxT, y+t), fg)
			} else {
				fillRect(img, image.Rect(cx-maxT/2, y, x1, y+t), fg)
			}
		}
	}
	vreach := func(dir int, w byte) {
		if w == '0' {
			return
		}
		var xs []int
		t := thick(w)
		if w == '3' {
			t = light
			xs = []int{cx - gap - t/2, cx + gap - t/2}
		} else {
			xs = []int{cx - t/2}
		}
		for _, x := range xs {
			if dir < 0 {
				fillRect(img, image.Rect(x, y0, x+t, cy-maxT/2+maxT), fg)
			} else {
				fillRect(img, image.Rect(x, cy-maxT/2, x+t, y1), fg)
			}
		}
	}
	hreach(-1, left)
	hreach(1, right)
	vreach(-1, up)
	vreach(1, down)
}

func drawBlock(img *image.RGBA, r rune, cell image.Rectangle, fg, bg color.RGBA) {
	x0, y0, x1, y1 := cell.Min.X, cell.Min.Y, cell.Max.X, cell.Max.Y
	w, h := cell.Dx(), cell.Dy()
	mx, my := x0+w/2, y0+h/2
	eighthH := func(n int) int { return int(math.Round(float64(h) * float64(n) / 8)) }
	eighthW := func(n int) int { return int(math.Round(float64(w) * float64(n) / 8)) }
	quad := func(ul, ur, ll, lr bool) {
		if ul {
			fillRect(img, image.Rect(x0, y0, mx, my), fg)
		}
		if ur {
			fillRect(img, image.Rect(mx, y0, x1, my), fg)
		}
		if ll {
			fillRect(img, image.Rect(x0, my, mx, y1), fg)
		}
		if lr {
			fillRect(img, image.Rect(mx, my, x1, y1), fg)
		}
	}
	switch {
	case r == 0x2580: // upper half
		fillRect(img, image.Rect(x0, y0, x1, my), fg)
	case r >= 0x2581 && r <= 0x2588: // lower eighths .. full block
		fillRect(img, image.Rect(x0, y1-eighthH(int(r-0x2580)), x1, y1), fg)
	case r >= 0x2589 && r <= 0x258F: // left seven eighths .. one eighth
		fillRect(img, image.Rect(x0, y0, x0+eighthW(int(0x2590-r)), y1), fg)
	case r == 0x2590: // right half
		fillRect(img, image.Rect(mx, y0, x1, y1), fg)
	case r >= 0x2591 && r <= 0x2593: // shades
		fillRect(img, cell, mix(bg, fg, float64(r-0x2590)/4))
	case r == 0x2594: // upper eighth
		fillRect(img, image.Rect(x0, y0, x1, y0+eighthH(1)), fg)
	case r == 0x2595: // right eighth
		fillRect(img, image.Rect(x1-eighthW(1), y0, x1, y1), fg)
	case r == 0x2596:
		quad(false, false, true, false)
	case r == 0x2597:
		quad(false, false, false, true)
	case r == 0x2598:
		quad(true, false, false, false)
	case r == 0x2599:
		quad(true, false, true, true)
	case r == 0x259A:
		quad(true, false, false, true)
	case r == 0x259B:
		quad(true, true, true, false)
	case r == 0x259C:
		quad(true, true, false, true)
	case r == 0x259D:
		quad(false, true, false, false)
	case r == 0x259E:
		quad(false, true, true, false)
	case r == 0x259F:
		quad(false, true, true, true)
	}
}

// brailleDots maps the eight dot bits of U+2800.. to (column, row).
var brailleDots = [8][2]int{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}, {0, 3}, {1, 3}}

func drawBraille(img *image.RGBA, r rune, cell image.Rectangle, fg color.RGBA) {
	bits := int(r - 0x2800)
	if bits == 0 {
		return
	}
	w, h := float64(cell.Dx()), float64(cell.Dy())
	rad := math.Max(1, math.Min(w/4, h/8)*0.75)
	fillShape(img, cell, fg, func(x, y float64) bool {
		for i, d := range brailleDots {
			if bits&(1<<i) == 0 {
				continue
			}
			ox := w * float64(2*d[0]+1) / 4
			oy := h * float64(2*d[1]+1) / 8
			if math.Hypot(x-ox, y-oy) <= rad {
				return true
			}
		}
		return false
	})
}

// drawShape draws a few geometric shapes the font may lack. It reports
// whether it handled r.
func drawShape(img *image.RGBA, fs *fontSet, r rune, cell image.Rectangle, fg, bg color.RGBA) bool {
	w := float64(cell.Dx())
	// Shapes sit on the x-height band, like the font's would.
	cx := w / 2
	cy := float64(fs.base) - float64(fs.ch)/4
	s := float64(fs.cw) * 0.8 // shape size
	var inside func(x, y float64) bool
	switch r {
	case '●', '⬤':
		inside = func(x, y float64) bool { return math.Hypot(x-cx, y-cy) <= s/2 }
	case '○', '◯':
		inside = func(x, y float64) bool { d := math.Hypot(x-cx, y-cy); return d <= s/2 && d >= s/2-1.2 }
	case '■', '◼':
		inside = func(x, y float64) bool { return math.Abs(x-cx) <= s/2 && math.Abs(y-cy) <= s/2 }
	case '□', '◻':
		inside = func(x, y float64) bool {
			ax, ay := math.Abs(x-cx), math.Abs(y-cy)
			return ax <= s/2 && ay <= s/2 && (ax >= s/2-1 || ay >= s/2-1)
		}
	case '▲', '▴':
		inside = func(x, y float64) bool { dy := y - (cy - s/2); return dy >= 0 && dy <= s && math.Abs(x-cx) <= dy/2 }
	case '▼', '▾':
		inside = func(x, y float64) bool { dy := (cy + s/2) - y; return dy >= 0 && dy <= s && math.Abs(x-cx) <= dy/2 }
	case '▶', '▸':
		inside = func(x, y float64) bool { dx := x - (cx - s/2); return dx >= 0 && dx <= s && math.Abs(y-cy) <= (s-dx)/2 }
	case '◀', '◂':
		inside = func(x, y float64) bool { dx := (cx + s/2) - x; return dx >= 0 && dx <= s && math.Abs(y-cy) <= (s-dx)/2 }
	case '◆':
		inside = func(x, y float64) bool { return math.Abs(x-cx)+math.Abs(y-cy) <= s/2 }
	case '✓', '✔':
		t := 0.9
		if r == '✔' {
			t = 1.3
		}
		inside = func(x, y float64) bool {
			return segDist(x, y, cx-s/2, cy, cx-s/8, cy+s/2) <= t || segDist(x, y, cx-s/8, cy+s/2, cx+s/2, cy-s/2) <= t
		}
	case '✗', '✘', '×':
		t := 0.9
		if r == '✘' {
			t = 1.3
		}
		h := s / 2.4
		inside = func(x, y float64) bool {
			return segDist(x, y, cx-h, cy-h, cx+h, cy+h) <= t || segDist(x, y, cx-h, cy+h, cx+h, cy-h) <= t
		}
	case '‖':
		inside = func(x, y float64) bool {
			return (math.Abs(x-(cx-1.5)) <= 0.5 || math.Abs(x-(cx+1.5)) <= 0.5) && y >= 2 && y <= float64(fs.ch)-2
		}
	default:
		return false
	}
	fillShape(img, cell, fg, inside)
	return true
}

// segDist is the distance from (x, y) to the segment (ax, ay)-(bx, by).
func segDist(x, y, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := ((x-ax)*dx + (y-ay)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(x-(ax+t*dx), y-(ay+t*dy))
}

// toPaletted returns img as a paletted image when it has at most 256
// colours (much smaller PNGs), else img itself.
func toPaletted(img *image.RGBA) image.Image {
	index := map[color.RGBA]uint8{}
	var pal color.Palette
	b := img.Bounds()
	out := image.NewPaletted(b, nil)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.RGBAAt(x, y)
			i, ok := index[c]
			if !ok {
				if len(pal) == 256 {
					return img
				}
				i = uint8(len(pal))
				index[c] = i
				pal = append(pal, c)
			}
			out.Pix[out.PixOffset(x, y)] = i
		}
	}
	out.Palette = pal
	return out
}
