// Runs a model on prompts and records its router inputs and routes (the data of predictor training and eval).
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import io.strata.engine.api.StrataModel;
import io.strata.engine.backend.KvCache;
import io.strata.engine.generate.Sampler;
import io.strata.engine.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;

public final class RoutingRuns {
    private RoutingRuns() {}

    /**
     * For each prompt: one prefill pass over its tokens (BOS added), then genTokens greedy decode steps, all
     * recorded. Prefill is causal, so each prompt token's router input is what a decode step would have seen.
     */
    public static RoutingDataset record(StrataModel m, List<String> prompts, int genTokens) {
        List<int[]> ids = new ArrayList<>();
        for (String p : prompts) ids.add(m.encode(p));
        return recordIds(m, ids, prompts, genTokens);
    }

    /** As {@link #record} on token ids; names label the sequences (may be null). */
    public static RoutingDataset recordIds(StrataModel m, List<int[]> prompts, List<String> names, int genTokens) {
        ModelConfig c = m.config();
        RoutingRecorder rec = new RoutingRecorder(m.model().backend(), c);
        List<RoutingDataset.Sequence> seqs = new ArrayList<>();
        m.model().addObserver(rec);
        try {
            for (int i = 0; i < prompts.size(); i++) {
                int[] ids = prompts.get(i);
                KvCache cache = m.model().newCache(ids.length + genTokens + 1);
                float[] logits = m.model().forward(ids, 0, cache, false);
                int pos = ids.length;
                for (int g = 0; g < genTokens; g++) {
                    int next = Sampler.argmax(logits, 0, logits.length);
                    logits = m.model().forward(new int[] {next}, pos++, cache, false);
                }
                String name = names == null ? "prompt " + i : label(names.get(i));
                seqs.add(rec.finish(name));
            }
        } finally {
            m.model().removeObserver(rec);
        }
        return new RoutingDataset(c.numLayers(), c.numExperts(), c.topK(), c.hidden(), c.moeLayer(), seqs);
    }

    private static String label(String text) {
        String s = text.replaceAll("\\s+", " ").strip();
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

}
