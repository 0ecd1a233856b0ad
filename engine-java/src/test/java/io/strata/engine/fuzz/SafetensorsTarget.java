// Fuzz target: a safetensors file (8-byte header length, JSON header, tensor data) opened as a checkpoint shard.
package io.strata.engine.fuzz;

import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.checkpoint.SafetensorsFile;
import io.strata.engine.checkpoint.TensorInfo;
import java.lang.foreign.Arena;
import java.nio.file.Path;

public final class SafetensorsTarget {
    private SafetensorsTarget() {}

    public static void fuzzerInitialize() {
        FuzzContract.warmUp("safetensors", SafetensorsTarget::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        Path f = FuzzContract.write(FuzzContract.folder("safetensors"), "model.safetensors", data);
        FuzzContract.expect(f, () -> {
            try (Arena a = Arena.ofConfined()) {
                for (TensorInfo t : SafetensorsFile.open(f, a).tensors().values()) {
                    if (t.data().byteSize() > 0) {
                        t.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, t.data().byteSize() - 1); // in bounds
                    }
                }
            }
        }, CheckpointException.class);
    }
}
