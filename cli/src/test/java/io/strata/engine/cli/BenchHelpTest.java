// strata bench --help lists the synthetic presets with their size on disk, computed when the help is shown.
package io.strata.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.bench.suite.SynthPresets;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class BenchHelpTest {
    @Test
    void helpListsEveryPresetWithItsSize() {
        StringWriter buf = new StringWriter();
        var cl = StrataCli.commandLine();
        cl.setOut(new PrintWriter(buf, true));
        assertEquals(0, cl.execute("bench", "--help"));
        String out = buf.toString();
        assertTrue(out.contains("Synthetic presets") && out.contains("more than 10 GB"), out);
        for (String n : SynthPresets.NAMES) assertTrue(out.contains(n), n + " missing:\n" + out);
        // olmoe-1b-7b's line carries its bf16 size as the preset's own shape gives it (hand-checkable: 16 layers of 64
        // experts of 3 × 2048 × 1024 bf16 weights are 12.9 GB of the 13.84)
        String gb = String.format(Locale.ROOT, "%7.2f GB bf16", SynthPresets.bytesOnDisk("olmoe-1b-7b", "checkpoint") / 1e9);
        assertTrue(out.lines().anyMatch(l -> l.contains("olmoe-1b-7b") && l.contains(gb)), gb + "\n" + out);
        assertTrue(out.contains("13.84 GB bf16"), out);
    }
}
