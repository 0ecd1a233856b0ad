// The CLI maps its options onto the library's EngineOptions, and with no flags gives exactly its defaults.
package io.strata.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.strata.engine.api.EngineOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CliEngineOptionsTest {
    @CommandLine.Command(name = "host")
    static final class Host {}

    @Test
    void cliOptionsMapOntoTheEngineOptions() {
        ModelOptions mo = new ModelOptions();
        StoreOptions so = new StoreOptions();
        new CommandLine(new Host()).addMixin("m", mo).addMixin("s", so).parseArgs("--backend", "cpu", "--context", "128",
                "--host-budget", "1GiB", "--fast-budget", "64MiB", "--policy", "lfu", "--prefetch", "lookahead",
                "--prefetch-depth", "2", "--loader-threads", "3", "--offload-compute", "gpu", "--trace", "t.jsonl");
        EngineOptions e = mo.engine(so);
        assertEquals(EngineOptions.builder().backend("cpu").context(128).hostBudget(1L << 30).fastBudget(64L << 20).policy("lfu")
                .prefetch("lookahead").prefetchDepth(2).loaderThreads(3).offloadCompute("gpu").trace(Path.of("t.jsonl")).build(), e);
        // Parsed with no flags, the CLI gives exactly the library's defaults.
        ModelOptions mo2 = new ModelOptions();
        StoreOptions so2 = new StoreOptions();
        new CommandLine(new Host()).addMixin("m", mo2).addMixin("s", so2).parseArgs();
        assertEquals(EngineOptions.defaults(), mo2.engine(so2));
        assertNull(mo2.engine(null).trace());
    }

}
