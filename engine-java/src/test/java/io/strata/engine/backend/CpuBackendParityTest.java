// Every op of the CPU backend: Vector API kernels against the scalar twins.
package io.strata.engine.backend;

import io.strata.compression.kernel.Kernels;
import io.strata.engine.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class CpuBackendParityTest {
    @Test
    void vectorBackendMatchesScalarBackend() {
        BackendParity.checkAll(new CpuBackend(Kernels.scalar()), new CpuBackend(Kernels.vectorOrNull()), 1e-5);
    }
}
