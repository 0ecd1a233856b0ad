// The ggml tensor types a GGUF file can hold: id as stored in the file, block size and bytes per block.
package io.strata.compression.ggml;

import java.util.Arrays;

/**
 * A ggml element type. Quantized types store {@link #blockSize} consecutive elements of a row in
 * {@link #typeSize} bytes; plain types have a block size of 1. Only the types with
 * {@link #dequantizable} set have a dequantizer in {@link GgmlDequant}; the others are known by
 * name so an error can say which type a file uses.
 */
public enum GgmlType {
    F32(0, 1, 4, true), F16(1, 1, 2, true), Q4_0(2, 32, 18, true), Q4_1(3, 32, 20, false),
    Q5_0(6, 32, 22, false), Q5_1(7, 32, 24, false), Q8_0(8, 32, 34, true), Q8_1(9, 32, 40, false),
    Q2_K(10, 256, 84, false), Q3_K(11, 256, 110, false), Q4_K(12, 256, 144, true), Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true), Q8_K(15, 256, 292, false), IQ2_XXS(16, 256, 66, false), IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false), IQ1_S(19, 256, 50, false), IQ4_NL(20, 32, 18, false), IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false), IQ4_XS(23, 256, 136, false), I8(24, 1, 1, false), I16(25, 1, 2, false),
    I32(26, 1, 4, false), I64(27, 1, 8, false), F64(28, 1, 8, false), IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true), TQ1_0(34, 256, 54, false), TQ2_0(35, 256, 66, false), MXFP4(39, 32, 17, true);

    /** The type id in a GGUF tensor info. */
    public final int id;
    /** Elements per block (1 for plain types). */
    public final int blockSize;
    /** Bytes per block. */
    public final int typeSize;
    /** True when {@link GgmlDequant} can turn this type into floats. */
    public final boolean dequantizable;

    GgmlType(int id, int blockSize, int typeSize, boolean dequantizable) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.dequantizable = dequantizable;
    }

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    /** The type of id, or null when the id is not a known ggml type. */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /** The types with a dequantizer, for error messages. */
    public static String supportedNames() {
        return Arrays.toString(Arrays.stream(values()).filter(t -> t.dequantizable).toArray());
    }

    /**
     * Bytes of a row-major tensor of numel elements whose fastest dimension is ne0, or -1 when
     * ne0 is not a multiple of the block size (a block never straddles two rows).
     */
    public long bytesFor(long ne0, long numel) {
        if (ne0 % blockSize != 0) return -1;
        return Math.multiplyExact(numel / blockSize, typeSize);
    }
}
