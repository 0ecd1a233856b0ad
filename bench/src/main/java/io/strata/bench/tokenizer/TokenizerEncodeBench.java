// JMH: encode throughput of each tokenizer on English prose, reported as input bytes per second
// (the "bytes" counter; divide by 1e6 for MB/s). Run: bench/jmh -f 1 -wi 1 -i 2 -w 2s -r 3s TokenizerEncode
package io.strata.bench.tokenizer;

import io.strata.engine.tokenizer.Tokenizer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class TokenizerEncodeBench {
    /**
     * mistral-spm-32k comes from engine-java's test resources; qwen3 and gpt-oss from ../shared beside
     * the repository (the run fails with the path it looked at when they are absent).
     */
    @Param({"mistral-spm-32k", "qwen3", "gpt-oss"})
    public String tokenizer;

    private Tokenizer tok;
    private String text;       // ~48 KiB of English prose, encoded whole per operation
    private long textBytes;    // UTF-8 size of text, bytes

    /** Bytes of input encoded; JMH divides by time, so this reads as bytes per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Setup
    public void setup() throws IOException {
        Path root = repositoryRoot();
        Path dir = tokenizer.equals("mistral-spm-32k")
                ? root.resolve("engine-java/src/test/resources/tokenizer/mistral-spm-32k")
                : root.resolve("../shared/data/tokenizers").resolve(tokenizer).normalize();
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IOException("expected a tokenizer.json in " + dir + " for tokenizer '" + tokenizer + "'");
        }
        tok = Tokenizer.load(dir);
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < 48 * 1024; i++) b.append(PROSE[i % PROSE.length]).append(i % 3 == 2 ? "\n\n" : " ");
        text = b.toString();
        textBytes = text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Benchmark
    public int[] encode(Counters counters) {
        counters.bytes += textBytes;
        return tok.encode(text, false);
    }

    /** The repository root: strata.root if set, else the nearest folder above the working directory holding engine-java. */
    static Path repositoryRoot() {
        String prop = System.getProperty("strata.root");
        if (prop != null) return Path.of(prop).toAbsolutePath();
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("engine-java"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root (a folder holding engine-java) above " + Path.of("").toAbsolutePath());
        return p;
    }

    /** Plain English paragraphs (written for this benchmark) with the usual mix of words, numbers and punctuation. */
    private static final String[] PROSE = {
        "A mixture-of-experts layer replaces the single feed-forward block of a transformer with many smaller blocks, "
            + "called experts, and a router that picks a few of them for every token. Only the chosen experts run, so the "
            + "model can hold far more parameters than it spends on any one token.",
        "Mixtral 8x7B, for example, keeps eight experts in each of its 32 layers and routes every token to two of them; "
            + "about 13 billion of its 47 billion parameters are active per token. Qwen3-30B-A3B goes further, with 128 "
            + "experts per layer, eight of which are active, for roughly 3.3 billion active parameters.",
        "The catch is memory. Every expert must be somewhere the processor can reach when the router asks for it, "
            + "and a consumer graphics card with 11 or 12 GB of memory cannot hold 90 GB of weights. Offloading systems "
            + "therefore keep the experts in host memory or on an SSD and copy them in on demand.",
        "Whether that is fast depends on how often the needed expert is already resident. Caches that evict the least "
            + "frequently used expert do better than ones that evict the least recently used, because a few experts are "
            + "popular in every layer while the rest are chosen rarely, and the popular ones should stay.",
        "Prefetching helps too. The router of the next layer, applied to the hidden state of the current one, guesses "
            + "the next experts correctly more than 80 percent of the time, which leaves a whole layer's compute to hide "
            + "the copy. When the guess is wrong, the token waits; when it is right, the copy was free.",
        "Compression shrinks each copy. Quantizing the up projection to two bits and sending only the channels whose "
            + "activations are large enough to matter cuts the bytes per expert by nearly an order of magnitude, at a "
            + "small cost in accuracy that careful calibration of the thresholds keeps under control.",
        "None of this matters if the tokenizer is slow. A prompt of a few thousand words must become token ids in "
            + "well under a millisecond per kilobyte, or the user notices the delay before the first word appears. "
            + "That is why the encoder caches words it has seen and merges pairs by rank with a heap.",
    };
}
