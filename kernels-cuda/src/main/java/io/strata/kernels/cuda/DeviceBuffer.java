// Device (VRAM) memory: an owning allocation or a non-owning slice of one, with sync and async copies.
package io.strata.kernels.cuda;

import static jcuda.driver.JCudaDriver.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * {@link #byteSize()} bytes of device memory at device address {@link #address()}. Sizes and
 * offsets are longs (bytes). Slices share the owner's memory and are never freed themselves.
 * Async copies need native host memory (pinned for true overlap: {@link PinnedBuffer}).
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaContext ctx;
    private final CUdeviceptr base;  // the allocation's own pointer (owner) or the owner's
    private final long offset;       // bytes from base
    private final long address;      // raw device address of byte 0 of this buffer
    private final long byteSize;
    private final String label;
    private final DeviceBuffer allocation; // the owning buffer: this one, or the one a slice was cut from
    private boolean freed;

    /** allocation: null for an owning buffer, else the owner a slice was cut from. */
    private DeviceBuffer(CudaContext ctx, CUdeviceptr base, long offset, long address, long byteSize, String label,
                         DeviceBuffer allocation) {
        this.ctx = ctx;
        this.base = base;
        this.offset = offset;
        this.address = address;
        this.byteSize = byteSize;
        this.label = label;
        this.allocation = allocation == null ? this : allocation;
    }

    static DeviceBuffer allocate(CudaContext ctx, long bytes, String label) {
        if (bytes <= 0) throw new IllegalArgumentException(label + ": device allocation of " + bytes + " bytes");
        Cuda.DevPtr p = new Cuda.DevPtr();
        Cuda.check(cuMemAlloc(p, bytes), "cuMemAlloc(" + bytes + " bytes for " + label + ")");
        ctx.onAlloc(bytes);
        return new DeviceBuffer(ctx, p, 0, p.address(), bytes, label, null);
    }

    /** A view of {@code [from, from+bytes)}; valid while this buffer is. */
    public DeviceBuffer slice(long from, long bytes) {
        checkRange(from, bytes, "slice");
        return new DeviceBuffer(ctx, base, offset + from, address + from, bytes, label + "[" + from + "+" + bytes + "]", allocation);
    }

    /** The raw device address of byte 0, for kernel arguments; refused once the allocation is freed. */
    public long address() {
        checkLive();
        return address;
    }
    public long byteSize() { return byteSize; }
    public String label() { return label; }
    public CudaContext context() { return ctx; }

    /** A JCuda pointer to byte {@code at} of this buffer (for driver calls not wrapped here). */
    public CUdeviceptr pointer(long at) {
        checkRange(at, 0, "pointer");
        return base.withByteOffset(offset + at);
    }

    /** A buffer whose allocation was freed (its own, or its owner's for a slice) must not reach the device again. */
    private void checkLive() {
        if (allocation.freed) throw new IllegalStateException(label + ": used after its device memory was freed");
    }

    private void checkRange(long at, long bytes, String op) {
        checkLive();
        if (at < 0 || bytes < 0 || at + bytes > byteSize) {
            throw new IndexOutOfBoundsException(label + ": " + op + " of bytes [" + at + ", " + (at + bytes)
                    + ") outside the buffer's " + byteSize + " bytes");
        }
    }

    /** Async host-to-device copy of all of {@code src} (native memory) to byte {@code at}, on {@code stream}. */
    public void copyFromHostAsync(MemorySegment src, long at, CudaStream stream) {
        checkNative(src, "copyFromHostAsync");
        checkRange(at, src.byteSize(), "copyFromHostAsync");
        ctx.bind();
        Cuda.check(cuMemcpyHtoDAsync(pointer(at), hostPointer(src), src.byteSize(), stream.handle),
                "cuMemcpyHtoDAsync(" + src.byteSize() + " bytes into " + label + " at " + at + ")");
    }

    /** Async device-to-host copy of {@code dst.byteSize()} bytes from byte {@code at} into {@code dst} (native). */
    public void copyToHostAsync(long at, MemorySegment dst, CudaStream stream) {
        checkNative(dst, "copyToHostAsync");
        checkRange(at, dst.byteSize(), "copyToHostAsync");
        ctx.bind();
        Cuda.check(cuMemcpyDtoHAsync(hostPointer(dst), pointer(at), dst.byteSize(), stream.handle),
                "cuMemcpyDtoHAsync(" + dst.byteSize() + " bytes from " + label + " at " + at + ")");
    }

    /** Async device-to-device copy of {@code bytes} from {@code src} at {@code srcAt} to byte {@code at} here. */
    public void copyFromDeviceAsync(DeviceBuffer src, long srcAt, long at, long bytes, CudaStream stream) {
        src.checkRange(srcAt, bytes, "copy source");
        checkRange(at, bytes, "copyFromDeviceAsync");
        ctx.bind();
        Cuda.check(cuMemcpyDtoDAsync(pointer(at), src.pointer(srcAt), bytes, stream.handle),
                "cuMemcpyDtoDAsync(" + bytes + " bytes " + src.label + " -> " + label + ")");
    }

    /**
     * Synchronous copy of any host segment (heap or native) into byte {@code at}: waits for all
     * queued work on the context, copies, and returns once the data is on the device.
     */
    public void copyFromHost(MemorySegment src, long at) {
        checkRange(at, src.byteSize(), "copyFromHost");
        ctx.synchronize();
        CudaStream s = ctx.blockingCopyStream();
        if (src.isNative()) {
            copyFromHostAsync(src, at, s);
            s.synchronize();
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(src.byteSize(), 16);
                tmp.copyFrom(src);
                copyFromHostAsync(tmp, at, s);
                s.synchronize();
            }
        }
    }

    /** Synchronous copy from byte {@code at} into any host segment, after all queued work. */
    public void copyToHost(long at, MemorySegment dst) {
        checkRange(at, dst.byteSize(), "copyToHost");
        ctx.synchronize();
        CudaStream s = ctx.blockingCopyStream();
        if (dst.isNative()) {
            copyToHostAsync(at, dst, s);
            s.synchronize();
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(dst.byteSize(), 16);
                copyToHostAsync(at, tmp, s);
                s.synchronize();
                dst.copyFrom(tmp);
            }
        }
    }

    /** Synchronous upload of {@code values} (f32) at byte 0. */
    public void upload(float[] values) {
        copyFromHost(MemorySegment.ofArray(values), 0);
    }

    /** Synchronous upload of {@code values} (int32) at byte 0. */
    public void upload(int[] values) {
        copyFromHost(MemorySegment.ofArray(values), 0);
    }

    /** Synchronous download of {@code count} f32 values from byte 0 (waits for all prior work). */
    public float[] downloadFloats(int count) {
        float[] out = new float[count];
        copyToHost(0, MemorySegment.ofArray(out));
        return out;
    }

    /** Synchronous download of {@code count} int32 values from byte 0 (waits for all prior work). */
    public int[] downloadInts(int count) {
        int[] out = new int[count];
        copyToHost(0, MemorySegment.ofArray(out));
        return out;
    }

    /** Async zero fill of the whole buffer on {@code stream}. */
    public void zeroAsync(CudaStream stream) {
        checkRange(0, byteSize, "zero");
        ctx.bind();
        Cuda.check(cuMemsetD8Async(pointer(0), (byte) 0, byteSize, stream.handle), "cuMemsetD8Async(" + label + ")");
    }

    private static void checkNative(MemorySegment s, String op) {
        if (!s.isNative()) throw new IllegalArgumentException(op + " needs native (preferably pinned) host memory, found a heap segment");
    }

    static Pointer hostPointer(MemorySegment s) {
        return new Cuda.HostPtr(s.address());
    }

    /** Number of f32 elements this buffer holds. */
    public long floats() {
        return byteSize / ValueLayout.JAVA_FLOAT.byteSize();
    }

    /** Frees an owning buffer (slices: no-op). */
    @Override
    public void close() {
        if (allocation != this || freed) return;
        ctx.bind();
        Cuda.check(cuMemFree(base), "cuMemFree(" + label + ")");
        freed = true;
        ctx.onFree(byteSize);
    }
}
