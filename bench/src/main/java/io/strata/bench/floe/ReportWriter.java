// Writes a compression report as JSON and as a Markdown table.
package io.strata.bench.floe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.bench.floe.CompressionExperiment.CodecResult;
import io.strata.bench.floe.CompressionExperiment.Report;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

public final class ReportWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {}

    public static void writeJson(Report r, Path file) {
        try {
            JSON.writeValue(file.toFile(), r);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a report written by {@link #writeJson}. */
    public static Report readJson(Path file) {
        try {
            return JSON.readValue(file.toFile(), Report.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a compression report JSON: " + e.getMessage(), e);
        }
    }

    public static void writeMarkdown(Report r, Path file) {
        try {
            Files.writeString(file, markdown(r));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The codec table (also printed by the CLI). */
    public static String table(Report r) {
        StringBuilder b = new StringBuilder();
        b.append("| codec | bits/param | storage ratio | weight err | expert out err | top-1 agree | mean KL (nats) | max KL | held-out perplexity | bytes moved / activation | of bf16 | bytes moved / token |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (CodecResult c : r.codecs()) {
            b.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f× | %.4f | %.4f | %.3f | %.4f | %.3f | %.3f | %s | %.3f | %s |%n", c.codec(),
                    c.bitsPerParameter(), c.compressionRatio(), c.weightError(), c.expertOutputError(), c.top1Agreement(), c.meanKl(),
                    c.maxKl(), c.perplexity(), bytes(c.movedBytesPerActivation()), c.movedFractionOfBf16(), bytes(c.movedBytesPerToken())));
        }
        return b.toString();
    }

    /** Expert output error per layer and codec (rows: codecs; columns: layers). */
    public static String layerTable(Report r) {
        int layers = r.codecs().stream().mapToInt(c -> c.layerOutputError() == null ? 0 : c.layerOutputError().length).max().orElse(0);
        StringBuilder b = new StringBuilder("| codec |");
        for (int l = 0; l < layers; l++) b.append(" layer ").append(l).append(" |");
        b.append("\n|---|").append("---|".repeat(layers)).append('\n');
        for (CodecResult c : r.codecs()) {
            b.append("| ").append(c.codec()).append(" |");
            for (int l = 0; l < layers; l++) {
                double e = c.layerOutputError() != null && l < c.layerOutputError().length ? c.layerOutputError()[l] : Double.NaN;
                b.append(Double.isNaN(e) ? " - |" : String.format(Locale.ROOT, " %.4f |", e));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** The codec table as CSV: one row per codec, the per-layer expert output errors as layer_err_L columns. */
    public static String csv(Report r) {
        int layers = r.codecs().stream().mapToInt(c -> c.layerOutputError() == null ? 0 : c.layerOutputError().length).max().orElse(0);
        StringBuilder b = new StringBuilder("codec,bits_per_param,storage_ratio,weight_err,expert_out_err,top1_agree,mean_kl,max_kl,"
                + "perplexity,bf16_perplexity,held_out_tokens,moved_bytes_per_activation,moved_fraction_of_bf16,moved_bytes_per_token");
        for (int l = 0; l < layers; l++) b.append(",layer_err_").append(l);
        b.append('\n');
        for (CodecResult c : r.codecs()) {
            b.append(String.format(Locale.ROOT, "%s,%.4f,%.4f,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%d,%.1f,%.6g,%.1f", c.codec(), c.bitsPerParameter(),
                    c.compressionRatio(), c.weightError(), c.expertOutputError(), c.top1Agreement(), c.meanKl(), c.maxKl(), c.perplexity(),
                    r.bf16Perplexity(), r.heldOutTokens(), c.movedBytesPerActivation(), c.movedFractionOfBf16(), c.movedBytesPerToken()));
            for (int l = 0; l < layers; l++) {
                double e = c.layerOutputError() != null && l < c.layerOutputError().length ? c.layerOutputError()[l] : Double.NaN;
                b.append(',').append(Double.isNaN(e) ? "" : String.format(Locale.ROOT, "%.6g", e));
            }
            b.append('\n');
        }
        return b.toString();
    }

    public static String markdown(Report r) {
        StringBuilder b = new StringBuilder();
        b.append("# Expert compression report: ").append(r.model()).append("\n\n");
        b.append(String.format(Locale.ROOT, "Model %s: hidden %d, expert intermediate %d, %d experts, top-%d; one bf16 expert = %s; "
                        + "%d expert activations per token. Machine: %s.%n%n", r.model(), r.hidden(), r.intermediate(), r.experts(),
                r.topK(), bytes(r.bf16ExpertBytes()), r.activationsPerToken(), r.machine()));
        b.append(String.format(Locale.ROOT, "Evaluation: %d prompts + greedy bf16 continuations, %d positions after BOS scored (teacher forced); "
                + "expert output error over %d real (layer, expert, token) inputs.%n%n", r.prompts(), r.positions(), r.expertSamples()));
        b.append(table(r)).append('\n');
        b.append(String.format(Locale.ROOT, "Held-out perplexity: %d next-token predictions on public-domain passages in neither the calibration "
                + "text nor the prompts (`HeldOutTexts`), teacher forced; the bf16 checkpoint itself scores %.3f.%n%n", r.heldOutTokens(), r.bf16Perplexity()));
        b.append("Expert output error per layer:\n\n").append(layerTable(r)).append('\n');
        b.append("Bytes moved: a dense codec moves its whole expert per activation; floe moves only the active channels' gate "
                + "and downT rows (4·H bytes per channel, mean over the evaluation text), its INT2 up staying resident.\n\n");
        for (CodecResult c : r.codecs()) {
            if (c.realizedSparsity() == null) continue;
            b.append(String.format(Locale.ROOT, "**%s**: target sparsity %.2f, realized %.3f on the evaluation text; resident up "
                            + "%s per expert; moves %.3f of a bf16 expert per activation (%s 1/8 = 0.125); with rows kept resident for "
                            + "the rest of each prompt it copies %s per token.%n%n", c.codec(), c.targetSparsity(), c.realizedSparsity(),
                    bytes(c.residentBytes()), c.movedFractionOfBf16(), c.movedFractionOfBf16() <= 0.125 ? "≤" : ">",
                    bytes(c.movedBytesPerTokenWithReuse())));
        }
        b.append("FloE thresholds (|x·W_upᵀ| units, INT2 up, calibrated on ").append(r.calibrationTokens())
                .append(" tokens of built-in or given calibration text):\n\n| layer |");
        for (int l = 0; l < r.thresholds().length; l++) b.append(' ').append(l).append(" |");
        b.append("\n|---|");
        b.append("---|".repeat(r.thresholds().length)).append("\n| t |");
        for (float t : r.thresholds()) b.append(String.format(Locale.ROOT, " %.4f |", t));
        b.append("\n| sparsity on calibration samples |");
        for (double s : r.calibrationSparsity()) b.append(String.format(Locale.ROOT, " %.3f |", s));
        b.append("\n\n");
        var p = r.predictor();
        b.append(String.format(Locale.ROOT, "Intra-expert predictor (layer L+1's mask from layer L's router input, L+1's INT2 up and "
                        + "threshold), over %d (token, layer, expert) masks: recall %.3f, precision %.3f, predicted density %.3f. "
                        + "Inter-expert guess (layer L+1's router on layer L's router input): %.3f of the true top-%d found.%n",
                p.comparisons(), p.channelRecall(), p.channelPrecision(), p.predictedDensity(), p.expertHitRate(), r.topK()));
        var mb = r.maskBound();
        b.append(String.format(Locale.ROOT, "%nWhat a mask of sparsity %.2f can keep (exact bf16 weights, same expert inputs): keeping each token's "
                        + "top |v| channels gives expert output error %.4f; keeping the top |SiLU(g)·v| channels (the best any mask of that "
                        + "size can do) gives %.4f.%n", mb.sparsity(), mb.upTopKOutputError(), mb.oracleOutputError()));
        CodecResult only2 = find(r, "floe@0.00"), onlySparse = find(r, "floe-bf16up"), both = find(r, "floe");
        if (only2 != null && onlySparse != null && both != null) {
            b.append(String.format(Locale.ROOT, "%nWhere floe's error comes from: the INT2 up alone (floe@0.00, nothing skipped) gives "
                            + "expert output error %.4f and mean KL %.4f; skipping channels alone (floe-bf16up, exact up) %.4f and %.4f; "
                            + "both (floe) %.4f and %.4f.%n", only2.expertOutputError(), only2.meanKl(), onlySparse.expertOutputError(),
                    onlySparse.meanKl(), both.expertOutputError(), both.meanKl()));
        }
        var f = r.prefetch();
        b.append(String.format(Locale.ROOT, "%nPartial loads with the prefetcher (floe, rows kept within a prompt, cold at each prompt): "
                        + "on-demand traffic %s per token without prediction, %s with it (%.1f %% moved ahead of need); the prefetcher "
                        + "copied %s per token.%n", bytes(f.demandBytesPerTokenWithout()), bytes(f.demandBytesPerTokenWith()),
                100 * f.covered(), bytes(f.prefetchBytesPerToken())));
        return b.toString();
    }

    private static CodecResult find(Report r, String codec) {
        return r.codecs().stream().filter(c -> c.codec().equals(codec)).findFirst().orElse(null);
    }

    static String bytes(double b) {
        if (b >= 1 << 20) return String.format(Locale.ROOT, "%.2f MiB", b / (1 << 20));
        if (b >= 1 << 10) return String.format(Locale.ROOT, "%.1f KiB", b / (1 << 10));
        return String.format(Locale.ROOT, "%.0f B", b);
    }
}
