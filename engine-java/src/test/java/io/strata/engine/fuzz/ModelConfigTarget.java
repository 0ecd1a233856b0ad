// Fuzz target: a checkpoint's config.json read and parsed into a ModelConfig.
package io.strata.engine.fuzz;

import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.model.ModelConfig;
import java.nio.file.Path;

public final class ModelConfigTarget {
    private ModelConfigTarget() {}

    public static void fuzzerInitialize() {
        FuzzContract.warmUp("config", ModelConfigTarget::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        Path dir = FuzzContract.folder("config");
        Path f = FuzzContract.write(dir, "config.json", data);
        FuzzContract.expect(f, () -> {
            ModelConfig c = ModelConfig.parse(Checkpoint.readConfig(dir), dir);
            c.expertBytes(2); // derived sizes of a parsed config must be computable
        }, CheckpointException.class);
    }
}
