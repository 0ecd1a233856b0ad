// Reproduces bench/results/compress-report.{json,md,png}: every codec and a FloE sparsity sweep on models/tiny-moe.
package io.strata.bench.floe;

import io.strata.engine.floe.BuiltinTexts;
import io.strata.bench.floe.CompressionExperiment;
import io.strata.bench.floe.RatioErrorPlot;
import io.strata.bench.floe.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One command:
 * <pre>
 *   ./build -q -o -pl bench -am install -DskipTests
 *   java --add-modules jdk.incubator.vector -Djava.awt.headless=true \
 *        -cp "bench/target/classes:bench/target/lib/*" io.strata.bench.floe.CompressReportSuite [ROOT]
 * </pre>
 * ROOT defaults to the working directory; results go to ROOT/bench/results/compress-report.*.
 * The same table comes from {@code strata compress report --model models/tiny-moe --codecs ...}.
 */
public final class CompressReportSuite {
    /** Dense codecs, FloE at the default sparsity, a FloE sparsity sweep, and FloE with an exact (bf16) up. */
    public static final List<String> CODECS = List.of("bf16", "int8", "int4", "int2", "floe", "floe@0", "floe@0.5", "floe@0.7",
            "floe@0.9", "floe-bf16up");

    private CompressReportSuite() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        Path model = root.resolve("models/tiny-moe"), out = root.resolve("bench/results");
        Files.createDirectories(out);
        var settings = new CompressionExperiment.Settings(CODECS, 0.85, BuiltinTexts.PROMPTS, BuiltinTexts.CALIBRATION, 24);
        var r = CompressionExperiment.run(model, settings, machine());
        ReportWriter.writeJson(r, out.resolve("compress-report.json"));
        ReportWriter.writeMarkdown(r, out.resolve("compress-report.md"));
        RatioErrorPlot.write(r, out.resolve("compress-report.png"));
        System.out.print(ReportWriter.markdown(r));
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (Exception e) {
            // not Linux: leave the CPU unnamed
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, Java " + Runtime.version();
    }
}
