// Fuzz target: a packed store's codec.json (per-expert codec parameters) read against the store's manifest.
package io.strata.engine.fuzz;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.strata.compression.DType;
import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.ExpertCodecs;
import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.store.CodecStoreFiles;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.store.StoreException;
import io.strata.tiering.store.StoreWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

public final class CodecFileTarget {
    private CodecFileTarget() {}

    static final int LAYERS = 1, EXPERTS = 2, HIDDEN = 64, INTER = 64;

    /** int4 layout of the store's experts: what a good codec.json says for each. */
    static CodecParams params() {
        return ExpertCodecs.byName("int4").layout(HIDDEN, INTER);
    }

    private static final PackedStore STORE = store();

    /** A committed int4 store of LAYERS x EXPERTS zero blobs, once per JVM. */
    private static PackedStore store() {
        try {
            Path dir = Files.createTempDirectory("strata-fuzz-codec").resolve("store");
            long bytes = params().totalBytes();
            try (Arena a = Arena.ofConfined();
                 StoreWriter w = StoreWriter.create(dir, JsonNodeFactory.instance.objectNode(), "int4", LAYERS, EXPERTS)) {
                MemorySegment blob = a.allocate(bytes);
                for (int l = 0; l < LAYERS; l++) {
                    for (int e = 0; e < EXPERTS; e++) {
                        w.writeExpert(l, e, List.of(new StoreWriter.Blob(CodecStoreFiles.BLOB, DType.U8, new long[] {bytes}, blob)));
                    }
                }
                w.commit();
            }
            return PackedStore.open(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void fuzzerInitialize() {
        FuzzContract.warmUp("codec", CodecFileTarget::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        Path f = FuzzContract.write(STORE.directory(), CodecStoreFiles.FILE, data);
        FuzzContract.expect(f, () -> {
            var cf = CodecStoreFiles.read(STORE);
            for (int l = 0; l < STORE.numLayers(); l++) {
                for (int e = 0; e < STORE.numExperts(); e++) {
                    CodecStoreFiles.blob(STORE, cf.experts(), l, e);
                }
            }
        }, CheckpointException.class, StoreException.class);
    }
}
