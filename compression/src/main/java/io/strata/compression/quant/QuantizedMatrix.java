// A group-quantized weight matrix (INT8/4/3/2, asymmetric, f16 scale and zero per group) and its byte layout.
package io.strata.compression.quant;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.kernel.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Row-major {@code [rows, cols]} weight matrix ({@code out_features, in_features}) quantized in
 * groups of {@link QuantFormat#groupSize()} consecutive weights of a row. Weight {@code (r, c)}
 * reads back as {@code (q[r,c] − zero[r,g]) · scale[r,g]} with {@code g = c / groupSize}.
 *
 * <h2>Byte layout of {@link #data()} (little endian; all offsets from the segment start)</h2>
 * <pre>
 *   [0, codesBytes)                 codes   (rows, cols·bits/8)  row r at r·cols·bits/8
 *   [scalesOffset, +rows·G·2)       scale   (rows, G) f16        G = cols / groupSize
 *   [zerosOffset,  +rows·G·2)       zero    (rows, G) f16        in code units
 *   scalesOffset = align64(codesBytes), zerosOffset = scalesOffset + align64(rows·G·2)
 * </pre>
 * Code packing inside a row, element {@code c}:
 * <ul>
 *   <li>INT8: byte {@code c}.</li>
 *   <li>INT4: byte {@code c/2}, low nibble for even {@code c}, high nibble for odd {@code c}.</li>
 *   <li>INT2: byte {@code c/4}, bits {@code 2·(c%4) .. 2·(c%4)+1}.</li>
 *   <li>INT3: a bit stream of 8 codes per 3 bytes: the bytes {@code 3·(c/8) .. +2} form a
 *       little-endian 24-bit integer holding code {@code c%8} at bits {@code 3·(c%8) .. +2}.
 *       Groups are multiples of 8 weights, so every group starts on a byte.</li>
 * </ul>
 * Scale and zero are IEEE f16 (not bf16): both stay well inside f16's range for weights, and its
 * 11-bit significand keeps the zero point accurate to 1/1024 of a level where bf16 would lose it.
 */
public final class QuantizedMatrix {
    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    private final String name;          // label for errors (checkpoint tensor name)
    private final QuantFormat format;
    private final int rows;             // out_features
    private final int cols;             // in_features, a multiple of format.groupSize()
    private final MemorySegment data;   // exactly byteSize(format, rows, cols) bytes, layout above
    private final long scalesOffset;    // bytes
    private final long zerosOffset;     // bytes

    private QuantizedMatrix(String name, QuantFormat format, int rows, int cols, MemorySegment data) {
        this.name = name;
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.data = data;
        this.scalesOffset = scalesOffset(format, rows, cols);
        this.zerosOffset = zerosOffset(format, rows, cols);
    }

    /** Wraps existing bytes laid out as described in the class comment; checks the length. */
    public static QuantizedMatrix view(String name, QuantFormat format, int rows, int cols, MemorySegment data) {
        format.checkCols(cols, name);
        if (rows <= 0) throw new IllegalArgumentException(name + ": rows must be positive, found " + rows);
        long expected = byteSize(format, rows, cols);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": " + format.label() + " [" + rows + ", " + cols + "] needs "
                    + expected + " bytes, found " + data.byteSize());
        }
        return new QuantizedMatrix(name, format, rows, cols, data);
    }

    /** Total bytes of a {@code [rows, cols]} matrix in {@code format}, padding included. */
    public static long byteSize(QuantFormat format, int rows, int cols) {
        return zerosOffset(format, rows, cols) + paramBytes(format, rows, cols);
    }

    private static long paramBytes(QuantFormat f, int rows, int cols) {
        return (long) rows * f.groupsPerRow(cols) * 2;
    }

    static long scalesOffset(QuantFormat f, int rows, int cols) {
        return align64((long) rows * f.codeBytesPerRow(cols));
    }

    static long zerosOffset(QuantFormat f, int rows, int cols) {
        return scalesOffset(f, rows, cols) + align64(paramBytes(f, rows, cols));
    }

    static long align64(long n) {
        return (n + 63) & ~63L;
    }

    /** Quantizes {@code w} with {@link HqqFit#DEFAULT} into memory from {@code arena}. */
    public static QuantizedMatrix encode(Matrix w, QuantFormat format, Arena arena) {
        return encode(w, format, HqqFit.DEFAULT, arena);
    }

    /**
     * Quantizes {@code w} ({@code [rows, cols]}, F32/F16/BF16) group by group with {@code fit}.
     *
     * @throws IllegalArgumentException if cols is not a multiple of the group size, a weight is not
     *         finite, or a group's scale does not fit in f16
     */
    public static QuantizedMatrix encode(Matrix w, QuantFormat format, HqqFit fit, Arena arena) {
        format.checkCols(w.cols(), w.name());
        int rows = w.rows(), cols = w.cols(), gs = format.groupSize(), groups = format.groupsPerRow(cols);
        MemorySegment seg = arena.allocate(byteSize(format, rows, cols), 64);
        QuantizedMatrix qm = new QuantizedMatrix(w.name(), format, rows, cols, seg);
        Parallel.RangeBody body = (r0, r1) -> {
            float[] row = new float[cols]; // (cols) one weight row as floats
            int[] codes = new int[cols];   // (cols) its codes
            float[] params = new float[2]; // (scale, zero) of one group
            int[] gc = new int[gs];        // (groupSize) codes of one group
            for (int r = r0; r < r1; r++) {
                readRow(w, r, row);
                for (int g = 0; g < groups; g++) {
                    try {
                        fit.fitGroup(row, g * gs, gs, format.maxCode(), params, gc);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(w.name() + " row " + r + ": " + e.getMessage(), e);
                    }
                    if (!Float.isFinite(params[0]) || !Float.isFinite(params[1])) {
                        throw new IllegalArgumentException(w.name() + " row " + r + " group " + g + ": scale " + params[0]
                                + " / zero " + params[1] + " do not fit in f16");
                    }
                    System.arraycopy(gc, 0, codes, g * gs, gs);
                    qm.setParams(r, g, params[0], params[1]);
                }
                qm.packRow(r, codes);
            }
        };
        // Rows are independent and write disjoint bytes, so they split across threads, as long as
        // both segments may be touched from other threads (a confined arena may not).
        Thread probe = Thread.ofPlatform().unstarted(() -> {});
        if (seg.isAccessibleBy(probe) && w.data().isAccessibleBy(probe)) {
            Parallel.forRange(rows, 16, body);
        } else {
            body.run(0, rows);
        }
        return qm;
    }

    /** Row r of a dense matrix as floats. */
    static void readRow(Matrix w, int r, float[] out) {
        long base = (long) r * w.cols();
        MemorySegment d = w.data();
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(d, Layouts.F32, base * 4, out, 0, w.cols());
            case BF16 -> {
                for (int c = 0; c < w.cols(); c++) out[c] = Halfs.bf16ToFloat(d.getAtIndex(Layouts.I16, base + c));
            }
            case F16 -> {
                for (int c = 0; c < w.cols(); c++) out[c] = Halfs.f16ToFloat(d.getAtIndex(Layouts.I16, base + c));
            }
            default -> throw new IllegalArgumentException(w.name() + ": unsupported dtype " + w.dtype());
        }
    }

    private void setParams(int r, int g, float scale, float zero) {
        long i = (long) r * format.groupsPerRow(cols) + g;
        data.set(Layouts.I16, scalesOffset + 2 * i, Halfs.floatToF16(scale));
        data.set(Layouts.I16, zerosOffset + 2 * i, Halfs.floatToF16(zero));
    }

    private void packRow(int r, int[] codes) {
        long base = r * format.codeBytesPerRow(cols);
        switch (format.bits()) {
            case 8 -> {
                for (int c = 0; c < cols; c++) data.set(U8, base + c, (byte) codes[c]);
            }
            case 4 -> {
                for (int c = 0; c < cols; c += 2) data.set(U8, base + c / 2, (byte) (codes[c] | codes[c + 1] << 4));
            }
            case 2 -> {
                for (int c = 0; c < cols; c += 4) {
                    data.set(U8, base + c / 4, (byte) (codes[c] | codes[c + 1] << 2 | codes[c + 2] << 4 | codes[c + 3] << 6));
                }
            }
            case 3 -> {
                for (int c = 0; c < cols; c += 8) {
                    int bits = 0;
                    for (int j = 0; j < 8; j++) bits |= codes[c + j] << (3 * j);
                    long o = base + 3L * (c / 8);
                    data.set(U8, o, (byte) bits);
                    data.set(U8, o + 1, (byte) (bits >>> 8));
                    data.set(U8, o + 2, (byte) (bits >>> 16));
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    /** Code of weight (r, c), in {@code [0, maxCode]}. */
    public int code(int r, int c) {
        long base = r * format.codeBytesPerRow(cols);
        return switch (format.bits()) {
            case 8 -> data.get(U8, base + c) & 0xFF;
            case 4 -> (data.get(U8, base + c / 2) >>> (4 * (c & 1))) & 0xF;
            case 2 -> (data.get(U8, base + c / 4) >>> (2 * (c & 3))) & 0x3;
            case 3 -> {
                long o = base + 3L * (c / 8);
                int bits = (data.get(U8, o) & 0xFF) | (data.get(U8, o + 1) & 0xFF) << 8 | (data.get(U8, o + 2) & 0xFF) << 16;
                yield (bits >>> (3 * (c & 7))) & 0x7;
            }
            default -> throw new IllegalStateException();
        };
    }

    /** Scale of group g of row r (weight units per code step). */
    public float scale(int r, int g) {
        return Halfs.f16ToFloat(data.get(Layouts.I16, scalesOffset + 2 * ((long) r * format.groupsPerRow(cols) + g)));
    }

    /** Zero point of group g of row r, in code units. */
    public float zero(int r, int g) {
        return Halfs.f16ToFloat(data.get(Layouts.I16, zerosOffset + 2 * ((long) r * format.groupsPerRow(cols) + g)));
    }

    /** Weight (r, c) dequantized. */
    public float get(int r, int c) {
        int g = c / format.groupSize();
        return (code(r, c) - zero(r, g)) * scale(r, g);
    }

    /** Row r dequantized into {@code out[off .. off+cols)}. */
    public void decodeRow(int r, float[] out, int off) {
        int gs = format.groupSize();
        for (int g = 0; g < format.groupsPerRow(cols); g++) {
            float s = scale(r, g), z = zero(r, g);
            for (int j = 0; j < gs; j++) {
                int c = g * gs + j;
                out[off + c] = (code(r, c) - z) * s;
            }
        }
    }

    /** The whole matrix dequantized, {@code (rows, cols)} row-major floats. */
    public float[] dequantize() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) decodeRow(r, out, r * cols);
        return out;
    }

    /** The whole matrix dequantized as an F32 {@link Matrix} allocated from {@code arena}. */
    public Matrix dequantize(Arena arena) {
        return expand(arena, DType.F32);
    }

    /** The whole matrix dequantized and rounded to the nearest BF16, as a {@link Matrix} allocated from {@code arena}. */
    public Matrix dequantizeBf16(Arena arena) {
        return expand(arena, DType.BF16);
    }

    /** Row by row through {@link #decodeRow}, stored as F32 or rounded to BF16. */
    private Matrix expand(Arena arena, DType dt) {
        MemorySegment seg = arena.allocate((long) rows * cols * dt.bytes, 64);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            decodeRow(r, row, 0);
            long base = (long) r * cols;
            if (dt == DType.F32) {
                MemorySegment.copy(row, 0, seg, Layouts.F32, base * 4, cols);
            } else {
                for (int c = 0; c < cols; c++) seg.setAtIndex(Layouts.I16, base + c, Halfs.floatToBf16(row[c]));
            }
        }
        return new Matrix(name, seg, dt, rows, cols);
    }

    public String name() {
        return name;
    }

    public QuantFormat format() {
        return format;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** All bytes, layout in the class comment. */
    public MemorySegment data() {
        return data;
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** Byte offset of the f16 scales inside {@link #data()}. */
    public long scalesOffset() {
        return scalesOffset;
    }

    /** Byte offset of the f16 zero points inside {@link #data()}. */
    public long zerosOffset() {
        return zerosOffset;
    }

    @Override
    public String toString() {
        return name + " " + format.label() + " [" + rows + ", " + cols + "]";
    }
}
