// A group-quantized (INT4 / INT2, group 64) weight matrix resident in device memory.
package io.strata.kernels.cuda;

/**
 * Layout (see quant.cuh): {@code q} (rows, cols·bits/8) bytes, little-endian packed fields
 * (INT4: even column in the low nibble; INT2: column 4k in bits 0-1); {@code scales} and
 * {@code zeros} (rows, cols/64) f16; element value {@code w = (q − zero) · scale}.
 */
public record QuantMatrix(String name, DeviceBuffer q, DeviceBuffer scales, DeviceBuffer zeros, int bits, int rows, int cols) {
    public QuantMatrix {
        LaunchConfig.checkQuantShape(bits, rows, cols, name);
        long qBytes = (long) rows * cols * bits / 8;
        long sBytes = (long) rows * (cols / LaunchConfig.QUANT_GROUP) * 2;
        if (q.byteSize() != qBytes) throw new IllegalArgumentException(name + ": q expected " + qBytes + " bytes, found " + q.byteSize());
        if (scales.byteSize() != sBytes) throw new IllegalArgumentException(name + ": scales expected " + sBytes + " bytes, found " + scales.byteSize());
        if (zeros.byteSize() != sBytes) throw new IllegalArgumentException(name + ": zeros expected " + sBytes + " bytes, found " + zeros.byteSize());
    }

    /** Uploads a host-packed matrix into three new device allocations (synchronous). */
    public static QuantMatrix upload(CudaContext ctx, QuantPacking.Packed p) {
        DeviceBuffer q = ctx.alloc(p.q().length, p.name() + ".q");
        q.copyFromHost(java.lang.foreign.MemorySegment.ofArray(p.q()), 0);
        DeviceBuffer s = ctx.alloc(p.scales().length * 2L, p.name() + ".scales");
        s.copyFromHost(java.lang.foreign.MemorySegment.ofArray(p.scales()), 0);
        DeviceBuffer z = ctx.alloc(p.zeros().length * 2L, p.name() + ".zeros");
        z.copyFromHost(java.lang.foreign.MemorySegment.ofArray(p.zeros()), 0);
        return new QuantMatrix(p.name(), q, s, z, p.bits(), p.rows(), p.cols());
    }
}
