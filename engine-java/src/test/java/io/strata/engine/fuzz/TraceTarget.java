// Fuzz target: a routing trace file (Strata JSON lines, or the Mixtral format with 2 layers per token).
package io.strata.engine.fuzz;

import io.strata.tiering.trace.RoutingTrace;
import io.strata.tiering.trace.TraceFormatException;
import io.strata.tiering.trace.TraceReader;
import java.nio.file.Path;

public final class TraceTarget {
    private TraceTarget() {}

    public static void fuzzerInitialize() {
        FuzzContract.warmUp("trace", TraceTarget::fuzzerTestOneInput);
    }

    public static void fuzzerTestOneInput(byte[] data) {
        Path f = FuzzContract.write(FuzzContract.folder("trace"), "trace.jsonl", data);
        FuzzContract.expect(f, () -> {
            RoutingTrace t = TraceReader.read(f, 2);
            t.numTokens();
            t.numRequests();
        }, TraceFormatException.class);
    }
}
