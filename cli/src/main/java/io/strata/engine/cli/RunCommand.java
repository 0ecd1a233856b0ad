// strata run: generate text from a prompt with a checkpoint or packed store.
package io.strata.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.engine.api.ExpertUsage;
import io.strata.engine.api.ModelLoader;
import io.strata.engine.api.StrataModel;
import io.strata.engine.generate.GenerationResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true, description = "Generate text from a prompt.")
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder or packed store")
    Path model;

    /** The prompt: text through the model's tokenizer, or token ids (a model without tokenizer.json). */
    static final class Prompt {
        @Option(names = "--prompt", required = true, description = "prompt text")
        String text;

        @Option(names = "--prompt-ids", required = true,
                description = "prompt as token ids, \"1,2,3\" or \"[1, 2, 3]\" (for a model without tokenizer.json); prints the ids generated")
        String ids;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    @Spec
    CommandSpec spec;

    @Option(names = "--max-tokens", defaultValue = "64", description = "new tokens at most (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--stats", description = "print expert usage and store statistics")
    boolean stats;

    @Option(names = "--json", description = "write the result and timings as JSON to this file")
    Path json;

    @Mixin
    ModelOptions opts;

    @Mixin
    StoreOptions storeOpts;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        try (StrataModel m = ModelLoader.load(model, opts.engine(storeOpts))) {
            ExpertUsage usage = new ExpertUsage(m.config().numLayers(), m.config().numExperts());
            m.model().addObserver(usage);
            GenerationResult r;
            if (prompt.ids != null) {
                int[] ids = promptIds(m.config().vocabSize());
                out.print(TokenizeCommand.formatIds(ids) + " ->");
                r = m.generate(ids, maxTokens, opts.sampling(), t -> {
                    out.print(" " + t);
                    out.flush();
                    return true;
                });
            } else {
                m.tokenizer(); // fails here, before any output, when the model has no tokenizer
                out.print(prompt.text);
                r = m.generate(prompt.text, maxTokens, opts.sampling(), s -> {
                    out.print(s);
                    out.flush();
                });
            }
            out.println();
            report(out, m, r, usage, stats);
            if (json != null) writeJson(json, m, r, usage, prompt.text != null ? prompt.text : prompt.ids);
        }
        return 0;
    }

    /** --prompt-ids parsed and checked against the model's vocabulary (a bad id exits with 2, naming it). */
    private int[] promptIds(int vocab) {
        int[] ids;
        try {
            ids = TokenizeCommand.parseIds(prompt.ids);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--prompt-ids " + e.getMessage());
        }
        if (ids.length == 0) throw new ParameterException(spec.commandLine(), "--prompt-ids: at least one token id is needed");
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= vocab) {
                throw new ParameterException(spec.commandLine(), "--prompt-ids: id " + ids[i] + " at position " + i + " is outside the vocabulary of "
                        + model + " (" + vocab + " tokens, ids 0-" + (vocab - 1) + ")");
            }
        }
        return ids;
    }

    static void report(PrintStream out, StrataModel m, GenerationResult r, ExpertUsage usage, boolean stats) {
        out.printf("%n%d prompt tokens, %d generated (%s) | time to first token %.1f ms | decode %.2f tokens/s | backend %s%n",
                r.promptTokens(), r.tokens().length, r.stoppedBy(), r.ttftNanos() / 1e6, r.decodeTokensPerSecond(),
                m.model().backend().name());
        if (stats) {
            out.println(usage.table());
            String s = ModelLoader.storeStats(m);
            if (s != null) out.println(s);
            if (!m.model().backend().name().equals("cpu")) out.println(pathsTable(m));
        }
    }

    /** Per forward step: how many routed experts took each path, and the demand stall of each layer. */
    static String pathsTable(StrataModel m) {
        var p = m.model().paths();
        StringBuilder b = new StringBuilder("expert paths per step (" + p.steps() + " steps):");
        p.perStepByName().forEach((k, v) -> b.append(String.format(java.util.Locale.ROOT, " %s %.2f", k, v)));
        var st = m.model().store().stats();
        if (st.layerWaitNs().length > 0 && p.steps() > 0) {
            b.append(System.lineSeparator()).append("stall per step by layer (ms):");
            for (long ns : st.layerWaitNs()) b.append(String.format(java.util.Locale.ROOT, " %.2f", ns / 1e6 / p.steps()));
        }
        return b.toString();
    }

    static void writeJson(Path file, StrataModel m, GenerationResult r, ExpertUsage usage, String prompt) throws Exception {
        ObjectMapper om = new ObjectMapper();
        ObjectNode o = om.createObjectNode();
        o.put("model", m.dir().toString());
        o.put("backend", m.model().backend().name());
        o.put("prompt", prompt);
        o.put("prompt_tokens", r.promptTokens());
        o.put("generated_tokens", r.tokens().length);
        o.put("stopped_by", r.stoppedBy());
        o.put("ttft_ms", r.ttftNanos() / 1e6);
        o.put("decode_tokens_per_s", r.decodeTokensPerSecond());
        var ids = o.putArray("token_ids");
        for (int t : r.tokens()) ids.add(t);
        if (m.hasTokenizer()) o.put("text", m.tokenizer().decode(r.tokens(), true));
        var u = o.putArray("expert_counts");
        for (int l = 0; l < usage.layers(); l++) {
            var row = u.addArray();
            for (int e = 0; e < usage.experts(); e++) row.add(usage.count(l, e));
        }
        String s = ModelLoader.storeStatsJson(m);
        if (s != null) o.set("store", om.readTree(s));
        var p = m.model().paths();
        var pj = o.putObject("expert_paths");
        pj.put("steps", p.steps());
        var per = pj.putObject("per_step");
        p.perStepByName().forEach(per::put);
        var tot = pj.putObject("total");
        p.totalByName().forEach(tot::put);
        var stall = pj.putArray("stall_ms_per_step_by_layer");
        for (long ns : m.model().store().stats().layerWaitNs()) stall.add(p.steps() == 0 ? 0 : ns / 1e6 / p.steps());
        om.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), o);
    }
}
