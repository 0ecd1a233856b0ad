// manifest.json of a packed store: model config, codec, and where every expert and dense tensor lives.
package io.strata.tiering.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import java.util.List;
import java.util.Map;

/**
 * The manifest (JSON, snake_case keys). Store layout on disk:
 * <pre>
 * STORE/manifest.json          this record
 * STORE/experts-LLL.bin        the experts of layer LLL, one region per expert
 * STORE/dense.bin              the dense (non-expert) tensors
 * </pre>
 * An expert region starts at a multiple of {@link #ALIGNMENT} and holds its matrices in the order written
 * (gate, up, down for a dense expert), each starting at a multiple of ALIGNMENT from the file start and zero padded;
 * the region's length is a multiple of ALIGNMENT, so one O_DIRECT read fetches a whole expert. Each matrix is
 * row-major {@code [shape[0], shape[1]]} with rows contiguous, so rows {@code [a, b)} are the byte range
 * {@code [a·rowBytes, b·rowBytes)} of the matrix: a codec that wants whole channels of down readable on their own
 * passes down transposed ({@code (intermediate, hidden)}) and says so through its codec name. CRC32C is kept per
 * matrix (over its exact bytes) and per expert (over the whole padded region).
 *
 * @param model  the caller's free-form model config (e.g. the checkpoint's config.json)
 * @param dtype  element type of the expert matrices when they all share one, else "mixed"
 * @param shapes shape of each expert matrix by name, when all experts agree (from the first expert)
 */
public record StoreManifest(String format, int version, JsonNode model, String codec, String dtype, int numLayers,
                            int numExperts, int alignment, Map<String, long[]> shapes, List<ExpertEntry> experts,
                            List<DenseEntry> dense) {
    public static final String FORMAT = "strata-store";
    public static final int VERSION = 1;
    /** Offsets and expert lengths are multiples of this (bytes): the O_DIRECT block size of common file systems. */
    public static final int ALIGNMENT = 4096;

    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One matrix of an expert.
     *
     * @param offset bytes from the start of the expert region (a multiple of ALIGNMENT)
     * @param length exact bytes of data (no padding)
     * @param crc32c CRC32C of those bytes
     */
    public record MatrixEntry(String name, String dtype, long[] shape, long offset, long length, long crc32c) {}

    /**
     * One expert region.
     *
     * @param file   blob file name, relative to the store directory
     * @param offset bytes from the start of the file (a multiple of ALIGNMENT)
     * @param length bytes of the region including padding (a multiple of ALIGNMENT)
     * @param crc32c CRC32C of the whole region
     */
    public record ExpertEntry(int layer, int expert, String file, long offset, long length, long crc32c,
                              List<MatrixEntry> matrices) {
        public MatrixEntry matrix(String name) {
            for (MatrixEntry m : matrices) {
                if (m.name().equals(name)) {
                    return m;
                }
            }
            throw new StoreException("layer " + layer + " expert " + expert + " in " + file + ": no matrix '" + name
                    + "' (found " + matrices.stream().map(MatrixEntry::name).toList() + ")");
        }
    }

    /** A dense tensor: {@code length} bytes at {@code offset} of {@code file}, row-major {@code shape} of dtype. */
    public record DenseEntry(String name, String dtype, long[] shape, String file, long offset, long length, long crc32c) {}
}
