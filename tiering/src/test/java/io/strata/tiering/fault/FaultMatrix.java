// Records each fault-injection outcome (fault x stage -> outcome) as JSON lines in target/fault-matrix.jsonl.
package io.strata.tiering.fault;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

final class FaultMatrix {
    private FaultMatrix() {}

    static final Path FILE = Path.of("target/fault-matrix.jsonl");

    /** Appends one row once its test's assertions have passed. {@code cases}: how many injections it covers. */
    static synchronized void record(String fault, String stage, String outcome, long cases) {
        var n = new ObjectMapper().createObjectNode().put("fault", fault).put("stage", stage).put("outcome", outcome)
                .put("cases", cases);
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, n + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
