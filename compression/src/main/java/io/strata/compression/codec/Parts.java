// Shared pieces of the codecs: laying parts out at aligned offsets and copying matrices to bf16.
package io.strata.compression.codec;

import io.strata.compression.DType;
import io.strata.compression.Halfs;
import io.strata.compression.Layouts;
import io.strata.compression.Matrix;
import io.strata.compression.quant.QuantFormat;
import io.strata.compression.quant.QuantizedMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

final class Parts {
    private Parts() {}

    /** Accumulates parts at {@link ExpertCodec#PART_ALIGN}-aligned offsets. */
    static final class Builder {
        private final List<PartLayout> parts = new ArrayList<>();
        private long end;

        /** A bf16 part of shape (rows, cols). */
        Builder bf16(String name, int rows, int cols) {
            return add(name, "bf16", 2L * rows * cols, rows, cols);
        }

        /** A quantized part of shape (rows, cols). */
        Builder quant(String name, QuantFormat f, int rows, int cols) {
            f.checkCols(cols, name);
            return add(name, f.label(), QuantizedMatrix.byteSize(f, rows, cols), rows, cols);
        }

        /** An MXFP4 part of shape (rows, cols): ggml blocks of 32 in 17 bytes. */
        Builder mxfp4(String name, int rows, int cols) {
            return add(name, Mxfp4Codec.NAME, Mxfp4Codec.bytes(rows, cols), rows, cols);
        }

        /** A part of any format whose byte size the caller computed. */
        Builder add(String name, String format, long bytes, int rows, int cols) {
            long off = ExpertCodec.align(end);
            parts.add(new PartLayout(name, format, off, bytes, rows, cols));
            end = off + bytes;
            return this;
        }

        CodecParams build(String codec, int hidden, int intermediate, int groupSize, Float threshold) {
            return new CodecParams(codec, hidden, intermediate, groupSize, threshold, parts, ExpertCodec.align(end));
        }
    }

    /** Copies m ({@code [R, C]}, any float dtype) into dst as bf16, transposed to {@code [C, R]} if asked. */
    static void writeBf16(Matrix m, MemorySegment dst, boolean transpose) {
        int rows = m.rows(), cols = m.cols();
        if (m.dtype() == DType.BF16 && !transpose) {
            MemorySegment.copy(m.data(), 0, dst, 0, m.byteSize());
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                short b = m.dtype() == DType.BF16 ? m.data().getAtIndex(Layouts.I16, (long) r * cols + c) : Halfs.floatToBf16(m.get(r, c));
                long i = transpose ? (long) c * rows + r : (long) r * cols + c;
                dst.setAtIndex(Layouts.I16, i, b);
            }
        }
    }

    /** A bf16 part as a Matrix view on the blob (no copy). */
    static Matrix bf16View(EncodedExpert e, String part) {
        PartLayout p = e.params().part(part);
        return new Matrix(part, e.part(part), DType.BF16, p.rows(), p.cols());
    }

    /** A quantized part as a view on the blob (no copy). */
    static QuantizedMatrix quantView(EncodedExpert e, String part) {
        PartLayout p = e.params().part(part);
        return QuantizedMatrix.view(part, QuantFormat.parse(p.format()), p.rows(), p.cols(), e.part(part));
    }

    /** A bf16 part copied out of the blob, transposed when asked. */
    static Matrix bf16Copy(EncodedExpert e, String part, String name, boolean transpose, Arena arena) {
        Matrix v = bf16View(e, part);
        int rows = transpose ? v.cols() : v.rows(), cols = transpose ? v.rows() : v.cols();
        MemorySegment seg = arena.allocate(v.byteSize(), 64);
        writeBf16(v, seg, transpose);
        return new Matrix(name, seg, DType.BF16, rows, cols);
    }
}
