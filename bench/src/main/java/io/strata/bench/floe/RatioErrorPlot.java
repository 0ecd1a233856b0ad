// A PNG of compression ratio against error per codec, drawn with java.awt (headless) and ImageIO.
package io.strata.bench.floe;

import io.strata.bench.floe.CompressionExperiment.CodecResult;
import io.strata.bench.floe.CompressionExperiment.Report;
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
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * Two panels sharing the x axis, the traffic ratio {@code bf16 expert bytes / bytes moved per
 * expert activation} (the storage compression ratio for dense codecs; for floe the resident up is
 * not moved and only active rows are): expert output relative error, and mean next-token KL
 * against bf16 (nats). One labelled point per codec.
 */
public final class RatioErrorPlot {
    private static final int W = 1030, H = 460, PANEL_W = 440, PANEL_H = 330, TOP = 70, LEFT1 = 70, LEFT2 = 560;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22),
            new Color(0x17becf)};

    private RatioErrorPlot() {}

    public static void write(Report r, Path file) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Expert codecs on " + r.model() + ": bytes-moved ratio vs error (floe: sparsity "
                + String.format(Locale.ROOT, "%.2f", r.targetSparsity()) + " unless named)", LEFT1, 30);
        List<CodecResult> cs = r.codecs();
        double xMax = Math.ceil(cs.stream().mapToDouble(RatioErrorPlot::ratio).max().orElse(1) + 0.5);
        panel(g, cs, LEFT1, xMax, "expert output relative error", CodecResult::expertOutputError);
        panel(g, cs, LEFT2, xMax, "mean KL(bf16 || codec), nats", CodecResult::meanKl);
        g.dispose();
        try {
            if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer available");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private static void panel(Graphics2D g, List<CodecResult> cs, int left, double xMax, String yLabel, ToDoubleFunction<CodecResult> y) {
        double yMax = niceMax(cs.stream().mapToDouble(y).max().orElse(1));
        int bottom = TOP + PANEL_H;
        g.setColor(new Color(0xEEEEEE));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i <= 5; i++) {
            int py = bottom - i * PANEL_H / 5;
            g.setColor(new Color(0xE5E5E5));
            g.drawLine(left, py, left + PANEL_W, py);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, yMax < 0.1 ? "%.3f" : "%.2f", yMax * i / 5), left - 45, py + 4);
        }
        for (int x = 0; x <= xMax; x += xMax > 12 ? 2 : 1) {
            int px = left + (int) (x / xMax * PANEL_W);
            g.setColor(new Color(0xE5E5E5));
            g.drawLine(px, TOP, px, bottom);
            g.setColor(Color.DARK_GRAY);
            g.drawString(x + "×", px - 6, bottom + 16);
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.2f));
        g.drawRect(left, TOP, PANEL_W, PANEL_H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("bf16 bytes / bytes moved per expert activation", left + PANEL_W / 2 - 140, bottom + 36);
        g.drawString(yLabel, left, TOP - 10);
        // families joined by a thin line in order of ratio: the quantized codecs, and floe at its sparsities
        for (String fam : new String[] {"int", "floe"}) {
            List<CodecResult> f = cs.stream().filter(c -> family(c.codec()).equals(fam) || (fam.equals("int") && c.codec().equals("bf16")))
                    .sorted(java.util.Comparator.comparingDouble(RatioErrorPlot::ratio)).toList();
            g.setColor(new Color(0xB0B0B0));
            g.setStroke(new BasicStroke(1f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {4f, 3f}, 0f));
            for (int i = 1; i < f.size(); i++) {
                g.drawLine(left + (int) (ratio(f.get(i - 1)) / xMax * PANEL_W), bottom - (int) (y.applyAsDouble(f.get(i - 1)) / yMax * PANEL_H),
                        left + (int) (ratio(f.get(i)) / xMax * PANEL_W), bottom - (int) (y.applyAsDouble(f.get(i)) / yMax * PANEL_H));
            }
        }
        g.setStroke(new BasicStroke(1f));
        java.util.List<java.awt.Rectangle> taken = new java.util.ArrayList<>(); // label boxes drawn so far
        for (int i = 0; i < cs.size(); i++) {
            CodecResult c = cs.get(i);
            int px = left + (int) (ratio(c) / xMax * PANEL_W);
            int py = bottom - (int) (y.applyAsDouble(c) / yMax * PANEL_H);
            g.setColor(COLORS[i % COLORS.length]);
            g.fillOval(px - 5, py - 5, 10, 10);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            String label = c.codec() + String.format(Locale.ROOT, " (%.3f)", y.applyAsDouble(c));
            int lw = g.getFontMetrics().stringWidth(label), lh = 14;
            int lx = px + 8 + lw > left + PANEL_W ? px - 8 - lw : px + 8, ly = py - 6;
            java.awt.Rectangle box = new java.awt.Rectangle(lx, ly - lh + 3, lw, lh);
            while (taken.stream().anyMatch(box::intersects)) box.translate(0, -lh); // move up past overlapping labels
            taken.add(box);
            if (box.y + lh - 3 != ly) g.drawLine(px, py, box.x + (box.x > px ? 0 : lw), box.y + lh - 6); // leader to a moved label
            g.drawString(label, box.x, box.y + lh - 3);
        }
    }

    /** "int" for int8/int4/..., "floe" for floe and floe@s (INT2 up), else the codec itself. */
    static String family(String codec) {
        if (codec.matches("int\\d+(-g\\d+)?")) return "int";
        if (codec.equals("floe") || codec.startsWith("floe@")) return "floe";
        return codec;
    }

    /** bf16 bytes over bytes moved per activation. */
    static double ratio(CodecResult c) {
        return 1.0 / c.movedFractionOfBf16();
    }

    /** A round upper bound ≥ v for an axis (1, 2 or 5 times a power of ten). */
    static double niceMax(double v) {
        if (!(v > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * p >= v * 1.05) return m * p;
        return 10 * p;
    }
}
