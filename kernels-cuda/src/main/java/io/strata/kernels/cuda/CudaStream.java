// A CUDA stream: an ordered queue of copies and kernels (compute and copy engines overlap across streams).
package io.strata.kernels.cuda;

import static jcuda.driver.JCudaDriver.*;

import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/** A non-blocking stream (never implicitly synchronised with the legacy default stream). */
public final class CudaStream implements AutoCloseable {
    final CudaContext ctx;
    final CUstream handle = new CUstream();

    CudaStream(CudaContext ctx) {
        this.ctx = ctx;
        Cuda.check(cuStreamCreate(handle, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    }

    public CUstream handle() {
        return handle;
    }

    /** Later work on this stream waits until {@code event} has completed (no host blocking). */
    public void waitFor(CudaEvent event) {
        ctx.bind();
        Cuda.check(cuStreamWaitEvent(handle, event.handle, 0), "cuStreamWaitEvent");
    }

    /** Records a new event here. */
    public CudaEvent record(CudaEvent event) {
        event.record(this);
        return event;
    }

    /** Blocks the caller until everything queued so far has finished. */
    public void synchronize() {
        ctx.bind();
        Cuda.check(cuStreamSynchronize(handle), "cuStreamSynchronize");
    }

    @Override
    public void close() {
        ctx.bind();
        Cuda.check(cuStreamDestroy(handle), "cuStreamDestroy");
    }
}
