// End to end on the GPU: logits, router top-k and greedy tokens of the tiny golden models through
// the CUDA backend against Hugging Face transformers (fixtures of GoldenForwardTest; skipped without a GPU).
package io.strata.engine.backend.cuda;

import io.strata.engine.model.GoldenForwardTest;
import io.strata.kernels.cuda.CudaAvailability;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CudaGoldenForwardTest {
    @BeforeAll
    static void requireGpu() {
        Assumptions.assumeTrue(CudaAvailability.available(), CudaAvailability.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixtral", "qwen3_moe", "olmoe", "qwen2_moe", "gpt_oss", "gpt_oss_mxfp4", "deepseek_v2", "deepseek_v3",
            "glm4_moe"})
    void logitsRoutingAndGreedyMatchTransformers(String arch) throws Exception {
        CudaBackend be = CudaBackend.create();
        GoldenForwardTest.assertMatchesTransformers(arch, be, rel -> {
            System.out.printf("%s on %s: relative logits error %.2e, %d bytes copied into the VRAM tier%n", arch, be.name(), rel,
                    be.expertBytesCopied());
            org.junit.jupiter.api.Assertions.assertTrue(be.expertBytesCopied() > 0, "the experts ran from their VRAM copies");
        });
    }
}
