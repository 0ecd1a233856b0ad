// strata compress: FloE threshold calibration and the codec comparison report (ratio, error, agreement, bytes moved).
package io.strata.engine.cli;

import io.strata.compression.codec.ExpertCodecs;
import io.strata.engine.api.StrataModel;
import io.strata.engine.checkpoint.Checkpoint;
import io.strata.engine.floe.BuiltinTexts;
import io.strata.bench.floe.CompressionExperiment;
import io.strata.engine.floe.EncodedExperts;
import io.strata.engine.floe.FloeCalibration;
import io.strata.engine.floe.FloeThresholds;
import io.strata.bench.floe.RatioErrorPlot;
import io.strata.bench.floe.ReportWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "compress", mixinStandardHelpOptions = true, description = "Expert compression experiments (FloE and group quantization).",
        subcommands = {CompressCommand.Report.class, CompressCommand.Perplexity.class, CompressCommand.Calibrate.class,
                CompressCommand.Plot.class})
public final class CompressCommand implements Runnable {
    /** Runs {@code compress} on its own ({@code java -cp ... io.strata.engine.cli.CompressCommand report ...}). */
    public static void main(String[] args) {
        picocli.CommandLine cl = new picocli.CommandLine(new CompressCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("strata compress " + cmd.getCommandName() + ": " + (ex.getMessage() != null ? ex.getMessage() : ex));
            if (Boolean.getBoolean("strata.debug")) ex.printStackTrace(cmd.getErr());
            return 2;
        });
        System.exit(cl.execute(args));
    }

    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Per codec: bits/param, ratio, weight and expert-output error (pooled and per layer), top-1 agreement and KL against bf16,"
                    + " perplexity on held-out text, bytes moved per token.")
    public static final class Report implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder (with tokenizer.json)")
        Path model;

        @Option(names = "--codecs", defaultValue = "bf16,int8,int4,int2,floe", split = ",",
                description = "codecs to compare (default: ${DEFAULT-VALUE}); also int3, int<B>-g<G>, floe-bf16up, floe-int<B>-g<G>; "
                        + "a floe codec may name its own sparsity: floe@0.5")
        List<String> codecs;

        @Option(names = "--sparsity", defaultValue = "0.85", description = "FloE target sparsity (default: ${DEFAULT-VALUE})")
        double sparsity;

        @Option(names = "--prompts", description = "evaluation prompts, one per line (default: built-in prompts in the model's five genres)")
        Path prompts;

        @Option(names = "--calibration", description = "FloE calibration text, paragraphs separated by blank lines (default: built-in)")
        Path calibration;

        @Option(names = "--continuation", defaultValue = "24", description = "greedy bf16 tokens appended to each prompt (default: ${DEFAULT-VALUE})")
        int continuation;

        @Option(names = "--json", description = "write the report as JSON")
        Path json;

        @Option(names = "--markdown", description = "write the report as Markdown")
        Path markdown;

        @Option(names = "--plot", description = "write a PNG of compression ratio against error")
        Path plot;

        @Option(names = "--csv", description = "write the codec table as CSV (one row per codec, per-layer expert output error as columns)")
        Path csv;

        @Option(names = "--held-out", description = "held-out text for perplexity, paragraphs separated by blank lines (default: built-in public-domain passages)")
        Path heldOut;

        @Override
        public Integer call() throws Exception {
            for (String c : codecs) ExpertCodecs.byName(c.contains("@") ? c.substring(0, c.indexOf('@')) : c); // fail early on a misspelt codec
            List<String> ps = BuiltinTexts.PROMPTS;
            if (prompts != null) {
                ps = Files.readAllLines(prompts).stream().filter(s -> !s.isBlank()).toList();
                if (ps.isEmpty()) throw new IllegalArgumentException("prompts file " + prompts + " contains no prompt (expected one per line)");
            }
            List<String> cal = calibration != null ? FloeCalibration.readTexts(calibration) : BuiltinTexts.CALIBRATION;
            List<String> held = heldOut != null ? FloeCalibration.readTexts(heldOut) : io.strata.bench.floe.HeldOutTexts.PASSAGES;
            var r = CompressionExperiment.run(model, new CompressionExperiment.Settings(codecs, sparsity, ps, cal, continuation, held),
                    BenchCommand.machine());
            System.out.print(ReportWriter.markdown(r));
            if (json != null) ReportWriter.writeJson(r, json);
            if (markdown != null) ReportWriter.writeMarkdown(r, markdown);
            if (plot != null) RatioErrorPlot.write(r, plot);
            if (csv != null) Files.writeString(csv, ReportWriter.csv(r));
            return 0;
        }
    }

    @Command(name = "perplexity", mixinStandardHelpOptions = true,
            description = "Perplexity of checkpoints and packed stores on held-out text, side by side (e.g. one checkpoint and its "
                    + "stores packed with different --codec or --dense): each model's own tokenizer, teacher forced, CPU backend.")
    public static final class Perplexity implements Callable<Integer> {
        @Option(names = "--model", required = true, split = ",", description = "checkpoint folders or stores, compared with the first")
        List<Path> models;

        @Option(names = "--held-out", description = "held-out text, paragraphs separated by blank lines (default: built-in public-domain passages)")
        Path heldOut;

        @Option(names = "--json", description = "write the results as JSON")
        Path json;

        @Override
        public Integer call() throws Exception {
            List<String> held = heldOut != null ? FloeCalibration.readTexts(heldOut) : io.strata.bench.floe.HeldOutTexts.PASSAGES;
            var rows = new java.util.ArrayList<java.util.Map<String, Object>>();
            Double first = null;
            System.out.printf(java.util.Locale.ROOT, "| model | held-out tokens | perplexity | vs first |%n|---|---|---|---|%n");
            for (Path p : models) {
                var tok = StrataModel.tokenizerIfPresent(p);
                if (tok == null) throw new IllegalArgumentException(p + ": no tokenizer.json (perplexity needs the model's own tokenizer)");
                List<int[]> seqs = new java.util.ArrayList<>();
                for (String t : held) seqs.add(tok.encode(t, true));
                int tokens = seqs.stream().mapToInt(ids -> ids.length - 1).sum();
                int longest = seqs.stream().mapToInt(ids -> ids.length).max().orElse(1);
                double ppl;
                try (StrataModel m = io.strata.engine.api.ModelLoader.load(p, io.strata.engine.api.EngineOptions.builder().backend("cpu")
                        .context(Math.max(2, longest)).build())) {
                    ppl = CompressionExperiment.perplexity(m.model(), seqs, m.config().vocabSize());
                }
                if (first == null) first = ppl;
                System.out.printf(java.util.Locale.ROOT, "| %s | %d | %.4f | %.4f |%n", p, tokens, ppl, ppl / first);
                rows.add(java.util.Map.of("model", p.toString(), "held_out_tokens", tokens, "perplexity", ppl, "ratio_to_first", ppl / first));
            }
            if (json != null) {
                var out = new java.util.LinkedHashMap<String, Object>();
                out.put("machine", BenchCommand.machine());
                out.put("held_out", heldOut == null ? "built-in passages" : heldOut.toString());
                out.put("rows", rows);
                new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), out);
            }
            return 0;
        }
    }

    @Command(name = "calibrate", mixinStandardHelpOptions = true,
            description = "FloE per-layer thresholds for a target sparsity from calibration text, written as JSON.")
    public static final class Calibrate implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder (with tokenizer.json)")
        Path model;

        @Option(names = "--calibration", required = true, description = "calibration text, paragraphs separated by blank lines")
        Path calibration;

        @Option(names = "--sparsity", defaultValue = "0.85", description = "target sparsity (default: ${DEFAULT-VALUE})")
        double sparsity;

        @Option(names = "--up", defaultValue = "floe",
                description = "up projection sampled: floe (the INT2 up serving uses), floe-bf16up, or dense (default: ${DEFAULT-VALUE})")
        String up;

        @Option(names = "--out", required = true, description = "thresholds JSON to write")
        Path out;

        @Override
        public Integer call() {
            List<String> texts = FloeCalibration.readTexts(calibration);
            try (StrataModel m = StrataModel.load(model, io.strata.engine.api.EngineOptions.builder().backend("cpu").build());
                 Checkpoint ck = Checkpoint.open(model); Arena arena = Arena.ofShared()) {
                List<int[]> ids = FloeCalibration.tokenize(m, texts);
                FloeCalibration.UpProjection proj = up.equals("dense") ? FloeCalibration.UpProjection.of(m.model().store())
                        : FloeCalibration.UpProjection.resident(EncodedExperts.encode(m.config(), ck, ExpertCodecs.byName(up), arena));
                FloeCalibration.Result r = FloeCalibration.run(m.model(), ids, sparsity, proj);
                FloeThresholds.of(model.getFileName().toString(), up, sparsity, r).write(out);
                System.out.printf("%d tokens; thresholds %s; sparsity on the samples %s -> %s%n", r.tokens(),
                        Arrays.toString(r.thresholds()), Arrays.toString(r.achievedSparsity()), out);
            }
            return 0;
        }
    }

    @Command(name = "plot", mixinStandardHelpOptions = true, description = "Redraw the PNG (and Markdown) of a report from its JSON.")
    public static final class Plot implements Callable<Integer> {
        @Option(names = "--json", required = true, description = "report JSON written by compress report --json")
        Path json;

        @Option(names = "--plot", required = true, description = "PNG to write")
        Path plot;

        @Option(names = "--markdown", description = "Markdown to write")
        Path markdown;

        @Override
        public Integer call() {
            var r = ReportWriter.readJson(json);
            RatioErrorPlot.write(r, plot);
            if (markdown != null) ReportWriter.writeMarkdown(r, markdown);
            return 0;
        }
    }
}
