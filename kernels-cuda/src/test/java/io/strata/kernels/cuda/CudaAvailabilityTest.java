// The availability probe answers on every machine, with a reason (runs with and without a GPU).
package io.strata.kernels.cuda;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class CudaAvailabilityTest {
    @Test
    void answersWithAReason() {
        boolean a = CudaAvailability.available();
        String reason = CudaAvailability.reason();
        assertNotNull(reason);
        if (a) {
            assertTrue(reason.startsWith("CUDA available: "), reason);
        } else {
            assertTrue(reason.startsWith("CUDA backend unavailable: "), reason);
            CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CudaContext::shared);
            assertEquals(reason, e.getMessage());
        }
        System.out.println(reason);
    }
}
