// Backend selection without a GPU: "cuda" fails with the reason, "auto" falls back to the CPU.
package io.strata.engine.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.engine.backend.Backend;
import io.strata.engine.backend.Backends;
import io.strata.kernels.cuda.CudaAvailability;
import org.junit.jupiter.api.Test;

class CudaBackendSelectionTest {
    @Test
    void cudaIsChosenOnlyWhereAvailable() {
        if (CudaAvailability.available()) {
            try (Backend b = Backends.create("cuda")) {
                assertTrue(b.name().startsWith("cuda:"), b.name());
            }
            try (Backend b = Backends.create("auto")) {
                assertTrue(b.name().startsWith("cuda:"), b.name());
            }
        } else {
            Backends.BackendUnavailableException e = assertThrows(Backends.BackendUnavailableException.class, () -> Backends.create("cuda"));
            assertTrue(e.getMessage().startsWith("CUDA backend unavailable: "), e.getMessage());
            try (Backend b = Backends.create("auto")) {
                assertTrue(b.name().startsWith("cpu"), b.name());
            }
        }
    }
}
