// A CUDA event: a marker in a stream to wait on (across streams or from the host) or to time between.
package io.strata.kernels.cuda;

import static jcuda.driver.JCudaDriver.*;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;

public final class CudaEvent implements AutoCloseable {
    final CudaContext ctx;
    final CUevent handle = new CUevent();
    private final boolean timing;

    CudaEvent(CudaContext ctx, boolean timing) {
        this.ctx = ctx;
        this.timing = timing;
        // Events only used for ordering skip timestamps: cheaper to record and to wait on.
        int flags = timing ? CUevent_flags.CU_EVENT_DEFAULT : CUevent_flags.CU_EVENT_DISABLE_TIMING;
        Cuda.check(cuEventCreate(handle, flags), "cuEventCreate");
    }

    /** Marks the current end of {@code stream}'s queue. */
    public void record(CudaStream stream) {
        ctx.bind();
        Cuda.check(cuEventRecord(handle, stream.handle), "cuEventRecord");
    }

    /** Blocks the caller until the recorded work has finished. */
    public void synchronize() {
        ctx.bind();
        Cuda.check(cuEventSynchronize(handle), "cuEventSynchronize");
    }

    /** True when the recorded work has finished (or nothing was recorded). */
    public boolean isDone() {
        ctx.bind();
        int r = cuEventQuery(handle);
        if (r == CUresult.CUDA_ERROR_NOT_READY) return false;
        Cuda.check(r, "cuEventQuery");
        return true;
    }

    /** Milliseconds between {@code start} and this event (both recorded with timing, both complete). */
    public float elapsedMillisSince(CudaEvent start) {
        if (!timing || !start.timing) throw new IllegalStateException("elapsed time needs two timing events");
        ctx.bind();
        float[] ms = new float[1];
        Cuda.check(cuEventElapsedTime(ms, start.handle, handle), "cuEventElapsedTime");
        return ms[0];
    }

    @Override
    public void close() {
        ctx.bind();
        Cuda.check(cuEventDestroy(handle), "cuEventDestroy");
    }
}
