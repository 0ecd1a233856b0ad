// Result checking and raw-address plumbing shared by the JCuda driver-API wrappers.
package io.strata.kernels.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** Static helpers: {@link #check} every driver call; raw addresses of device and host pointers. */
final class Cuda {
    private Cuda() {}

    /** Throws {@link CudaException} naming the error and {@code where} unless {@code result} is CUDA_SUCCESS. */
    static void check(int result, String where) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException(result, where + ": " + errorName(result));
        }
    }

    static String errorName(int result) {
        String[] name = new String[1];
        try {
            if (JCudaDriver.cuGetErrorName(result, name) == CUresult.CUDA_SUCCESS && name[0] != null) {
                return name[0] + " (" + result + ")";
            }
        } catch (Throwable ignored) {
            // fall through to the symbolic name JCuda knows
        }
        return CUresult.stringFor(result) + " (" + result + ")";
    }

    /** A CUdeviceptr whose raw address can be read (the getter is protected in JCuda). */
    static final class DevPtr extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    /** A host Pointer at a raw native address (pageable or pinned memory owned elsewhere). */
    static final class HostPtr extends Pointer {
        HostPtr() {
            super();
        }

        HostPtr(long address) {
            super(address);
        }

        long address() {
            return getNativePointer() + getByteOffset();
        }
    }
}
