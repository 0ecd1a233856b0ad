// One CUDA device: driver init, the device's primary context, the Strata fatbin module, and
// factories for streams, events, device buffers and pinned host buffers.
package io.strata.kernels.cuda;

import static jcuda.driver.JCudaDriver.*;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * A device and its primary context with the kernels loaded. Obtain the process-wide instance with
 * {@link #shared()} (device from {@code -Dstrata.cuda.device}, default 0) or a private one with
 * {@link #create(int)}. Every thread that calls into CUDA through these wrappers is bound to the
 * context on first use ({@link #bind()}).
 */
public final class CudaContext implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("strata.cuda");
    /** The fatbin inside the jar (built from src/main/cuda by build.sh). */
    public static final String FATBIN_RESOURCE = "/io/strata/kernels/cuda/strata.fatbin";

    private static CudaContext shared;
    private static CudaUnavailableException sharedFailure;

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private final String name;
    private final int ccMajor, ccMinor, multiprocessors;
    private final long totalMemory;
    private volatile CudaKernels kernels;
    private CudaStream blockingCopies;  // stream of the synchronous copy helpers
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong allocated = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong peakAllocated = new java.util.concurrent.atomic.AtomicLong();

    private CudaContext(int ordinal) {
        this.ordinal = ordinal;
        Cuda.check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        Cuda.check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain(device " + ordinal + ")");
        bind();
        byte[] nameBytes = new byte[256];
        Cuda.check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) len++;
        name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] total = new long[1];
        Cuda.check(cuDeviceTotalMem(total, device), "cuDeviceTotalMem");
        totalMemory = total[0];
        byte[] fatbin = loadFatbin();
        Cuda.check(cuModuleLoadData(module, fatbin), "cuModuleLoadData(" + FATBIN_RESOURCE + ", " + fatbin.length
                + " bytes) on " + name + " sm_" + ccMajor + ccMinor);
    }

    /**
     * Initialises the driver and opens device {@code ordinal}.
     *
     * @throws CudaUnavailableException when libcuda/the driver, the device or the fatbin is missing
     */
    public static CudaContext create(int ordinal) {
        try {
            JCudaDriver.setExceptionsEnabled(false);
            Cuda.check(cuInit(0), "cuInit");
            int[] count = new int[1];
            Cuda.check(cuDeviceGetCount(count), "cuDeviceGetCount");
            if (count[0] == 0) throw new CudaUnavailableException("no CUDA device found", null);
            if (ordinal < 0 || ordinal >= count[0]) {
                throw new CudaUnavailableException("device " + ordinal + " requested, found " + count[0] + " device(s)", null);
            }
            CudaContext c = new CudaContext(ordinal);
            int[] driver = new int[1];
            cuDriverGetVersion(driver);
            LOG.log(Level.INFO, "CUDA backend: " + c.describe() + ", driver API " + driver[0]);
            return c;
        } catch (CudaUnavailableException e) {
            throw e;
        } catch (LinkageError e) {
            // UnsatisfiedLinkError (no libcuda.so.1 / JCuda natives), NoClassDefFoundError after a failed init
            String msg = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new CudaUnavailableException("cannot load the JCuda driver binding or libcuda.so.1 ("
                    + e.getClass().getSimpleName() + ": " + msg + ")", e);
        } catch (CudaException e) {
            throw new CudaUnavailableException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new CudaUnavailableException(e.toString(), e);
        }
    }

    /** The process-wide context on {@code -Dstrata.cuda.device} (default 0); the failure is remembered. */
    public static synchronized CudaContext shared() {
        if (shared != null) return shared;
        if (sharedFailure != null) throw sharedFailure;
        try {
            shared = create(Integer.getInteger("strata.cuda.device", 0));
            return shared;
        } catch (CudaUnavailableException e) {
            sharedFailure = e;
            throw e;
        }
    }

    private static byte[] loadFatbin() {
        try (InputStream in = CudaContext.class.getResourceAsStream(FATBIN_RESOURCE)) {
            if (in == null) throw new CudaUnavailableException("resource " + FATBIN_RESOURCE + " missing from the classpath", null);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CudaUnavailableException("cannot read " + FATBIN_RESOURCE + ": " + e, e);
        }
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        Cuda.check(cuDeviceGetAttribute(v, attr, device), "cuDeviceGetAttribute(" + attr + ")");
        return v[0];
    }

    /** Makes this context current on the calling thread (once per thread; cheap afterwards). */
    public void bind() {
        if (closed) throw new IllegalStateException("CUDA context for device " + ordinal + " is closed");
        if (!bound.get()) {
            Cuda.check(cuCtxSetCurrent(context), "cuCtxSetCurrent(device " + ordinal + ")");
            bound.set(Boolean.TRUE);
        }
    }

    /** The kernel {@code name} (an extern "C" symbol of strata_kernels.cu). */
    public synchronized CUfunction function(String kernelName) {
        bind();
        return functions.computeIfAbsent(kernelName, n -> {
            CUfunction f = new CUfunction();
            Cuda.check(cuModuleGetFunction(f, module, n), "cuModuleGetFunction(" + n + ") in " + FATBIN_RESOURCE);
            return f;
        });
    }

    /** Typed launchers of every kernel. */
    public CudaKernels kernels() {
        CudaKernels k = kernels;
        if (k == null) {
            synchronized (this) {
                if (kernels == null) kernels = new CudaKernels(this);
                k = kernels;
            }
        }
        return k;
    }

    public CudaStream newStream() {
        bind();
        return new CudaStream(this);
    }

    /** An event; {@code timing} false gives a cheaper event usable only for ordering and waiting. */
    public CudaEvent newEvent(boolean timing) {
        bind();
        return new CudaEvent(this, timing);
    }

    /** {@code bytes} of device memory (not zeroed); {@code label} names it in errors. */
    public DeviceBuffer alloc(long bytes, String label) {
        bind();
        return DeviceBuffer.allocate(this, bytes, label);
    }

    /** Page-locked host memory of {@code bytes} ≤ {@link PinnedBuffer#MAX_SLAB_BYTES}. */
    public PinnedBuffer allocPinned(long bytes) {
        bind();
        return PinnedBuffer.allocate(this, bytes);
    }

    /**
     * The stream DeviceBuffer's synchronous copies run on. They wait for all queued work first and
     * for their own completion after: a plain cuMemcpyHtoD from pageable memory may return before
     * its DMA lands and is not ordered with our non-blocking streams.
     */
    synchronized CudaStream blockingCopyStream() {
        if (blockingCopies == null) blockingCopies = newStream();
        return blockingCopies;
    }

    /** Device bytes currently held by buffers allocated through this context. */
    public long allocatedBytes() {
        return allocated.get();
    }

    /** The most device bytes ever held at once by buffers of this context. */
    public long peakAllocatedBytes() {
        return peakAllocated.get();
    }

    /** Starts a new peak: {@link #peakAllocatedBytes} counts from the bytes held now. */
    public void resetPeak() {
        peakAllocated.set(allocated.get());
    }

    void onAlloc(long bytes) {
        long now = allocated.addAndGet(bytes);
        peakAllocated.accumulateAndGet(now, Math::max);
    }

    void onFree(long bytes) {
        allocated.addAndGet(-bytes);
    }

    /** {free, total} device memory in bytes. */
    public long[] memoryInfo() {
        bind();
        long[] free = new long[1], total = new long[1];
        Cuda.check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    /** Blocks until all work on this context is done; surfaces asynchronous kernel faults. */
    public void synchronize() {
        bind();
        Cuda.check(cuCtxSynchronize(), "cuCtxSynchronize");
    }

    public String deviceName() { return name; }
    public int ordinal() { return ordinal; }
    /** Compute capability as 10·major + minor (90 for H100). */
    public int computeCapability() { return ccMajor * 10 + ccMinor; }
    public int multiprocessors() { return multiprocessors; }
    public long totalMemory() { return totalMemory; }

    public String describe() {
        return "device " + ordinal + " " + name + " (sm_" + ccMajor + ccMinor + ", " + multiprocessors + " SMs, "
                + (totalMemory >> 20) + " MiB)";
    }

    /** Unloads the module and releases the primary context; the {@link #shared()} context is never closed. */
    @Override
    public synchronized void close() {
        if (closed || this == shared) return;
        bind();
        cuModuleUnload(module);
        cuDevicePrimaryCtxRelease(device);
        closed = true;
    }
}
