// Parses and prints byte sizes with units ("11GiB", "512MiB", "3.5G", "4096").
package io.strata.tiering.host;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Units (case-insensitive): none or B = bytes; K, KiB = 2^10; M, MiB = 2^20; G, GiB = 2^30; T, TiB = 2^40 (the
 * single-letter forms are binary, as in {@code java -Xmx}); KB, MB, GB, TB = powers of 1000. Fractions are
 * allowed ("3.5G" = 3.5 × 2^30, rounded down to a whole byte).
 */
public final class ByteSize {
    private static final Pattern P = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([a-zA-Z]*)\\s*");

    private ByteSize() {}

    public static long parse(String text) {
        Matcher m = P.matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a byte size like 11GiB, 512MiB, 3.5G or 4096, found '" + text + "'");
        }
        double v = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1L;
            case "k", "kib" -> 1L << 10;
            case "m", "mib" -> 1L << 20;
            case "g", "gib" -> 1L << 30;
            case "t", "tib" -> 1L << 40;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            default -> throw new IllegalArgumentException("unknown unit '" + m.group(2) + "' in byte size '" + text
                    + "' (expected B, K/KiB, M/MiB, G/GiB, T/TiB, KB, MB, GB or TB)");
        };
        double bytes = v * unit;
        if (bytes >= 0x1p63) {
            throw new IllegalArgumentException("byte size '" + text + "' exceeds 2^63 bytes");
        }
        return (long) bytes;
    }

    /** A human form with a binary unit, e.g. 1.50 GiB. */
    public static String format(long bytes) {
        String[] u = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = 0;
        while (v >= 1024 && i < u.length - 1) {
            v /= 1024;
            i++;
        }
        return i == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.2f %s", v, u[i]);
    }
}
