// Shared fixtures of the FloE tests: the shipped trained model and logits comparisons.
package io.strata.engine.floe;

import io.strata.engine.backend.cpu.CpuBackend;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.model.ModelConfig;
import io.strata.engine.model.MoeModel;
import io.strata.engine.store.CheckpointExpertStore;
import io.strata.tiering.ExpertStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

final class FloeTestModels {
    private FloeTestModels() {}

    /** models/tiny-moe (skips the test when the checkout lacks it). */
    static Path tinyMoe() {
        Path dir = Path.of(System.getProperty("strata.root", ".")).resolve("models/tiny-moe");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("model.safetensors")), "models/tiny-moe not found at " + dir);
        return dir;
    }

    static ModelConfig config(Checkpoint ck) {
        return ModelConfig.parse(ck.config(), ck.dir());
    }

    static MoeModel dense(Checkpoint ck) {
        ModelConfig c = config(ck);
        return new MoeModel(c, ck, new CheckpointExpertStore(c, ck), new CpuBackend());
    }

    static MoeModel with(Checkpoint ck, ExpertStore store) {
        return new MoeModel(config(ck), ck, store, new CpuBackend());
    }

    /** ‖a − b‖₂ / ‖a‖₂. */
    static double relErr(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += (double) a[i] * a[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }
}
