// A downstream program: one Jackson on the class path, a packed store loaded under a budget, a chat turn.
package example;

import io.strata.engine.api.EngineOptions;
import io.strata.engine.api.Session;
import io.strata.engine.api.StrataModel;
import io.strata.engine.chat.ChatMessage;
import io.strata.engine.generate.SamplingConfig;
import io.strata.engine.model.Architecture;
import io.strata.engine.synth.SyntheticCheckpoint;
import io.strata.engine.synth.SyntheticStore;
import io.strata.compression.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

public class App {
    public static void main(String[] args) throws Exception {
        String jackson = com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString();
        check(jackson.equals(args[0]), "jackson-databind " + args[0] + " expected, found " + jackson);
        int databinds = Collections.list(App.class.getClassLoader()
                .getResources("META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties")).size();
        check(databinds == 1, "one jackson-databind on the class path, found " + databinds);

        Path store = Path.of(args[2]);
        if (!Files.exists(store)) {
            var spec = new SyntheticCheckpoint.Spec(Architecture.MIXTRAL, 256, 128, 2, 4, 2, 32, 4, 2, 192, 0, DType.BF16, 3, 1L << 30);
            SyntheticStore.write(spec, "int4", store, false);
        }
        EngineOptions o = EngineOptions.builder().backend("cpu").context(64).policy("lfu").build();
        try (StrataModel m = StrataModel.load(store, o)) {
            var r = m.generateFixed(new int[] {1, 5, 9}, 4, SamplingConfig.GREEDY);
            check(r.tokens().length == 4, "4 tokens from the packed store, got " + r.tokens().length);
            check(m.stats().tiers().size() == 3, "per-tier statistics of the packed store");
        }
        Path tiny = Path.of(args[1], "models", "tiny-moe");
        try (StrataModel m = StrataModel.load(tiny, EngineOptions.builder().backend("cpu").context(128).build());
             Session s = m.newSession()) {
            var reply = s.chat(List.of(new ChatMessage("user", "Hello")), 4, SamplingConfig.GREEDY, null);
            check(reply.result().tokens().length > 0, "a chat reply");
        }
        System.out.println("downstream project: OK (jackson " + jackson + ")");
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("downstream project: FAILED: " + what);
            System.exit(1);
        }
    }
}
