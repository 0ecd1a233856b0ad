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

    /**
     * Uploads a matrix quantized by the compression module (its blob layout: codes, then f16
     * scales and zeros at 64-byte aligned offsets; same code packing and formula as here) as one
     * device allocation viewed as three slices. Only INT4/INT2 with groups of 64 are supported.
     */
    public static QuantMatrix upload(CudaContext ctx, io.strata.compression.quant.QuantizedMatrix m) {
        checkFormat(m);
        DeviceBuffer all = ctx.alloc(m.byteSize(), m.name());
        all.copyFromHost(m.data(), 0);
        return view(all, m);
    }

    /**
     * A device view of {@code like}'s layout on {@code data} (exactly {@code like.byteSize()} bytes
     * holding a copy of its bytes, e.g. a part of an encoded expert in a VRAM cache slot).
     */
    public static QuantMatrix view(DeviceBuffer data, io.strata.compression.quant.QuantizedMatrix like) {
        checkFormat(like);
        if (data.byteSize() != like.byteSize()) {
            throw new IllegalArgumentException(like.name() + ": device copy of " + data.byteSize() + " bytes, the layout needs " + like.byteSize());
        }
        int bits = like.format().bits();
        long qBytes = (long) like.rows() * like.cols() * bits / 8;
        long sBytes = (long) like.rows() * (like.cols() / LaunchConfig.QUANT_GROUP) * 2;
        return new QuantMatrix(like.name(), data.slice(0, qBytes), data.slice(like.scalesOffset(), sBytes),
                data.slice(like.zerosOffset(), sBytes), bits, like.rows(), like.cols());
    }

    /** True when the kernels read {@code m}'s format (INT4/INT2, groups of 64). */
    public static boolean supports(io.strata.compression.quant.QuantizedMatrix m) {
        var f = m.format();
        return (f.bits() == 4 || f.bits() == 2) && f.groupSize() == LaunchConfig.QUANT_GROUP;
    }

    private static void checkFormat(io.strata.compression.quant.QuantizedMatrix m) {
        if (!supports(m)) {
            var f = m.format();
            throw new IllegalArgumentException(m.name() + ": CUDA kernels read INT4/INT2 with groups of " + LaunchConfig.QUANT_GROUP
                    + ", found " + f.bits() + " bits, group " + f.groupSize());
        }
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
