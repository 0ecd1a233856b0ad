// The JSON form of calibrated FloE thresholds, as `strata compress calibrate` writes them and `strata pack` reads them.
package io.strata.engine.floe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * <pre>{@code
 * {"format": "strata-floe-thresholds", "version": 1, "model": "tiny-moe", "upCodec": "floe",
 *  "targetSparsity": 0.85, "thresholds": [t_0, ...], "achievedSparsity": [...],
 *  "samples": [...], "tokens": 1234}
 * }</pre>
 *
 * @param upCodec          the codec whose up projection was sampled ("floe": INT2; "dense": the checkpoint's)
 * @param thresholds       (layers) t per layer in units of |x·W_upᵀ|; 0 for dense layers
 * @param achievedSparsity (layers) fraction of calibration samples with |v| ≤ t
 * @param samples          (layers) v values sampled
 * @param tokens           calibration tokens run
 */
public record FloeThresholds(String format, int version, String model, String upCodec, double targetSparsity, float[] thresholds,
                             double[] achievedSparsity, long[] samples, int tokens) {
    public static final String FORMAT = "strata-floe-thresholds";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static FloeThresholds of(String model, String upCodec, double sparsity, FloeCalibration.Result r) {
        return new FloeThresholds(FORMAT, VERSION, model, upCodec, sparsity, r.thresholds(), r.achievedSparsity(), r.samples(),
                r.tokens());
    }

    public void write(Path file) {
        try {
            JSON.writeValue(file.toFile(), this);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads thresholds written by {@link #write}.
     *
     * @param layers the model's layer count, checked against the file
     */
    public static FloeThresholds read(Path file, int layers) {
        FloeThresholds t;
        try {
            t = JSON.readValue(file.toFile(), FloeThresholds.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a " + FORMAT + " file: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(t.format) || t.version != VERSION) {
            throw new IllegalArgumentException(file + ": expected format " + FORMAT + " v" + VERSION + ", found " + t.format + " v" + t.version);
        }
        if (t.thresholds == null || t.thresholds.length != layers) {
            throw new IllegalArgumentException(file + ": expected " + layers + " per-layer thresholds, found "
                    + (t.thresholds == null ? "none" : t.thresholds.length));
        }
        return t;
    }
}
