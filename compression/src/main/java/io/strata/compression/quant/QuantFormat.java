// A group-quantization format: bits per weight and the number of weights per (scale, zero) group.
package io.strata.compression.quant;

/**
 * Asymmetric group quantization: each run of {@code groupSize} consecutive weights of one row
 * (along {@code in_features}) shares a scale {@code s} and a zero point {@code z}; a weight is
 * stored as an unsigned code {@code q ∈ [0, 2^bits − 1]} and reads back as {@code (q − z) · s}.
 *
 * @param bits      2, 3, 4 or 8
 * @param groupSize 32, 64 or 128 weights per group
 */
public record QuantFormat(int bits, int groupSize) {
    public static final QuantFormat INT8_G64 = new QuantFormat(8, 64);
    public static final QuantFormat INT4_G64 = new QuantFormat(4, 64);
    public static final QuantFormat INT3_G64 = new QuantFormat(3, 64);
    public static final QuantFormat INT2_G64 = new QuantFormat(2, 64);

    public QuantFormat {
        if (bits != 2 && bits != 3 && bits != 4 && bits != 8) {
            throw new IllegalArgumentException("quantization bits must be 2, 3, 4 or 8, found " + bits);
        }
        if (groupSize != 32 && groupSize != 64 && groupSize != 128) {
            throw new IllegalArgumentException("group size must be 32, 64 or 128, found " + groupSize);
        }
    }

    /** {@link #parse}'s form, compiled once: a decode step parses each expert's formats (three per expert). */
    private static final java.util.regex.Pattern FORM = java.util.regex.Pattern.compile("int(\\d+)-g(\\d+)");

    /** Parses {@code "int<bits>-g<groupSize>"}, e.g. {@code "int2-g64"}. */
    public static QuantFormat parse(String s) {
        java.util.regex.Matcher m = FORM.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("quantization format must look like 'int2-g64', found '" + s + "'");
        }
        return new QuantFormat(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /** {@code "int<bits>-g<groupSize>"}. */
    public String label() {
        return "int" + bits + "-g" + groupSize;
    }

    /** Largest code, {@code 2^bits − 1}. */
    public int maxCode() {
        return (1 << bits) - 1;
    }

    /** Bytes of packed codes for one row of {@code cols} weights (cols is a multiple of the group size). */
    public long codeBytesPerRow(int cols) {
        return (long) cols * bits / 8;
    }

    /** Groups per row of {@code cols} weights. */
    public int groupsPerRow(int cols) {
        return cols / groupSize;
    }

    /** Stored bits per weight including the two 16-bit group parameters. */
    public double bitsPerWeight() {
        return bits + 32.0 / groupSize;
    }

    /** Checks that a row of {@code cols} weights splits into whole groups; {@code where} names the tensor. */
    public void checkCols(int cols, String where) {
        if (cols <= 0 || cols % groupSize != 0) {
            throw new IllegalArgumentException(where + ": " + label() + " needs in_features to be a positive multiple of "
                    + groupSize + ", found " + cols);
        }
    }
}
