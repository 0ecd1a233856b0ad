// A PNG of hit rate against cache size for one replay: one line per policy, drawn with java.awt (headless).
package io.strata.tiering.replay;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * x: cache slots per layer (the report's slot values, evenly spaced as categories), y: hit rate on the counted
 * tokens. Belady is drawn dashed (an offline bound), the learned policy thick and last (on top); a legend names every
 * line.
 */
public final class ReplayPlot {
    private static final int W = 900, H = 560, LEFT = 80, TOP = 60, PW = 560, PH = 420;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22),
            new Color(0x17becf), new Color(0x393b79)};

    private ReplayPlot() {}

    /** Writes the plot of {@code r} to {@code file} (PNG). */
    public static void write(TraceReplay.Report r, Path file) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(String.format(Locale.ROOT, "%s: hit rate vs cache size (%s, pinning %s, %s)", r.trace(),
                r.global() ? "global pool" : "per-layer caches", r.pinning().label(),
                r.holdout() > 0 ? "counted from token " + r.countFromToken() : "all tokens counted"), LEFT - 40, 30);
        List<Integer> slots = r.results().stream().map(TraceReplay.Result::slots).distinct().sorted().toList();
        // The learned policy last, so it is drawn over a baseline or its own MLP where they coincide.
        List<String> policies = java.util.stream.Stream.concat(
                r.results().stream().map(TraceReplay.Result::policy).distinct().filter(p -> !p.equals("learned")),
                r.results().stream().map(TraceReplay.Result::policy).filter(p -> p.equals("learned")).limit(1)).toList();
        double lo = 1, hi = 0;
        for (TraceReplay.Result x : r.results()) {
            lo = Math.min(lo, x.hitRate());
            hi = Math.max(hi, x.hitRate());
        }
        lo = Math.max(0, Math.floor(lo * 10) / 10);
        hi = Math.min(1, Math.ceil(hi * 10) / 10);
        if (hi <= lo) {
            hi = lo + 0.1;
        }
        int bottom = TOP + PH;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 10; i++) {
            double v = lo + (hi - lo) * i / 10;
            int y = bottom - (int) Math.round(PH * (v - lo) / (hi - lo));
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(LEFT, y, LEFT + PW, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.2f", v), LEFT - 40, y + 4);
        }
        for (int i = 0; i < slots.size(); i++) {
            int x = xOf(i, slots.size());
            g.drawLine(x, bottom, x, bottom + 5);
            g.drawString(String.valueOf(slots.get(i)), x - 5, bottom + 20);
        }
        g.drawRect(LEFT, TOP, PW, PH);
        g.drawString("cache slots per layer" + (r.global() ? " (average, global pool)" : ""), LEFT + PW / 2 - 70, bottom + 42);
        Graphics2D gy = (Graphics2D) g.create();
        gy.rotate(-Math.PI / 2);
        gy.drawString("hit rate (counted requests)", -(TOP + PH / 2 + 80), 25);
        gy.dispose();
        for (int p = 0; p < policies.size(); p++) {
            String name = policies.get(p);
            Color c = name.equals("belady") ? Color.BLACK : name.equals("learned") ? new Color(0xd62728) : COLORS[p % COLORS.length];
            float width = name.equals("learned") ? 3.5f : 2f;
            g.setColor(c);
            g.setStroke(name.equals("belady") ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10,
                    new float[] {8, 6}, 0) : new BasicStroke(width));
            int px = -1, py = -1;
            for (int i = 0; i < slots.size(); i++) {
                double v = r.hitRate(name, slots.get(i));
                if (Double.isNaN(v)) {
                    continue;
                }
                int x = xOf(i, slots.size());
                int y = bottom - (int) Math.round(PH * (v - lo) / (hi - lo));
                g.fillOval(x - 3, y - 3, 7, 7);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            int ly = TOP + 10 + 22 * p;
            g.drawLine(LEFT + PW + 20, ly, LEFT + PW + 55, ly);
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.BLACK);
            g.drawString(name, LEFT + PW + 62, ly + 4);
        }
        g.dispose();
        try {
            if (!ImageIO.write(img, "png", file.toFile())) {
                throw new IOException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing plot " + file + ": " + e.getMessage(), e);
        }
    }

    private static int xOf(int i, int n) {
        return n == 1 ? LEFT + PW / 2 : LEFT + 30 + (PW - 60) * i / (n - 1);
    }
}
