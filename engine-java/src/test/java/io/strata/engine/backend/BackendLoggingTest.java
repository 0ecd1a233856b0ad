// On a machine without CUDA, --backend auto says why in one DEBUG line: no stack trace, nothing at INFO.
package io.strata.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class BackendLoggingTest {
    @Test
    void missingCudaIsOneDebugLine() {
        List<LogRecord> records = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        h.setLevel(Level.ALL);
        Logger root = Logger.getLogger("");
        Level was = root.getLevel();
        Logger strata = Logger.getLogger("strata.backend");
        strata.setLevel(Level.ALL);
        root.addHandler(h);
        try (Backend b = Backends.create("auto")) {
            Assumptions.assumeFalse(b.name().toLowerCase().contains("cuda"), "a CUDA device is present");
        } finally {
            root.removeHandler(h);
            root.setLevel(was);
            strata.setLevel(null);
        }
        List<LogRecord> cuda = records.stream().filter(r -> r.getMessage().contains("CUDA")).toList();
        assertEquals(1, cuda.size(), cuda.stream().map(LogRecord::getMessage).toList().toString());
        assertEquals(Level.FINE, cuda.get(0).getLevel());
        assertNull(cuda.get(0).getThrown(), "no stack trace");
    }
}
