// A failed CUDA driver call or kernel launch, with the driver's error name and where it happened.
package io.strata.kernels.cuda;

/** Thrown when a CUDA driver call returns an error; {@link #result} is the CUresult code. */
public final class CudaException extends RuntimeException {
    public final int result;

    public CudaException(int result, String message) {
        super(message);
        this.result = result;
    }
}
