// Fuzz target: a GGUF file (header, metadata of every value type, tensor infos, aligned data) opened for packing.
package io.strata.engine.fuzz;

import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.checkpoint.gguf.GgufFile;
import io.strata.engine.checkpoint.gguf.GgufTensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;

public final class GgufTarget {
    private GgufTarget() {}

    public static void fuzzerInitialize() {
        FuzzContract.warmUp("gguf", GgufTarget::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        Path f = FuzzContract.write(FuzzContract.folder("gguf"), "model.gguf", data);
        FuzzContract.expect(f, () -> {
            try (Arena a = Arena.ofConfined()) {
                GgufFile g = GgufFile.open(f, a);
                g.metadata().size();
                for (GgufTensor t : g.tensors()) {
                    if (t.data().byteSize() > 0) {
                        t.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, t.data().byteSize() - 1); // in bounds
                    }
                }
            }
        }, CheckpointException.class);
    }
}
