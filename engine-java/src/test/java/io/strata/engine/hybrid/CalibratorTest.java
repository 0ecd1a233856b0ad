package io.strata.engine.hybrid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads as a step issues them: what the measurement times, what it leaves behind, and how a calibration keeps it. */
class CalibratorTest {
    @TempDir
    Path dir;

    @Test
    void aWaveOfReadsAfterAPauseIsTimedAndItsScratchFileRemoved() throws Exception {
        long block = 64 << 10;
        long pause = 2_000_000;
        long t0 = System.nanoTime();
        double rate = Calibrator.ssdStepRead(dir, 16 * block, 5, block, 2, pause);
        double took = (System.nanoTime() - t0) / 1e9;
        assertTrue(rate > 0 && Double.isFinite(rate), "bytes/s of a reader: " + rate);
        // the pauses are not part of the time: five waves took at least five pauses, and the median wave no longer than
        // all of it after them
        assertTrue(took >= 5 * pause / 1e9, "five waves after 2 ms pauses took " + took + " s");
        assertTrue(block / rate <= took - 5 * pause / 1e9 + 1e-3, "median wave " + block / rate + " s of " + took + " s");
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "the scratch file is deleted");
        }
    }

    @Test
    void aFolderThatCannotHoldTheScratchFileIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        var e = assertThrows(UncheckedIOException.class, () -> Calibrator.ssdStepRead(file, 1 << 20, 2, 64 << 10, 2, 0));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void theWaveRateIsSavedAndAnOlderCalibrationReadsWithoutIt() throws Exception {
        var c = new Calibration("m", "t", 2, 10e9, 2e9, "/d", true, Map.of("bf16", new double[] {1e9, 2e9}), Double.NaN,
                Double.NaN, Map.of(), null, false, 0.5e9, 2, 0.25e9, 0.4e9);
        Path f = dir.resolve("calibration.json");
        c.save(f);
        assertEquals(0.25e9, Calibration.load(f).ssdReadWave());
        assertEquals(0.4e9, Calibration.load(f).ssdReadAfterPause());
        // written before the reads after a pause were measured: no such fields
        String older = Files.readString(f).replaceAll(",\\s*\"ssdRead(Wave|AfterPause)\"\\s*:\\s*[0-9.E+]+", "");
        assertTrue(!older.contains("Wave") && !older.contains("AfterPause"), older);
        Files.writeString(f, older);
        Calibration o = Calibration.load(f);
        assertTrue(!(o.ssdReadWave() > 0) && !(o.ssdReadAfterPause() > 0), "an older calibration's rates after a pause: " + o);
        assertArrayEquals(new double[] {0.002}, o.stepReads(new long[] {1_000_000}), 1e-12);
        assertEquals(0.5e9, o.ssdReadOne());
    }
}
