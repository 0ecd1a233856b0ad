// A PNG of a strata bench sweep: tokens/s per configuration and test, with ±1 sd whiskers and the measured bound.
package io.strata.bench.suite;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * One panel per test (pp32, tg32, ...), one horizontal bar per configuration: the mean tokens/s, a whisker of one
 * standard deviation each side, and a red tick at the row's bound where it has one (decode rows). Bars of one panel
 * share a linear axis from 0, so their lengths compare.
 */
public final class SweepPlot {
    private static final int W = 1100, BAR = 22, GAP = 6, LEFT = 470, RIGHT = 60, PANEL_HEAD = 46, TOP = 50;
    private static final Color BAR_COLOR = new Color(0x1f77b4), BOUND = new Color(0xd62728);

    private SweepPlot() {}

    /** The label of a row's configuration: what differs between rows is in it. */
    static String label(BenchSuite.Row r) {
        String name = r.model().contains("/") ? java.nio.file.Path.of(r.model()).getFileName().toString() : r.model();
        String s = name + " " + r.codec() + " " + r.backend() + " t" + r.threads();
        if (!r.hostBudget().equals("-")) s += " host " + r.hostBudget();
        if (!r.policy().equals("-")) s += " " + r.policy();
        if (!r.prefetch().equals("-")) s += " prefetch " + r.prefetch();
        return s;
    }

    public static void write(List<BenchSuite.Row> rows, String title, Path file) {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<BenchSuite.Row>> byTest = new LinkedHashMap<>();
        for (BenchSuite.Row r : rows) byTest.computeIfAbsent(r.test(), k -> new ArrayList<>()).add(r);
        int h = TOP + 20;
        for (List<BenchSuite.Row> rs : byTest.values()) h += PANEL_HEAD + rs.size() * (BAR + GAP) + 20;
        BufferedImage img = new BufferedImage(W, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, 20, 28);
        int y = TOP;
        for (var e : byTest.entrySet()) {
            List<BenchSuite.Row> rs = e.getValue();
            double max = 0;
            for (BenchSuite.Row r : rs) {
                max = Math.max(max, r.mean() + r.stddev());
                if (Double.isFinite(r.boundTps())) max = Math.max(max, r.boundTps());
            }
            max = niceMax(max);
            int plotW = W - LEFT - RIGHT;
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(e.getKey() + " (tokens/s; red: bound)", 20, y + 18);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            int axisY = y + PANEL_HEAD - 8;
            for (int i = 0; i <= 5; i++) {
                int x = LEFT + (int) Math.round(plotW * i / 5.0);
                g.setColor(new Color(0xdddddd));
                g.drawLine(x, axisY, x, axisY + rs.size() * (BAR + GAP));
                g.setColor(Color.DARK_GRAY);
                double v = max * i / 5;
                g.drawString(String.format(Locale.ROOT, v >= 100 || v == 0 ? "%.0f" : "%.3g", v), x - 10, axisY - 4);
            }
            int by = y + PANEL_HEAD;
            for (BenchSuite.Row r : rs) {
                g.setColor(Color.BLACK);
                g.drawString(label(r), 20, by + BAR - 7);
                int len = (int) Math.round(plotW * r.mean() / max);
                g.setColor(BAR_COLOR);
                g.fillRect(LEFT, by, Math.max(1, len), BAR);
                g.setColor(Color.BLACK);
                g.setStroke(new BasicStroke(1.5f));
                int lo = LEFT + (int) Math.round(plotW * Math.max(0, r.mean() - r.stddev()) / max);
                int hi = LEFT + (int) Math.round(plotW * (r.mean() + r.stddev()) / max);
                g.drawLine(lo, by + BAR / 2, hi, by + BAR / 2);
                g.drawLine(lo, by + 5, lo, by + BAR - 5);
                g.drawLine(hi, by + 5, hi, by + BAR - 5);
                String v = String.format(Locale.ROOT, "%.2f", r.mean());
                if (Double.isFinite(r.boundTps())) {
                    int bx = LEFT + (int) Math.round(plotW * r.boundTps() / max);
                    g.setColor(BOUND);
                    g.setStroke(new BasicStroke(3f));
                    g.drawLine(bx, by - 2, bx, by + BAR + 2);
                    v += String.format(Locale.ROOT, " (%.2f of %s bound)", r.ratio(), r.bound().split(" ")[0]); // the JSON has the full name
                }
                g.setColor(Color.BLACK);
                g.drawString(v, Math.min(W - 200, hi + 6), by + BAR - 7);
                by += BAR + GAP;
            }
            y = by + 20;
        }
        g.dispose();
        try {
            if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer available");
        } catch (IOException ex) {
            throw new UncheckedIOException(file + ": " + ex.getMessage(), ex);
        }
    }

    /** 1, 2 or 5 times a power of ten at or above x. */
    static double niceMax(double x) {
        if (!(x > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(x)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * p >= x) return m * p;
        return 10 * p;
    }
}
