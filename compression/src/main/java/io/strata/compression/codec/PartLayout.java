// Where one matrix of an encoded expert lies in its blob, and in which format.
package io.strata.compression.codec;

/**
 * One stored matrix of an encoded expert.
 *
 * @param name   "gate", "up", "down", or "downT" (down transposed to {@code [I, H]})
 * @param format "bf16" or a {@link io.strata.compression.quant.QuantFormat#label()} such as "int2-g64"
 * @param offset byte offset of the part inside the blob; a multiple of {@link ExpertCodec#PART_ALIGN}
 * @param bytes  bytes of the part (without the padding that follows it)
 * @param rows   stored rows
 * @param cols   stored columns (elements per row)
 */
public record PartLayout(String name, String format, long offset, long bytes, int rows, int cols) {
    /** Bytes of one stored row of a bf16 part ({@code cols · 2}); the store reads rows as units. */
    public long rowBytes() {
        if (!format.equals("bf16")) {
            throw new IllegalStateException("part " + name + " is " + format + "; only bf16 parts are row-addressable");
        }
        return 2L * cols;
    }

    /** Byte offset of row r inside the blob (bf16 parts). */
    public long rowOffset(int r) {
        if (r < 0 || r >= rows) throw new IndexOutOfBoundsException("part " + name + ": row " + r + " outside [0, " + rows + ")");
        return offset + r * rowBytes();
    }

    /** End of the part, {@code offset + bytes}. */
    public long end() {
        return offset + bytes;
    }
}
