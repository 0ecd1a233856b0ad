// A model to read weights from by checkpoint name: a Hugging Face folder or a GGUF file.
package io.strata.engine.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.engine.checkpoint.gguf.GgufCheckpoint;
import io.strata.engine.checkpoint.gguf.GgufModel;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code strata pack} reads: a config.json-shaped config (a GGUF file's metadata is turned
 * into one) and every tensor under its Hugging Face checkpoint name.
 */
public interface ModelSource extends WeightSource, AutoCloseable {
    /** The folder or file this was opened from. */
    Path path();

    /** The model's config as Hugging Face config.json holds it. */
    JsonNode config();

    /** Every tensor's checkpoint name, in file order. */
    List<String> tensorNames();

    /** The tensor with its bytes (for a GGUF file, dequantized when its type is not a plain float type). */
    TensorInfo load(String name);

    /** Bytes of every tensor as {@link #load} gives them (for progress). */
    long totalBytes();

    @Override
    void close();

    /** A .gguf file (or one shard of a set) opens as GGUF, anything else as a Hugging Face folder. */
    static ModelSource open(Path p) {
        return GgufModel.isGguf(p) ? GgufCheckpoint.open(p) : Checkpoint.open(p);
    }
}
