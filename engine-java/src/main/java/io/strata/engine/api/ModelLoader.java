// Opens what --model names (checkpoint folder or packed store) with the options of the CLI.
package io.strata.engine.api;

import io.strata.engine.cli.ModelOptions;
import io.strata.engine.cli.StoreOptions;
import io.strata.engine.moe.RoutingObserver;
import io.strata.tiering.trace.TraceRecorder;
import java.nio.file.Files;
import java.nio.file.Path;

public final class ModelLoader {
    private ModelLoader() {}

    public static StrataModel load(Path model, ModelOptions o, StoreOptions s) {
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException(model + ": not found (expected a Hugging Face checkpoint folder or a packed store)");
        }
        StrataModel m = StrataModel.load(model, new StrataModel.Options(o.backend, o.context));
        if (s != null && s.trace != null) attachTrace(m, s.trace);
        return m;
    }

    /** Records every routing decision of m to file (closed with the model's JVM shutdown or explicitly). */
    public static TraceRecorder attachTrace(StrataModel m, Path file) {
        var c = m.config();
        TraceRecorder rec = TraceRecorder.open(file, m.dir().getFileName().toString(), c.numLayers(), c.numExperts(), c.topK(), null);
        m.model().addObserver(new RoutingObserver() {
            @Override
            public void onRouted(int layer, int pos0, int[][] experts, float[][] weights) {
                for (int t = 0; t < experts.length; t++) rec.record(pos0 + t, layer, experts[t], weights[t]);
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(rec::close));
        return rec;
    }

    /** Human-readable statistics of the model's expert store, or null when it keeps none. */
    public static String storeStats(StrataModel m) {
        return null;
    }

    public static String storeStatsJson(StrataModel m) {
        return null;
    }
}
