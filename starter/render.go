package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tempestdb/tempest/internal/progress"
)

// progressView draws an import's progress: a redrawn block on a terminal, a
// plain line every few seconds otherwise (logs, CI).
type progressView struct {
	w         io.Writer
	tty       bool
	lines     int // lines drawn last time (terminal mode)
	lastPlain time.Time
}

func newProgressView(w io.Writer) *progressView {
	return &progressView{w: w, tty: isTerminal(w)}
}

func (v *progressView) Draw(p progress.Import) {
	if !v.tty {
		if time.Since(v.lastPlain) < 5*time.Second && p.Phase != progress.PhaseDone {
			return
		}
		v.lastPlain = time.Now()
		fmt.Fprintln(v.w, summaryLine(p))
		return
	}
	var b strings.Builder
	b.WriteString(summaryLine(p) + "\n")
	b.WriteString(bar(p.DoneBytes, p.TotalBytes, 40) + "\n")
	shown := 0
	for _, t := range p.Tables {
		if t.Phase == progress.PhasePending || t.Phase == progress.PhaseDone {
			continue
		}
		if shown == 8 {
			b.WriteString("  …\n")
			break
		}
		fmt.Fprintf(&b, "  %-40s %-11s %s chunks %d/%d\n", truncate(t.Name, 40), t.Phase,
			bar(t.DoneBytes, t.TotalBytes, 20), t.ChunksDone, t.ChunksTotal)
		shown++
	}
	// Move up over the previous drawing and clear it.
	if v.lines > 0 {
		fmt.Fprintf(v.w, "\x1b[%dA\x1b[J", v.lines)
	}
	fmt.Fprint(v.w, b.String())
	v.lines = strings.Count(b.String(), "\n")
}

func summaryLine(p progress.Import) string {
	pause := ""
	if p.Paused {
		pause = " [paused]"
	}
	eta := "-"
	if d := p.ETA(); d > 0 {
		eta = d.Round(time.Second).String()
	}
	return fmt.Sprintf("%s%s  tables %d/%d  chunks %d/%d  %s / %s  %d rows  %s/s  ETA %s",
		p.Phase, pause, p.TablesDone, p.TablesTotal, p.ChunksDone, p.ChunksTotal,
		humanBytes(p.DoneBytes), humanBytes(p.TotalBytes), p.Rows, humanBytes(int64(p.Rate())), eta)
}

func bar(done, total int64, width int) string {
	frac := 0.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	if frac > 1 {
		frac = 1
	}
	n := int(frac * float64(width))
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + fmt.Sprintf("] %5.1f%%", frac*100)
}

// printSummary prints the final table of an import.
func printSummary(w io.Writer, p progress.Import) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tSTATUS\tROWS\tBYTES\tCHUNKS\tTYPE ERRORS\tCONFLICTS")
	for _, t := range p.Tables {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d/%d\t%d\t%d\n", t.Name, t.Phase, t.Rows, humanBytes(t.DoneBytes),
			t.ChunksDone, t.ChunksTotal, t.TypeErrors, t.Conflicts)
	}
	fmt.Fprintf(tw, "TOTAL\t%s\t%d\t%s\t%d/%d\t%d\t%d\n", p.Phase, p.Rows, humanBytes(p.DoneBytes),
		p.ChunksDone, p.ChunksTotal, p.TypeErrors, p.Conflicts)
	_ = tw.Flush()
	if d := p.UpdatedAt.Sub(p.StartedAt); d > 0 {
		fmt.Fprintf(w, "took %s (%s/s)\n", d.Round(time.Millisecond), humanBytes(int64(p.Rate())))
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
