// The codec side file of a packed store: each expert's CodecParams (layout, FloE threshold), as JSON.
package io.strata.engine.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.compression.codec.CodecParams;
import io.strata.compression.codec.EncodedExpert;
import io.strata.engine.checkpoint.CheckpointException;
import io.strata.engine.floe.EncodedExperts;
import io.strata.engine.model.ModelConfig;
import io.strata.tiering.store.PackedStore;
import io.strata.tiering.store.StoreManifest.ExpertEntry;
import io.strata.tiering.store.StoreManifest.MatrixEntry;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * A store packed with a compressing codec keeps one blob per expert (matrix name "blob", U8)
 * in the ordinary expert files, and {@code codec.json} beside the manifest:
 * {@code {"codec": NAME, "experts": [[CodecParams per expert] per layer]}}.
 */
public final class CodecStoreFiles {
    public static final String FILE = "codec.json";
    public static final String BLOB = "blob";
    private static final ObjectMapper JSON = new ObjectMapper();

    public record CodecFile(String codec, CodecParams[][] experts) {}

    private CodecStoreFiles() {}

    public static void write(Path dir, String codec, CodecParams[][] params) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(FILE).toFile(), new CodecFile(codec, params));
    }

    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }

    /** The codec file of the store, checked against the manifest's codec. */
    public static CodecFile read(PackedStore ps) {
        Path f = ps.directory().resolve(FILE);
        CodecFile cf;
        try {
            cf = JSON.readValue(f.toFile(), CodecFile.class);
        } catch (IOException e) {
            throw new CheckpointException(f + ": cannot read codec parameters: " + e.getMessage(), e);
        }
        if (cf == null || cf.codec() == null) {
            throw new CheckpointException(f + ": expected {\"codec\": NAME, \"experts\": [[parameters per expert] per layer]}, found "
                    + (cf == null ? "null" : "no codec name"));
        }
        if (!cf.codec().equals(ps.codec())) {
            throw new CheckpointException(f + ": codec '" + cf.codec() + "' but the manifest says '" + ps.codec() + "'");
        }
        if (cf.experts() == null || cf.experts().length != ps.numLayers()) {
            throw new CheckpointException(f + ": expected parameters for " + ps.numLayers() + " layers, found "
                    + (cf.experts() == null ? "none" : cf.experts().length));
        }
        for (int l = 0; l < cf.experts().length; l++) {
            CodecParams[] row = cf.experts()[l];
            if (row != null && row.length != ps.numExperts()) {
                throw new CheckpointException(f + ": layer " + l + ": expected parameters for " + ps.numExperts()
                        + " experts, found " + row.length);
            }
        }
        return cf;
    }

    /**
     * Maps every expert blob of the store and checks it against its CRC32C and its codec
     * parameters; nothing is served from a blob that fails.
     */
    public static EncodedExperts open(PackedStore ps, ModelConfig c, Arena arena) {
        return open(ps, read(ps), c, arena);
    }

    /** As {@link #open(PackedStore, ModelConfig, Arena)} with the codec file already {@link #read}. */
    public static EncodedExperts open(PackedStore ps, CodecFile cf, ModelConfig c, Arena arena) {
        Map<String, MemorySegment> maps = new HashMap<>();
        EncodedExpert[][] all = new EncodedExpert[c.numLayers()][];
        for (int l = 0; l < c.numLayers(); l++) {
            if (!c.moeLayer()[l]) continue;
            all[l] = new EncodedExpert[c.numExperts()];
            for (int e = 0; e < c.numExperts(); e++) {
                ExpertEntry en = ps.expert(l, e);
                Path file = ps.file(en);
                MemorySegment map = maps.computeIfAbsent(file.toString(), k -> {
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                        return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                    } catch (IOException ex) {
                        throw new CheckpointException(file + ": cannot map: " + ex.getMessage(), ex);
                    }
                });
                MemorySegment region = map.asSlice(en.offset(), en.length());
                PackedStore.verifyExpert(en, region, file);
                var m = blob(ps, cf.experts(), l, e);
                all[l][e] = new EncodedExpert(cf.experts()[l][e], region.asSlice(m.offset(), m.length()));
            }
        }
        return EncodedExperts.of(c, all);
    }

    /** Every routed expert's blob entry, checked as {@link #blob} checks it (at load, before any is served). */
    public static void checkBlobs(PackedStore ps, CodecParams[][] params) {
        for (int l = 0; l < ps.numLayers(); l++) {
            if (params[l] == null) continue;
            for (int e = 0; e < ps.numExperts(); e++) blob(ps, params, l, e);
        }
    }

    /**
     * Expert (layer, expert)'s blob entry in the manifest, checked against its codec parameters
     * (present, and of the length they describe).
     */
    public static MatrixEntry blob(PackedStore ps, CodecParams[][] params, int layer, int expert) {
        ExpertEntry en = ps.expert(layer, expert);
        MatrixEntry m = en.matrix(BLOB);
        CodecParams p = params[layer] == null ? null : params[layer][expert];
        if (p == null || m.length() != p.totalBytes()) {
            throw new CheckpointException(ps.file(en) + ": layer " + layer + " expert " + expert + ": blob of " + m.length()
                    + " bytes, the parameters in " + ps.directory().resolve(FILE) + " expect "
                    + (p == null ? "no expert" : p.totalBytes() + " bytes"));
        }
        return m;
    }
}
